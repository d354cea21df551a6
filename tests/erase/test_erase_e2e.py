"""`hub erase` on the embedded broker with a real worker: the customer and the
cases are tombstoned, the watch lets go of them (a later ticket update does
not bring a case back), the router's directory and history forget them, the
request is recorded without the identifier, a second run is harmless; and
the failure paths exit with their own status."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from hub.event import utcnow
from hub.kafka.embedded import free_port
from hub.kafka.topics import CASES, DEADLETTER, ERASURES, TICKET_UPDATES
from hub.normalizers import hotline
from hub.report.stats import latest
from tests.conftest import start_broker
from tests.helpers import ROOT, Proc, delete_topics, hub_env, read_topics, routed_where
from tests.watch.test_watch_e2e import _intake, _policy, _publish, _wait

PHONE, OTHER = "13911112222", "13722223333"
CUSTOMERS = [
    {"customer_id": "C-ERASE", "tier": "vip", "name": "孙先生", "phones": [PHONE],
     "emails": ["Sun@Example.cn"], "wechat_openids": [], "vins": ["LNBSCU3HXMR512345"]},
    {"customer_id": "C-KEEP", "tier": "ordinary", "name": "李女士", "phones": [OTHER],
     "emails": [], "wechat_openids": [], "vins": []},
]


def hub(boot: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub", *args], env=hub_env(boot), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("erase")
    broker = start_broker(tmp)
    boot = broker.bootstrap
    path = tmp / "customers.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(c) for c in CUSTOMERS))
    assert hub(boot, "customers", "load", str(path)).returncode == 0
    # Unknown updates are dead-lettered after 2 s: an erased case's update must not be.
    env = hub_env(boot, HUB_POLICY_FILE=str(_policy(tmp)))
    worker = Proc("worker", env, tmp).start()
    worker.wait_log("worker.routing")
    yield boot, worker
    worker.stop()
    broker.stop()


def _call(tag: str, phone: str):
    return hotline.normalize({"call_id": f"CALL-{tag}-{time.time_ns()}", "caller": phone,
                              "transcript": "充电桩一直充不上电，我要投诉"}, utcnow())


def _cases(boot: str) -> dict[str, dict]:
    records = sorted(read_topics(boot, [CASES]), key=lambda r: (r.partition, r.offset))
    return latest((r.key, r.value) for r in records)


def _update(boot: str, event_id: str, status: str) -> None:
    body = {"event_id": event_id, "ticket_id": "TK-9", "status": status,
            "at": utcnow().isoformat(), "note": f"已联系 {PHONE}"}
    _publish(boot, [(TICKET_UPDATES, event_id, orjson.dumps(body))])


def test_erase_by_phone_end_to_end(running):
    boot, worker = running
    mine, theirs = [_call("a", PHONE), _call("b", PHONE)], _call("k", OTHER)
    _intake(boot, [*mine, theirs])
    _wait(lambda: {e.event_id for e in [*mine, theirs]} <= set(_cases(boot)))
    _update(boot, mine[0].event_id, "acknowledged")
    _wait(lambda: _cases(boot)[mine[0].event_id]["status"] == "acknowledged")

    done = hub(boot, "erase", "--phone", "139 1111 2222")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "1 customer record(s) on hub.customers: C-ERASE" in out
    assert "2 case(s) on hub.cases" in out and "5 tombstones" in out
    assert "NOT erased" in out and "hub.raw" in out and "kept 30 days" in out
    assert PHONE not in out and PHONE not in done.stderr
    erased = {e.event_id for e in mine}
    cases = _cases(boot)
    assert not erased & set(cases) and theirs.event_id in cases

    # The watch wrote its own tombstone after whatever it wrote for the case.
    def watch_tombstones() -> set[str]:
        return {r.key.decode() for r in read_topics(boot, [CASES]) if r.value is None
                and dict(r.headers)["ce_source"] == b"/hub/watch"}
    _wait(lambda: erased <= watch_tombstones())

    # A ticket update for an erased case neither brings it back nor waits to be
    # dead-lettered as an unknown event (the grace is 2 s).
    _update(boot, mine[0].event_id, "contacted")
    worker.wait_log("ticket_update.erased_case")
    time.sleep(3)
    assert not erased & set(_cases(boot))
    dead = [orjson.loads(r.value) for r in read_topics(boot, [DEADLETTER])]
    assert not [d for d in dead if d["reason"] == "unknown_event"]

    again = hub(boot, "erase", "--phone", "+8613911112222")
    assert again.returncode == 0, again.stderr
    assert "nothing left to erase: erased before on" in again.stdout

    # The directory forgot the customer: the same phone now is no one known.
    later = _call("c", PHONE)
    _intake(boot, [later])
    routed = routed_where(boot, lambda e: e.event_id == later.event_id)
    assert routed.customer.customer_id is None and routed.customer.tier == "ordinary"
    _wait(lambda: later.event_id in _cases(boot))
    # The e-mail was the erased record's only: nothing holds it any more.
    assert hub(boot, "erase", "--email", "SUN@example.cn").returncode == 1
    fourth = hub(boot, "erase", "--phone", PHONE)
    assert "1 case(s) on hub.cases" in fourth.stdout and "also erased before" in fourth.stdout

    # The router's history forgot the open case: no "repeat" for the next call.
    _wait(lambda: later.event_id in watch_tombstones())
    last = _call("d", PHONE)
    _intake(boot, [last])
    routed = routed_where(boot, lambda e: e.event_id == last.event_id)
    assert routed.history.contacts_30d == 0 and routed.history.open_case_ids == []
    assert "repeat" not in routed.flags

    audit = [r for r in read_topics(boot, [ERASURES])]
    bodies = [orjson.loads(r.value) for r in audit]
    assert all(PHONE not in r.value.decode() and "Sun@" not in r.value.decode() for r in audit)
    by_phone = [b for b in bodies if b["identifier"]["kind"] == "phone"]
    assert [b["outcome"] for b in sorted(by_phone, key=lambda b: b["at"])] == [
        "erased", "nothing_left", "erased"]
    assert by_phone[0]["identifier"]["masked"] == "***2222"
    assert len({b["identifier"]["digest"] for b in by_phone}) == 1
    assert by_phone[0]["tombstoned"] == {"customers": 1, "cases": 2, "tombstones": 5}
    assert "kept 30 days" in by_phone[0]["not_erased"]["hub.raw"]


def test_an_identifier_that_matches_nothing_exits_1_and_is_recorded(running):
    boot, _ = running
    done = hub(boot, "erase", "--openid", "oNobodyAtAll")
    assert done.returncode == 1
    assert "no customer record and no case matches it" in done.stdout
    bodies = [orjson.loads(r.value) for r in read_topics(boot, [ERASURES])]
    assert [b["outcome"] for b in bodies if b["identifier"]["masked"] == "oNob***"] == [
        "not_found"]


def test_an_unreachable_broker_exits_3_with_a_clear_error():
    done = hub(f"127.0.0.1:{free_port()}", "erase", "--phone", PHONE, timeout=90)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "Kafka" in done.stderr and "run it again" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--phone", PHONE, "--vin", "LNBSCU3HXMR512345"], "exactly one of"),
    ([], "exactly one of"),
    (["--vin", "LNBSCU3H0MR512345"], "fails the check digit"),
    (["--vin", "LNBSCU3H"], "not a VIN"),
    (["--phone", "12345"], "not a valid phone number"),
])
def test_bad_options_exit_2_before_any_broker_is_asked(args, message, tmp_path: Path):
    done = hub(f"127.0.0.1:{free_port()}", "erase", *args)
    assert done.returncode == 2 and message in done.stderr


def test_a_hub_whose_topics_predate_the_erasure_log_is_told_to_create_them(tmp_path):
    broker = start_broker(tmp_path)
    try:
        delete_topics(broker.bootstrap, [ERASURES])
        done = hub(broker.bootstrap, "erase", "--phone", PHONE)
        assert done.returncode == 3 and "hub topics create" in done.stderr
        assert hub(broker.bootstrap, "topics", "create").returncode == 0
        assert hub(broker.bootstrap, "erase", "--phone", PHONE).returncode == 1  # no one
    finally:
        broker.stop()
