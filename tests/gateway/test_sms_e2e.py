"""The three SMS providers against the running gateway, broker and worker."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import httpx
import orjson
import pytest

from hub.event import RoutedEvent
from hub.kafka.topics import INTAKE, RAW, ROUTED
from hub.settings import DEV_SECRETS
from tests.helpers import FIXTURES, ce_id, end_offsets, kept_refused, routed_where, wait_for

TOKEN = DEV_SECRETS["push_token"]


def load(name: str):
    return orjson.loads((FIXTURES / "sms" / name).read_bytes())


def routed(broker, event_ids: list[str]) -> dict[str, RoutedEvent]:
    records = wait_for(broker.bootstrap, ROUTED, event_ids)
    return {ce_id(r): RoutedEvent.from_json(r.value) for r in records if ce_id(r) in event_ids}


def aliyun(gateway: str, batch, token: str = TOKEN) -> httpx.Response:
    return httpx.post(f"{gateway}/v1/channels/sms/aliyun?token={token}",
                      content=orjson.dumps(batch), headers={"content-type": "application/json"})


def test_aliyun_batch_each_report_its_own_event(broker, gateway, worker):
    before = end_offsets(broker.bootstrap, [INTAKE])
    response = aliyun(gateway, load("aliyun_batch.json"))
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "接收成功"}
    after = end_offsets(broker.bootstrap, [INTAKE])
    assert sum(after.values()) - sum(before.values()) == 2
    from hub.ids import event_id
    ids = [event_id("sms", "sms:aliyun", s) for s in ("99001", "99002")]
    events = routed(broker, ids)
    assert events[ids[0]].classification.type == "rescue"
    assert events[ids[1]].classification.type == "inquiry"
    assert events[ids[0]].source == "sms:aliyun"


def test_aliyun_batch_with_one_bad_report_is_refused_whole_and_kept_once(broker, gateway):
    batch = [*load("aliyun_batch.json"), {"phone_number": "139", "content": "缺少 sequence_id"}]
    response, raw = kept_refused(broker.bootstrap, lambda: aliyun(gateway, batch))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_payload"
    assert orjson.loads(raw["body"]) == batch and raw["query"] == "token=%5Bredacted%5D"


@pytest.mark.parametrize("path", ["/v1/channels/sms/aliyun", "/v1/channels/sms/tencent"])
@pytest.mark.parametrize("query", ["", "?token=wrong", "?token="])
def test_push_token_is_required(broker, gateway, path, query):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    response = httpx.post(f"{gateway}{path}{query}", content=b"{}",
                          headers={"content-type": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_tencent_reply(broker, gateway, worker):
    response = httpx.post(f"{gateway}/v1/channels/sms/tencent?token={TOKEN}",
                          content=orjson.dumps(load("tencent_reply.json")),
                          headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json() == {"result": 0, "errmsg": "OK"}
    # Other tests (the OpenAPI run) post Tencent replies too: this one by its number and words.
    event = routed_where(broker.bootstrap, lambda e: e.source == "sms:tencent"
                         and e.contact.phone == "+8613600003333" and "销售态度" in e.text)
    assert event.classification.type == "complaint"


def routed_any(broker, source: str) -> list[RoutedEvent]:
    return [routed_where(broker.bootstrap, lambda e: e.source == source)]


def twilio_post(gateway: str, params: dict, public_url: str | None = None,
                token: str = DEV_SECRETS["twilio_auth_token"]) -> httpx.Response:
    # HUB_PUBLIC_URL is unset: it defaults to the gateway's own address.
    url = (public_url or gateway) + "/v1/channels/sms/twilio"
    data = url + "".join(k + params[k] for k in sorted(params))
    signature = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest())
    return httpx.post(f"{gateway}/v1/channels/sms/twilio", content=urlencode(params),
                      headers={"content-type": "application/x-www-form-urlencoded",
                               "x-twilio-signature": signature.decode()})


def test_twilio_mms_with_signature_through_a_proxy_port(broker, gateway, worker):
    params = load("twilio_mms.json")
    # HUB_PUBLIC_URL defaults to the gateway's address; a proxy that drops the port is fine too.
    for public in (gateway, "http://127.0.0.1"):
        response = twilio_post(gateway, params, public)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        assert "<Response></Response>" in response.text
    [event] = routed_any(broker, "sms:twilio")
    assert event.classification.type == "repair" and event.attachments[0].kind == "image"


@pytest.mark.parametrize("case", ["wrong_token", "tampered", "missing", "json"])
def test_twilio_refusals(broker, gateway, case):
    params = load("twilio_mms.json")
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    if case == "wrong_token":
        response = twilio_post(gateway, params, token="not-the-token")
    elif case == "tampered":
        url = f"{gateway}/v1/channels/sms/twilio"
        token = DEV_SECRETS["twilio_auth_token"]
        data = url + "".join(k + params[k] for k in sorted(params))
        sig = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest())
        response = httpx.post(f"{gateway}/v1/channels/sms/twilio",
                              content=urlencode({**params, "Body": "改过的内容"}),
                              headers={"content-type": "application/x-www-form-urlencoded",
                                       "x-twilio-signature": sig.decode()})
    elif case == "missing":
        response = httpx.post(f"{gateway}/v1/channels/sms/twilio", content=urlencode(params),
                              headers={"content-type": "application/x-www-form-urlencoded"})
    else:
        response = httpx.post(f"{gateway}/v1/channels/sms/twilio", content=orjson.dumps(params),
                              headers={"content-type": "application/json"})
    assert response.status_code == (415 if case == "json" else 401)
    # Its signature covers the form's fields: Twilio's JSON cannot be authenticated.
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_a_signed_twilio_form_without_a_message_sid_is_refused_and_kept(broker, gateway):
    params = {k: v for k, v in load("twilio_mms.json").items() if k != "MessageSid"}
    response, raw = kept_refused(broker.bootstrap, lambda: twilio_post(gateway, params))
    assert response.status_code == 400 and raw["refused"] == response.json()["error"]
    assert "MessageSid" in raw["refused"]["message"]
    assert raw["headers"]["x-twilio-signature"] == "[redacted]" and raw["body"] == urlencode(params)


def test_opt_out_reply_is_flagged_and_never_a_complaint(broker, gateway, worker):
    batch = [{"phone_number": "13700009999", "content": "TD", "sequence_id": "99100"},
             {"phone_number": "13700009998", "content": "退订", "sequence_id": "99101"}]
    assert aliyun(gateway, batch).status_code == 200
    from hub.ids import event_id
    ids = [event_id("sms", "sms:aliyun", s) for s in ("99100", "99101")]
    for event in routed(broker, ids).values():
        assert "opt_out" in event.flags
        assert event.classification.type != "complaint"


def test_aliyun_redelivery_is_one_routed_event_per_report(broker, gateway, worker):
    batch = [{"phone_number": "13700001234", "content": "请问几点营业", "sequence_id": 99200}]
    assert aliyun(gateway, batch).status_code == 200
    assert aliyun(gateway, batch).status_code == 200
    from hub.ids import event_id
    eid = event_id("sms", "sms:aliyun", "99200")
    routed(broker, [eid])
    import time
    time.sleep(3)
    from tests.helpers import read_topics
    assert sum(ce_id(r) == eid for r in read_topics(broker.bootstrap, ROUTED)) == 1
