"""A raw RFC 5322 message (from SMTP or the HTTP route) -> Event.

Parsing and the rules for charsets, quotes, signatures and auto-replies live
in :mod:`hub.mail`. Auto-replies and bounces return None: they are answered
(250 / 202) and logged, never routed and never acknowledged, so no mail loop."""

from __future__ import annotations

from datetime import datetime

import structlog

from hub.event import Attachment, Contact, Context, Event
from hub.ids import event_id
from hub.mail import parse_mail
from hub.text import detect_language

log = structlog.get_logger("hub.normalizers.email")


def _kind(content_type: str) -> str:
    major = content_type.split("/")[0]
    return major if major in ("image", "audio", "video") else "file"


def normalize(payload: dict, received_at: datetime, source: str = "email") -> Event | None:
    mail = parse_mail(payload["rfc822"])
    if mail.auto:
        log.info("email.auto_reply", reason=mail.auto)
        return None
    return Event(
        event_id=event_id("email", source, mail.message_id),
        channel="email", source=source, channel_message_id=mail.message_id,
        received_at=received_at,
        contact=Contact(name=mail.from_name or None, email=mail.from_addr),
        subject=mail.subject or None, text=mail.text,
        language=detect_language(f"{mail.subject} {mail.text}"),
        attachments=[Attachment(kind=_kind(a["content_type"]), filename=a["filename"],
                                content_type=a["content_type"], size=a["size"])
                     for a in mail.attachments],
        context=Context(thread_id=mail.thread_id, in_reply_to=mail.in_reply_to),
    )
