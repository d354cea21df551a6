"""The record of each erasure request on ``hub-erasures`` (kept forever): what
was asked, when, and how much was tombstoned, without the identifier in
clear. The identifier is kept as its masked form (for a person reading the
log) and a keyed hash (HUB_ERASURE_KEY): a second request for the same
person is recognized without the log holding who it was."""

from __future__ import annotations

from datetime import datetime

import orjson

from hub import cloudevents
from hub.erase.identifier import Identifier
from hub.kafka.bus import Bus
from hub.kafka.topics import ERASURES

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


def earlier(records: list, digest: str) -> list[dict]:
    """The earlier requests for the same identifier (records of hub-erasures,
    as :func:`hub.erase.find.read_current` read them), oldest first."""
    found = [orjson.loads(r.value) for r in records if r.key == digest.encode() and r.value]
    return sorted(found, key=lambda b: b["at"])
