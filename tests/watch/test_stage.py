"""The watch stage's steps on a real table, no broker: cases, clocks, escalations."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import orjson
import pytest

from hub.event import Contact, Event, Telematics
from hub.kafka.topics import CASES, DEADLETTER, ESCALATIONS, TICKET_UPDATES, WATCH_ROUTED
from hub.routers.identity import CustomerDirectory
from hub.routers.pipeline import Router
from hub.routers.policy import EscalationRules, load_policy
from hub.stream.state import PartitionState, StateFile
from hub.watch.stage import WatchStage

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in China
RULES = EscalationRules(working_days=False, early_update_grace_s=60)
_offsets = itertools.count()


class Watch:
    """The stage and its table, fed like the runner feeds it."""

    def __init__(self, tmp_path, rules: EscalationRules = RULES) -> None:
        self.stage = WatchStage(rules)
        self.state = PartitionState(StateFile(tmp_path, "watch"), 0)

    def feed(self, topic: str, value: bytes, key: bytes = b"k", at: datetime = T0) -> list:
        record = SimpleNamespace(topic=topic, partition=0, offset=next(_offsets), key=key,
                                 value=value, timestamp=int(at.timestamp() * 1000))
        out = self.stage.process(record, self.state)
        self.state.changelog_records()
        self.state.applied(next(_offsets))
        return out

    def open(self, text: str = "销售服务态度差，我要投诉", **kw) -> str:
        event = Event(event_id=f"e-{next(_offsets)}", channel="wechat", source="wechat",
                      channel_message_id="m", received_at=T0, text=text,
                      contact=Contact(wechat_openid="o1"), **kw)
        routed = Router(CustomerDirectory(), load_policy()).route(event)
        self.routed = routed
        self.feed(WATCH_ROUTED, routed.model_dump_json(by_alias=True).encode(),
                  routed.event_id.encode())
        return routed.event_id

    def update(self, event_id: str, status: str, at: datetime, **kw) -> list:
        body = {"event_id": event_id, "ticket_id": "TK-1", "status": status,
                "at": at.isoformat(), **kw}
        return self.feed(TICKET_UPDATES, orjson.dumps(body), event_id.encode(), at)

    def tick(self, at: datetime) -> list:
        return self.feed(self.stage.ticks, orjson.dumps({"at": at.timestamp()}), b"", at)

    def case(self, event_id: str) -> dict:
        return self.state.get("case", event_id)["case"]


def escalations(outputs: list) -> list[tuple[str, int]]:
    return [(b["reason"], b["level"]) for b in
            (orjson.loads(o.value) for o in outputs if o.topic == ESCALATIONS)]


def test_a_case_opens_with_its_clocks_and_the_next_deadline(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    case = w.case(eid)
    assert case["status"] == "open" and case["type"] == "complaint"
    assert case["route"]["queue"] == "complaints" and case["escalations"] == []
    assert w.stage.next_due(w.state) == w.routed.route.first_response_due.timestamp()


def test_first_response_overdue_fires_once_with_its_true_due_even_found_late(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    due = w.routed.route.first_response_due
    assert escalations(w.tick(due - timedelta(seconds=1))) == []
    late = w.tick(due + timedelta(hours=1))   # the worker was down for an hour
    assert escalations(late) == [("first_response_overdue", 1)]
    body = orjson.loads(next(o.value for o in late if o.topic == ESCALATIONS))
    assert body["escalation_id"] == f"{eid}:first_response_overdue"
    assert datetime.fromisoformat(body["due"]) == due
    assert datetime.fromisoformat(body["at"]) == due + timedelta(hours=1)
    assert escalations(w.tick(due + timedelta(hours=2))) == []
    assert w.case(eid)["escalations"] == ["first_response_overdue"]
    assert any(o.topic == CASES for o in late)


def test_contacted_stops_the_first_response_clock_and_closed_stops_the_rest(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    w.update(eid, "acknowledged", T0 + timedelta(minutes=5), agent_id="A1024")
    w.update(eid, "contacted", T0 + timedelta(minutes=30), agent_id="A2048")
    case = w.case(eid)
    assert case["owner"] == "A1024"      # 首问负责制: the first to handle it
    assert case["first_response_at"] is not None
    assert escalations(w.tick(T0 + timedelta(hours=3))) == []
    w.update(eid, "closed", T0 + timedelta(hours=4))
    assert escalations(w.tick(T0 + timedelta(days=30))) == []
    assert w.stage.next_due(w.state) is None


def test_resolution_and_the_unclosed_limits_escalate_in_order(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    w.update(eid, "contacted", T0 + timedelta(minutes=30))
    assert escalations(w.tick(T0 + timedelta(days=3, minutes=1))) == [
        ("resolution_overdue", 1)]
    w.update(eid, "resolved", T0 + timedelta(days=4))   # resolved is not closed (结案)
    assert escalations(w.tick(T0 + timedelta(days=5, minutes=1))) == [("unclosed_5d", 2)]
    assert escalations(w.tick(T0 + timedelta(days=10, minutes=1))) == [("unclosed_10d", 3)]


def test_reopened_restarts_the_resolution_clock(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    w.update(eid, "contacted", T0 + timedelta(minutes=30))
    w.update(eid, "resolved", T0 + timedelta(days=1))
    w.update(eid, "closed", T0 + timedelta(days=1, hours=1))
    reopened = T0 + timedelta(days=2)
    w.update(eid, "reopened", reopened, note="客户回访不满意：异响仍在")
    assert w.case(eid)["status"] == "reopened" and w.case(eid)["resolved_at"] is None
    allowed = w.routed.route.resolve_due - T0
    assert escalations(w.tick(reopened + allowed - timedelta(minutes=1))) == []
    # Reopened on day 2 with 3 days to resolve: due on day 5, with the 5-day limit
    # (a reopened case is unclosed again).
    assert escalations(w.tick(reopened + allowed + timedelta(minutes=1))) == [
        ("resolution_overdue", 1), ("unclosed_5d", 2)]


def test_a_stale_update_changes_nothing(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    w.update(eid, "closed", T0 + timedelta(hours=2))
    assert w.update(eid, "in_progress", T0 + timedelta(hours=1)) == []
    assert w.case(eid)["status"] == "closed"


def test_risk_5_escalates_at_once_at_level_3(tmp_path):
    w = Watch(tmp_path)
    event = Event(event_id="e-airbag", channel="telematics", source="tsp",
                  channel_message_id="m", received_at=T0, text="",
                  telematics=Telematics(trigger="airbag_deployed"))
    routed = Router(CustomerDirectory(), load_policy()).route(event)
    assert routed.risk.level == 5
    out = w.feed(WATCH_ROUTED, routed.model_dump_json(by_alias=True).encode(), b"e-airbag")
    assert escalations(out) == [("risk_level", 3)]
    assert w.case("e-airbag")["escalations"] == ["risk_level"]


def test_risk_4_escalates_at_once_at_level_2(tmp_path):
    w = Watch(tmp_path)
    eid = w.open("刹车失灵差点出事故，我已经找了律师准备起诉你们")
    assert w.routed.risk.level == 4
    assert w.case(eid)["escalations"] == ["risk_level"]


def test_an_update_before_its_case_waits_for_it(tmp_path):
    w = Watch(tmp_path)
    w.update("e-later", "acknowledged", T0 + timedelta(seconds=1), agent_id="A7")
    event = Event(event_id="e-later", channel="web", source="web", channel_message_id="m",
                  received_at=T0, text="请问保养多少钱")
    routed = Router(CustomerDirectory(), load_policy()).route(event)
    out = w.feed(WATCH_ROUTED, routed.model_dump_json(by_alias=True).encode(), b"e-later")
    assert [orjson.loads(o.value)["status"] for o in out if o.topic == CASES] == [
        "open", "acknowledged"]
    assert w.case("e-later")["owner"] == "A7"
    assert w.state.get("early", "e-later") is None
    assert not [o for o in w.tick(T0 + timedelta(minutes=5)) if o.topic == DEADLETTER]


def test_an_update_for_an_unknown_event_is_dead_lettered_after_the_grace(tmp_path):
    w = Watch(tmp_path)
    assert w.update("e-nobody", "contacted", T0) == []
    assert w.tick(T0 + timedelta(seconds=30)) == []
    out = w.tick(T0 + timedelta(seconds=61))
    assert [o.topic for o in out] == [DEADLETTER]
    body = orjson.loads(out[0].value)
    assert body["reason"] == "unknown_event" and "e-nobody" in body["error"]
    assert orjson.loads(body["value"])["status"] == "contacted"


@pytest.mark.parametrize("body", [b"{oops", orjson.dumps({"event_id": "e", "status": "done"}),
                                  orjson.dumps({"event_id": "e", "ticket_id": "T",
                                                "status": "closed"})])
def test_an_invalid_update_is_dead_lettered_with_the_reason(tmp_path, body):
    out = Watch(tmp_path).feed(TICKET_UPDATES, body)
    assert [o.topic for o in out] == [DEADLETTER]
    assert orjson.loads(out[0].value)["reason"] == "invalid_payload"


def test_working_days_move_the_resolution_limit_over_a_holiday(tmp_path):
    w = Watch(tmp_path, EscalationRules(working_days=True))
    national_day_eve = datetime(2026, 9, 30, 2, tzinfo=UTC)  # 10:00 in China
    event = Event(event_id="e-holiday", channel="web", source="web", channel_message_id="m",
                  received_at=national_day_eve, text="销售服务态度差，我要投诉")
    routed = Router(CustomerDirectory(), load_policy()).route(event)
    w.feed(WATCH_ROUTED, routed.model_dump_json(by_alias=True).encode(), b"e-holiday")
    clocks = w.state.get("case", "e-holiday")["clocks"]
    # 72 h of working time: 30 Sep, 8-9 Oct, and the adjusted working Saturday 10 Oct.
    assert datetime.fromisoformat(clocks["resolution_overdue"]) == datetime(
        2026, 10, 10, 2, tzinfo=UTC)
    # First response stays wall-clock.
    assert datetime.fromisoformat(clocks["first_response_overdue"]) == \
        routed.route.first_response_due


# ---- erasure (hub erase): a tombstone on hub-watch-routed -------------------

def _tombstone(w: Watch, event_id: str, at: datetime = T0) -> list:
    return w.feed(WATCH_ROUTED, None, event_id.encode(), at)


def test_a_tombstone_deletes_the_case_and_its_clocks_and_writes_a_case_tombstone(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    assert w.stage.next_due(w.state) is not None
    out = _tombstone(w, eid, T0 + timedelta(minutes=1))
    assert [(o.topic, o.key, o.value) for o in out] == [(CASES, eid.encode(), None)]
    assert dict(out[0].headers)["ce_type"] == b"hub.erased.v1"
    assert w.state.get("case", eid) is None
    assert w.stage.next_due(w.state) is None     # no clock left to escalate
    assert w.tick(T0 + timedelta(days=30)) == []
    marker = w.state.get("erased", eid)
    assert marker == {"at": (T0 + timedelta(minutes=1)).timestamp()}  # nothing personal


def test_an_update_after_the_erasure_is_dropped_not_resurrected_nor_parked(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    _tombstone(w, eid)
    assert w.update(eid, "contacted", T0 + timedelta(minutes=5), note="已电话联系赵先生") == []
    assert w.state.get("case", eid) is None and w.state.get("early", eid) is None
    assert w.tick(T0 + timedelta(minutes=10)) == []  # no unknown_event dead letter either


def test_the_routed_event_again_after_the_erasure_opens_nothing(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    _tombstone(w, eid)
    assert w.feed(WATCH_ROUTED, w.routed.model_dump_json(by_alias=True).encode(),
                  eid.encode()) == []
    assert w.state.get("case", eid) is None


def test_a_tombstone_drops_parked_updates_and_their_deadline(tmp_path):
    w = Watch(tmp_path)
    w.update("e-parked", "acknowledged", T0, note="客户手机13900009999")
    assert w.state.get("early", "e-parked") is not None
    _tombstone(w, "e-parked")
    assert w.state.get("early", "e-parked") is None
    assert w.stage.next_due(w.state) is None
    assert w.tick(T0 + timedelta(minutes=5)) == []


def test_a_tombstone_is_not_taken_for_a_redelivery_and_is_idempotent(tmp_path):
    w = Watch(tmp_path)
    eid = w.open()
    tomb = SimpleNamespace(topic=WATCH_ROUTED, key=eid.encode(), value=None)
    routed = SimpleNamespace(topic=WATCH_ROUTED, key=eid.encode(), value=b"{}")
    assert w.stage.dedupe_key(tomb) is None and w.stage.dedupe_key(routed) == eid
    _tombstone(w, eid)
    again = _tombstone(w, eid)
    assert [(o.topic, o.value) for o in again] == [(CASES, None)]
    assert _tombstone(w, "e-never-seen")[0].value is None  # a case the watch never had
