"""The record of each erasure request on ``hub-erasures`` (kept forever): what
was asked, when, and how much was tombstoned, without the identifier in
clear. The identifier is kept as its masked form (for a person reading the
log) and a keyed hash (HUB_ERASURE_KEY): a second request for the same
person is recognized without the log holding who it was."""

from __future__ import annotations

import asyncio
from datetime import datetime

import orjson
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from hub import cloudevents
from hub.erase.identifier import Identifier
from hub.errors import BrokerUnavailable
from hub.kafka.bus import Bus
from hub.kafka.topics import ERASURES
from hub.stream.scanner import Scanner

ERASED, NOTHING_LEFT, NOT_FOUND = "erased", "nothing_left", "not_found"
AUDIT_TYPE = "hub.erasure.v1"


def record(request_id: str, ident: Identifier, key: str, at: datetime, outcome: str,
           counts: dict[str, int], kept: dict[str, str]) -> dict:
    return {"request_id": request_id, "at": at.isoformat().replace("+00:00", "Z"),
            "identifier": {"kind": ident.kind, "masked": ident.masked(),
                           "digest": ident.digest(key)},
            "outcome": outcome, "tombstoned": counts, "not_erased": kept}


async def publish(bus: Bus, body: dict, at: datetime) -> None:
    await bus.publish(ERASURES, body["identifier"]["digest"], orjson.dumps(body),
                      cloudevents.headers(id=body["request_id"], source="/hub/erase",
                                          type=AUDIT_TYPE, time=at))


async def earlier(bootstrap: str, digest: str, **client: object) -> list[dict]:
    """The earlier requests for the same identifier, oldest first."""
    scanner = Scanner(bootstrap, request_timeout_ms=10_000, **client)
    try:
        tps = [TopicPartition(ERASURES, p) for p in await scanner.partitions(ERASURES)]
        records = await scanner.read_from(await scanner.start_offsets(tps))
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot read {ERASURES} at {bootstrap} ({exc}): "
                                "run `hub topics create`") from exc
    finally:
        await asyncio.sleep(0.2)  # see hub.report.source: the fetcher must settle
        await scanner.close()
    found = [orjson.loads(r.value) for r in records if r.key == digest.encode() and r.value]
    return sorted(found, key=lambda b: b["at"])
