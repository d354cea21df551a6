"""Early warning (contract §9) as pure functions: which dimensions an event
counts in, and when a dimension's window raises an alert.

A dimension is a string key (``batch|category_model|charging|EV5``); the
router writes one record per dimension of each routed event, keyed by it, so
one partition holds all of a dimension and two workers never split a batch
or raise one alert twice.

- Batch complaint: the members of the last ``window_h`` (customer, time,
  event). Once ``min_customers`` distinct customers are in, one alert whose
  window starts at the first member; members until the window ends join it
  (the router flags them ``batch``) without another alert.
- Volume spike: counts per tumbling window of ``window_h``; an alert in a
  window when the count reaches the threshold, or ``multiple`` times the
  trailing windows' average (with at least ``min_count``): once per window."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from hub.event import Classification, Event, RoutedEvent
from hub.routers.policy import AlertRules, BatchRule, SpikeRule

SAMPLES = 10


def batch_key(dimension: dict[str, str]) -> str:
    """The key of a batch dimension, from the alert's ``dimension`` as well."""
    if "model" in dimension:
        return f"batch|category_model|{dimension['category']}|{dimension['model']}"
    name, value = next(iter(dimension.items()))
    return f"batch|{name}|{value}"


def batch_dimensions(event: Event, c: Classification, rule: BatchRule) -> list[dict[str, str]]:
    """The causes an event shares with others of a batch."""
    if c.type not in rule.types:
        return []
    out = []
    model, dealer = event.vehicle.model, event.context.dealer_code
    if model and c.category != "other":
        out.append({"category": c.category, "model": model})
    if dealer:
        out.append({"dealer": dealer})
    faults = set(event.telematics.dtc_codes) if event.telematics else set()
    if c.category in rule.fault_categories:
        faults.add(c.category)
    return out + [{"fault": f} for f in sorted(faults)]


def dimensions(routed: RoutedEvent, rules: AlertRules) -> list[tuple[str, dict[str, str]]]:
    """(key, dimension) pairs the event counts in."""
    c = routed.classification
    out = [(batch_key(d), d) for d in batch_dimensions(routed, c, rules.batch)]
    values = {"type": c.type, "category": c.category, "channel": routed.channel}
    return out + [(f"spike|{name}|{values[name]}", {name: values[name]})
                  for name in rules.spike.dimensions if name in values]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def alert(kind: str, key: str, dimension: dict, start: float, end: float, count: int,
          threshold: int, samples: list[str], at: float) -> dict[str, Any]:
    return {"alert_id": f"{kind}:{key.split('|', 1)[1]}:{_iso(start)}", "kind": kind,
            "window": {"start": _iso(start), "end": _iso(end)}, "dimension": dimension,
            "count": count, "threshold": threshold, "sample_event_ids": samples[:SAMPLES],
            "at": _iso(at)}


def batch_step(window: dict | None, key: str, dimension: dict, rule: BatchRule,
               event_id: str, customer: str, at: float) -> tuple[dict, dict | None]:
    """The dimension's window after one member, and the alert it raises, if any."""
    window = window or {"members": [], "active": None}
    span = rule.window_h * 3600
    members = [m for m in window["members"] if m[0] > at - span]
    members.append([at, customer, event_id])
    active = window["active"]
    if active and at > active["end"]:
        active = None
    raised = None
    if active is None:
        customers = {m[1] for m in members}
        if len(customers) >= rule.min_customers:
            start = members[0][0]
            first_per_customer = list(dict.fromkeys(m[1] for m in members))
            samples = [next(m[2] for m in members if m[1] == c) for c in first_per_customer]
            raised = alert("batch_complaint", key, dimension, start, start + span,
                           len(customers), rule.min_customers, samples, at)
            active = {"start": start, "end": start + span, "alert_id": raised["alert_id"]}
    return {"members": members[-200:], "active": active}, raised


def spike_step(window: dict | None, key: str, dimension: dict, rule: SpikeRule,
               event_id: str, at: float) -> tuple[dict, dict | None]:
    """The dimension's counts after one event, and the alert it raises, if any."""
    window = window or {"buckets": {}, "alerted": [], "samples": []}
    span = rule.window_h * 3600
    start = math.floor(at / span) * span
    buckets = {float(k): v for k, v in window["buckets"].items()
               if float(k) >= start - rule.trailing_windows * span}
    buckets[start] = buckets.get(start, 0) + 1
    samples = window["samples"] if window.get("bucket") == start else []
    samples = [*samples, event_id][:SAMPLES]
    count = buckets[start]
    trailing = [buckets.get(start - i * span, 0) for i in range(1, rule.trailing_windows + 1)]
    average = sum(trailing) / len(trailing)
    bar = rule.threshold
    if average > 0:
        bar = min(bar, max(rule.min_count, math.ceil(rule.multiple * average)))
    raised = None
    alerted = [a for a in window["alerted"] if a >= start - span]
    if count >= bar and start not in alerted:
        raised = alert("volume_spike", key, dimension, start, start + span, count, bar,
                       samples, at)
        alerted.append(start)
    return {"buckets": {str(k): v for k, v in buckets.items()}, "alerted": alerted,
            "bucket": start, "samples": samples}, raised


