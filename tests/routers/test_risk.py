from datetime import UTC, datetime

import pytest

from hub.event import Classification, CustomerMatch, Event, Telematics
from hub.routers.numbers import cn_number
from hub.routers.risk import assess, march_15_window

NOV = datetime(2026, 11, 22, tzinfo=UTC)


def ev(text: str = "", received_at: datetime = NOV, **kw) -> Event:
    return Event(event_id="e", channel="web", source="web", channel_message_id="m",
                 received_at=received_at, text=text, **kw)


def cls(type_: str) -> Classification:
    return Classification(type=type_, confidence=1, method="test")


def level(text: str, type_: str = "complaint", flags=(), tier="ordinary", **kw) -> int:
    return assess(ev(text, **kw), CustomerMatch(tier=tier), cls(type_), list(flags)).level


@pytest.mark.parametrize("text, value", [("12000", 12000), ("1.2万", 12000), ("两万", 20000),
                                         ("三千五", 3500), ("十五", 15), ("一百二十", 120)])
def test_chinese_numbers(text, value):
    assert cn_number(text) == value


def test_plain_inquiry_is_level_1_and_a_complaint_2():
    assert level("请问保养多少钱", "inquiry") == 1
    assert level("销售态度不好") == 2


def test_airbag_is_level_5_and_alarm_level_3_at_least_4():
    r = assess(ev(telematics=Telematics(trigger="airbag_deployed")), CustomerMatch(),
               cls("rescue"), ["safety"])
    assert r.level == 5 and r.factors["fault"] == "airbag deployed"
    r = assess(ev(telematics=Telematics(trigger="alarm", alarm_level=3)), CustomerMatch(),
               cls("rescue"), ["safety"])
    assert r.level >= 4


def test_third_parties_make_it_at_least_4_and_vip_adds_one():
    r = assess(ev(), CustomerMatch(), cls("complaint"), ["media"])
    assert r.level == 4 and r.factors["third_party"] == ["media"]
    r = assess(ev(), CustomerMatch(customer_id="C", tier="vip"), cls("complaint"),
               ["safety", "legal"])
    assert r.level == 5 and r.factors["customer_type"] == "vip"


@pytest.mark.parametrize("text, factor", [
    ("修了三次还是有异响", "repairs"),
    ("这是第4次进店了", "repairs"),
    ("反复维修也解决不了", "repairs"),
    ("车在店里放了二十天还没修好", None),  # "放了" is not one of the repair verbs: no factor
    ("修了一个多月了", "days_in_repair"),
    ("等了20天配件还没到", "days_in_repair"),
    ("刚提车两个月就坏了", "vehicle_life"),
    ("新车就漏油", "vehicle_life"),
    ("说我过保了不给修", "warranty"),
])
def test_each_dimension_counts_once_and_says_so(text, factor):
    r = assess(ev(text), CustomerMatch(), cls("complaint"), [])
    if factor is None:
        assert set(r.factors) == {"type"}
    else:
        assert factor in r.factors and r.level == 3


def test_money_over_ten_thousand_is_major():
    r = assess(ev("维修报价要一万二千元，太离谱"), CustomerMatch(), cls("complaint"), [])
    assert r.level >= 4 and r.factors["amount_cny"] == 12000
    assert assess(ev("花了800元"), CustomerMatch(), cls("complaint"), []).level == 2


def test_the_weeks_around_15_march():
    assert march_15_window(datetime(2027, 2, 1).date())
    assert march_15_window(datetime(2027, 3, 25).date())
    assert not march_15_window(datetime(2027, 3, 26).date())
    assert not march_15_window(datetime(2027, 1, 20).date())
    march = datetime(2027, 3, 10, tzinfo=UTC)
    assert level("销售态度不好", received_at=march) == 3
    assert level("请问营业时间", "inquiry", received_at=march) == 1  # only complaints


def test_everything_at_once_caps_at_5():
    text = "新车修了三次，在店里等了一个多月，花了两万块，我要找律师"
    assert level(text, flags=["legal"], tier="vip") == 5
