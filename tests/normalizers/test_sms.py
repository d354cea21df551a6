from datetime import UTC, datetime

import orjson
import pytest

from hub.errors import InvalidPayload
from hub.normalizers.sms import normalize_aliyun, normalize_tencent, normalize_twilio
from tests.helpers import FIXTURES

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


def load(name: str):
    return orjson.loads((FIXTURES / "sms" / name).read_bytes())


def test_aliyun_reports_with_number_or_string_sequence_id():
    first, second = (normalize_aliyun(r, NOW) for r in load("aliyun_batch.json"))
    assert (first.source, first.channel_message_id) == ("sms:aliyun", "99001")
    assert second.channel_message_id == "99002"
    assert first.contact.phone == "+8615900001111" and second.contact.phone == "+8613700002222"
    assert first.occurred_at == datetime(2026, 11, 22, 1, 12, 33, tzinfo=UTC)  # China time
    assert first.text == "车辆在服务区无法启动,请求救援"


def test_tencent_reply_gets_a_stable_id_from_phone_time_and_text():
    payload = load("tencent_reply.json")
    a, b = normalize_tencent(payload, NOW), normalize_tencent(dict(payload), NOW)
    assert a.event_id == b.event_id and a.contact.phone == "+8613600003333"
    other = normalize_tencent({**payload, "text": "另一条"}, NOW)
    assert other.event_id != a.event_id
    assert a.occurred_at == datetime.fromtimestamp(1763774100, UTC)


def test_twilio_mms_media_become_attachments():
    e = normalize_twilio(load("twilio_mms.json"), NOW)
    assert (e.source, e.channel_message_id) == ("sms:twilio", "MM0123456789abcdef0123456789abcdef")
    assert e.contact.phone == "+8613500004444"
    [a] = e.attachments
    assert a.kind == "image" and a.content_type == "image/jpeg" and a.url.endswith("ME0001")


@pytest.mark.parametrize("fn, payload", [
    (normalize_aliyun, {"phone_number": "159", "content": "x"}),
    (normalize_tencent, {"text": "x"}),
    (normalize_twilio, {"From": "+86135"}),
])
def test_missing_ids_are_refused(fn, payload):
    with pytest.raises(InvalidPayload):
        fn(payload, NOW)
