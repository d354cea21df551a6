"""Routing policy as data (``policy.toml`` beside this module, or
``HUB_POLICY_FILE``), validated at startup: a bad file stops the worker with
a message naming the key at fault."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.errors import ConfigError
from hub.event import TIERS, TYPES, Priority, Route, routed_topic

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")
_RANK = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RouteRule(_Strict):
    queue: str = Field(min_length=1)
    priority: Priority
    first_response_h: float = Field(gt=0)
    resolve_h: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> RouteRule:
        if self.first_response_h > self.resolve_h:
            raise ValueError("first_response_h is longer than resolve_h")
        return self


class FlagRule(_Strict):
    priority: Priority | None = None
    first_response_h: float | None = Field(None, gt=0)
    resolve_h: float | None = Field(None, gt=0)
    queue: str | None = None


class TriageRule(_Strict):
    """Where what cannot be read, or is decided with low confidence, goes."""
    queue: str = Field("triage", min_length=1)
    priority: Priority = "P3"
    first_response_h: float = Field(4, gt=0)
    resolve_h: float = Field(72, gt=0)
    min_confidence: float = Field(0.35, ge=0, le=1)


class EscalationRules(_Strict):
    """When a case is escalated, and to whom (contract §8): level 1 the queue's
    supervisor, 2 the service department, 3 leadership."""
    first_response_level: int = Field(1, ge=1, le=3)
    resolution_level: int = Field(1, ge=1, le=3)
    unclosed_5d_days: float = Field(5, gt=0)
    unclosed_5d_level: int = Field(2, ge=1, le=3)
    unclosed_10d_days: float = Field(10, gt=0)
    unclosed_10d_level: int = Field(3, ge=1, le=3)
    # Risk level -> escalation level, at once when the case opens.
    risk_levels: dict[int, int] = Field(default_factory=lambda: {4: 2, 5: 3})
    # Resolution and the unclosed limits in Chinese working days (first
    # response stays wall-clock: a customer waits on a holiday too).
    working_days: bool = True
    # A ticket update may overtake its case on another partition's fetch: it
    # waits this long for the case before it is dead-lettered as unknown.
    early_update_grace_s: float = Field(60, gt=0)


class BatchRule(_Strict):
    """批量投诉: complaints or repairs from distinct customers sharing a cause."""
    min_customers: int = Field(5, ge=2)
    window_h: float = Field(24, gt=0)
    types: list[str] = Field(default_factory=lambda: ["complaint", "repair"])
    # The classifier's categories that name a fault of the car (the cause when
    # no model or dealer is known): a batch of "charging" is one cause, a
    # batch of "service" complaints is not.
    fault_categories: list[str] = Field(default_factory=lambda: [
        "product_quality", "charging", "parts", "repair_quality"])


class SpikeRule(_Strict):
    """投诉预警: a type, category or channel busier than usual."""
    window_h: float = Field(1, gt=0)
    threshold: int = Field(50, ge=1)           # this many in one window, whatever the past
    multiple: float = Field(3.0, gt=1)         # or this many times the trailing average
    trailing_windows: int = Field(24, ge=1)
    min_count: int = Field(10, ge=1)           # below this, a multiple is noise
    dimensions: list[str] = Field(default_factory=lambda: ["type", "category", "channel"])


class HistoryRule(_Strict):
    # A contact about the same category within this window makes a repeat (contract §6).
    repeat_window_days: float = Field(30, gt=0)


class AlertRules(_Strict):
    batch: BatchRule = Field(default_factory=BatchRule)
    spike: SpikeRule = Field(default_factory=SpikeRule)
class AckTemplate(_Strict):
    text: str = Field(min_length=1)
    hours: str = Field(min_length=1)
    minutes: str = Field(min_length=1)


class AckRule(_Strict):
    """Acknowledgements (hub.answers.acknowledge): on which channels, in which words."""
    enabled: bool = False
    channels: list[str] = Field(default_factory=list)
    templates: dict[str, AckTemplate] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scripts(self) -> AckRule:
        missing = {"zh-Hans", "zh-Hant", "en"} - set(self.templates)
        if self.enabled and missing:
            raise ValueError(f"templates missing for: {', '.join(sorted(missing))}")
        return self


class Policy(_Strict):
    version: int = 1
    routes: dict[str, dict[str, RouteRule]]
    flags: dict[str, FlagRule] = Field(default_factory=dict)
    triage: TriageRule = Field(default_factory=TriageRule)
    escalation: EscalationRules = Field(default_factory=EscalationRules)
    alerts: AlertRules = Field(default_factory=AlertRules)
    history: HistoryRule = Field(default_factory=HistoryRule)
    acknowledgements: AckRule = Field(default_factory=AckRule)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = [f"{tier}.{t}" for tier in TIERS for t in TYPES
                   if t not in self.routes.get(tier, {})]
        if missing:
            raise ValueError(f"routes missing for: {', '.join(missing)}")
        unknown = set(self.routes) - set(TIERS)
        unknown |= {f"{tier}.{t}" for tier, rs in self.routes.items() for t in rs
                    if t not in TYPES}
        if unknown:
            raise ValueError(f"unknown routes: {', '.join(sorted(unknown))}")
        for tier in TIERS:
            if self.routes[tier]["rescue"].priority != "P1":
                raise ValueError(f"routes.{tier}.rescue must be P1: rescue always comes first")
        return self

    def decide(self, tier: str, type_: str, flags: list[str], received_at: datetime,
               scale: float, triage: str | None = None) -> Route:
        rule = self.triage if triage else self.routes[tier][type_]
        priority, queue = rule.priority, rule.queue
        first_h, resolve_h = rule.first_response_h, rule.resolve_h
        applied = [f"triage.{tier}.{type_}" if triage else f"{tier}.{type_}"]
        for flag, mod in self.flags.items():
            if flag not in flags:
                continue
            applied.append(f"flag.{flag}")
            if mod.priority and _RANK[mod.priority] < _RANK[priority]:
                priority = mod.priority
            if mod.first_response_h:
                first_h = min(first_h, mod.first_response_h)
            if mod.resolve_h:
                resolve_h = min(resolve_h, mod.resolve_h)
            if mod.queue and type_ != "rescue":
                queue = mod.queue
        return Route(
            topic=routed_topic(tier, type_), queue=queue, priority=priority,
            first_response_due=received_at + timedelta(hours=first_h * scale),
            resolve_due=received_at + timedelta(hours=resolve_h * scale),
            rule="+".join(applied),
        )


def load_policy(path: str | Path | None = None) -> Policy:
    path = Path(path) if path else DEFAULT_POLICY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"policy file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"policy file {path}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"policy file {path}: {where}: {first['msg']}") from exc
