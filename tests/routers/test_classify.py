"""First classifier: the cases the seed documents call out. (The labelled
corpus and held-out evaluation come with the classification work.)"""

from datetime import UTC, datetime

import pytest

from hub.event import Context, Event, Telematics
from hub.routers.classify import classify, flags_for


def ev(text: str, **kw) -> Event:
    return Event(event_id="e", channel="sms", source="sms", channel_message_id="m",
                 received_at=datetime(2026, 11, 22, tzinfo=UTC), text=text, **kw)


@pytest.mark.parametrize("text, expected", [
    ("车辆在服务区无法启动,请求救援", "rescue"),
    ("你们的销售态度太差了,我要投诉", "complaint"),
    ("请问保养套餐还有优惠吗", "inquiry"),
    ("车窗关不上了，想预约维修", "repair"),
    ("我的車子在高速上拋錨了 需要拖車", "rescue"),
    ("My car broke down on the highway, need a tow", "rescue"),
])
def test_plain_cases(text, expected):
    assert classify(ev(text)).type == expected


def test_rescue_first_when_stranded_and_angry():
    c = classify(ev("车在高速上抛锚了 等了两个小时没人来 你们服务太差 我要投诉"))
    assert c.type == "rescue" and "complaint" in c.secondary_types


def test_negated_complaint_is_a_question():
    c = classify(ev("不是投诉,就是想问一下保养多少钱"))
    assert c.type == "inquiry"


def test_hints_are_weak_evidence():
    c = classify(ev("请问你们周末几点营业", context=Context(ivr_path=["4"])))
    assert c.type == "inquiry"
    assert any("IVR key 4" in r for r in c.reasons)


def test_vehicle_triggers_are_deterministic():
    for trigger in ("airbag_deployed", "ecall_auto", "ecall_manual", "bcall"):
        c = classify(ev("", telematics=Telematics(trigger=trigger)))
        assert (c.type, c.confidence, c.method) == ("rescue", 1.0, "telematics")
    assert classify(ev("", telematics=Telematics(trigger="alarm", alarm_level=3))).type == "rescue"
    assert classify(ev("", telematics=Telematics(trigger="alarm", alarm_level=1))).type == "repair"


def test_flags():
    assert flags_for(ev("刹车失灵 我要找媒体曝光 还要找律师 打12315")) == \
        ["legal", "media", "regulator", "safety"]
    assert flags_for(ev("TD")) == ["opt_out"]
