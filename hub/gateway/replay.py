"""``hub replay hub.raw [--since TIME]``: the requests the gateway
authenticated but could not read (``refused`` in hub.raw), read again with
today's code once the cause is fixed (a normalizer bug, a wrong setting such
as ``HUB_WECHAT_APPID``), their events sent to hub.intake.

Each request is rebuilt from hub.raw (method, path, query, headers, body)
and goes through its connector's ``parse`` and its channel's normalizer:
never ``authenticate``, because hub.raw keeps credentials redacted and the
request was authenticated when it came. Events keep the original
``received_at``, so SLAs count from when the customer wrote.

Idempotent by event id: an event whose id is already a key on hub.intake is
not sent again (counted "already in hub.intake": an earlier replay sent it,
or the upstream's own retry got through after the fix). The router's seen
table would drop a second copy too, but only within
``HUB_DEDUPE_HORIZON_H``; checking the keys holds for any age. Requests the
gateway accepted are not replayed: their events went to hub.intake in the
same acknowledged write as their hub.raw copy."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from aiokafka.errors import KafkaError
from fastapi import Request

from hub.channels import CHANNELS, ChannelSpec
from hub.connectors.email import EmailConnector
from hub.erase.identifier import event_digests
from hub.errors import BrokerUnavailable, HubError
from hub.event import Event
from hub.gateway.ingest import intake_record
from hub.kafka.bus import Bus
from hub.kafka.security import client_kwargs
from hub.kafka.topics import ERASURES, INTAKE, RAW
from hub.settings import Settings
from hub.smtp import SMTP_PATH
from hub.stream.scanner import Scanner

# Events per acknowledged write, not one write per request: each write waits
# for the broker's acknowledgement (a few fsyncs on a durable store).
BATCH = 200


@dataclass
class Failure:
    where: str  # hub.raw/{partition}/{offset}: where the operator finds it
    path: str
    code: str
    message: str


@dataclass
class Replayed:
    sent: int = 0  # events
    present: int = 0  # events already in hub.intake
    ignored: int = 0  # requests that now read as no customer message (unsubscribe...)
    erased: int = 0  # events of people who asked to be erased: not sent
    failed: list[Failure] = field(default_factory=list)  # requests still refused


def rebuild(raw: dict) -> tuple[Request, bytes]:
    """The request as the connector saw it, from its hub.raw record."""
    body = raw["body"].encode() if raw.get("body") is not None \
        else base64.b64decode(raw["body_base64"])

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    # Starlette decoded headers and query as latin-1: the same bytes go back.
    scope = {"type": "http", "method": raw["method"], "path": raw["path"],
             "query_string": raw.get("query", "").encode("latin-1"),
             "headers": [(k.encode("latin-1"), v.encode("latin-1"))
                         for k, v in raw["headers"].items()]}
    return Request(scope, receive), body


async def _refused(scanner: Scanner, since: datetime | None) -> list[tuple[str, dict]]:
    found = []
    for r in await scanner.read_topic(RAW):
        raw = orjson.loads(r.value)
        if raw.get("refused") and (
                since is None or datetime.fromisoformat(raw["received_at"]) >= since):
            found.append((f"{RAW}/{r.partition}/{r.offset}", raw))
    return sorted(found, key=lambda f: f[1]["received_at"])


async def _keys(scanner: Scanner, topic: str) -> set[bytes]:
    # Keys only, through a sink: hub.intake is the largest topic, and holding
    # every event at once is what a sink avoids.
    keys: set[bytes] = set()
    await scanner.read_topic(topic, lambda records: keys.update(r.key for r in records))
    return keys


async def _normalize(spec: ChannelSpec, settings: Settings, raw: dict) -> list[Event | None]:
    request, body = rebuild(raw)
    received_at = datetime.fromisoformat(raw["received_at"])
    if raw["path"] == SMTP_PATH:  # no connector: the message is all there is
        return [spec.normalize({"rfc822": body}, received_at)]
    received = await spec.connector(settings).parse(request, body)
    return [spec.normalize(r.payload, received_at) for r in received]


async def replay(settings: Settings, since: datetime | None = None,
                 channels: tuple[ChannelSpec, ...] = CHANNELS) -> Replayed:
    by_path = {spec.connector.path: spec for spec in channels}
    if EmailConnector.path in by_path:  # mail over SMTP: the same normalizer
        by_path[SMTP_PATH] = by_path[EmailConnector.path]
    scanner = Scanner(settings.bootstrap, **client_kwargs(settings))
    try:
        refused = await _refused(scanner, since)
        present = await _keys(scanner, INTAKE) if refused else set()
        # People who asked to be erased (PIPL): their refused requests stay
        # refused, or a replay would bring back what `hub erase` removed.
        erased = {k.decode() for k in await _keys(scanner, ERASURES) if k} if refused else set()
    except KafkaError as exc:
        raise BrokerUnavailable(f"Kafka at {settings.bootstrap} is not reachable "
                                f"({type(exc).__name__})") from exc
    finally:
        await scanner.close()
    done, pending = Replayed(), []
    key = settings.erasure_key.get_secret_value()
    bus = Bus(settings)
    try:
        for where, raw in refused:
            spec = by_path.get(raw.get("path", ""))
            try:
                if spec is None:
                    raise HubError(f"no channel serves {raw.get('path')!r} in this version")
                normalized = await _normalize(spec, settings, raw)
            except Exception as exc:  # the cause is not fixed: say which, go on
                error = exc if isinstance(exc, HubError) else HubError(type(exc).__name__)
                done.failed.append(Failure(where, raw.get("path", ""), error.code,
                                           error.message))
                continue
            events = [e for e in normalized if e is not None]
            done.ignored += not events
            kept = [e for e in events if not event_digests(e, key) & erased]
            done.erased += len(events) - len(kept)
            events = kept
            new = [e for e in events if e.event_id.encode() not in present]
            done.present += len(events) - len(new)
            received_at = datetime.fromisoformat(raw["received_at"])
            pending += [intake_record(e, received_at) for e in new]
            present.update(e.event_id.encode() for e in new)
            done.sent += len(new)
            if len(pending) >= BATCH:
                await bus.publish_many(pending)
                pending = []
        if pending:
            await bus.publish_many(pending)
    finally:
        await bus.close()
    return done
