"""What every connector is, and the shared base for Standard-Webhooks JSON pushes.

A connector turns one HTTP request into zero or more :class:`Received`
payloads (raising a :class:`~hub.errors.HubError` when it must refuse), and
turns the ingest outcome back into the answer its upstream expects.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub import signatures
from hub.connectors.docs import AcceptedMany, AcceptedOne, Doc
from hub.errors import (
    BrokerUnavailable,
    HubError,
    InvalidPayload,
    InvalidSignature,
    UnsupportedMediaType,
)
from hub.settings import Settings


@dataclass(frozen=True)
class Received:
    """One upstream message pulled out of a request, before normalization."""

    payload: Any
    kind: str | None = None  # e.g. "text", "event:unsubscribe", for logs


@dataclass(frozen=True)
class Accepted:
    event_id: str
    duplicate: bool


class Connector(ABC):
    channel: ClassVar[str]
    path: ClassVar[str]
    methods: ClassVar[tuple[str, ...]] = ("POST",)
    max_body_bytes: ClassVar[int | None] = None  # None: HUB_MAX_BODY_BYTES
    summary: ClassVar[str] = ""
    docs: ClassVar[tuple[Doc, ...]] = ()  # its operations in the OpenAPI document

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    async def receive(self, request: Request, body: bytes) -> list[Received]:
        """Authenticate and parse one request; raise a HubError to refuse it."""

    def pages(self) -> list[tuple[str, Callable[[Request], Awaitable[Response]]]]:
        """Pages a channel serves to people (the QR form), as (path, endpoint)."""
        return []

    async def handle_get(self, request: Request) -> Response:
        """Connectors with ``GET`` in ``methods`` answer it here (URL checks)."""
        raise UnsupportedMediaType("GET is not supported here")

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        items = [AcceptedOne(event_id=a.event_id, status="duplicate" if a.duplicate
                             else "accepted") for a in accepted]
        # Several frames, or none worth routing, get the list form.
        body = items[0] if len(items) == 1 else AcceptedMany(events=items, status="accepted")
        return JSONResponse(body.model_dump(), status_code=202)

    def refuse(self, error: HubError, request: Request) -> Response:
        headers = {"Retry-After": str(error.retry_after_s)} \
            if isinstance(error, BrokerUnavailable) else None
        return JSONResponse(error.to_body(), status_code=error.status, headers=headers)


def require_json(request: Request) -> None:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"expected application/json, got {ctype or 'nothing'}")


def parse_json_object(body: bytes) -> dict:
    value = parse_json(body)
    if not isinstance(value, dict):
        raise InvalidPayload("body must be a JSON object")
    return value


def verify_pushed(connector: Connector, request: Request) -> None:
    """Providers that sign nothing (Aliyun SMS, Tencent SMS, Tencent CCC) carry
    ``HUB_PUSH_TOKEN`` in the ``token`` query parameter of the callback URL and
    post JSON. Token first: an unauthenticated caller learns nothing."""
    given = request.query_params.get("token", "")
    expected = connector.settings.push_token.get_secret_value()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidSignature("missing or wrong token query parameter")
    require_json(request)


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}") from exc


def verify_signed(connector: Connector, source: str, request: Request, body: bytes,
                  content_type: str | None = None) -> None:
    """Standard Webhooks check with the source's secret, then the media type.
    Signature first: an unsigned caller learns nothing."""
    signatures.verify(connector.settings.source_secret(source), body,
                                    request.headers,
                                    tolerance_s=connector.settings.webhook_tolerance_s)
    if content_type is None:
        require_json(request)
    elif request.headers.get("content-type", "").split(";")[0].strip().lower() != content_type:
        raise UnsupportedMediaType(f"expected {content_type}")


class StandardWebhookJson(Connector):
    """A JSON push signed per Standard Webhooks with the channel's source secret."""

    source: ClassVar[str]

    async def receive(self, request: Request, body: bytes) -> list[Received]:
        verify_signed(self, self.source, request, body)
        return [Received(parse_json_object(body))]
