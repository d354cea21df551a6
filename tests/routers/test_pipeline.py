"""Each routing step alone, with no broker: a Draft in, a Draft out."""

from dataclasses import replace
from datetime import UTC, datetime

from hub.event import Classification, Contact, CustomerMatch, Event
from hub.routers.identity import CustomerDirectory
from hub.routers.pipeline import (
    Decide,
    Draft,
    Identify,
    Router,
    Triage,
    assess_risk,
    classify_step,
    flag,
    steps,
)
from hub.routers.policy import load_policy

NOV = datetime(2026, 11, 22, 3, tzinfo=UTC)
POLICY = load_policy()


def draft(text: str, **kw) -> Draft:
    return Draft(Event(event_id="e", channel="wechat", source="wechat", channel_message_id="m",
                       received_at=NOV, text=text, **kw))


def test_identify_finds_the_tier_by_any_contact_point():
    directory = CustomerDirectory()
    directory.apply("c1", {"tier": "vip", "wechat_openids": ["o-vip"]})
    d = Identify(directory)(draft("你好", contact=Contact(wechat_openid="o-vip")))
    assert d.customer == CustomerMatch(customer_id="c1", tier="vip", matched_by="wechat_openid")
    assert Identify(directory)(draft("你好")).customer.tier == "ordinary"


def test_flag_reads_media_threats():
    assert "media" in flag(draft("再不处理我就发微博曝光，找记者")).flags


def test_classify_uses_the_flags_it_is_given():
    d = classify_step(flag(draft("高速上刹车失灵了，车停在应急车道，快来救援")))
    assert d.classification.type == "rescue"


def test_triage_leaves_a_confident_decision_alone():
    d = replace(draft("保养多少钱"),
                classification=Classification(type="inquiry", confidence=0.9, method="m"))
    assert Triage(0.35)(d) == d


def test_assess_risk_adds_major_at_level_4():
    d = replace(flag(draft("刹车失灵差点出事故，我要起诉你们")), customer=CustomerMatch(),
                classification=Classification(type="complaint", confidence=1, method="m"))
    d = assess_risk(d)
    assert d.risk.level >= 4 and "major" in d.flags


def test_decide_routes_by_tier_and_type_with_deadlines():
    d = replace(draft("x"), customer=CustomerMatch(tier="vip"), flags=(),
                classification=Classification(type="complaint", confidence=1, method="m"))
    route = Decide(POLICY)(d).route
    assert route.topic == "hub.routed.vip.complaint" and route.queue == "vip-care"
    assert route.first_response_due == datetime(2026, 11, 22, 4, tzinfo=UTC)
    triaged = Decide(POLICY)(replace(d, triage="empty message")).route
    assert triaged.queue == "triage" and triaged.rule == "triage.vip.complaint"


def test_the_router_is_its_steps_in_order_and_one_more_slots_in():
    names = [getattr(s, "__name__", type(s).__name__) for s in steps(CustomerDirectory(),
                                                                     POLICY)]
    assert names == ["Identify", "flag", "classify_step", "Triage", "Recall", "JoinBatch",
                     "assess_risk", "Decide"]
    seen = []

    def spy(d: Draft) -> Draft:
        seen.append(d.classification.type)
        return d
    pipeline = list(steps(CustomerDirectory(), POLICY))
    pipeline.insert(3, spy)
    routed = Router(CustomerDirectory(), POLICY, pipeline=tuple(pipeline)).route(
        draft("请问保养多少钱").event)
    assert seen == ["inquiry"] and routed.classification.type == "inquiry"
