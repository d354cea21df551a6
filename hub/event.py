"""The canonical event (contract §5) and the routed event (§6).

Everything after a normalizer sees only these models; everything before it
sees only its channel's payload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

Channel = Literal["wechat", "sms", "email", "hotline", "web", "telematics", "qr"]
Tier = Literal["vip", "fleet", "ordinary"]
MessageType = Literal["complaint", "inquiry", "repair", "rescue"]
Category = Literal["product_quality", "service", "sales", "parts", "repair_quality",
                   "warranty", "charging", "other"]
Flag = Literal["safety", "media", "legal", "regulator", "repeat", "batch", "major", "opt_out"]
Priority = Literal["P1", "P2", "P3", "P4"]

SCHEMA = "hub.event.v1"
TIERS: tuple[Tier, ...] = ("vip", "fleet", "ordinary")
TYPES: tuple[MessageType, ...] = ("complaint", "inquiry", "repair", "rescue")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Model):
    name: str | None = None
    phone: str | None = Field(None, description="E.164")
    email: str | None = Field(None, description="lower case")
    wechat_openid: str | None = None
    wechat_unionid: str | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.strip().lower() if v else None


class Vehicle(_Model):
    vin: str | None = None
    plate: str | None = None
    model: str | None = None
    mileage_km: float | None = None

    @field_validator("vin")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.strip().upper() or None if v else None


class Location(_Model):
    lat: float | None = None
    lon: float | None = None
    address: str | None = None


class Attachment(_Model):
    kind: Literal["image", "audio", "video", "file", "recording"]
    url: str | None = None
    media_id: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None


class Context(_Model):
    dealer_code: str | None = None
    ivr_path: list[str] = Field(default_factory=list)
    topic_hint: str | None = None
    thread_id: str | None = None
    in_reply_to: str | None = None
    agent_notes: str | None = None
    qr: dict | None = None


class Telematics(_Model):
    trigger: str
    alarm_level: int | None = None
    alarm_flags: list[str] = Field(default_factory=list)
    dtc_codes: list[str] = Field(default_factory=list)
    speed_kmh: float | None = None
    soc_pct: float | None = None


class Event(_Model):
    event_id: str
    schema_: Literal["hub.event.v1"] = Field(SCHEMA, alias="schema")
    channel: Channel
    source: str
    channel_message_id: str
    received_at: datetime
    occurred_at: datetime | None = None
    contact: Contact = Field(default_factory=Contact)
    vehicle: Vehicle = Field(default_factory=Vehicle)
    location: Location = Field(default_factory=Location)
    subject: str | None = None
    text: str = ""
    language: str = "zh-Hans"
    attachments: list[Attachment] = Field(default_factory=list)
    context: Context = Field(default_factory=Context)
    telematics: Telematics | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", by_alias=True))

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        return cls.model_validate(orjson.loads(data))


class CustomerMatch(_Model):
    customer_id: str | None = None
    tier: Tier = "ordinary"
    matched_by: Literal["phone", "email", "wechat_openid", "vin"] | None = None


class Classification(_Model):
    type: MessageType
    secondary_types: list[MessageType] = Field(default_factory=list)
    category: Category = "other"
    confidence: float = Field(ge=0, le=1)
    method: str
    reasons: list[str] = Field(default_factory=list)


class Risk(_Model):
    level: int = Field(ge=1, le=5)
    factors: dict[str, object] = Field(default_factory=dict)


class Route(_Model):
    topic: str
    queue: str
    priority: Priority
    first_response_due: datetime
    resolve_due: datetime
    rule: str


class History(_Model):
    """What the hub already knew about the customer (or the vehicle) when it
    routed the event (contract §6)."""
    contacts_30d: int = 0
    previous_event_ids: list[str] = Field(default_factory=list)  # newest first, at most 5
    open_case_ids: list[str] = Field(default_factory=list)
    same_fault_contacts: int = 0


class RoutedEvent(Event):
    customer: CustomerMatch
    classification: Classification
    flags: list[Flag] = Field(default_factory=list)
    risk: Risk
    route: Route
    history: History = Field(default_factory=History)

    @classmethod
    def from_json(cls, data: bytes | str) -> RoutedEvent:
        return cls.model_validate(orjson.loads(data))


def utcnow() -> datetime:
    return datetime.now(UTC)


def routed_topic(tier: str, type_: str) -> str:
    return f"hub.routed.{tier}.{type_}"
