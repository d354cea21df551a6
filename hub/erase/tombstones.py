"""Tombstones (a null value under the same key) for what an erasure found.

- ``hub.customers``, per customer id: the directory of every worker forgets
  the customer (hub.routers.identity), Kafka compaction drops the records;
- ``hub.cases``, per event id: the report and the router's history
  (hub.worker.history) forget the case, compaction drops its versions;
- ``hub-watch-routed``, per event id: the watch deletes the case from its
  table (clocks, parked updates), keeps a marker without personal data so a
  later ticket update cannot bring the case back, and writes its own
  ``hub.cases`` tombstone after anything it wrote for the case before; the
  dispatcher forgets the event's contact (the way to the customer) and fails
  the replies still waiting for it.

Each carries CloudEvents headers (type ``hub.erased.v1``): a webhook
subscriber of ``hub.cases`` sees an erasure, not an empty record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub import cloudevents
from hub.erase.find import Found
from hub.kafka.bus import Bus
from hub.kafka.topics import CASES, CUSTOMERS, WATCH_ROUTED

ERASED_TYPE = "hub.erased.v1"


@dataclass(frozen=True)
class Tombstone:
    topic: str
    key: str


def tombstones(found: Found) -> list[Tombstone]:
    return ([Tombstone(CUSTOMERS, cid) for cid in sorted(found.customers)]
            + [Tombstone(t, eid) for eid in found.cases for t in (CASES, WATCH_ROUTED)])


def headers(t: Tombstone, request_id: str, at: datetime) -> cloudevents.Headers:
    return cloudevents.headers(id=f"{request_id}/{t.topic}/{t.key}", source="/hub/erase",
                               type=ERASED_TYPE, time=at, subject=t.key)


async def publish(bus: Bus, stones: list[Tombstone], request_id: str, at: datetime,
                  chunk: int = 1000) -> int:
    """Publish every tombstone (acks=all); the count stored."""
    done = 0
    for start in range(0, len(stones), chunk):
        part = stones[start:start + chunk]
        await bus.publish_many([(t.topic, t.key, None, headers(t, request_id, at), None)
                                for t in part])
        done += len(part)
    return done
