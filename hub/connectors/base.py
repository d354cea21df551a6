"""What every connector is, and the shared base for Standard-Webhooks JSON pushes.

A connector checks that one HTTP request comes from its upstream
(``authenticate``), turns it into zero or more :class:`Received` payloads
(``parse``), each raising a :class:`~hub.errors.HubError` when it must refuse,
and turns the ingest outcome back into the answer its upstream expects.

The two steps are apart because their refusals are kept apart: a request
refused by ``authenticate`` is stored nowhere (anyone can post garbage), one
refused by ``parse`` (or by its normalizer) came from the upstream and is kept
in ``hub.raw`` before the refusal is answered, so ``hub replay hub.raw`` can
read it again once the cause is fixed. Replay calls ``parse`` only: hub.raw
keeps credentials redacted, and the request was authenticated when it came.
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
    async def authenticate(self, request: Request, body: bytes) -> None:
        """Refuse (raise a HubError) a request that is not from the upstream:
        signature, token, timestamp, and what reading them needs."""

    @abstractmethod
    async def parse(self, request: Request, body: bytes) -> list[Received]:
        """The upstream messages of an authenticated request; raise a HubError
        to refuse it. Must not depend on credentials: replay has them redacted."""

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


class PushedJson(Connector):
    """A JSON push from a provider that signs nothing (Aliyun SMS, Tencent SMS,
    Tencent CCC): the callback URL carries ``HUB_PUSH_TOKEN`` in its ``token``
    query parameter. Token first, media type in ``parse``: an unauthenticated
    caller learns nothing."""

    async def authenticate(self, request: Request, body: bytes) -> None:
        given = request.query_params.get("token", "")
        expected = self.settings.push_token.get_secret_value()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise InvalidSignature("missing or wrong token query parameter")


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}") from exc


def require_media_type(request: Request, content_type: str) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != content_type:
        raise UnsupportedMediaType(f"expected {content_type}")


class StandardWebhook(Connector):
    """A push signed per Standard Webhooks with the channel's source secret.
    Signature first, media type in ``parse``: an unsigned caller learns nothing."""

    source: ClassVar[str]

    async def authenticate(self, request: Request, body: bytes) -> None:
        signatures.verify(self.settings.source_secret(self.source), body, request.headers,
                          tolerance_s=self.settings.webhook_tolerance_s)


class StandardWebhookJson(StandardWebhook):
    """A JSON object, signed per Standard Webhooks."""

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        require_json(request)
        return [Received(parse_json_object(body))]
