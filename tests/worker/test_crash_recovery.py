"""A worker SIGKILLed mid-stream and restarted loses no acknowledged event and
routes none twice; what it cannot process goes to hub.deadletter."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import orjson
import pytest

from hub.event import utcnow
from hub.kafka.bus import Bus
from hub.kafka.topics import DEADLETTER, INTAKE, ROUTED
from hub.normalizers import hotline
from hub.settings import load_settings
from tests.conftest import start_broker
from tests.helpers import Proc, ce_id, hub_env, read_topics, wait_for


def _events(n: int, tag: str) -> list:
    now = utcnow()
    return [hotline.normalize({"call_id": f"CALL-{tag}-{i}", "caller": f"1380000{i:04d}",
                               "transcript": "车在高速上抛锚了 需要拖车" if i % 3 == 0
                               else "想预约保养 请问周六营业吗", "ivr_path": ["2"]}, now)
            for i in range(n)]


def _publish(bootstrap: str, events: list, pause: float = 0.0) -> None:
    async def go() -> None:
        bus = Bus(load_settings(kafka_bootstrap=bootstrap))
        try:
            for e in events:
                await bus.publish(INTAKE, e.event_id, e.to_json(), [("ce_id", e.event_id.encode())])
                if pause:
                    await asyncio.sleep(pause)
        finally:
            await bus.close()
    asyncio.run(go())


@pytest.fixture
def private_broker(logs_dir):
    broker = start_broker(logs_dir)
    yield broker
    broker.stop()


def _routed_count(bootstrap: str) -> Counter:
    return Counter(ce_id(r) for r in read_topics(bootstrap, ROUTED))


@pytest.mark.parametrize("failpoint", [None, "after_publish:7", "after_state:7"])
def test_sigkill_mid_stream_loses_nothing_and_routes_nothing_twice(private_broker, logs_dir,
                                                                    failpoint):
    """Without a failpoint the kill lands wherever the stream is; with
    ``after_publish:N`` the worker dies right after its Nth output was
    acknowledged and before the batch's table was stored, with
    ``after_state:N`` after the table and before the input offset was
    committed: the two worst instants."""
    bootstrap = private_broker.bootstrap
    extra = {"HUB_FAILPOINT": failpoint} if failpoint else {}
    events = _events(240, failpoint.replace(":", "") if failpoint else "kill")
    env = hub_env(bootstrap, **extra)
    first = Proc("worker", env, logs_dir).start()
    first.wait_log("customers.loaded")
    failures: list[BaseException] = []

    def produce() -> None:
        try:
            _publish(bootstrap, events, 0.01)
        except BaseException as exc:  # surfaced below: a silent producer would fake a pass
            failures.append(exc)

    producer = threading.Thread(target=produce)
    producer.start()
    if failpoint:
        first.proc.wait(120)  # the failpoint ends it
        assert "failpoint.hit" in first.log()
    else:
        deadline = time.monotonic() + 90
        while sum(_routed_count(bootstrap).values()) < 40:
            assert time.monotonic() < deadline, first.log()[-2000:]
            time.sleep(0.2)
        first.kill()
    routed_before_restart = sum(_routed_count(bootstrap).values())
    assert routed_before_restart < len(events)  # the kill really was mid-stream
    producer.join()
    assert not failures, failures
    second = Proc("worker", hub_env(bootstrap), logs_dir).start()
    try:
        try:
            wait_for(bootstrap, ROUTED, [e.event_id for e in events], timeout=120)
        except AssertionError as exc:  # the restarted worker's story says why
            raise AssertionError(f"{exc}\n--- restarted worker:\n{second.stacks()}") from None
        time.sleep(3)  # anything routed twice would show up now
        counts = _routed_count(bootstrap)
        assert set(counts) == {e.event_id for e in events}
        twice = {k: v for k, v in counts.items() if v > 1}
        assert not twice, f"routed more than once: {twice}"
        if failpoint:
            assert '"stream.recovered"' in second.log()
    finally:
        second.stop()


def test_two_workers_share_the_partitions_and_one_is_sigkilled(private_broker, logs_dir):
    """The survivor takes the dead worker's partitions over, finishes what it
    left half-done and routes nothing twice."""
    bootstrap = private_broker.bootstrap
    events = _events(300, "pair")
    a = Proc("worker", hub_env(bootstrap), logs_dir).start()
    b = Proc("worker", hub_env(bootstrap), logs_dir).start()
    a.wait_log('"worker.routing"')
    b.wait_log('"worker.routing"')
    producer = threading.Thread(target=_publish, args=(bootstrap, events, 0.01))
    producer.start()
    try:
        deadline = time.monotonic() + 90
        while sum(_routed_count(bootstrap).values()) < 60:
            assert time.monotonic() < deadline, a.log()[-2000:]
            time.sleep(0.2)
        a.kill()
        producer.join()
        assert sum(_routed_count(bootstrap).values()) < len(events)  # killed mid-stream
        try:
            wait_for(bootstrap, ROUTED, [e.event_id for e in events], timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- survivor:\n{b.stacks()}") from None
        time.sleep(3)  # anything routed twice would show up now
        counts = _routed_count(bootstrap)
        assert set(counts) == {e.event_id for e in events}
        assert max(counts.values()) == 1, {k: v for k, v in counts.items() if v > 1}
    finally:
        producer.join()
        a.stop()
        b.stop()


def test_an_upstream_redelivery_is_routed_once_also_after_a_restart(private_broker, logs_dir):
    """The same event id in a second intake record (another gateway replica
    took the retry) is skipped, by the table the restarted worker reads back."""
    bootstrap = private_broker.bootstrap
    events = _events(5, "again")
    worker = Proc("worker", hub_env(bootstrap), logs_dir).start()
    try:
        _publish(bootstrap, events + events[:2])
        wait_for(bootstrap, ROUTED, [e.event_id for e in events], timeout=60)
        worker.stop()
        worker = Proc("worker", hub_env(bootstrap), logs_dir).start()
        worker.wait_log('"worker.routing"')
        _publish(bootstrap, events[2:])
        fresh = _events(1, "after")
        _publish(bootstrap, fresh)
        wait_for(bootstrap, ROUTED, [fresh[0].event_id], timeout=60)
        time.sleep(1)
        counts = _routed_count(bootstrap)
        assert max(counts.values()) == 1, counts
        assert '"stream.duplicate"' in worker.log()
    finally:
        worker.stop()


def test_unprocessable_messages_go_to_deadletter_with_the_reason(private_broker, logs_dir):
    bootstrap = private_broker.bootstrap
    worker = Proc("worker", hub_env(bootstrap), logs_dir).start()
    try:
        worker.wait_log("customers.loaded")
        good = _events(1, "dl")[0]

        async def go() -> None:
            bus = Bus(load_settings(kafka_bootstrap=bootstrap))
            try:
                await bus.publish(INTAKE, "bad-1", b"{not json", [("ce_id", b"bad-1")])
                await bus.publish(INTAKE, "bad-2", orjson.dumps({"event_id": "x"}),
                                  [("ce_id", b"bad-2")])
                await bus.publish(INTAKE, good.event_id, good.to_json(),
                                  [("ce_id", good.event_id.encode())])
            finally:
                await bus.close()
        asyncio.run(go())
        wait_for(bootstrap, ROUTED, [good.event_id], timeout=90)  # the stream went on
        records = []
        deadline = time.monotonic() + 30
        while len(records) < 2 and time.monotonic() < deadline:
            records = read_topics(bootstrap, [DEADLETTER])
            time.sleep(0.2)
        letters = {r.key: orjson.loads(r.value) for r in records}
        assert letters[b"bad-1"]["reason"] == "invalid_event"
        assert letters[b"bad-1"]["value"] == "{not json"
        assert letters[b"bad-2"]["reason"] == "invalid_event"
        assert "channel" in letters[b"bad-2"]["error"]
        assert all(dict(r.headers)["ce_type"] == b"hub.deadletter.v1" for r in records)
    finally:
        worker.stop()
