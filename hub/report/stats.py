"""The report's tables, computed from the topics' values as lists of dicts.

Pure: the cases (latest value per event_id), escalations and alerts in, the
tables out, so every figure can be checked by hand in a unit test. A case
belongs to the day it was opened in China time (Asia/Shanghai), whatever
the server's zone; escalations follow their case, alerts the start of their
window."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from hub.report.labels import DIMENSIONS, name

CHINA = ZoneInfo("Asia/Shanghai")
RESOLVED = {"resolved", "closed"}
KPI_DIMENSIONS = ("day", "channel", "tier", "type", "queue")
COUNT_DIMENSIONS = ("channel", "type", "tier", "category", "dealer")
LEVELS = (1, 2, 3)
NO_DEALER = "(无 none)"


class Rate(float):
    """A share of the accepted cases, printed as a percentage."""

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


class Duration(float):
    """Seconds, printed in the unit a reader expects for its size."""

    def __str__(self) -> str:
        s = float(self)
        if s < 120:
            return f"{s:.1f} s"
        if s < 7200:
            return f"{s / 60:.1f} min"
        if s < 172800:
            return f"{s / 3600:.1f} h"
        return f"{s / 86400:.1f} d"


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str | None = None  # said instead of the table when it has no rows


@dataclass
class Report:
    start: date | None
    end: date | None
    accepted: int
    counts: dict[str, Table] = field(default_factory=dict)
    kpis: dict[str, Table] = field(default_factory=dict)
    escalations: Table | None = None
    alerts: Table | None = None
    callbacks: Table | None = None

    def tables(self) -> list[Table]:
        return [*self.counts.values(), *self.kpis.values(), self.escalations, self.alerts,
                self.callbacks]


# ---- reading the topics' values -------------------------------------------

def latest(records: Iterable[tuple[bytes | None, bytes | None]]) -> dict[str, dict]:
    """The compacted topic's current view: the last value per key, in log
    order; a tombstone (null value, or ``"deleted": true``) removes the key."""
    current: dict[str, dict] = {}
    for key, value in records:
        if key is None:
            continue
        k = key.decode(errors="replace")
        body = orjson.loads(value) if value else None
        if not isinstance(body, dict) or body.get("deleted"):
            current.pop(k, None)
        else:
            current[k] = body
    return current


def _time(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def china_day(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(CHINA).date()


def within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


# ---- per case ---------------------------------------------------------------

def _key(case: Mapping[str, Any], dimension: str, dealers: Mapping[str, str]) -> str:
    if dimension == "day":
        return china_day(case["opened_at"]).isoformat()
    if dimension == "tier":
        return (case.get("customer") or {}).get("tier") or "ordinary"
    if dimension == "queue":
        return (case.get("route") or {}).get("queue") or "?"
    if dimension == "dealer":
        return case.get("dealer_code") or dealers.get(case["event_id"]) or NO_DEALER
    return case.get(dimension) or "?"


def in_time(case: Mapping[str, Any]) -> bool:
    """First response at or before its route's deadline (contract §12)."""
    answered = _time(case.get("first_response_at"))
    due = _time((case.get("route") or {}).get("first_response_due"))
    return answered is not None and due is not None and answered <= due


def handled(case: Mapping[str, Any]) -> bool:
    return case.get("status") in RESOLVED


def first_response_s(case: Mapping[str, Any]) -> float | None:
    answered = _time(case.get("first_response_at"))
    return (answered - _time(case["opened_at"])).total_seconds() if answered else None


def resolution_s(case: Mapping[str, Any]) -> float | None:
    if not handled(case):
        return None
    done = _time(case.get("resolved_at") or case.get("closed_at"))
    return (done - _time(case["opened_at"])).total_seconds() if done else None


def _mean(values: list[float]) -> Duration | None:
    return Duration(sum(values) / len(values)) if values else None


# ---- tables -----------------------------------------------------------------

def counts(cases: list[dict], dimension: str, dealers: Mapping[str, str] | None = None) -> Table:
    tally = Counter(_key(c, dimension, dealers or {}) for c in cases)
    total = len(cases)
    rows = [[name(k), n, Rate(n / total)] for k, n in
            sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Table(f"受理量 · 按{DIMENSIONS[dimension]}",
                 [DIMENSIONS[dimension], "受理量 (accepted)", "占比 (share)"], rows,
                 note="没有案件 (no cases)")


KPI_HEADERS = ["受理 (accepted)", "及时 (in time)", "及时率 (timeliness)", "已处理 (handled)",
               "处理率 (handling)", "首次响应均值 (avg 1st response)",
               "解决均值 (avg resolution)"]


def kpi_row(label: str, group: list[dict]) -> list[Any]:
    accepted = len(group)
    timely = sum(in_time(c) for c in group)
    done = sum(handled(c) for c in group)
    return [label, accepted, timely, Rate(timely / accepted), done, Rate(done / accepted),
            _mean([s for c in group if (s := first_response_s(c)) is not None]),
            _mean([s for c in group if (s := resolution_s(c)) is not None])]


def kpis(cases: list[dict], dimension: str) -> Table:
    groups: dict[str, list[dict]] = defaultdict(list)
    for case in cases:
        groups[_key(case, dimension, {})].append(case)
    # Days in calendar order; everything else by size, as a reader scans it.
    order = sorted(groups) if dimension == "day" else sorted(
        groups, key=lambda k: (-len(groups[k]), k))
    rows = [kpi_row(k if dimension in ("day", "queue") else name(k), groups[k]) for k in order]
    if rows:
        rows.append(kpi_row("合计 (total)", cases))
    return Table(f"KPI · 按{DIMENSIONS[dimension]}", [DIMENSIONS[dimension], *KPI_HEADERS],
                 rows, note="没有案件 (no cases)")


def escalation_table(escalations: Iterable[dict], case_ids: set[str]) -> Table:
    """Escalations of the selected cases by reason and level, each
    ``escalation_id`` once (the topic is at-least-once for its readers)."""
    unique = {e["escalation_id"]: e for e in escalations if e.get("event_id") in case_ids}
    tally = Counter((e["reason"], int(e["level"])) for e in unique.values())
    reasons = sorted({r for r, _ in tally}, key=lambda r: -sum(
        n for (rr, _), n in tally.items() if rr == r))
    rows = [[name(r), *(tally[(r, lv)] for lv in LEVELS),
             sum(tally[(r, lv)] for lv in LEVELS)] for r in reasons]
    if rows:
        rows.append(["合计 (total)", *(sum(tally[(r, lv)] for r in reasons) for lv in LEVELS),
                     len(unique)])
    return Table("升级 · 按原因和级别 (escalations by reason and level)",
                 ["原因 (reason)", "1 队列主管 (queue supervisor)", "2 服务部 (service dept.)",
                  "3 领导 (leadership)", "合计 (total)"], rows, note="没有升级 (no escalations)")


def _dimension(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(d.items()))


def alert_table(alerts: Iterable[dict], start: date | None, end: date | None) -> Table:
    unique = {a["alert_id"]: a for a in alerts
              if within(china_day(a["window"]["start"]), start, end)}
    rows = [[name(a["kind"]), _dimension(a.get("dimension") or {}),
             _china_minute(a["window"]["start"]) + " – " + _china_minute(a["window"]["end"]),
             a["count"], a["threshold"], len(a.get("sample_event_ids") or [])]
            for a in sorted(unique.values(), key=lambda a: (a["window"]["start"], a["alert_id"]))]
    return Table("预警 (alerts)", ["类型 (kind)", "维度 (dimension)", "窗口 (window, 北京时间)",
                                 "数量 (count)", "阈值 (threshold)", "样本 (samples)"], rows,
                 note="没有预警 (no alerts)")


def _china_minute(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(CHINA).strftime("%m-%d %H:%M")


def callback_table(cases: list[dict]) -> Table:
    """Callback (回访) and satisfaction rates, from cases that carry a
    ``callback`` record ``{"effective": bool, "satisfied": bool}``: the
    contract's case has no such field yet, so today this says none."""
    called = [c["callback"] for c in cases if isinstance(c.get("callback"), dict)]
    rows = []
    if called:
        effective = sum(bool(cb.get("effective")) for cb in called)
        satisfied = sum(bool(cb.get("satisfied")) for c in cases
                        if c.get("status") == "closed" and isinstance(cb := c.get("callback"),
                                                                       dict))
        rows = [["回访 (callbacks)", len(called)],
                ["有效回访率 (effective callback rate)", Rate(effective / len(called))],
                ["满意率 (satisfaction rate, closed satisfied / accepted)",
                 Rate(satisfied / len(cases))]]
    return Table("回访与满意度 (callbacks and satisfaction)", ["指标 (measure)", "值 (value)"],
                 rows, note="没有回访记录 (no callbacks recorded)")


def build(cases: Mapping[str, dict] | Iterable[dict], escalations: Iterable[dict],
          alerts: Iterable[dict], start: date | None = None, end: date | None = None,
          dealers: Mapping[str, str] | None = None) -> Report:
    values = cases.values() if isinstance(cases, Mapping) else cases
    selected = sorted((c for c in values if within(china_day(c["opened_at"]), start, end)),
                      key=lambda c: c["opened_at"])
    report = Report(start, end, len(selected))
    report.counts = {d: counts(selected, d, dealers) for d in COUNT_DIMENSIONS}
    report.kpis = {d: kpis(selected, d) for d in KPI_DIMENSIONS}
    report.escalations = escalation_table(escalations, {c["event_id"] for c in selected})
    report.alerts = alert_table(alerts, start, end)
    report.callbacks = callback_table(selected)
    return report
