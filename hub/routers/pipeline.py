"""The routing pipeline as an ordered tuple of steps, each ``Draft -> Draft``:
identify -> flag -> classify -> triage -> join a batch -> assess risk -> route.

A ``Draft`` is the event with what the steps so far have decided. Each step
is pure (same draft, directory and policy: same answer) and testable alone;
a new concern (history, repeat and batch detection) is one more step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from hub.event import Classification, CustomerMatch, Event, History, Risk, Route, RoutedEvent
from hub.routers.classify import classify, flags_for
from hub.routers.identity import CustomerDirectory
from hub.routers.policy import BatchRule, Policy
from hub.routers.risk import assess
from hub.routers.triage import triage
from hub.watch.alerts import batch_dimensions, batch_key


@dataclass(frozen=True)
class Draft:
    event: Event
    customer: CustomerMatch | None = None
    flags: tuple[str, ...] = ()
    classification: Classification | None = None
    triage: str | None = None
    history: History = field(default_factory=History)
    risk: Risk | None = None
    route: Route | None = None

    def routed(self) -> RoutedEvent:
        return RoutedEvent(**self.event.model_dump(by_alias=True), customer=self.customer,
                           classification=self.classification, flags=list(self.flags),
                           risk=self.risk, route=self.route, history=self.history)


Step = Callable[[Draft], Draft]


@dataclass(frozen=True)
class Identify:
    directory: CustomerDirectory

    def __call__(self, d: Draft) -> Draft:
        return replace(d, customer=self.directory.resolve(d.event))


def flag(d: Draft) -> Draft:
    return replace(d, flags=tuple(flags_for(d.event)))


def classify_step(d: Draft) -> Draft:
    # A stopped car's rescue reads the flags: they are passed, not read twice.
    return replace(d, classification=classify(d.event, flags=list(d.flags)))


@dataclass(frozen=True)
class Triage:
    min_confidence: float

    def __call__(self, d: Draft) -> Draft:
        classification, reason = triage(d.event, d.classification, self.min_confidence)
        return replace(d, classification=classification, triage=reason)


class Past(Protocol):
    def history(self, keys: list[str], category: str, at: datetime) -> History: ...


@dataclass(frozen=True)
class Recall:
    """The customer's history (or the vehicle's), and ``repeat`` when they
    have an open case or wrote about the same category within the window."""
    past: Past

    def __call__(self, d: Draft) -> Draft:
        keys = history_keys(d.event, d.customer)
        if not keys:
            return d
        history = self.past.history(keys, d.classification.category, d.event.received_at)
        repeat = bool(history.open_case_ids) or (
            history.same_fault_contacts > 0 and d.classification.category != "other")
        flags = tuple(sorted({*d.flags, "repeat"})) if repeat else d.flags
        return replace(d, history=history, flags=flags)


class NoPast:
    def history(self, keys: list[str], category: str, at: datetime) -> History:
        return History()


class Batches(Protocol):
    def active(self, dim_key: str, at: datetime) -> bool: ...


@dataclass(frozen=True)
class JoinBatch:
    """An event sharing the cause of a batch complaint under way joins it."""
    batches: Batches
    rule: BatchRule

    def __call__(self, d: Draft) -> Draft:
        keys = [batch_key(dim) for dim in batch_dimensions(d.event, d.classification, self.rule)]
        if any(self.batches.active(k, d.event.received_at) for k in keys):
            return replace(d, flags=tuple(sorted({*d.flags, "batch"})))
        return d


class NoBatches:
    def active(self, dim_key: str, at: datetime) -> bool:
        return False


def assess_risk(d: Draft) -> Draft:
    risk = assess(d.event, d.customer, d.classification, list(d.flags),
                  same_fault_before=d.history.same_fault_contacts)
    flags = tuple(sorted({*d.flags, "major"})) if risk.level >= 4 else d.flags
    return replace(d, risk=risk, flags=flags)


@dataclass(frozen=True)
class Decide:
    policy: Policy
    sla_scale: float = 1.0

    def __call__(self, d: Draft) -> Draft:
        route = self.policy.decide(d.customer.tier, d.classification.type, list(d.flags),
                                   d.event.received_at, self.sla_scale, triage=d.triage)
        return replace(d, route=route)


def steps(directory: CustomerDirectory, policy: Policy, sla_scale: float = 1.0,
          batches: Batches | None = None, past: Past | None = None) -> tuple[Step, ...]:
    return (Identify(directory), flag, classify_step, Triage(policy.triage.min_confidence),
            Recall(past or NoPast()), JoinBatch(batches or NoBatches(), policy.alerts.batch),
            assess_risk, Decide(policy, sla_scale))


@dataclass
class Router:
    directory: CustomerDirectory
    policy: Policy
    sla_scale: float = 1.0
    pipeline: tuple[Step, ...] = field(default=())
    batches: Batches | None = None
    past: Past | None = None

    def __post_init__(self) -> None:
        if not self.pipeline:
            self.pipeline = steps(self.directory, self.policy, self.sla_scale, self.batches,
                                  self.past)

    def route(self, event: Event) -> RoutedEvent:
        d = Draft(event)
        for step in self.pipeline:
            d = step(d)
        return d.routed()


def history_keys(event: Event, customer: CustomerMatch | None) -> list[str]:
    """Whose history an event belongs to: the customer when known, else the
    contact point it came from, and the vehicle."""
    c, v = event.contact, event.vehicle
    who = (customer.customer_id if customer else None) or c.phone or c.email or c.wechat_openid
    return [k for k in (who and f"c:{who}", v.vin and f"v:{v.vin}") if k]


def customer_key(routed: RoutedEvent) -> str:
    """The routed topics' key: all of one customer's events on one partition."""
    c, v = routed.contact, routed.vehicle
    return (routed.customer.customer_id or c.phone or c.email or c.wechat_openid or v.vin
            or routed.event_id)
