from datetime import UTC, datetime

import orjson
import pytest

from hub.errors import InvalidPayload
from hub.normalizers.hotline import normalize
from tests.helpers import FIXTURES

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


def load(name: str) -> dict:
    return orjson.loads((FIXTURES / "hotline" / name).read_bytes())


def test_call_record_becomes_an_event():
    e = normalize(load("repair_booking.json"), NOW)
    assert e.channel == "hotline" and e.source == "hotline"
    assert e.channel_message_id == "CALL-T-REP-002"
    assert e.contact.phone == "+8613811112222"
    assert e.occurred_at == datetime(2026, 11, 22, 1, 20, 1, tzinfo=UTC)
    assert e.text.startswith("你好 我的车昨天开始") and e.language == "zh-Hans"
    assert e.context.ivr_path == ["2"] and e.context.agent_notes == "已为客户预约周三上午"
    assert e.attachments == []  # empty recording_url is no attachment


def test_same_call_same_event_id_regardless_of_arrival():
    later = datetime(2026, 11, 23, tzinfo=UTC)
    assert normalize(load("vip_complaint.json"), NOW).event_id == \
        normalize(load("vip_complaint.json"), later).event_id


def test_traditional_chinese_is_tagged():
    e = normalize({"call_id": "c", "transcript": "我的車子剎車有問題"}, NOW)
    assert e.language == "zh-Hant"


@pytest.mark.parametrize("payload", [
    {}, {"call_id": ""}, {"call_id": "c", "ivr_path": "3"},
    {"call_id": "c", "started_at": "yesterday"},
])
def test_invalid_records_are_refused_with_a_reason(payload):
    with pytest.raises(InvalidPayload) as info:
        normalize(payload, NOW)
    assert info.value.message


def test_naive_times_are_china_time_and_unknown_fields_are_kept_out():
    e = normalize({"call_id": "c", "started_at": "2026-11-22 09:00:00", "vendor_x": 1}, NOW)
    assert e.occurred_at == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def test_tencent_ccc_cdr():
    from hub.normalizers.hotline import normalize_tencent_ccc

    e = normalize_tencent_ccc(load("tencent_ccc_cdr.json"), NOW)
    assert (e.channel, e.source, e.channel_message_id) == ("hotline", "hotline:tencent-ccc",
                                                          "t-ccc-0001-rescue")
    assert e.contact.phone == "+8613822223333"  # 0086 form
    assert e.context.ivr_path == ["3"] and e.attachments[0].kind == "recording"
    assert e.occurred_at == datetime.fromtimestamp(1763774500, UTC)


def test_tencent_ccc_outbound_call_customer_is_the_callee():
    from hub.normalizers.hotline import normalize_tencent_ccc

    e = normalize_tencent_ccc({"SessionId": "s", "Caller": "4008001234",
                               "Callee": "008613700002222", "Direction": 1}, NOW)
    assert e.contact.phone == "+8613700002222"
