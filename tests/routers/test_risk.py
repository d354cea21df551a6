from datetime import UTC, datetime

from hub.event import Classification, CustomerMatch, Event, Telematics
from hub.routers.risk import assess


def ev(**kw) -> Event:
    return Event(event_id="e", channel="web", source="web", channel_message_id="m",
                 received_at=datetime(2026, 11, 22, tzinfo=UTC), **kw)


def cls(type_: str) -> Classification:
    return Classification(type=type_, confidence=1, method="test")


def test_plain_inquiry_is_level_1():
    assert assess(ev(), CustomerMatch(), cls("inquiry"), []).level == 1


def test_airbag_is_level_5():
    r = assess(ev(telematics=Telematics(trigger="airbag_deployed")), CustomerMatch(),
               cls("rescue"), ["safety"])
    assert r.level == 5 and r.factors["fault"] == "airbag deployed"


def test_third_parties_make_it_at_least_4_and_vip_adds_one():
    r = assess(ev(), CustomerMatch(), cls("complaint"), ["media"])
    assert r.level == 4 and r.factors["third_party"] == ["media"]
    r = assess(ev(), CustomerMatch(customer_id="C", tier="vip"), cls("complaint"),
               ["safety", "legal"])
    assert r.level == 5 and r.factors["customer_type"] == "vip"
