"""The event's own recipient for a reply that names none (contract §10:
"channel and recipient default to the event's own").

Ticket systems write agent replies, callbacks and surveys with the event id
and the text; the way back to the customer is in the routed event. The
dispatcher reads ``hub-watch-routed`` (each routed event, keyed by event id
like ``hub.replies``, so an event's contact and its replies meet on one
partition) and keeps each event's contact for ``CONTACT_DAYS``. A reply that
arrives before its event's contact (the two topics are read side by side)
waits for it up to ``HUB_REPLY_WAIT_S``, then fails ``no_recipient``. A
tombstone on ``hub-watch-routed`` (``hub erase``) forgets the contact."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import orjson

from hub.answers.reply import Reply

CONTACT, WAITING, WAIT_DUE = "contact", "waiting", "wait_due"
CONTACT_DAYS = 30


def addressed(reply: Reply) -> bool:
    return bool(reply.phone or reply.email or reply.wechat_openid)


def contact_of(routed: bytes) -> dict[str, Any] | None:
    """What a reply needs of a routed event: channel, address, mail thread, opt-out."""
    try:
        event = orjson.loads(routed)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict) or not event.get("event_id"):
        return None
    contact = event.get("contact") or {}
    found = {"channel": event.get("channel"), "phone": contact.get("phone"),
             "email": contact.get("email"), "wechat_openid": contact.get("wechat_openid"),
             "opt_out": "opt_out" in (event.get("flags") or ()), "t": time.time()}
    if event.get("channel") == "email":
        found["subject"] = event.get("subject")
        found["in_reply_to"] = event.get("channel_message_id")
    return found


def filled(reply: Reply, contact: dict[str, Any]) -> Reply:
    """The reply with the event's channel and address where it gave none.
    An opt-out the customer gave on the event holds for surveys and callbacks."""
    opt_out = reply.opt_out or bool(contact.get("opt_out"))
    if addressed(reply):
        return dataclasses.replace(reply, opt_out=opt_out)
    return dataclasses.replace(
        reply, channel=reply.channel or contact.get("channel"), phone=contact.get("phone"),
        email=contact.get("email"), wechat_openid=contact.get("wechat_openid"),
        subject=reply.subject or contact.get("subject"),
        in_reply_to=reply.in_reply_to or contact.get("in_reply_to"), opt_out=opt_out)


def wait_key(until: float, event_id: str) -> str:
    return f"{until:017.3f}|{event_id}"
