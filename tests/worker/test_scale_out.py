"""Scale-out: two or three `hub worker` processes share hub.intake's partitions;
one is SIGKILLed mid-stream and another joins mid-stream. Nothing acknowledged
is lost, nothing is routed twice (counted by event id across every
hub.routed.* topic), and what each rebalance cost is measured and printed
(the targets belong in bench/chaos.py, not in asserts)."""

from __future__ import annotations

import contextlib
import itertools
import signal
import threading
import time

import pytest

from hub.kafka.topics import ROUTED
from tests.helpers import Proc, hub_env, routed_counts, routing_pauses, wait_for
from tests.worker.test_crash_recovery import _events, _publish, private_broker  # noqa: F401


def _worker(bootstrap: str, logs_dir, name: str) -> Proc:
    # A state folder each, as on separate machines: a partition handed over
    # finds no table on disk and is rebuilt from its changelog.
    return Proc("worker", hub_env(bootstrap, HUB_STATE_DIR=str(logs_dir / name)), logs_dir)


def _wait_routed(bootstrap: str, at_least: int, procs: list[Proc], timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while (done := sum(routed_counts(bootstrap).values())) < at_least:
        assert time.monotonic() < deadline, "\n---\n".join(p.log()[-1500:] for p in procs)
        time.sleep(0.2)
    return done


class Stream(threading.Thread):
    """Publishes to hub.intake (~25 a second) until told to stop, so that every
    fault lands inside the stream however long the group takes."""

    def __init__(self, bootstrap: str, tag: str) -> None:
        super().__init__()
        self.bootstrap, self.tag = bootstrap, tag
        self.published: list[str] = []
        self.failures: list[BaseException] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            for n in itertools.count():
                if self.stopping.is_set():
                    return
                chunk = _events(25, f"{self.tag}{n}")
                _publish(self.bootstrap, chunk, 0.03)
                self.published += [e.event_id for e in chunk]
        except BaseException as exc:  # surfaced by the test: a silent producer would fake a pass
            self.failures.append(exc)

    def finish(self) -> list[str]:
        self.stopping.set()
        self.join()
        assert not self.failures, self.failures
        return self.published


@pytest.mark.parametrize("workers", [2, 3])
def test_a_worker_killed_and_one_added_mid_stream_lose_nothing_and_route_nothing_twice(
        private_broker, logs_dir, workers):  # noqa: F811
    bootstrap = private_broker.bootstrap
    group = [_worker(bootstrap, logs_dir, f"w{workers}-{n}").start() for n in range(workers)]
    for proc in group:
        proc.wait_log('"worker.routing"', timeout=120)
    stream = Stream(bootstrap, f"scale{workers}-")
    stream.start()
    joined = None
    try:
        _wait_routed(bootstrap, 60, group)
        killed_at = time.time()
        group[0].kill()
        # Events published after the kill land on the dead worker's partitions
        # too: once they are routed, the survivors have taken those over.
        after_kill = len(stream.published) + 50
        while len(stream.published) < after_kill:
            assert stream.is_alive(), stream.failures
            time.sleep(0.1)
        wait_for(bootstrap, ROUTED, stream.published[:after_kill], timeout=120)
        joined = _worker(bootstrap, logs_dir, f"w{workers}-new").start()
        joined_at = time.time()
        joined.wait_log('"route.selected"', timeout=180)  # given partitions mid-stream
        time.sleep(2)
        events = stream.finish()
        try:
            wait_for(bootstrap, ROUTED, events, timeout=180)
        except AssertionError as exc:  # the live workers' stacks say why
            raise AssertionError(f"{exc}\n" + "\n--- worker:\n".join(
                p.stacks() for p in [*group[1:], joined])) from None
        time.sleep(3)  # anything routed twice would show up now
        counts = routed_counts(bootstrap)
        assert set(counts) == set(events)
        twice = {k: v for k, v in counts.items() if v > 1}
        assert not twice, f"routed more than once: {twice}"
        kill_gap, kill_wait = routing_pauses(bootstrap, killed_at, joined_at)
        join_gap, join_wait = routing_pauses(bootstrap, joined_at)
        print(f"{workers} workers, {len(events)} events: SIGKILL of one: routing stood still "
              f"{kill_gap:.1f} s, an event waited up to {kill_wait:.1f} s; one more joining "
              f"(started {joined_at - killed_at:.0f} s after): routing stood still "
              f"{join_gap:.1f} s, an event waited up to {join_wait:.1f} s")
    finally:
        stream.stopping.set()
        stream.join()
        for proc in [*group, *([joined] if joined else [])]:
            proc.stop()


@pytest.mark.xfail(strict=False, reason="known, open: a member dropped while frozen and woken "
                   "still writes the batch it holds after its successor took the partition "
                   "(no Kafka transactions on Tansu to fence it); CI saw 3 of ~600 routed "
                   "twice. README 'Zombie members'.")
def test_a_worker_frozen_past_its_session_routes_nothing_its_successor_routes(
        private_broker, logs_dir):  # noqa: F811
    """SIGSTOP for longer than the session: the group hands its partitions to
    the other worker. Woken, it believes for a moment that it still owns them
    and writes the batch it held; when that lands after the successor's take
    scanned for a crashed batch's outputs, those events are routed twice."""
    bootstrap = private_broker.bootstrap
    group = [_worker(bootstrap, logs_dir, f"frozen-{n}").start() for n in range(2)]
    for proc in group:
        proc.wait_log('"worker.routing"', timeout=120)
    stream = Stream(bootstrap, "frozen-")
    stream.start()
    try:
        _wait_routed(bootstrap, 60, group)
        group[0].proc.send_signal(signal.SIGSTOP)
        time.sleep(15)  # 6 s session: dropped, its partitions taken over
        group[0].proc.send_signal(signal.SIGCONT)
        time.sleep(10)
        events = stream.finish()
        wait_for(bootstrap, ROUTED, events, timeout=180)
        time.sleep(3)
        counts = routed_counts(bootstrap)
        assert set(counts) == set(events)
        twice = {k: v for k, v in counts.items() if v > 1}
        assert not twice, f"routed more than once: {twice}"
    finally:
        stream.stopping.set()
        stream.join()
        for proc in group:
            with contextlib.suppress(ProcessLookupError):
                proc.proc.send_signal(signal.SIGCONT)
            proc.stop()
