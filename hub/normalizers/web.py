"""Website form (contract §3.2) -> Event. The dropdown topic is kept as a
hint only; subject and body are the customer's words."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hub.event import Attachment, Contact, Context, Event, Vehicle
from hub.ids import event_id
from hub.normalizers.common import NonBlank, Payload, Timestamp, json_int, parse_time, validate
from hub.phones import to_e164
from hub.text import clean, detect_language


class FormAttachment(Payload):
    url: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: json_int(ge=0, le=2**53 - 1) | None = None  # bytes; JSON's safe integers


class WebForm(Payload):
    form_id: NonBlank
    submitted_at: Timestamp | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    vin: str | None = None
    plate: str | None = None
    dealer_code: str | None = None
    topic: str | None = None
    subject: str | None = None
    body: str | None = None
    attachments: list[FormAttachment] = Field(default_factory=list)


def _kind(content_type: str | None) -> str:
    major = (content_type or "").split("/")[0]
    return {"image": "image", "audio": "audio", "video": "video"}.get(major, "file")


def normalize(payload: dict, received_at: datetime, source: str = "web") -> Event:
    form = validate(WebForm, payload)
    text = clean(form.body)
    return Event(
        event_id=event_id("web", source, form.form_id),
        channel="web",
        source=source,
        channel_message_id=form.form_id,
        received_at=received_at,
        occurred_at=parse_time(form.submitted_at),
        contact=Contact(name=form.name or None, phone=to_e164(form.phone),
                        email=form.email or None),
        vehicle=Vehicle(vin=form.vin or None, plate=form.plate or None),
        subject=clean(form.subject) or None,
        text=text,
        language=detect_language(f"{form.subject or ''} {text}"),
        attachments=[Attachment(kind=_kind(a.content_type), url=a.url, filename=a.filename,
                                content_type=a.content_type, size=a.size)
                     for a in form.attachments],
        context=Context(dealer_code=form.dealer_code or None, topic_hint=form.topic or None),
    )
