"""A reply that names no recipient takes its event's: channel, address, the
mail thread and the customer's opt-out."""

from __future__ import annotations

import orjson

from hub.answers.recipients import addressed, contact_of, filled
from hub.answers.reply import Reply
from hub.event import Contact
from tests.answers.test_acknowledge import routed


def _reply(**body) -> Reply:
    return Reply.from_json(orjson.dumps({"reply_id": "r-1", "event_id": "e-1", "kind": "agent",
                                         "text": "您好，已为您安排技师回电。", **body}))


def test_a_reply_without_to_takes_the_events_channel_and_address():
    event = routed("wechat", contact=Contact(wechat_openid="oWeChat0000000000000009",
                                             phone="+8613911110009"))
    reply = filled(_reply(), contact_of(event.to_json()))
    assert (reply.channel, reply.wechat_openid, reply.phone) == (
        "wechat", "oWeChat0000000000000009", "+8613911110009")


def test_a_mail_reply_is_threaded_on_the_customers_message():
    event = routed("email", contact=Contact(email="li.ming@example.cn"), subject="刹车异响",
                   message_id="<CAF99@mail.example.cn>")
    reply = filled(_reply(), contact_of(event.to_json()))
    assert (reply.email, reply.subject, reply.in_reply_to) == (
        "li.ming@example.cn", "刹车异响", "<CAF99@mail.example.cn>")


def test_an_address_the_reply_gives_is_kept_and_the_events_opt_out_holds():
    event = routed(text="退订", contact=Contact(phone="+8613911110009"))
    assert "opt_out" in event.flags
    reply = filled(_reply(kind="survey", to={"phone": "+8613800000000"}),
                   contact_of(event.to_json()))
    assert reply.phone == "+8613800000000" and reply.opt_out


def test_what_is_not_a_routed_event_gives_no_contact():
    assert contact_of(b"not json") is None
    assert contact_of(b"[1, 2]") is None
    assert contact_of(b'{"channel": "sms"}') is None
    assert not addressed(_reply())
