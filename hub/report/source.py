"""Reads what the report needs from the broker: the whole of hub.cases
(latest value per event_id), hub.escalations and hub.alerts, and each
routed event's dealer (the case does not carry it) from hub.routed.*."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

import orjson
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

from hub.errors import BrokerUnavailable
from hub.kafka.topics import ALERTS, CASES, ESCALATIONS, ROUTED
from hub.report.stats import latest
from hub.stream.scanner import Scanner


@dataclass
class Topics:
    cases: dict[str, dict]
    escalations: list[dict]
    alerts: list[dict]
    dealers: dict[str, str]


async def _partitions(scanner: Scanner, topics: list[str]) -> dict[str, list[TopicPartition]]:
    """Every topic's partitions, asked before any read: the scanner's client
    knows the topics of its first metadata, and once it has been assigned
    partitions a refresh no longer teaches it the others. The first topic
    must exist; the others may not have been created yet (nothing to report)."""
    found = {}
    for topic in topics:
        try:
            found[topic] = [TopicPartition(topic, p) for p in await scanner.partitions(topic)]
        except KafkaConnectionError:
            raise
        except KafkaError:
            if topic == topics[0]:
                raise BrokerUnavailable(f"no {topic} topic (run hub topics create)") from None
            found[topic] = []
    return found


def _values(records: list) -> list[dict]:
    return [v for r in records if r.value and isinstance(v := orjson.loads(r.value), dict)]


def _dealer(value: bytes) -> tuple[str, str] | None:
    body = orjson.loads(value)
    code = ((body.get("context") or {}).get("dealer_code")) if isinstance(body, dict) else None
    return (body["event_id"], code) if code else None


async def read(bootstrap: str) -> Topics:
    scanner = Scanner(bootstrap, request_timeout_ms=10_000)
    try:
        tps = await _partitions(scanner, [CASES, ESCALATIONS, ALERTS, *ROUTED])
        wanted = [tp for found in tps.values() for tp in found]
        # All topics in one read: each read waits a fetch on the emptiest partition.
        records = await scanner.read_from(await scanner.start_offsets(wanted))
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot read the report's topics at {bootstrap}: {exc}") \
            from exc
    finally:
        # The read ends by unassigning the partitions; aiokafka's fetcher
        # then cancels its fetches and, stopped at that moment, swallows its
        # own cancellation and waits forever (its _fetch_requests_routine
        # suppresses CancelledError around those awaits). Let it settle first.
        await asyncio.sleep(0.2)
        await scanner.close()
    by_topic: dict[str, list] = defaultdict(list)
    # Per partition in log order: one key lives on one partition, so the last
    # value read for it is its current one.
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        by_topic[record.topic].append(record)
    dealers = dict(found for topic in ROUTED for r in by_topic[topic]
                   if r.value and (found := _dealer(r.value)))
    return Topics(latest((r.key, r.value) for r in by_topic[CASES]),
                  _values(by_topic[ESCALATIONS]), _values(by_topic[ALERTS]), dealers)
