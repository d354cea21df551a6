"""Inbound SMS from the three providers -> Event (channel ``sms``).

Aliyun SmsUp push: https://help.aliyun.com/document_detail/101508.html
Tencent SMS reply callback: https://cloud.tencent.com/document/product/382/52077
Twilio inbound message: https://www.twilio.com/docs/messaging/guides/webhook-request
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import ConfigDict

from hub.event import Attachment, Contact, Event
from hub.ids import event_id
from hub.normalizers.common import (
    EpochSeconds,
    IdText,
    NonBlank,
    Payload,
    Timestamp,
    parse_time,
    validate,
)
from hub.phones import to_e164
from hub.text import clean, detect_language


def _sms(source: str, message_id: str, phone: str | None, text: str | None,
         received_at: datetime, occurred_at: datetime | None,
         attachments: list[Attachment] | None = None) -> Event:
    body = clean(text)
    return Event(event_id=event_id("sms", source, message_id), channel="sms", source=source,
                 channel_message_id=message_id, received_at=received_at,
                 occurred_at=occurred_at, contact=Contact(phone=to_e164(phone)), text=body,
                 language=detect_language(body), attachments=attachments or [])


class AliyunReport(Payload):
    phone_number: NonBlank
    content: str
    send_time: Timestamp | None = None
    dest_code: str | None = None
    sequence_id: IdText
    sign_name: str | None = None


def normalize_aliyun(payload: dict, received_at: datetime) -> Event:
    r = validate(AliyunReport, payload)
    return _sms("sms:aliyun", r.sequence_id, r.phone_number, r.content, received_at,
                parse_time(r.send_time))


class TencentReply(Payload):
    mobile: NonBlank
    nationcode: str = "86"
    text: str
    time: EpochSeconds | None = None
    extend: str | None = None
    sign: str | None = None


def normalize_tencent(payload: dict, received_at: datetime) -> Event:
    r = validate(TencentReply, payload)
    # Tencent gives a reply no id: phone, time and text identify a redelivery.
    digest = hashlib.sha1(r.text.encode()).hexdigest()[:12]  # noqa: S324 - an id, not security
    message_id = f"{r.nationcode}{r.mobile}:{r.time}:{digest}"
    return _sms("sms:tencent", message_id, f"+{r.nationcode}{r.mobile}", r.text, received_at,
                parse_time(r.time))


class TwilioMessage(Payload):
    model_config = ConfigDict(strict=False)  # a form: every value is text

    MessageSid: NonBlank
    From: NonBlank
    Body: str = ""
    NumMedia: int = 0


def normalize_twilio(payload: dict, received_at: datetime) -> Event:
    m = validate(TwilioMessage, payload)
    media = []
    for i in range(min(m.NumMedia, 10)):
        url = payload.get(f"MediaUrl{i}")
        if url:
            ctype = payload.get(f"MediaContentType{i}")
            major = (ctype or "").split("/")[0]
            media.append(Attachment(kind=major if major in ("image", "audio", "video") else "file",
                                    url=url, content_type=ctype))
    return _sms("sms:twilio", m.MessageSid, m.From, m.Body, received_at, None, media)
