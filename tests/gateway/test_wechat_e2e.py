"""WeChat pushes against the running gateway, broker and worker: plain and
AES (encrypted with wechatpy's implementation of WeChat's algorithm)."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from wechatpy.crypto import WeChatCrypto

from hub.connectors.wechat import wechat_signature
from hub.kafka.topics import INTAKE, RAW, ROUTED
from hub.settings import DEV_SECRETS
from tests.helpers import FIXTURES, ce_id, end_offsets, kept_refused, read_topics, routed_where

TOKEN, AES_KEY, APPID = (DEV_SECRETS["wechat_token"], DEV_SECRETS["wechat_aes_key"],
                         DEV_SECRETS["wechat_appid"])
PATH = "/v1/channels/wechat"


def plain_query(ts: str | None = None, nonce: str = "n1") -> dict:
    ts = ts or str(int(time.time()))
    return {"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def post_plain(gateway: str, body: bytes, ctype: str = "text/xml", **query) -> httpx.Response:
    return httpx.post(f"{gateway}{PATH}", params={**plain_query(), **query}, content=body,
                      headers={"content-type": ctype})


def post_aes(gateway: str, xml: str, appid: str = APPID, tamper: bool = False) -> httpx.Response:
    ts, nonce = str(int(time.time())), "nonce-aes"
    envelope = WeChatCrypto(TOKEN, AES_KEY, appid).encrypt_message(xml, nonce, ts)
    encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
    signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
    if tamper:
        signature = "0" * 40
    body = (f"<xml><ToUserName><![CDATA[gh_3a5b7c9d1e2f]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()
    return httpx.post(f"{gateway}{PATH}", params={
        "signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
        "encrypt_type": "aes", "msg_signature": signature}, content=body,
        headers={"content-type": "text/xml"})


def routed_by_message(broker, message_id: str) -> list:
    return [routed_where(broker.bootstrap, lambda e: e.channel_message_id == message_id)]


def test_url_verification_echoes_echostr(gateway):
    ok = httpx.get(f"{gateway}{PATH}", params={**plain_query(), "echostr": "echo-123"})
    assert ok.status_code == 200 and ok.text == "echo-123"
    bad = httpx.get(f"{gateway}{PATH}", params={**plain_query(), "signature": "x",
                                                 "echostr": "e"})
    assert bad.status_code == 401


def test_plain_text_from_a_vip_openid(broker, gateway, worker):
    response = post_plain(gateway, (FIXTURES / "wechat" / "text.xml").read_bytes())
    assert response.status_code == 200 and response.text == "success"
    [event] = routed_by_message(broker, "24321987650099001")
    assert event.customer.matched_by == "wechat_openid" and event.customer.tier == "vip"
    assert event.classification.type == "repair"


def test_aes_round_trip_voice_is_rescue(broker, gateway, worker):
    xml = (FIXTURES / "wechat" / "voice.xml").read_text()
    response = post_aes(gateway, xml)
    assert response.status_code == 200 and response.text == "success"
    [event] = routed_by_message(broker, "24321987650099002")
    assert event.classification.type == "rescue" and event.route.priority == "P1"


def test_a_tampered_aes_push_is_refused_and_stored_nowhere(broker, gateway):
    xml = (FIXTURES / "wechat" / "text.xml").read_text()
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    assert post_aes(gateway, xml, tamper=True).status_code == 401
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_an_aes_push_for_another_appid_is_refused_and_kept(broker, gateway):
    # Our token signed it: a wrong HUB_WECHAT_APPID, which replay can mend.
    xml = (FIXTURES / "wechat" / "text.xml").read_text()
    response, raw = kept_refused(broker.bootstrap,
                                 lambda: post_aes(gateway, xml, appid="wxother00000000000"))
    assert response.status_code == 401 and raw["refused"] == response.json()["error"]
    assert "msg_signature=%5Bredacted%5D" in raw["query"] and "encrypt_type=aes" in raw["query"]


@pytest.mark.parametrize("body, status", [
    (b"<xml><ToUserName>gh</ToUserName><MsgType>te", 400),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
     b"<xml><Content>&e;</Content></xml>", 400),
    (b"not xml at all", 415),
])
def test_broken_and_hostile_xml_is_refused_and_kept_as_bytes(broker, gateway, body, status):
    response, raw = kept_refused(broker.bootstrap, lambda: post_plain(gateway, body))
    assert response.status_code == status and raw["refused"] == response.json()["error"]
    assert raw["body"].encode() == body


def test_broken_xml_with_a_wrong_signature_is_stored_nowhere(broker, gateway):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    response = post_plain(gateway, b"<xml><MsgType>te", signature="f" * 40)
    assert response.status_code == 401  # the signature first: a stranger learns nothing
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_xml_bomb_is_refused_quickly_and_the_gateway_keeps_serving(broker, gateway):
    lol = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">{lol}]>'
            f"<xml><Content>&l9;</Content></xml>").encode()
    started = time.monotonic()
    response = post_plain(gateway, bomb)
    assert response.status_code == 400 and time.monotonic() - started < 1.0
    assert httpx.get(f"{gateway}/healthz").status_code == 200


@pytest.mark.parametrize("skew", [-3600, 3600])
def test_stale_timestamp_is_refused_even_with_a_valid_signature(broker, gateway, skew):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    query = plain_query(ts=str(int(time.time()) + skew))
    response = httpx.post(f"{gateway}{PATH}", params=query,
                          content=(FIXTURES / "wechat" / "text.xml").read_bytes(),
                          headers={"content-type": "text/xml"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "stale_timestamp"
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_wrong_signature_publishes_nothing(broker, gateway):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    response = httpx.post(f"{gateway}{PATH}", params={**plain_query(), "signature": "f" * 40},
                          content=(FIXTURES / "wechat" / "text.xml").read_bytes(),
                          headers={"content-type": "text/xml"})
    assert response.status_code == 401
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_duplicate_msgid_is_one_routed_event(broker, gateway, worker):
    body = (FIXTURES / "wechat" / "text.xml").read_bytes().replace(
        b"24321987650099001", b"24321987650099777")
    for _ in range(3):  # WeChat's three retries
        assert post_plain(gateway, body).text == "success"
    [event] = routed_by_message(broker, "24321987650099777")
    time.sleep(3)
    assert sum(ce_id(r) == event.event_id for r in read_topics(broker.bootstrap, ROUTED)) == 1


def test_mini_program_json_push(broker, gateway, worker):
    body = (FIXTURES / "wechat" / "miniprogram.json").read_bytes()
    response = post_plain(gateway, body, ctype="application/json")
    assert response.text == "success"
    [event] = routed_by_message(broker, "24321987650099399")
    assert event.classification.type == "inquiry"


def test_subscribe_with_dealer_scene_is_stored_with_qr_context(broker, gateway):
    response = post_plain(gateway, (FIXTURES / "wechat" / "subscribe_qrscene.xml").read_bytes())
    assert response.text == "success"
    event_id = [r for r in read_topics(broker.bootstrap, [INTAKE])
                if b"D0755C" in (r.value or b"")]
    assert event_id


def test_unsubscribe_is_answered_counted_and_not_stored(broker, gateway):
    body = (b"<xml><ToUserName>gh_3a5b7c9d1e2f</ToUserName><FromUserName>oU2Vbye</FromUserName>"
            b"<CreateTime>1763774500</CreateTime><MsgType>event</MsgType>"
            b"<Event>unsubscribe</Event></xml>")
    before = end_offsets(broker.bootstrap, [INTAKE])
    assert post_plain(gateway, body).text == "success"
    assert end_offsets(broker.bootstrap, [INTAKE]) == before
    metrics = httpx.get(f"{gateway}/metrics").text
    assert 'hub_webhook_requests_total{channel="wechat",outcome="ignored"}' in metrics
