"""Raw GB/T 32960 frames through the gateway: a level-3 alarm is rescue."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest

from hub.event import RoutedEvent
from hub.kafka.topics import INTAKE, RAW
from tests import gbt32960_frames as g
from tests.helpers import (
    FIXTURES,
    end_offsets,
    kept_refused,
    read_topics,
    routed_where,
    signed_post,
)

PATH = "/v1/channels/telematics/gbt32960"
SAMPLE = bytes.fromhex((FIXTURES / "telematics" / "gbt32960_alarm.hex").read_text().strip())


def post(gateway: str, body: bytes, ctype: str = "application/octet-stream"):
    return signed_post(gateway, "telematics", None, body=body, content_type=ctype, path=PATH)


def routed(broker, message_id: str) -> RoutedEvent:
    return routed_where(broker.bootstrap, lambda e: e.channel_message_id == message_id)


def test_level3_alarm_frame_lands_on_a_rescue_topic(broker, gateway, worker):
    response = post(gateway, SAMPLE)
    assert response.status_code == 202, response.text
    event = routed(broker, "LNBSCU3H0MR512345:2026-11-22T08:30:15+08:00")
    assert event.route.topic == "hub.routed.fleet.rescue"  # the fleet owns this VIN
    assert event.classification.type == "rescue" and "safety" in event.flags
    assert event.telematics.alarm_flags == ["temperature_difference",
                                            "battery_temperature_high"]
    assert (event.location.lat, event.location.lon) == (30.2741, 120.1551)
    raw = [r for r in read_topics(broker.bootstrap, [RAW]) if b"gbt32960" in r.value]
    assert raw and b'"body_base64"' in raw[-1].value  # binary kept byte for byte


def test_login_and_alarm_free_frames_are_answered_but_not_routed(broker, gateway):
    t = datetime(2026, 11, 22, 9, 0, 0)
    body = g.frame(0x01, g.when(t) + b"\x00\x02" + b"8986" * 5 + b"\x00\x00") + g.realtime(
        t, g.vehicle(40, 100, 80), g.position(30, 120))
    before = end_offsets(broker.bootstrap, [INTAKE])
    response = post(gateway, body)
    assert response.status_code == 202 and response.json()["events"] == []
    assert end_offsets(broker.bootstrap, [INTAKE]) == before


@pytest.mark.parametrize("body, ctype, status, words", [
    (SAMPLE[:-1] + b"\x00", "application/octet-stream", 400, "BCC"),
    (SAMPLE[:30], "application/octet-stream", 400, "runs past"),
    (g.realtime(datetime(2026, 11, 22), g.alarm(3, [0]), encryption=0x03),
     "application/octet-stream", 400, "AES128"),
    (SAMPLE, "application/json", 415, "octet-stream"),
    # Issue 19: a vehicle item two bytes too long hid the alarm behind it, answered 202.
    (g.realtime(datetime(2026, 11, 22), g.vehicle(10, 20, 30) + bytes(2), g.alarm(3, [1])),
     "application/octet-stream", 400, "data item 2 (0x00) at byte 51 after vehicle"),
])
def test_bad_frames_get_a_clear_error_and_are_kept_byte_for_byte(broker, gateway, body, ctype,
                                                                  status, words):
    response, raw = kept_refused(broker.bootstrap, lambda: post(gateway, body, ctype))
    assert response.status_code == status and words in response.json()["error"]["message"]
    assert raw["refused"] == response.json()["error"]
    kept = raw["body"].encode() if raw["body"] is not None else base64.b64decode(raw["body_base64"])
    assert kept == body


def test_frames_under_a_wrong_signature_are_stored_nowhere(broker, gateway):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    response = signed_post(gateway, "telematics", None, body=SAMPLE[:-1] + b"\x00",
                           secret="whsec_" + "QUJD" * 8, content_type="application/octet-stream",
                           path=PATH)
    assert response.status_code == 401
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before
