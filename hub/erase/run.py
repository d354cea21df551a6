"""One erasure request: find, tombstone, record, and say what stays."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from hub.erase import audit
from hub.erase.find import Found, match, read_current
from hub.erase.identifier import Identifier
from hub.erase.tombstones import publish, tombstones
from hub.event import utcnow
from hub.kafka.bus import Bus
from hub.kafka.retention import Kept, kept
from hub.kafka.security import client_kwargs
from hub.kafka.topics import (
    ALERT_DIMENSIONS,
    ALERTS,
    CASES,
    CUSTOMERS,
    DEADLETTER,
    DELIVERIES,
    ESCALATIONS,
    INTAKE,
    RAW,
    REPLIES,
    ROUTED,
    TICKET_UPDATES,
    WATCH_ROUTED,
)
from hub.settings import Settings

# Append-only topics that may carry the person's data, and what of it.
APPEND_ONLY = {
    RAW: "each request as received (phone, e-mail, openid, VIN, the words)",
    INTAKE: "the normalized events (contact, vehicle, text)",
    **{t: "the routed events, keyed by customer" for t in ROUTED},
    WATCH_ROUTED: "the routed events again, for the watch",
    TICKET_UPDATES: "ticket systems' updates (agents' notes)",
    REPLIES: "acknowledgements with their recipient",
    DELIVERIES: "what became of each reply",
    DEADLETTER: "whatever could not be processed, as it was",
    ESCALATIONS: "escalations of the cases (route, no contact)",
    ALERTS: "alerts (sample event ids)",
    ALERT_DIMENSIONS: "one record per alert dimension, with the customer key",
}
COMPACTED = {CUSTOMERS: "customer records", CASES: "cases"}


@dataclass
class Result:
    ident: Identifier
    request_id: str
    found: Found
    outcome: str
    tombstoned: int
    earlier: list[dict]
    kept: dict[str, Kept] = field(default_factory=dict)
    seconds: float = 0.0


async def erase(settings: Settings, ident: Identifier) -> Result:
    started = time.perf_counter()
    client = client_kwargs(settings)
    request_id = uuid.uuid4().hex
    digest = ident.digest(settings.erasure_key.get_secret_value())
    current = await read_current(settings.bootstrap, **client)
    found = match(ident, current.customers, current.cases)
    before = audit.earlier(current.erasures, digest)
    now = utcnow()
    bus = Bus(settings)
    try:
        done = await publish(bus, tombstones(found), request_id, now)
        if found:
            outcome = audit.ERASED
        elif any(b["outcome"] == audit.ERASED for b in before):
            outcome = audit.NOTHING_LEFT
        else:
            outcome = audit.NOT_FOUND
        stays = await kept(settings, [*APPEND_ONLY, *COMPACTED])
        counts = {"customers": len(found.customers), "cases": len(found.cases),
                  "tombstones": done}
        await audit.publish(bus, audit.record(
            request_id, ident, settings.erasure_key.get_secret_value(), now, outcome, counts,
            {t: k.describe() for t, k in stays.items() if t in APPEND_ONLY}), now)
    finally:
        await bus.close()
    return Result(ident, request_id, found, outcome, done, before, stays,
                  time.perf_counter() - started)


def render(r: Result) -> str:
    lines = [f"hub erase: {r.ident.kind} {r.ident.masked()} (request {r.request_id})"]
    previous = [b for b in r.earlier if b["outcome"] == audit.ERASED]
    if r.outcome == audit.NOT_FOUND:
        lines.append("no customer record and no case matches it: nothing erased "
                     "(check the identifier; the request is recorded)")
    elif r.outcome == audit.NOTHING_LEFT:
        lines.append(f"nothing left to erase: erased before on {previous[0]['at'][:19]}Z "
                     f"({len(previous)} earlier request{'s' if len(previous) != 1 else ''})")
    else:
        ids = ", ".join(sorted(r.found.customers)) or "none"
        lines += ["erased (tombstones published, acks=all):",
                  f"  {len(r.found.customers):>5} customer record(s) on {CUSTOMERS}: {ids}",
                  f"  {len(r.found.cases):>5} case(s) on {CASES}, and through "
                  f"{WATCH_ROUTED} each case's state in the watch (clocks, parked updates) "
                  "and its contact in the dispatcher: they let go as they read it",
                  f"  {r.tombstoned:>5} tombstones in all"]
        if previous:
            lines.append(f"  (also erased before on {previous[0]['at'][:19]}Z: this is what "
                         "came since)")
    lines.append(f"recorded on hub-erasures (masked identifier and a keyed hash only): "
                 f"{r.request_id}")
    lines += ["", "NOT erased: an append-only log cannot delete one person's records. These "
              "topics keep them until their retention ends:"]
    alike = len({r.kept[t].describe() for t in ROUTED}) == 1
    for topic, what in APPEND_ONLY.items():
        if topic in ROUTED and alike:
            if topic == ROUTED[0]:  # twelve topics, one line when they keep alike
                lines.append(f"  {'hub.routed.{tier}.{type}':30} "
                             f"{r.kept[topic].describe():18} {what} ({len(ROUTED)} topics)")
            continue
        lines.append(f"  {topic:30} {r.kept[topic].describe():18} {what}")
    lines += ["Compacted topics drop the erased versions only when the broker compacts them "
              "(Apache Kafka does, in the background; the embedded broker never does):"]
    for topic, what in COMPACTED.items():
        lines.append(f"  {topic:30} {what}")
    lines += ["  the stages' changelogs (hub-watch-changelog and the like) likewise: "
              "the erased entries are tombstoned, their older versions go at compaction",
              "Copies outside the hub (ticket systems, webhook subscribers, backups, "
              "vendors' logs) are not reached: ask their owners.",
              f"took {r.seconds:.2f} s"]
    return "\n".join(lines)
