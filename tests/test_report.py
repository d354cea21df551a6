"""hub report's tables from hand-made cases (every figure checked by hand),
the text and the HTML page they print, and the CLI's failure paths."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import orjson
from defusedxml import ElementTree

from hub.kafka.embedded import free_port
from hub.report import page, stats, text
from tests.helpers import ROOT, hub_env

SVG = "{http://www.w3.org/2000/svg}"


def _case(eid, channel, type_, tier, category, queue, opened, due, first=None,
          status="open", resolved=None, closed=None, **extra):
    return {"event_id": eid, "status": status, "ticket_id": None, "owner": None,
            "channel": channel, "customer": {"customer_id": None, "tier": tier,
                                             "matched_by": None},
            "type": type_, "category": category, "flags": [], "risk": {"level": 2},
            "route": {"topic": f"hub.routed.{tier}.{type_}", "queue": queue, "priority": "P3",
                      "first_response_due": due, "resolve_due": due, "rule": "r"},
            "opened_at": opened, "first_response_at": first, "resolved_at": resolved,
            "closed_at": closed, "escalations": [], "updated_at": opened, **extra}


# China time is UTC+8: B opens at 23:30 on 1 December, C at 00:30 on the 2nd.
A = _case("A", "wechat", "complaint", "vip", "service", "vip-complaints",
          "2026-12-01T01:00:00Z", "2026-12-01T03:00:00Z", first="2026-12-01T02:00:00Z",
          status="closed", resolved="2026-12-01T05:00:00Z", closed="2026-12-01T06:00:00Z")
B = _case("B", "hotline", "complaint", "ordinary", "sales", "complaints",
          "2026-12-01T15:30:00Z", "2026-12-01T17:30:00Z", first="2026-12-01T18:30:00Z",
          status="in_progress")
C = _case("C", "web", "repair", "ordinary", "product_quality", "repairs",
          "2026-12-01T16:30:00Z", "2026-12-01T18:30:00Z")
D = _case("D", "wechat", "inquiry", "fleet", "service", "inquiries",
          "2026-12-02T02:00:00Z", "2026-12-02T02:30:00Z", first="2026-12-02T02:10:00Z",
          status="resolved", resolved="2026-12-02T04:00:00Z")
E = _case("E", "sms", "complaint", "ordinary", "charging", "complaints",
          "2026-11-29T02:00:00Z", "2026-11-29T04:00:00Z")
CASES = [A, B, C, D, E]


def _esc(eid, reason, level):
    return {"escalation_id": f"{eid}:{reason}", "event_id": eid, "reason": reason,
            "level": level, "due": "2026-12-01T17:30:00Z", "at": "2026-12-01T17:30:01Z",
            "route": {}}


ESCALATIONS = [_esc("B", "first_response_overdue", 1), _esc("B", "first_response_overdue", 1),
               _esc("C", "first_response_overdue", 1), _esc("C", "risk_level", 3),
               _esc("E", "first_response_overdue", 1)]
BATCH = {"alert_id": "batch:charging:2026-12-01", "kind": "batch_complaint",
         "window": {"start": "2026-12-01T02:00:00Z", "end": "2026-12-02T02:00:00Z"},
         "dimension": {"category": "charging", "model": "ET5"}, "count": 6, "threshold": 5,
         "sample_event_ids": ["x1", "x2", "x3"], "at": "2026-12-01T02:20:00Z"}
SPIKE = {**BATCH, "alert_id": "spike:sms:2026-11-29", "kind": "volume_spike",
         "window": {"start": "2026-11-29T01:00:00Z", "end": "2026-11-29T02:00:00Z"},
         "dimension": {"channel": "sms"}, "count": 40, "threshold": 30}
DEC_1 = date(2026, 12, 1)


def _report(**kw):
    return stats.build(CASES, ESCALATIONS, [BATCH, BATCH, SPIKE], **kw)


def _rows(table):
    return {str(r[0]): r[1:] for r in table.rows}


def test_latest_keeps_the_last_value_and_a_tombstone_removes_the_case():
    records = [(b"A", orjson.dumps({"v": 1})), (b"B", orjson.dumps({"v": 1})),
               (b"A", orjson.dumps({"v": 2})), (b"B", None), (b"C", orjson.dumps({"v": 1})),
               (b"C", orjson.dumps({"deleted": True})), (None, orjson.dumps({"v": 9}))]
    assert stats.latest(records) == {"A": {"v": 2}}


def test_the_day_is_china_time_and_from_to_select_by_it():
    assert stats.china_day(B["opened_at"]) == date(2026, 12, 1)
    assert stats.china_day(C["opened_at"]) == date(2026, 12, 2)
    assert _report().accepted == 5
    assert _report(start=DEC_1).accepted == 4
    assert _report(start=DEC_1, end=DEC_1).accepted == 2           # A and B
    assert _report(end=date(2026, 11, 30)).accepted == 1           # E


def test_counts_by_channel_tier_and_dealer():
    report = _report(start=DEC_1, dealers={"A": "D0571A"})
    channel = _rows(report.counts["channel"])
    assert channel == {"微信 (wechat)": [2, 0.5], "热线 (hotline)": [1, 0.25],
                       "网站 (web)": [1, 0.25]}
    assert list(channel) == ["微信 (wechat)", "热线 (hotline)", "网站 (web)"]  # by size, name
    assert _rows(report.counts["tier"]) == {"普通 (ordinary)": [2, 0.5], "贵宾 (vip)": [1, 0.25],
                                            "车队 (fleet)": [1, 0.25]}
    assert _rows(report.counts["category"])["服务 (service)"] == [2, 0.5]
    assert _rows(report.counts["dealer"]) == {stats.NO_DEALER: [3, 0.75], "D0571A": [1, 0.25]}


def test_kpis_per_day_and_their_total():
    day = _rows(_report(start=DEC_1).kpis["day"])
    # accepted, in time, timeliness, handled, handling, avg first response, avg resolution
    assert day["2026-12-01"] == [2, 1, 0.5, 1, 0.5, (3600 + 10800) / 2, 4 * 3600]
    assert day["2026-12-02"] == [2, 1, 0.5, 1, 0.5, 600, 2 * 3600]
    assert day["合计 (total)"] == [4, 2, 0.5, 2, 0.5, (3600 + 10800 + 600) / 3,
                                 (4 * 3600 + 2 * 3600) / 2]
    assert list(day) == ["2026-12-01", "2026-12-02", "合计 (total)"]


def test_kpis_per_tier_type_channel_and_queue():
    report = _report(start=DEC_1)
    tier = _rows(report.kpis["tier"])
    assert tier["普通 (ordinary)"] == [2, 0, 0.0, 0, 0.0, 10800, None]  # B late, C unanswered
    assert tier["贵宾 (vip)"] == [1, 1, 1.0, 1, 1.0, 3600, 14400]
    assert _rows(report.kpis["type"])["投诉 (complaint)"][:5] == [2, 1, 0.5, 1, 0.5]
    assert _rows(report.kpis["channel"])["微信 (wechat)"][:5] == [2, 2, 1.0, 2, 1.0]
    assert _rows(report.kpis["queue"])["repairs"] == [1, 0, 0.0, 0, 0.0, None, None]


def test_a_reopened_case_is_not_handled_and_a_response_exactly_at_its_deadline_is_in_time():
    reopened = {**A, "status": "reopened", "resolved_at": None, "closed_at": None,
                "first_response_at": A["route"]["first_response_due"]}
    assert stats.in_time(reopened) and not stats.handled(reopened)
    assert stats.resolution_s(reopened) is None


def test_escalations_by_reason_and_level_each_id_once_and_only_for_the_selected_cases():
    table = _rows(_report(start=DEC_1).escalations)
    assert table == {"首次响应超时 (first_response_overdue)": [2, 0, 0, 2],
                     "高风险 (risk_level)": [0, 0, 1, 1], "合计 (total)": [2, 0, 1, 3]}
    assert _rows(_report().escalations)["合计 (total)"] == [3, 0, 1, 4]


def test_alerts_once_per_id_in_the_period():
    assert len(_report().alerts.rows) == 2
    (row,) = _report(start=DEC_1).alerts.rows
    assert row == ["批量投诉 (batch_complaint)", "category=charging, model=ET5",
                   "12-01 10:00 – 12-02 10:00", 6, 5, 3]


def test_callbacks_say_none_recorded_until_cases_carry_them():
    report = _report(start=DEC_1)
    assert report.callbacks.rows == []
    assert "no callbacks recorded" in text.render(report)
    called = [{**A, "callback": {"effective": True, "satisfied": True}},
              {**D, "callback": {"effective": False, "satisfied": False}}, B, C]
    rows = _rows(stats.build(called, [], []).callbacks)
    assert rows["回访 (callbacks)"] == [2]
    assert rows["有效回访率 (effective callback rate)"] == [0.5]
    # satisfied and closed / accepted: only A (D is resolved, not closed)
    assert rows["满意率 (satisfaction rate, closed satisfied / accepted)"] == [0.25]


def test_no_cases_prints_every_table_empty_with_its_note():
    out = text.render(stats.build([], [], []))
    assert "0 件受理" in out and "没有案件 (no cases)" in out
    assert "没有升级 (no escalations)" in out and "没有预警 (no alerts)" in out
    assert page.render(stats.build([], [], [])).count("<svg") == 4


def test_text_tables_format_rates_and_durations():
    out = text.render(_report(start=DEC_1))
    line = next(x for x in out.splitlines() if x.startswith("合计 (total)") and "83.3 min" in x)
    assert re.search(r"\b4\s+2\s+50\.0%\s+2\s+50\.0%\s+83\.3 min\s+3\.0 h", line), line
    assert "2026-12-01 – 至今 (now)" in out
    assert str(stats.Duration(59)) == "59.0 s" and str(stats.Duration(3 * 86400)) == "3.0 d"


def test_the_page_is_self_contained_with_four_svg_charts_of_the_figures():
    html = page.render(_report(start=DEC_1))
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    svgs = [ElementTree.fromstring(s) for s in re.findall(r"<svg.*?</svg>", html, re.S)]
    assert [s.find(f"{SVG}title").text for s in svgs] == [
        "及时率 · 按日 (timeliness rate per day)", "受理量 · 按问题类别 (cases by category)",
        "受理量 · 按渠道 (cases by channel)", "升级 · 按原因 (escalations by reason)"]

    def values(svg):
        return [float(r.get("data-value")) for r in svg.iter(f"{SVG}rect")]

    assert values(svgs[0]) == [0.5, 0.5]
    assert values(svgs[1]) == [2, 1, 1]
    assert values(svgs[2]) == [2, 1, 1]
    assert values(svgs[3]) == [2, 1]
    assert "<td>83.3 min</td>" in html


def test_the_cli_rejects_a_reversed_period_and_says_when_the_broker_is_down():
    env = hub_env(f"127.0.0.1:{free_port()}")
    reversed_ = subprocess.run([sys.executable, "-m", "hub", "report", "--from", "2026-12-02",
                                "--to", "2026-12-01"], env=env, cwd=ROOT, capture_output=True,
                               text=True, timeout=60, check=False)
    assert reversed_.returncode == 2 and "--from is after --to" in reversed_.stderr
    down = subprocess.run([sys.executable, "-m", "hub", "report"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert down.returncode == 1 and "cannot read the report's topics" in down.stderr


def test_the_cli_says_to_create_the_topics_on_a_broker_without_them(tmp_path):
    from hub.kafka.embedded import EmbeddedBroker

    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "broker.log").start()
    try:
        done = subprocess.run([sys.executable, "-m", "hub", "report"],
                              env=hub_env(broker.bootstrap), cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=False)
    finally:
        broker.stop()
    assert done.returncode == 1 and "run hub topics create" in done.stderr, done.stderr
