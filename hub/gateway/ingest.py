"""Durable intake, for HTTP and SMTP alike: the raw request to ``hub.raw``
and each normalized event to ``hub.intake``, both acknowledged by Kafka
(acks=all) before anyone answers. An authenticated request the hub could not
read goes to ``hub.raw`` alone, with ``event_id`` null and the refusal, before
the refusal is answered: ``hub replay hub.raw`` reads it again once fixed."""

from __future__ import annotations

import base64
import uuid
from collections import OrderedDict
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi import Request

from hub import cloudevents
from hub.connectors.base import Accepted
from hub.errors import HubError
from hub.event import Event
from hub.gateway.metrics import EVENTS
from hub.kafka.bus import Bus
from hub.kafka.topics import INTAKE, RAW

# Credentials never reach hub.raw in clear: the shared push token (query
# `token`), every signature (WeChat `signature`/`msg_signature`, Standard
# Webhooks, Twilio) and session headers. A signature is no key, but with the
# body it lets anyone who reads hub.raw replay the request to the gateway.
# The name stays, with its value redacted, so an operator still sees what came.
_SECRET_PARAMS = frozenset({"token", "signature", "msg_signature", "access_token"})
_SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization",
                             "webhook-signature", "x-twilio-signature"})
REDACTED = "[redacted]"


class RecentIds:
    """Ids this replica stored lately: answers ``duplicate`` to a redelivery.
    A hint for the upstream only; the router's seen-key table (hub.stream) is what prevents a
    second routed event (another replica may have taken the first delivery)."""

    def __init__(self, size: int = 100_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def seen(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if k.lower() in _SECRET_PARAMS else v) for k, v in pairs])


def request_meta(request: Request) -> dict:
    """What hub.raw keeps of an HTTP request besides its body, credentials redacted."""
    scope = request.scope  # not request.url: building a URL was 4% of a post's CPU
    return {"method": request.method, "path": scope["path"],
            "query": redact_query(scope.get("query_string", b"").decode("latin-1")),
            "headers": {k: REDACTED if k in _SECRET_HEADERS else v
                        for k, v in request.headers.items()}}


def raw_record(meta: dict, body: bytes, event_id: str | None, channel: str, index: int,
               received_at: datetime, refused: HubError | None = None) -> bytes:
    try:
        text, b64 = body.decode("utf-8"), None
    except UnicodeDecodeError:
        text, b64 = None, base64.b64encode(body).decode()
    record = {
        "event_id": event_id,
        "channel": channel,
        "received_at": received_at,
        **meta,
        "item": index,
        "body": text,
        "body_base64": b64,
    }
    if refused is not None:
        record["refused"] = {"code": refused.code, "message": refused.message}
    return orjson.dumps(record)


def intake_record(event: Event, received_at: datetime) -> tuple:
    """The event as ``hub.intake`` keeps it, for ``Bus.publish_many``."""
    return (INTAKE, event.event_id, event.to_json(),
            cloudevents.headers(id=event.event_id, source=f"/hub/gateway/{event.channel}",
                                type="hub.event.v1", time=received_at,
                                subject=event.channel_message_id), None)


class Ingest:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.recent = RecentIds()

    async def store(self, meta: dict, body: bytes, events: list[Event],
                    received_at: datetime) -> list[Accepted]:
        records = []
        for index, event in enumerate(events):
            records.append((RAW, event.event_id,
                            raw_record(meta, body, event.event_id, event.channel, index,
                                       received_at),
                            cloudevents.headers(id=event.event_id,
                                                source=f"/hub/gateway/{event.channel}",
                                                type="hub.raw.v1", time=received_at), None))
            records.append(intake_record(event, received_at))
        await self.bus.publish_many(records)
        accepted = []
        for event in events:
            duplicate = self.recent.seen(event.event_id)
            self.recent.add(event.event_id)
            EVENTS.labels(event.channel, "duplicate" if duplicate else "accepted").inc()
            accepted.append(Accepted(event.event_id, duplicate))
        return accepted

    async def store_refused(self, meta: dict, body: bytes, channel: str, error: HubError,
                            received_at: datetime) -> None:
        """Keep an authenticated request that is about to be refused. No event
        id (there is no event), so no key: the record lands on any partition."""
        await self.bus.publish(RAW, None, raw_record(meta, body, None, channel, 0, received_at,
                                                     error),
                               cloudevents.headers(id=str(uuid.uuid4()),
                                                   source=f"/hub/gateway/{channel}",
                                                   type="hub.raw.v1", time=received_at))
