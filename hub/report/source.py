"""Reads what the report needs from the broker: the whole of hub.cases
(latest value per event_id), hub.escalations and hub.alerts, and each
routed event's dealer (the case does not carry it) from hub.routed.*."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

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


async def _whole(scanner: Scanner, topic: str, required: bool = False) -> list:
    try:
        parts = await scanner.partitions(topic)
    except KafkaError:
        if required:
            raise
        return []  # a topic not created yet holds nothing to report
    tps = [TopicPartition(topic, p) for p in parts]
    records = await scanner.read_from(await scanner.start_offsets(tps))
    # Per partition in log order: one key lives on one partition, so the
    # last value read for it is its current one.
    return sorted(records, key=lambda r: (r.partition, r.offset))


def _values(records: list) -> list[dict]:
    return [v for r in records if r.value and isinstance(v := orjson.loads(r.value), dict)]


def _dealer(value: bytes) -> tuple[str, str] | None:
    body = orjson.loads(value)
    code = ((body.get("context") or {}).get("dealer_code")) if isinstance(body, dict) else None
    return (body["event_id"], code) if code else None


async def read(bootstrap: str) -> Topics:
    scanner = Scanner(bootstrap, request_timeout_ms=10_000)
    try:
        cases = latest((r.key, r.value) for r in await _whole(scanner, CASES, True))
        escalations = _values(await _whole(scanner, ESCALATIONS))
        alerts = _values(await _whole(scanner, ALERTS))
        dealers: dict[str, str] = {}
        for topic in ROUTED:
            for record in await _whole(scanner, topic):
                if record.value and (found := _dealer(record.value)):
                    dealers[found[0]] = found[1]
        return Topics(cases, escalations, alerts, dealers)
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot read the report's topics at {bootstrap}: {exc}") \
            from exc
    finally:
        await scanner.close()
