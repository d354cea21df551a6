"""A QR form submission -> Event. The token's claims give the dealer and the
vehicle; the VIN goes to ``vehicle.vin`` (for identity), never into the URL."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import ConfigDict, Field

from hub.errors import InvalidPayload
from hub.event import Attachment, Contact, Context, Event, Vehicle
from hub.ids import event_id
from hub.normalizers.common import NonBlank, Payload, validate
from hub.phones import to_e164
from hub.text import clean, detect_language


class QrSubmission(Payload):
    """What the landing page (or an API client) posts."""

    model_config = ConfigDict(strict=False)  # form values are all text

    token: NonBlank = Field(description="the signed token from the QR code's URL")
    phone: str = Field(min_length=1, max_length=40, json_schema_extra={
        "format": "phone", "examples": ["139 0000 5555", "+86 139 0000 5555", "0571-88880000"],
        "description": "a Chinese phone number in any common spelling (libphonenumber)"})
    name: str | None = Field(None, max_length=60)
    text: NonBlank = Field(max_length=2000)
    submission_id: str | None = Field(
        None, max_length=64, description="the page's id for this form: a double submit is one case")


class QrForm(QrSubmission):
    """The submission with what the connector adds: the token's claims and the photo's metadata."""

    claims: dict
    photo: dict | None = None


def normalize(payload: dict, received_at: datetime, source: str = "qr") -> Event:
    form = validate(QrForm, payload)
    phone = to_e164(form.phone)
    if phone is None:
        raise InvalidPayload("请填写正确的手机号 (phone is not a valid number)", detail={
            "errors": [{"loc": ("phone",), "type": "phone_invalid"}]})
    claims = form.claims
    # The page's submission id makes a double submit one case; API clients
    # without one are identified by what they sent.
    sub = form.submission_id or hashlib.sha256(f"{phone}\x1f{form.text}".encode()).hexdigest()[:16]
    message_id = f"{claims['ref']}:{sub}"
    text = clean(form.text)
    photo = form.photo
    return Event(
        event_id=event_id("qr", source, message_id), channel="qr", source=source,
        channel_message_id=message_id, received_at=received_at,
        contact=Contact(name=form.name or None, phone=phone),
        vehicle=Vehicle(vin=claims.get("vin")), text=text, language=detect_language(text),
        attachments=[Attachment(kind="image", filename=photo.get("filename"),
                                content_type=photo.get("content_type"), size=photo.get("size"))]
        if photo else [],
        context=Context(dealer_code=claims.get("dealer"),
                        qr={"ref": claims["ref"], "kind": "vehicle" if claims.get("vin")
                            else "dealer"}),
    )
