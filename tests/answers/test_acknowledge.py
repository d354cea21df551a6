"""Acknowledgements as the router writes them: the customer's script, the
route's promise, one reply id per event, and none where none is owed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from hub.answers.acknowledge import acknowledgement, promise, script
from hub.answers.reply import Reply, case_reference
from hub.event import Contact, Context, Event, Telematics, Vehicle
from hub.routers.identity import CustomerDirectory
from hub.routers.pipeline import Router
from hub.routers.policy import load_policy

POLICY = load_policy()
ROUTER = Router(CustomerDirectory(), POLICY, sla_scale=0.001)  # the promise ignores the scale


def routed(channel="hotline", text="想预约保养，请问周六营业吗", language="zh-Hans", **kw):
    contact = kw.pop("contact", Contact(phone="+8613911110001"))
    event = Event(event_id=str(uuid.uuid4()), channel=channel, source=channel,
                  channel_message_id=kw.pop("message_id", f"m-{uuid.uuid4().hex}"),
                  received_at=datetime(2026, 12, 2, 2, 0, tzinfo=UTC), contact=contact,
                  text=text, language=language, **kw)
    return ROUTER.route(event)


def test_simplified_chinese_with_case_and_promise():
    event = routed()
    reply = acknowledgement(event, POLICY)
    assert reply["reply_id"] == f"ack-{event.event_id}"
    assert (reply["kind"], reply["channel"], reply["to"]["phone"]) == (
        "acknowledgement", "hotline", "+8613911110001")
    assert case_reference(event.event_id) in reply["text"] and "我们已收到" in reply["text"]
    hours = POLICY.routes["ordinary"][event.classification.type].first_response_h
    assert promise(hours, POLICY.acknowledgements.templates["zh-Hans"]) in reply["text"]
    assert Reply.from_json(orjson.dumps(reply)).automatic


def test_traditional_and_english_scripts():
    hant = acknowledgement(routed(text="請問週六有營業嗎", language="zh-Hant"), POLICY)
    en = acknowledgement(routed(text="Do you open on Saturday?", language="en"), POLICY)
    assert "我們已收到" in hant["text"] and "小時" in hant["text"]
    assert en["text"].startswith("Hello, we have received your message (case C")
    assert script("ja") == "en" and script("zh-TW") == "zh-Hant" and script(None) == "en"


def test_rescue_promises_minutes():
    event = routed(text="车在高速上抛锚了 需要拖车")
    assert event.classification.type == "rescue"
    assert "15分钟" in acknowledgement(event, POLICY)["text"]


def test_the_same_event_always_gets_the_same_reply_id():
    event = routed()
    assert acknowledgement(event, POLICY)["reply_id"] == acknowledgement(event, POLICY)["reply_id"]


def test_email_acknowledgement_threads_on_the_customers_message():
    event = routed(channel="email", contact=Contact(email="li@example.cn"),
                   message_id="<CAF1@mail.example.cn>", subject="保养预约")
    reply = acknowledgement(event, POLICY)
    assert (reply["subject"], reply["in_reply_to"]) == ("保养预约", "<CAF1@mail.example.cn>")


@pytest.mark.parametrize("make", [
    lambda: routed(text="退订"),                                          # opt-out
    lambda: routed(channel="wechat", text="", contact=Contact(wechat_openid="oX" * 10),
                   context=Context(qr={"scene": "dealer:D1", "event": "subscribe"})),
    lambda: routed(channel="telematics", text="", contact=Contact(),
                   vehicle=Vehicle(vin="LNBSCU3H0MR512345"),
                   telematics=Telematics(trigger="alarm", alarm_level=2)),
    lambda: routed(channel="web", contact=Contact()),                    # no way back
], ids=["opt_out", "wechat_event", "vehicle_without_phone", "no_contact"])
def test_none_where_none_is_owed(make):
    assert acknowledgement(make(), POLICY) is None


def test_vehicle_event_with_a_phone_is_acknowledged():
    event = routed(channel="telematics", text="", vehicle=Vehicle(vin="LNBSCU3H0MR512345"),
                   telematics=Telematics(trigger="ecall_manual"))
    assert acknowledgement(event, POLICY)["to"]["phone"] == "+8613911110001"


def test_a_policy_without_acknowledgements_writes_none():
    off = POLICY.model_copy(update={"acknowledgements": POLICY.acknowledgements.model_copy(
        update={"enabled": False})})
    assert acknowledgement(routed(), off) is None
