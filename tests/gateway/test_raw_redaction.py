"""hub.raw keeps each request for audit and replay, but no credential in
clear: the push token, signatures and session headers are redacted before the
record is written (their names stay)."""

from __future__ import annotations

import time
import uuid

import httpx
import orjson

from hub.connectors.wechat import wechat_signature
from hub.gateway.ingest import REDACTED, redact_query
from hub.kafka.topics import RAW
from hub.settings import DEV_SECRETS
from tests.helpers import FIXTURES, ce_id, read_topics, signed_post, wait_for


def _raw_for(broker, event_id: str) -> tuple[bytes, dict]:
    [raw] = [r for r in wait_for(broker.bootstrap, [RAW], [event_id]) if ce_id(r) == event_id]
    return raw.value, orjson.loads(raw.value)


def test_push_token_is_not_stored(broker, gateway):
    token = DEV_SECRETS["push_token"]
    report = {"phone_number": "13900001111", "content": f"redaction {uuid.uuid4().hex}",
              "send_time": "2026-03-02 10:00:00", "dest_code": "1069",
              "sequence_id": int(time.time() * 1000) % 10**9}
    response = httpx.post(f"{gateway}/v1/channels/sms/aliyun?token={token}&extra=kept",
                          content=orjson.dumps([report]),
                          headers={"content-type": "application/json",
                                   "authorization": "Bearer abc", "cookie": "s=1"})
    assert response.status_code == 200, response.text
    [record] = [r for r in read_topics(broker.bootstrap, [RAW])
                if report["content"].encode() in r.value]
    stored = orjson.loads(record.value)
    assert token.encode() not in record.value
    assert stored["query"] == "token=%5Bredacted%5D&extra=kept"
    assert stored["headers"]["authorization"] == REDACTED == stored["headers"]["cookie"]


def test_standard_webhooks_signature_is_not_stored(broker, gateway):
    payload = orjson.loads((FIXTURES / "hotline" / "repair_booking.json").read_bytes())
    response = signed_post(gateway, "hotline", {**payload, "call_id": f"C-{uuid.uuid4().hex}"})
    assert response.status_code == 202
    value, stored = _raw_for(broker, response.json()["event_id"])
    assert stored["headers"]["webhook-signature"] == REDACTED
    assert stored["headers"]["webhook-id"] and stored["headers"]["webhook-timestamp"]
    assert b"v1," not in value  # no Standard Webhooks signature anywhere in the record


def test_wechat_signature_is_not_stored(broker, gateway):
    ts, nonce = str(int(time.time())), "n-redact"
    signature = wechat_signature(DEV_SECRETS["wechat_token"], ts, nonce)
    msg_id = str(int(time.time() * 1e6))
    body = (FIXTURES / "wechat" / "text.xml").read_bytes().replace(
        b"24321987650099001", msg_id.encode())
    response = httpx.post(f"{gateway}/v1/channels/wechat", content=body,
                          params={"signature": signature, "timestamp": ts, "nonce": nonce},
                          headers={"content-type": "text/xml"})
    assert response.status_code == 200, response.text
    [record] = [r for r in read_topics(broker.bootstrap, [RAW]) if msg_id.encode() in r.value]
    assert signature.encode() not in record.value
    assert f"timestamp={ts}" in orjson.loads(record.value)["query"]


def test_redact_query_keeps_everything_else_in_order():
    assert redact_query("a=1&Token=s3cret&msg_signature=x&b=") == \
        "a=1&Token=%5Bredacted%5D&msg_signature=%5Bredacted%5D&b="
