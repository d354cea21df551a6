"""A case and what a ticket update does to it (contract §8), as pure functions.

The case is the contract's JSON object; clocks are the deadlines still
running, by escalation reason. Opening a case starts its clocks; an update
stops the ones its status ends (first response at ``contacted`` or later,
resolution at ``resolved``/``closed``, the unclosed limits at ``closed``) and
``reopened`` starts the resolution clock again, as long as the case had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.event import RoutedEvent
from hub.routers.pipeline import history_keys
from hub.routers.policy import EscalationRules
from hub.watch.calendar import add_working

Status = Literal["acknowledged", "contacted", "in_progress", "resolved", "closed", "reopened"]
RESPONDED = {"contacted", "in_progress", "resolved", "closed"}
RESOLVED = {"resolved", "closed"}

FIRST_RESPONSE = "first_response_overdue"
RESOLUTION = "resolution_overdue"
UNCLOSED_5D = "unclosed_5d"
UNCLOSED_10D = "unclosed_10d"
RISK = "risk_level"


class TicketUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_id: str = Field(min_length=1)
    ticket_id: str = Field(min_length=1)
    status: Status
    at: datetime
    agent_id: str | None = None
    note: str | None = None


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def open_case(routed: RoutedEvent, rules: EscalationRules,
              scale: float) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, int]]]:
    """The new case, its clocks (reason -> due, ISO) and what escalates at once
    (reason, level)."""
    opened = routed.received_at
    route = routed.route

    def limit(duration: timedelta) -> datetime:
        return add_working(opened, duration) if rules.working_days else opened + duration

    case = {
        "event_id": routed.event_id, "status": "open", "ticket_id": None, "owner": None,
        "channel": routed.channel, "customer": routed.customer.model_dump(mode="json"),
        "type": routed.classification.type, "category": routed.classification.category,
        "flags": list(routed.flags), "risk": routed.risk.model_dump(mode="json"),
        "route": route.model_dump(mode="json"), "opened_at": _iso(opened),
        "first_response_at": None, "resolved_at": None, "closed_at": None,
        "escalations": [], "updated_at": _iso(opened),
        # Beyond the contract's fields: whose history the case is part of
        # (customer or contact point, and vehicle), for the router's history.
        "history_keys": history_keys(routed, routed.customer),
    }
    clocks = {
        FIRST_RESPONSE: _iso(route.first_response_due),
        # The route's resolution time in working time when the policy says so.
        RESOLUTION: _iso(limit(route.resolve_due - opened)),
        UNCLOSED_5D: _iso(limit(timedelta(days=rules.unclosed_5d_days * scale))),
        UNCLOSED_10D: _iso(limit(timedelta(days=rules.unclosed_10d_days * scale))),
    }
    now = [(RISK, rules.risk_levels[routed.risk.level])] \
        if routed.risk.level in rules.risk_levels else []
    return case, clocks, now


def apply_update(case: dict[str, Any], clocks: dict[str, str], limits: dict[str, str],
                 update: TicketUpdate, rules: EscalationRules
                 ) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The case and clocks after ``update``, or None when it is stale.
    ``limits`` are the clocks the case opened with: a reopened case is
    unclosed again against its original limits."""
    # Stale only against an update applied before: a call record reaches the hub
    # when the call ends, after the agent who took it acknowledged it.
    if case["status"] != "open" and update.at < _t(case["updated_at"]):
        return None
    case, clocks = dict(case), dict(clocks)
    at = _iso(update.at)
    case.update(status=update.status, ticket_id=update.ticket_id, updated_at=at)
    if case["owner"] is None and update.agent_id:
        case["owner"] = update.agent_id  # 首问负责制: the first to handle it keeps it
    if update.status in RESPONDED:
        case["first_response_at"] = case["first_response_at"] or at
        clocks.pop(FIRST_RESPONSE, None)
    if update.status in RESOLVED:
        case["resolved_at"] = case["resolved_at"] or at
        clocks.pop(RESOLUTION, None)
    if update.status == "closed":
        case["closed_at"] = at
        clocks.pop(UNCLOSED_5D, None)
        clocks.pop(UNCLOSED_10D, None)
    if update.status == "reopened":
        route = case["route"]
        allowed = _t(route["resolve_due"]) - _t(case["opened_at"])
        due = add_working(update.at, allowed) if rules.working_days else update.at + allowed
        case.update(resolved_at=None, closed_at=None)
        if RESOLUTION not in case["escalations"]:
            clocks[RESOLUTION] = _iso(due)
        for reason in (UNCLOSED_5D, UNCLOSED_10D):
            if reason not in case["escalations"]:
                clocks[reason] = limits[reason]
    return case, clocks


def levels(rules: EscalationRules) -> dict[str, int]:
    return {FIRST_RESPONSE: rules.first_response_level, RESOLUTION: rules.resolution_level,
            UNCLOSED_5D: rules.unclosed_5d_level, UNCLOSED_10D: rules.unclosed_10d_level}


def escalation(case: dict[str, Any], reason: str, level: int, due: str,
               at: datetime) -> dict[str, Any]:
    return {"escalation_id": f"{case['event_id']}:{reason}", "event_id": case["event_id"],
            "reason": reason, "level": level, "due": due, "at": _iso(at),
            "route": case["route"]}
