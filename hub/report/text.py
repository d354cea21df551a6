"""The report as plain-text tables for a terminal (``hub report``)."""

from __future__ import annotations

from tabulate import tabulate

from hub.report.stats import Report, Table


def cell(value: object) -> str:
    return "–" if value is None else str(value)


def table(t: Table) -> str:
    if not t.rows:
        return f"{t.title}\n  {t.note}"
    rows = [[cell(v) for v in row] for row in t.rows]
    # Numbers were formatted by their types (Rate, Duration): right-align all
    # but the label column, as figures are read.
    body = tabulate(rows, headers=t.headers, tablefmt="simple", disable_numparse=True,
                    colalign=("left", *("right",) * (len(t.headers) - 1)))
    return f"{t.title}\n{body}"


def period(report: Report) -> str:
    start = report.start.isoformat() if report.start else "开始 (beginning)"
    end = report.end.isoformat() if report.end else "至今 (now)"
    return f"{start} – {end}（北京时间 China time）"


def render(report: Report) -> str:
    head = f"客服中心统计 (service-center statistics) · {period(report)} · " \
           f"{report.accepted} 件受理 (cases accepted)"
    return "\n\n".join([head, *(table(t) for t in report.tables())]) + "\n"
