"""What a connector says about its endpoint in the OpenAPI document: the
bodies it takes, how it is authenticated, what it answers. Each connector
declares this next to its path; :mod:`hub.gateway.openapi` renders it.

Body schemas are the pydantic models the normalizers validate with (or a
plain JSON schema for XML, form and binary bodies), so the document cannot
drift from what the gateway parses. Examples name files under
``hub/gateway/examples/``: copies of the real-format test fixtures, checked
against them by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from hub.errors import (
    BrokerUnavailable,
    HubError,
    InvalidPayload,
    InvalidSignature,
    PayloadTooLarge,
    StaleTimestamp,
    UnsupportedMediaType,
)

# Security requirements: each tuple is one alternative, all its schemes together
# (OpenAPI ANDs the schemes of one requirement object). Defined in hub.gateway.openapi.
STANDARD_WEBHOOKS = ("webhookId", "webhookTimestamp", "webhookSignature")
WECHAT_PLAIN = ("wechatSignature", "wechatTimestamp", "wechatNonce")
WECHAT_AES = ("wechatMsgSignature", "wechatTimestamp", "wechatNonce", "wechatEncryptType")
PUSH_TOKEN = ("pushToken",)
TWILIO = ("twilioSignature",)

# What a signed push can be refused with (contract §3).
PUSH_ERRORS: tuple[type[HubError], ...] = (
    InvalidPayload, InvalidSignature, StaleTimestamp, PayloadTooLarge, UnsupportedMediaType,
    BrokerUnavailable)
# A token in the URL has no timestamp to go stale.
TOKEN_ERRORS = tuple(e for e in PUSH_ERRORS if e is not StaleTimestamp)


class AcceptedOne(BaseModel):
    event_id: str
    status: Literal["accepted", "duplicate"]


class AcceptedMany(BaseModel):
    """A request that carried several messages (frames), or none worth routing."""

    events: list[AcceptedOne]
    status: Literal["accepted"]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_signature"])
    message: str


class ErrorBody(BaseModel):
    """Every refusal: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


def ref(model: type[BaseModel]) -> dict:
    """A reference to a model's schema, for hand-written schemas that build on it."""
    return {"$ref": f"#/components/schemas/{model.__name__}", "x-model": model}


def constant(value: dict) -> dict:
    """The schema of a fixed JSON answer (a vendor's acknowledgement)."""
    return {"type": "object", "required": list(value),
            "properties": {k: {"const": v} for k, v in value.items()}}


@dataclass(frozen=True)
class Body:
    media_type: str
    schema: Any  # a pydantic model or type (``list[Model]``), or a JSON schema dict
    examples: tuple[str, ...] = ()  # files under hub/gateway/examples/
    xml_root: str | None = None  # the root element, where the schema is a choice of models


@dataclass(frozen=True)
class Answer:
    """A success answer: the contract's JSON, or the vendor's own."""

    status: int
    media_type: str
    description: str
    schema: Any
    example: Any = None


@dataclass(frozen=True)
class Param:
    name: str
    location: Literal["query", "path", "header"]
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})
    required: bool = False


ACCEPTED = Answer(202, "application/json",
                  "Stored in Kafka (acks=all); a redelivery is `duplicate` with the same id",
                  AcceptedOne | AcceptedMany)


@dataclass(frozen=True)
class Doc:
    """One operation: ``method`` on the connector's path (or on ``path``)."""

    description: str
    method: str = "POST"
    path: str | None = None
    bodies: tuple[Body, ...] = ()
    security: tuple[tuple[str, ...], ...] = ()
    answers: tuple[Answer, ...] = (ACCEPTED,)
    errors: tuple[type[HubError], ...] = PUSH_ERRORS
    error_media_types: tuple[str, ...] = ("application/json",)
    parameters: tuple[Param, ...] = ()
