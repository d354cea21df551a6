"""One subscriber's webhooks (contract §11) as a stream stage with a clock.

A stage and consumer group per subscriber, so one that is slow or failing
holds up nobody else. Records are POSTed in order with Standard Webhooks
headers (``webhook-id`` = the record's ``ce_id``: the receiver deduplicates
by it). A failed record blocks only its own key: it and the key's later
records wait in the table, retried on the schedule (× ``HUB_RETRY_SCALE``)
by ticks, while other keys go on; after the last attempt it is dead-lettered
with the subscriber's name and the next record of the key is tried. A crash
after a POST and before the table is stored sends that record again, with the
same webhook-id: at least once, never lost."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import structlog
from prometheus_client import Counter

from hub import cloudevents
from hub.kafka.topics import DEADLETTER, DELIVERIES
from hub.signatures import signed_headers
from hub.stream.records import Output, dead_letter
from hub.stream.state import PartitionState
from hub.webhooks.subscribers import SCHEDULE_S, Subscriber

log = structlog.get_logger("hub.webhooks")
QUEUE, DUE = "queue", "due"
ATTEMPTS = Counter("hub_webhook_attempts_total", "webhook POSTs", ["subscriber", "outcome"])


def _item(record: Any) -> dict:
    headers = dict(record.headers or ())
    ce_id = headers.get("ce_id", b"").decode() or f"{record.topic}/{record.partition}/" \
        f"{record.offset}"
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset,
            "key": record.key.decode(errors="replace") if record.key else None,
            "value": base64.b64encode(record.value or b"").decode(), "ce_id": ce_id}


def _due_key(at: float, key: str) -> str:
    return f"{at:017.3f}|{key}"


class WebhookStage:
    deadletter = DEADLETTER
    outputs = (DELIVERIES, DEADLETTER)
    tick_s = 1.0

    def __init__(self, subscriber: Subscriber, client: httpx.AsyncClient,
                 retry_scale: float = 1.0) -> None:
        self.sub, self.client, self.scale = subscriber, client, retry_scale
        self.name = f"hub-webhooks-{subscriber.name}"
        self.inputs = subscriber.topics
        self.ticks = f"{self.name}-ticks"

    def dedupe_key(self, record: Any) -> str | None:
        return None  # the receiver deduplicates by webhook-id

    def next_due(self, state: PartitionState) -> float | None:
        key = state.first_key(DUE)
        return float(key.split("|", 1)[0]) if key else None

    async def process(self, record: Any, state: PartitionState) -> list[Output]:
        if record.topic == self.ticks:
            return await self._retry_due(orjson.loads(record.value)["at"], state)
        key = record.key.decode(errors="replace") if record.key else ""
        item = _item(record)
        queue = state.get(QUEUE, key)
        if queue:  # the key is blocked behind a failure: keep its order
            state.put(QUEUE, key, {**queue, "items": [*queue["items"], item]})
            return []
        return await self._drain(key, {"items": [item], "attempts": 0}, state, time.time())

    async def _retry_due(self, at: float, state: PartitionState) -> list[Output]:
        out: list[Output] = []
        for due in state.keys_upto(DUE, f"{at:017.3f}|\U0010ffff"):
            state.delete(DUE, due)
            key = due.split("|", 1)[1]
            queue = state.get(QUEUE, key)
            if queue:
                out += await self._drain(key, queue, state, at)
        return out

    async def _drain(self, key: str, queue: dict, state: PartitionState,
                     now: float) -> list[Output]:
        """Send the key's waiting records in order until one fails."""
        out: list[Output] = []
        items, attempts = list(queue["items"]), queue["attempts"]
        while items:
            head = items[0]
            error = await self.post(head)
            attempts += 1
            if error is None:
                out.append(self.outcome(head, "sent", attempts, None))
            elif attempts > len(SCHEDULE_S):
                out.append(self.outcome(head, "failed", attempts, error))
                out.append(self._dead(head, attempts, error))
            else:
                due = now + SCHEDULE_S[attempts - 1] * self.scale
                state.put(QUEUE, key, {"items": items, "attempts": attempts, "error": error})
                state.put(DUE, _due_key(due, key), 1)
                log.warning("webhook.retry", subscriber=self.sub.name, ce_id=head["ce_id"],
                            attempts=attempts, in_s=round(due - now, 3), error=error)
                return out
            items, attempts = items[1:], 0
        state.delete(QUEUE, key)
        return out

    async def post(self, item: dict) -> str | None:
        body = base64.b64decode(item["value"])
        headers = signed_headers(self.sub.secret, body, item["ce_id"]) | {
            "content-type": "application/json"}
        try:
            response = await self.client.post(self.sub.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            ATTEMPTS.labels(self.sub.name, "error").inc()
            return f"{type(exc).__name__}: {exc}"[:500]
        ATTEMPTS.labels(self.sub.name, str(response.status_code)).inc()
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:300]}"

    def outcome(self, item: dict, status: str, attempts: int, error: str | None) -> Output:
        at = datetime.now(UTC)
        body = {"reply_id": f"webhook:{self.sub.name}:{item['ce_id']}", "event_id": item["ce_id"],
                "channel": "webhook", "provider": self.sub.name, "status": status,
                "attempts": attempts, "provider_message_id": None, "error": error,
                "at": at.isoformat().replace("+00:00", "Z")}
        return Output(DELIVERIES, body["reply_id"].encode(), orjson.dumps(body),
                      cloudevents.headers(id=f"{body['reply_id']}:{attempts}",
                                          source="/hub/dispatcher", type="hub.delivery.v1",
                                          time=at))

    def _dead(self, item: dict, attempts: int, error: str) -> Output:
        log.error("webhook.deadlettered", subscriber=self.sub.name, ce_id=item["ce_id"],
                  attempts=attempts)
        record = SimpleNamespace(topic=item["topic"], partition=item["partition"],
                                 offset=item["offset"], key=(item["key"] or "").encode() or None,
                                 value=base64.b64decode(item["value"]))
        return dead_letter(record, DEADLETTER, "delivery_failed", error, source="/hub/dispatcher",
                           extra={"subscriber": self.sub.name, "ce_id": item["ce_id"],
                                  "attempts": attempts})
