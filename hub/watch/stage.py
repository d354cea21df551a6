"""The watch: one case per routed event, kept from ticket updates, its clocks
and escalations (contract §8), as a stream stage with a clock.

Inputs, all keyed by event_id so a case and its updates share a partition:
``hub-watch-routed`` (each routed event again, written by the router),
``hub.ticket-updates``, and the runner's ticks. The table holds, per case,
the case, its running clocks and the limits it opened with; a deadline index
(``due``: sortable ``{epoch}|{event_id}|{reason}`` keys) tells the runner
when the next tick is needed and a tick which clocks have run out. Every
escalation is emitted once: the case records it, and the stream core writes
each output once across crashes and rebalances.

A tombstone on ``hub-watch-routed`` (``hub erase``) deletes the case, its
clocks and parked updates, writes a ``hub.cases`` tombstone after whatever
the watch wrote for it, and leaves an ``erased`` marker (the event id and a
time, nothing personal): a later update or redelivery of the case is
dropped instead of bringing it back."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import structlog
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from hub import cloudevents
from hub.event import RoutedEvent
from hub.kafka.topics import CASES, DEADLETTER, ESCALATIONS, TICKET_UPDATES, WATCH_ROUTED
from hub.routers.policy import EscalationRules
from hub.stream.records import Output, dead_letter
from hub.stream.state import PartitionState
from hub.watch.cases import TicketUpdate, apply_update, escalation, levels, open_case

log = structlog.get_logger("hub.watch")

CASE, DUE, EARLY, ERASED = "case", "due", "early", "erased"
EARLY_REASON = "early"

_LABELS = ["tier", "type", "channel", "queue"]
ACCEPTED = Counter("hub_cases_accepted_total", "cases opened", _LABELS)
RESPONDED = Counter("hub_cases_responded_total", "first responses, in time or late",
                    [*_LABELS, "in_time"])
HANDLED = Counter("hub_cases_handled_total", "cases resolved or closed", _LABELS)
ESCALATED = Counter("hub_escalations_total", "escalations emitted", ["reason", "level"])
ESCALATION_LAG = Histogram("hub_escalation_lag_seconds", "deadline -> escalation emitted",
                           buckets=(.1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 3600))
FIRST_RESPONSE = Histogram("hub_first_response_seconds", "opened -> first response",
                           buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 86400, 259200))


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def due_key(due_iso: str, event_id: str, reason: str) -> str:
    return f"{_epoch(due_iso):017.3f}|{event_id}|{reason}"


def _labels(case: dict[str, Any]) -> tuple[str, str, str, str]:
    return (case["customer"]["tier"], case["type"], case["channel"], case["route"]["queue"])


class WatchStage:
    name = "hub-watch"
    inputs = (WATCH_ROUTED, TICKET_UPDATES)
    outputs = (CASES, ESCALATIONS, DEADLETTER)
    deadletter = DEADLETTER
    tick_s = 1.0

    def __init__(self, rules: EscalationRules, sla_scale: float = 1.0) -> None:
        self.rules, self.scale = rules, sla_scale
        self.ticks = f"{self.name}-ticks"

    def dedupe_key(self, record: Any) -> str | None:
        # A routed event seen twice is an upstream redelivery; updates and
        # ticks are not deduplicated by key (one event has many updates), nor
        # is an erasure (its key was seen: it is the routed event's).
        if record.topic == WATCH_ROUTED and record.key and record.value is not None:
            return record.key.decode(errors="replace")
        return None

    def next_due(self, state: PartitionState) -> float | None:
        key = state.first_key(DUE)
        return float(key.split("|", 1)[0]) if key else None

    def process(self, record: Any, state: PartitionState) -> list[Output]:
        if record.topic == self.ticks:
            return self._tick(orjson.loads(record.value)["at"], state)
        if record.topic == WATCH_ROUTED:
            if record.value is None:
                return self._erase(record, state)
            return self._open(RoutedEvent.from_json(record.value), state)
        return self._update(record, state)

    # ---- erasure --------------------------------------------------------

    def _erase(self, record: Any, state: PartitionState) -> list[Output]:
        if not record.key:
            return []
        event_id = record.key.decode(errors="replace")
        structlog.contextvars.bind_contextvars(event_id=event_id)
        entry = state.get(CASE, event_id)
        if entry is not None:
            for reason, due in entry["clocks"].items():
                state.delete(DUE, due_key(due, event_id, reason))
            state.delete(CASE, event_id)
        early = state.get(EARLY, event_id)
        if early is not None:
            state.delete(DUE, early["due_key"])
            state.delete(EARLY, event_id)
        state.put(ERASED, event_id, {"at": record.timestamp / 1000})
        log.info("case.erased", had_case=entry is not None, parked=len(
            (early or {}).get("updates", [])))
        at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        return [Output(CASES, record.key, None,
                       cloudevents.headers(id=f"{event_id}@erased", source="/hub/watch",
                                           type="hub.erased.v1", time=at, subject=event_id))]

    # ---- opening --------------------------------------------------------

    def _open(self, routed: RoutedEvent, state: PartitionState) -> list[Output]:
        structlog.contextvars.bind_contextvars(event_id=routed.event_id)
        if state.get(CASE, routed.event_id) is not None:
            return []
        if state.get(ERASED, routed.event_id) is not None:
            log.info("case.erased_event_dropped")
            return []
        case, clocks, at_once = open_case(routed, self.rules, self.scale)
        ACCEPTED.labels(*_labels(case)).inc()
        out = []
        opened = datetime.fromisoformat(case["opened_at"])
        for reason, level in at_once:
            out.append(self._escalate(case, reason, level, case["opened_at"], opened))
        self._save(state, case, clocks, dict(clocks), previous={})
        log.info("case.opened", risk=case["risk"]["level"], escalated=[r for r, _ in at_once])
        out.insert(0, self._case_output(case))
        early = state.get(EARLY, routed.event_id)
        if early:
            # Updates that overtook their case, applied now in their order.
            state.delete(EARLY, routed.event_id)
            state.delete(DUE, early["due_key"])
            for parked in sorted(early["updates"], key=lambda u: u["at"]):
                out += self._apply(TicketUpdate.model_validate(parked), state)
        return out

    # ---- updates --------------------------------------------------------

    def _update(self, record: Any, state: PartitionState) -> list[Output]:
        try:
            update = TicketUpdate.model_validate_json(record.value or b"")
        except ValidationError as exc:
            log.warning("ticket_update.invalid", error=str(exc)[:300])
            return [dead_letter(record, DEADLETTER, "invalid_payload", str(exc)[:2000],
                                source="/hub/watch")]
        structlog.contextvars.bind_contextvars(event_id=update.event_id)
        if state.get(ERASED, update.event_id) is not None:
            log.info("ticket_update.erased_case", status=update.status)
            return []
        if state.get(CASE, update.event_id) is None:
            return self._park(update, record, state)
        return self._apply(update, state)

    def _apply(self, update: TicketUpdate, state: PartitionState) -> list[Output]:
        entry = state.get(CASE, update.event_id)
        case, clocks = entry["case"], entry["clocks"]
        applied = apply_update(case, clocks, entry["limits"], update, self.rules)
        if applied is None:
            log.info("ticket_update.stale", status=update.status, at=update.at.isoformat())
            return []
        new, new_clocks = applied
        labels = _labels(new)
        if new["first_response_at"] and not case["first_response_at"]:
            in_time = _epoch(new["first_response_at"]) <= _epoch(new["route"]
                                                                  ["first_response_due"])
            RESPONDED.labels(*labels, str(in_time).lower()).inc()
            FIRST_RESPONSE.observe(_epoch(new["first_response_at"]) - _epoch(new["opened_at"]))
        if new["resolved_at"] and not case["resolved_at"]:
            HANDLED.labels(*labels).inc()
        self._save(state, new, new_clocks, entry["limits"], previous=clocks)
        log.info("case.updated", status=new["status"], ticket_id=new["ticket_id"])
        return [self._case_output(new)]

    def _park(self, update: TicketUpdate, record: Any, state: PartitionState) -> list[Output]:
        early = state.get(EARLY, update.event_id)
        if early is None:
            until = datetime.fromtimestamp(record.timestamp / 1000 +
                                           self.rules.early_update_grace_s, UTC).isoformat()
            early = {"updates": [], "due_key": due_key(until, update.event_id, EARLY_REASON),
                     "source": [record.topic, record.partition]}
            state.put(DUE, early["due_key"], 1)
        early["updates"].append(update.model_dump(mode="json"))
        early.setdefault("offsets", []).append(record.offset)
        state.put(EARLY, update.event_id, early)
        log.info("ticket_update.early", waiting_s=self.rules.early_update_grace_s)
        return []

    # ---- clocks ---------------------------------------------------------

    def _tick(self, at: float, state: PartitionState) -> list[Output]:
        now = datetime.fromtimestamp(at, UTC)
        out: list[Output] = []
        for key in state.keys_upto(DUE, f"{at:017.3f}|~"):
            state.delete(DUE, key)
            _due, event_id, reason = key.split("|", 2)
            structlog.contextvars.bind_contextvars(event_id=event_id)
            if reason == EARLY_REASON:
                out += self._expire_early(event_id, state)
                continue
            entry = state.get(CASE, event_id)
            if not entry or reason not in entry["clocks"]:
                continue  # stopped meanwhile
            case, clocks = entry["case"], dict(entry["clocks"])
            due = clocks.pop(reason)
            if reason in case["escalations"]:
                continue
            case = dict(case)
            out.append(self._escalate(case, reason, levels(self.rules)[reason], due, now))
            state.put(CASE, event_id, {**entry, "case": case, "clocks": clocks})
            out.append(self._case_output(case))
        return out

    def _expire_early(self, event_id: str, state: PartitionState) -> list[Output]:
        early = state.get(EARLY, event_id)
        if early is None:
            return []
        state.delete(EARLY, event_id)
        topic, partition = early["source"]
        log.warning("ticket_update.unknown_event", updates=len(early["updates"]))
        return [dead_letter(SimpleNamespace(topic=topic, partition=partition, offset=offset,
                                            key=event_id.encode(), value=orjson.dumps(u)),
                            DEADLETTER, "unknown_event",
                            f"no routed event {event_id} within "
                            f"{self.rules.early_update_grace_s:g} s", source="/hub/watch")
                for u, offset in zip(early["updates"], early["offsets"], strict=True)]

    # ---- writing --------------------------------------------------------

    def _save(self, state: PartitionState, case: dict, clocks: dict[str, str],
              limits: dict[str, str], previous: dict[str, str]) -> None:
        eid = case["event_id"]
        for reason, due in previous.items():
            if clocks.get(reason) != due:
                state.delete(DUE, due_key(due, eid, reason))
        for reason, due in clocks.items():
            if previous.get(reason) != due:
                state.put(DUE, due_key(due, eid, reason), 1)
        state.put(CASE, eid, {"case": case, "clocks": clocks, "limits": limits})

    def _escalate(self, case: dict, reason: str, level: int, due: str,
                  now: datetime) -> Output:
        case["escalations"] = sorted({*case["escalations"], reason})
        ESCALATED.labels(reason, str(level)).inc()
        ESCALATION_LAG.observe(max(now.timestamp() - _epoch(due), 0))
        log.warning("case.escalated", reason=reason, level=level, due=due)
        body = escalation(case, reason, level, due, now)
        return Output(ESCALATIONS, case["event_id"].encode(), orjson.dumps(body),
                      cloudevents.headers(id=body["escalation_id"], source="/hub/watch",
                                          type="hub.escalation.v1", time=now))

    def _case_output(self, case: dict) -> Output:
        return Output(CASES, case["event_id"].encode(), orjson.dumps(case),
                      cloudevents.headers(id=f"{case['event_id']}@{case['updated_at']}"
                                             f"/{case['status']}/{len(case['escalations'])}",
                                          source="/hub/watch", type="hub.case.v1",
                                          time=datetime.fromisoformat(case["updated_at"])))
