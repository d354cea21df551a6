"""``hub replay hub.deadletter --subscriber NAME``: webhooks that ran out of
attempts, sent again once their cause is fixed. Idempotent: a dead letter
already delivered (a ``sent`` outcome for the subscriber in
``hub.deliveries``) is skipped, and each replayed one records its outcome."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from hub.kafka.topics import DEADLETTER, DELIVERIES
from hub.stream.records import dead_letter_value
from hub.stream.scanner import Scanner
from hub.webhooks.delivery import WebhookStage
from hub.webhooks.subscribers import Subscriber


@dataclass
class Replayed:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


async def replay(bootstrap: str, sub: Subscriber, since: datetime | None = None,
                 timeout_s: float = 10.0) -> Replayed:
    scanner = Scanner(bootstrap)
    try:
        letters = [orjson.loads(r.value) for r in await scanner.read_topic(DEADLETTER)]
        delivered = {d["reply_id"] for d in (orjson.loads(r.value)
                                             for r in await scanner.read_topic(DELIVERIES))
                     if d.get("provider") == sub.name and d.get("status") == "sent"}
    finally:
        await scanner.close()
    mine = [d for d in letters if d.get("reason") == "delivery_failed"
            and d.get("subscriber") == sub.name
            and (since is None or datetime.fromisoformat(d["at"]) >= since)]
    done = Replayed()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            stage = WebhookStage(sub, client)
            for letter in mine:
                if f"webhook:{sub.name}:{letter['ce_id']}" in delivered:
                    done.skipped += 1
                    continue
                value = dead_letter_value(letter)
                item = {"ce_id": letter["ce_id"], "value": base64.b64encode(value).decode()}
                error = await stage.post(item)
                outcome = stage.outcome(item, "sent" if error is None else "failed",
                                         letter.get("attempts", 0) + 1, error)
                await producer.send_and_wait(outcome.topic, outcome.value, key=outcome.key,
                                             headers=outcome.headers)
                delivered.add(f"webhook:{sub.name}:{letter['ce_id']}")
                if error is None:
                    done.sent += 1
                else:
                    done.failed += 1
    finally:
        await producer.stop()
    return done



