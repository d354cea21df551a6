from datetime import UTC, datetime

import orjson
import pytest

from hub.errors import InvalidPayload
from hub.normalizers.telematics import normalize
from tests.helpers import FIXTURES

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


def test_alarm_event():
    e = normalize(orjson.loads((FIXTURES / "telematics" / "battery_alarm.json").read_bytes()), NOW)
    assert e.channel == "telematics" and e.vehicle.vin == "LFV2A21K7G3000001"
    assert e.telematics.trigger == "alarm" and e.telematics.alarm_level == 3
    assert e.telematics.alarm_flags == ["temperature_difference", "battery_temperature_high"]
    assert (e.location.lat, e.location.lon) == (30.27, 120.15)
    assert e.text == ""


@pytest.mark.parametrize("trigger", ["airbag_deployed", "ecall_auto", "ecall_manual", "bcall",
                                     "alarm", "dtc", "voice"])
def test_every_trigger_is_accepted(trigger):
    e = normalize({"event_id": "e", "vin": "LFV2A21K7G3000001", "trigger": trigger,
                   "dtc_codes": ["P0300"], "voice_text": "导航去最近的4S店"}, NOW)
    assert e.telematics.trigger == trigger and e.telematics.dtc_codes == ["P0300"]


@pytest.mark.parametrize("payload", [
    {"event_id": "e", "vin": "V", "trigger": "teleport"},
    {"event_id": "e", "trigger": "alarm"},
    {"event_id": "e", "vin": "V", "trigger": "alarm", "alarm": {"level": 7}},
])
def test_invalid_events_are_refused(payload):
    with pytest.raises(InvalidPayload):
        normalize(payload, NOW)
