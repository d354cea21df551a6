"""Signed webhooks through the running gateway and worker, on the embedded broker."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import orjson
import pytest

from hub.event import RoutedEvent
from hub.kafka.topics import INTAKE, RAW, ROUTED
from tests.helpers import (
    FIXTURES,
    ce_id,
    end_offsets,
    kept_refused,
    read_topics,
    signed_post,
    wait_for,
)


def fixture(name: str) -> dict:
    return orjson.loads((FIXTURES / name).read_bytes())


def routed_records(broker, event_id: str) -> list:
    return [r for r in wait_for(broker.bootstrap, ROUTED, [event_id]) if ce_id(r) == event_id]


def test_vip_complaint_in_another_spelling_lands_on_vip_complaint(broker, gateway, worker):
    response = signed_post(gateway, "hotline", fixture("hotline/vip_complaint.json"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "accepted"

    [record] = routed_records(broker, body["event_id"])
    assert record.topic == "hub.routed.vip.complaint"
    assert record.key == b"C-VIP-ZHAO"
    headers = dict(record.headers)
    assert headers["ce_specversion"] == b"1.0" and headers["ce_type"] == b"hub.routed.v1"
    assert headers["content-type"] == b"application/json"
    routed = RoutedEvent.from_json(record.value)  # every §5 and §6 field, validated
    assert routed.contact.phone == "+8613900009999"
    assert routed.customer.model_dump() == {"customer_id": "C-VIP-ZHAO", "tier": "vip",
                                            "matched_by": "phone"}
    assert routed.classification.type == "complaint"
    assert "safety" in routed.flags  # brakes
    assert 1 <= routed.risk.level <= 5 and routed.risk.factors["customer_type"] == "vip"
    assert routed.route.priority == "P1" and routed.route.queue == "vip-care"
    assert routed.route.first_response_due > routed.received_at
    assert routed.route.resolve_due >= routed.route.first_response_due
    assert routed.context.ivr_path == ["4"]
    assert routed.attachments[0].kind == "recording"


def test_airbag_deployment_lands_on_a_rescue_topic(broker, gateway, worker):
    response = signed_post(gateway, "telematics", fixture("telematics/airbag.json"))
    assert response.status_code == 202, response.text
    [record] = routed_records(broker, response.json()["event_id"])
    routed = RoutedEvent.from_json(record.value)
    assert record.topic == "hub.routed.fleet.rescue"  # the fleet is found by VIN
    assert routed.customer.matched_by == "vin"
    assert routed.classification.type == "rescue" and routed.classification.method == "telematics"
    assert routed.risk.level == 5 and {"safety", "major"} <= set(routed.flags)
    assert routed.route.priority == "P1"


def test_web_form_from_unknown_customer_is_ordinary(broker, gateway, worker):
    response = signed_post(gateway, "web", fixture("web/delivery_delay.json"))
    assert response.status_code == 202
    [record] = routed_records(broker, response.json()["event_id"])
    routed = RoutedEvent.from_json(record.value)
    assert routed.customer.tier == "ordinary" and routed.customer.customer_id is None
    assert routed.contact.email == "wang.ns@example.com"
    assert routed.classification.category == "sales"
    assert record.topic == f"hub.routed.ordinary.{routed.classification.type}"


def test_redelivery_gets_same_id_and_one_routed_event(broker, gateway, worker):
    payload = fixture("hotline/repair_booking.json")
    first = signed_post(gateway, "hotline", payload, msg_id="msg_redeliver_1")
    again = signed_post(gateway, "hotline", payload, msg_id="msg_redeliver_1")
    other_replica_style = signed_post(gateway, "hotline", payload)  # new webhook-id, same call
    ids = {r.json()["event_id"] for r in (first, again, other_replica_style)}
    assert len(ids) == 1
    assert [first.json()["status"], again.json()["status"]] == ["accepted", "duplicate"]
    event_id = ids.pop()
    intake = [r for r in read_topics(broker.bootstrap, [INTAKE]) if ce_id(r) == event_id]
    assert len(intake) == 3  # every delivery is stored...
    routed_records(broker, event_id)
    time.sleep(3)  # ...give the worker time to (wrongly) route the copies
    routed = [r for r in read_topics(broker.bootstrap, ROUTED) if ce_id(r) == event_id]
    assert len(routed) == 1
    assert worker.log().count('"stream.duplicate"') >= 2


def _publishes_nothing(broker, send) -> httpx.Response:
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    response = send()
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before
    assert response.headers["content-type"].startswith("application/json")
    return response


# Refused before it is authenticated (or read): stored nowhere. Authenticated
# and then refused: kept in hub.raw for `hub replay hub.raw`, never on hub.intake.
@pytest.mark.parametrize("case, status, code, kept", [
    ("bad_signature", 401, "invalid_signature", False),
    ("wrong_secret", 401, "invalid_signature", False),
    ("missing_headers", 401, "invalid_signature", False),
    ("stale_timestamp", 401, "stale_timestamp", False),
    ("future_timestamp", 401, "stale_timestamp", False),
    ("malformed_json", 400, "invalid_payload", True),
    ("json_array", 400, "invalid_payload", True),
    ("missing_call_id", 400, "invalid_payload", True),
    ("wrong_media_type", 415, "unsupported_media_type", True),
    ("oversized", 413, "payload_too_large", False),
])
def test_refused_requests_get_their_error_and_are_kept_only_when_authenticated(
        broker, gateway, case, status, code, kept):
    payload = fixture("hotline/repair_booking.json")
    good = orjson.dumps(payload)
    now = int(datetime.now().timestamp())

    def send() -> httpx.Response:
        match case:
            case "bad_signature":
                return httpx.post(f"{gateway}/v1/channels/hotline", content=good, headers={
                    "content-type": "application/json", "webhook-id": "m1",
                    "webhook-timestamp": str(now), "webhook-signature": "v1,AAAA"})
            case "wrong_secret":
                return signed_post(gateway, "hotline", payload,
                                   secret="whsec_" + "QUJD" * 8)
            case "missing_headers":
                return httpx.post(f"{gateway}/v1/channels/hotline", content=good,
                                  headers={"content-type": "application/json"})
            case "stale_timestamp":
                return signed_post(gateway, "hotline", payload, timestamp=now - 3600)
            case "future_timestamp":
                return signed_post(gateway, "hotline", payload, timestamp=now + 3600)
            case "malformed_json":
                return signed_post(gateway, "hotline", None, body=b'{"call_id": "x",')
            case "json_array":
                return signed_post(gateway, "hotline", [payload])
            case "missing_call_id":
                return signed_post(gateway, "hotline", {**payload, "call_id": ""})
            case "wrong_media_type":
                return signed_post(gateway, "hotline", payload, content_type="text/plain")
            case "oversized":
                big = {**payload, "transcript": "长" * 600_000}
                return signed_post(gateway, "hotline", big)
        raise AssertionError(case)

    if kept:
        response, raw = kept_refused(broker.bootstrap, send)
        assert raw["refused"] == response.json()["error"]
        assert raw["path"] == "/v1/channels/hotline" and raw["channel"] == "hotline"
        assert raw["headers"]["webhook-signature"] == "[redacted]"
    else:
        response = _publishes_nothing(broker, send)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_oversized_body_without_content_length_is_refused(broker, gateway):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    response = _publishes_nothing(broker, lambda: httpx.post(
        f"{gateway}/v1/channels/web", content=chunks(),
        headers={"content-type": "application/json"}))
    assert response.status_code == 413


def test_signature_over_a_tampered_body_is_refused(broker, gateway):
    payload = fixture("hotline/repair_booking.json")
    body = orjson.dumps(payload)
    from hub.settings import DEV_SOURCE_SECRETS
    from hub.signatures import signed_headers

    headers = signed_headers(DEV_SOURCE_SECRETS["hotline"], body, "m-tamper")
    tampered = body.replace(b"13811112222", b"13811113333")
    response = _publishes_nothing(broker, lambda: httpx.post(
        f"{gateway}/v1/channels/hotline", content=tampered,
        headers={**headers, "content-type": "application/json"}))
    assert response.status_code == 401


def test_raw_request_is_kept_for_audit(broker, gateway):
    payload = {**fixture("web/delivery_delay.json"), "form_id": "F-T-RAW-1"}
    response = signed_post(gateway, "web", payload)
    event_id = response.json()["event_id"]
    [raw] = [r for r in wait_for(broker.bootstrap, [RAW], [event_id]) if ce_id(r) == event_id]
    stored = orjson.loads(raw.value)
    assert orjson.loads(stored["body"]) == payload
    assert stored["headers"]["webhook-id"] and stored["path"] == "/v1/channels/web"
    assert dict(raw.headers)["ce_type"] == b"hub.raw.v1"


def test_ops_endpoints(gateway, worker):
    assert httpx.get(f"{gateway}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{gateway}/readyz").json() == {"status": "ready"}
    openapi = httpx.get(f"{gateway}/openapi.json").json()
    assert "/v1/channels/hotline" in openapi["paths"]
    assert httpx.get(f"{gateway}/docs").status_code == 200
    metrics = httpx.get(f"{gateway}/metrics").text
    assert 'hub_webhook_requests_total{channel="hotline",outcome="accepted"}' in metrics
    assert 'hub_webhook_seconds_bucket{channel="hotline"' in metrics


def test_what_is_not_a_channel_post_goes_through_fastapi(gateway):
    # Channel posts skip FastAPI's stack (hub.gateway.app.Gateway); the rest keeps
    # FastAPI's answers: a wrong method, a trailing slash, an unknown path.
    assert httpx.get(f"{gateway}/v1/channels/hotline").status_code == 405
    slash = httpx.post(f"{gateway}/v1/channels/hotline/", content=b"{}")
    assert slash.status_code == 307
    assert slash.headers["location"].endswith("/v1/channels/hotline")
    assert httpx.post(f"{gateway}/v1/channels/nowhere", content=b"{}").status_code == 404
    openapi = httpx.get(f"{gateway}/openapi.json").json()
    assert "post" in openapi["paths"]["/v1/channels/hotline"]
    assert set(openapi["paths"]["/v1/channels/wechat"]) == {"get", "post"}


def test_gateway_logs_are_json_without_pii(broker, gateway, worker, logs_dir):
    payload = {**fixture("hotline/repair_booking.json"), "call_id": "CALL-T-LOG-1"}
    event_id = signed_post(gateway, "hotline", payload).json()["event_id"]
    routed_records(broker, event_id)
    lines = [orjson.loads(line) for line in worker.log().splitlines()
             if line.startswith("{") and event_id in line]
    assert any(line["event"] == "route.selected" for line in lines)
    assert all(line["event_id"] == event_id for line in lines)
    everything = worker.log() + "".join(p.read_text() for p in logs_dir.glob("gateway-*.log"))
    assert "13811112222" not in everything and "13900009999" not in everything
