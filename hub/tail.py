"""``hub tail TOPIC...``: one readable line per event, personal data masked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from hub.cloudevents import as_dict
from hub.errors import BrokerUnavailable
from hub.pii import mask_text


def describe(topic: str, headers: dict[str, str], value: bytes | None) -> str:
    try:
        body = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        body = None
    ce = f"{headers.get('ce_time', '-')} {topic} {headers.get('ce_type', '-')}"
    if not isinstance(body, dict):
        return f"{ce} {(value or b'')[:80]!r}"
    parts = [ce, body.get("event_id") or headers.get("ce_id", "")]
    if "route" in body:
        r, c, k = body["route"], body.get("classification", {}), body.get("customer", {})
        parts += [f"{k.get('tier')}/{c.get('type')}", r.get("priority"), f"queue={r.get('queue')}",
                  f"risk={body.get('risk', {}).get('level')}",
                  f"flags={','.join(body.get('flags', [])) or '-'}"]
    if "channel" in body:
        parts.append(f"channel={body['channel']}")
    if "reason" in body:
        parts.append(f"reason={body['reason']}")
    text = (body.get("text") or body.get("error") or "").replace("\n", " ")
    if text:
        parts.append(f"“{mask_text(text[:60])}”")
    return " ".join(str(p) for p in parts if p)


async def tail(bootstrap: str, topics: list[str], from_beginning: bool,
               out: Callable[[str], None] = print, limit: int | None = None) -> None:
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest" if from_beginning else "latest")
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}") from exc
    seen = 0
    try:
        async for record in consumer:
            out(describe(record.topic, as_dict(record.headers), record.value))
            seen += 1
            if limit is not None and seen >= limit:
                return
    finally:
        await consumer.stop()


def run(bootstrap: str, topics: list[str], from_beginning: bool) -> None:
    try:
        asyncio.run(tail(bootstrap, topics, from_beginning))
    except KeyboardInterrupt:
        pass
