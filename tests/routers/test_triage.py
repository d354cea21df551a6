"""What cannot be read goes to the triage queue, never to P1 rescue."""

from datetime import UTC, datetime

import pytest

from hub.event import Attachment, Classification, Context, Event, Telematics
from hub.routers.identity import CustomerDirectory
from hub.routers.pipeline import Router
from hub.routers.policy import load_policy
from hub.routers.triage import triage, unreadable

NOV = datetime(2026, 11, 22, 3, tzinfo=UTC)


def ev(text: str = "", channel: str = "web", **kw) -> Event:
    return Event(event_id="e", channel=channel, source=channel, channel_message_id="m",
                 received_at=NOV, text=text, **kw)


def route(event: Event):
    return Router(CustomerDirectory(), load_policy()).route(event)


def test_an_empty_hotline_call_with_no_ivr_key_goes_to_triage_not_p1():
    routed = route(ev("", channel="hotline"))
    assert routed.route.queue == "triage"
    assert routed.route.priority == "P3"
    assert routed.route.rule == "triage.ordinary.inquiry"
    assert routed.classification.method == "triage"
    assert routed.classification.reasons == ["empty message"]


def test_a_web_form_of_injection_junk_goes_to_triage_not_p1():
    junk = "' OR 1=1; DROP TABLE users; -- <script>alert(1)</script> ${jndi:ldap://x/a}"
    routed = route(ev(junk))
    assert routed.route.queue == "triage" and routed.route.priority != "P1"
    assert routed.classification.reasons == ["no readable words"]


def test_only_attachments_is_triaged_with_its_reason():
    image = Attachment(kind="image", media_id="m1")
    assert unreadable(ev(attachments=[image])) == "no words, only attachments"


@pytest.mark.parametrize("text", ["好", "ok", "1", "刹车失灵了", "My brakes failed on the road"])
def test_short_replies_and_real_messages_are_readable(text):
    assert unreadable(ev(text)) is None


def test_an_ivr_key_makes_an_empty_call_readable_also_with_its_recording():
    recording = Attachment(kind="recording", url="https://cdr/1.mp3")
    assert unreadable(ev("", channel="hotline", context=Context(ivr_path=["3"]),
                         attachments=[recording])) is None


def test_telematics_triggers_stay_deterministic_even_without_words():
    routed = route(ev("", channel="telematics",
                      telematics=Telematics(trigger="airbag_deployed")))
    assert routed.classification.type == "rescue"
    assert routed.route.queue == "rescue" and routed.route.priority == "P1"


def test_low_confidence_keeps_its_type_with_the_reason_and_rescue_is_never_held():
    unsure = Classification(type="complaint", confidence=0.2, method="model")
    kept, reason = triage(ev("车有点问题吧"), unsure, 0.35)
    assert kept.type == "complaint" and reason.startswith("low confidence: complaint at 0.20")
    assert reason in kept.reasons
    rescue = Classification(type="rescue", confidence=0.2, method="model")
    assert triage(ev("车坏在路上了"), rescue, 0.35) == (rescue, None)
