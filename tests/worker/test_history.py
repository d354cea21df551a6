"""The history the router reads: cases indexed by customer (or contact) and vehicle."""

from datetime import UTC, datetime, timedelta

import orjson

from hub.worker.history import CaseHistory

NOW = datetime(2026, 12, 2, 2, tzinfo=UTC)


def case(eid: str, days_ago: float, category: str, status: str, keys: list[str]) -> bytes:
    opened = (NOW - timedelta(days=days_ago)).isoformat()
    return orjson.dumps({"event_id": eid, "opened_at": opened, "category": category,
                         "status": status, "history_keys": keys})


def board() -> CaseHistory:
    h = CaseHistory("unused:9092", repeat_window_days=30)
    h.apply(b"old", case("old", 40, "charging", "closed", ["c:C1"]))
    h.apply(b"a", case("a", 20, "charging", "closed", ["c:C1", "v:VIN1"]))
    h.apply(b"b", case("b", 2, "service", "in_progress", ["c:C1"]))
    h.apply(b"c", case("c", 1, "charging", "resolved", ["v:VIN1"]))
    return h


def test_history_counts_30_days_newest_first_with_open_cases_and_the_same_fault():
    h = board().history(["c:C1", "v:VIN1"], "charging", NOW)
    assert h.contacts_30d == 3
    assert h.previous_event_ids == ["c", "b", "a"]
    assert h.open_case_ids == ["b"]
    assert h.same_fault_contacts == 2


def test_an_update_replaces_the_case_and_a_tombstone_erases_it():
    h = board()
    h.apply(b"b", case("b", 2, "service", "closed", ["c:C1"]))
    assert h.history(["c:C1"], "service", NOW).open_case_ids == []
    h.apply(b"a", None)
    assert h.history(["c:C1", "v:VIN1"], "charging", NOW).previous_event_ids == ["c", "b"]


def test_other_is_no_fault_and_garbage_is_skipped():
    h = board()
    h.apply(b"x", b"{not json")
    h.apply(b"y", orjson.dumps({"event_id": "y"}))
    assert h.history(["c:C1"], "other", NOW).same_fault_contacts == 0
    assert h.history(["c:nobody"], "charging", NOW).contacts_30d == 0
