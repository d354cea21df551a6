"""What the payload models accept is what the OpenAPI document says: strict
JSON types, timestamps in the documented forms, bounded epoch seconds."""

from datetime import UTC, datetime

import pytest

from hub.errors import InvalidPayload
from hub.normalizers.common import parse_time, validate
from hub.normalizers.hotline import CallRecord
from hub.normalizers.sms import AliyunReport, TencentReply
from hub.normalizers.telematics import VehicleEvent
from hub.normalizers.web import WebForm

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-11-22T09:20:01+08:00", "2026-11-22t01:20:01.5z",
                                   "2026-11-22 09:12:33", "2026-11-22T09:12:33", 1763774500,
                                   "1763774500", 1763774500.0, ""])
def test_documented_timestamps_are_read(value):
    assert validate(CallRecord, {"call_id": "c", "started_at": value, "ended_at": value})


@pytest.mark.parametrize("value", ["AAA", "2026-11-22", "2026-02-30 10:00:00", "22/11/2026",
                                   "99999999999999999", " 2026-11-22", True])
def test_other_timestamps_are_refused(value):
    with pytest.raises(InvalidPayload):
        validate(CallRecord, {"call_id": "c", "ended_at": value})


@pytest.mark.parametrize("value", ["99999999999999999", "0001-01-01T00:00:00+08:00",
                                   "9999-12-31T23:59:59-01:00"])
def test_times_beyond_what_a_datetime_holds_are_invalid_payloads(value):
    with pytest.raises(InvalidPayload):
        parse_time(value)


@pytest.mark.parametrize("payload", [{"call_id": 12}, {"call_id": "c", "caller": 13900009999},
                                     {"call_id": "c", "ivr_path": [3]}, {"call_id": " "}])
def test_a_json_number_is_not_a_string(payload):
    with pytest.raises(InvalidPayload):
        validate(CallRecord, payload)


def test_ids_upstreams_send_as_numbers_are_text():
    report = validate(AliyunReport, {"phone_number": "15900001111", "content": "x",
                                     "sequence_id": 1234567890})
    assert report.sequence_id == "1234567890"


@pytest.mark.parametrize(("value", "ok"), [(1763774100, True), (1763774100.0, True),
                                           ("1763774100", False), (True, False), (-1, False),
                                           (253402300800, False), (1.5, False)])
def test_epoch_seconds_are_json_integers_a_datetime_can_hold(value, ok):
    payload = {"mobile": "13600003333", "text": "x", "time": value}
    if ok:
        assert validate(TencentReply, payload).time == 1763774100
    else:
        with pytest.raises(InvalidPayload):
            validate(TencentReply, payload)


def test_a_boolean_is_not_an_alarm_level():
    event = {"event_id": "e", "vin": "V", "trigger": "alarm", "alarm": {"level": True}}
    with pytest.raises(InvalidPayload):
        validate(VehicleEvent, event)
    assert validate(VehicleEvent, {**event, "alarm": {"level": 2.0}}).alarm.level == 2


@pytest.mark.parametrize("size", [-1, 2**64, 2**53])
def test_an_attachment_size_is_a_byte_count_json_can_carry(size):
    # 2**64 once reached orjson when the event was written: a 500 (found by schemathesis).
    form = {"form_id": "f", "attachments": [{"url": "https://x/y.jpg", "size": size}]}
    with pytest.raises(InvalidPayload):
        validate(WebForm, form)
