from datetime import UTC, datetime

import orjson
import pytest

from hub.errors import InvalidPayload
from hub.normalizers.web import normalize
from tests.helpers import FIXTURES

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


def test_form_becomes_an_event():
    e = normalize(orjson.loads((FIXTURES / "web" / "delivery_delay.json").read_bytes()), NOW)
    assert e.channel == "web" and e.channel_message_id == "F-T-000123"
    assert e.contact.name == "王女士" and e.contact.phone == "+8613900005555"
    assert e.contact.email == "wang.ns@example.com"
    assert e.vehicle.vin is None and e.vehicle.plate == "浙A·D12345"
    assert e.subject == "交车延期" and "交车" in e.text
    assert e.context.dealer_code == "D0571A" and e.context.topic_hint == "other"
    [a] = e.attachments
    assert (a.kind, a.filename, a.size) == ("image", "contract-p1.jpg", 183211)


def test_english_form():
    e = normalize({"form_id": "f", "body": "My car makes a noise when braking"}, NOW)
    assert e.language == "en"


@pytest.mark.parametrize("payload", [{"body": "x"}, {"form_id": "f", "attachments": "x"},
                                     {"form_id": "f", "attachments": [{"size": "big"}]}])
def test_invalid_forms_are_refused(payload):
    with pytest.raises(InvalidPayload):
        normalize(payload, NOW)
