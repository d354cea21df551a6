"""The report as one self-contained HTML page: the charts the center looks
at first (timeliness per day, cases by category and by channel, escalations
by reason) as inline SVG, then every table of the text report."""

from __future__ import annotations

from html import escape

from hub.report.charts import bars, rate_columns
from hub.report.stats import Report, Table
from hub.report.text import cell, period

STYLE = """
body{font-family:'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif;
margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:16px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:24px}
.charts figure{margin:0;padding:12px;border:1px solid #ddd;border-radius:6px}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px}td{text-align:right}
td:first-child{text-align:left}th{background:#f3f5f8}
.note{color:#777}
"""


def _rows(t: Table) -> list[list]:
    """The table's rows without its total, for a chart."""
    return [r for r in t.rows if not str(r[0]).startswith("合计")]


def charts(report: Report) -> list[str]:
    days = [(r[0][5:], float(r[3])) for r in _rows(report.kpis["day"])]
    by = {d: [(r[0], r[1]) for r in _rows(report.counts[d])] for d in ("category", "channel")}
    reasons = [(r[0], r[-1]) for r in _rows(report.escalations)]
    return [rate_columns("及时率 · 按日 (timeliness rate per day)", days),
            bars("受理量 · 按问题类别 (cases by category)", by["category"]),
            bars("受理量 · 按渠道 (cases by channel)", by["channel"]),
            bars("升级 · 按原因 (escalations by reason)", reasons)]


def _table(t: Table) -> str:
    if not t.rows:
        return f"<h2>{escape(t.title)}</h2><p class=note>{escape(t.note or '')}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(v))}</td>" for v in row) + "</tr>"
                   for row in t.rows)
    return f"<h2>{escape(t.title)}</h2><table><tr>{head}</tr>{body}</table>"


def render(report: Report) -> str:
    title = "客服中心统计 (service-center statistics)"
    figures = "".join(f"<figure>{svg}</figure>" for svg in charts(report))
    return (f"<!doctype html><html lang=zh-Hans><head><meta charset=utf-8>"
            f"<title>{title}</title><style>{STYLE}</style></head><body>"
            f"<h1>{title}</h1><p>{escape(period(report))} · "
            f"<b id=accepted>{report.accepted}</b> 件受理 (cases accepted)</p>"
            f"<div class=charts>{figures}</div>"
            + "".join(_table(t) for t in report.tables()) + "</body></html>\n")
