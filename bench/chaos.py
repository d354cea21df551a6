"""Faults against `hub up` and against the separate parts: each under a stream
of signed hotline posts (default 1,000 at ~60/s) from a client that sends a
refused post again with the same body, as an upstream would. One row per fault:

- acknowledged: posts answered 202;
- routed / missing: acknowledged event ids found / not found on hub.routed.*;
- dups: extra copies of an event id across every hub.routed.* topic;
- routing pause: the longest gap between consecutive routed records after the
  fault (the group standing still: a rebalance, a restart);
- event wait: the longest an event routed after the fault had waited since its
  hub.intake record (a partition whose owner died waits for its session);
- intake pause: the longest a post took from its first try to its 202.

    .venv/bin/python bench/chaos.py [--quick] [--faults up-worker,freeze] [--posts N]

Under `hub up` the broker is its durable default (s3 storage on localbucket in
the state folder); the parts run on such a broker started on its own, with a
process manager's habits: a killed part is started again at once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events import hotline_posts  # noqa: E402
from hub.kafka.embedded import EmbeddedBroker, free_port  # noqa: E402
from hub.kafka.topics import create_topics  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from tests.helpers import (  # noqa: E402
    Proc,
    hub_env,
    routed_counts,
    routing_pauses,
    signed_post,
    start_gateway,
)
from tests.test_up import Up, _alive, _children, _cmdline  # noqa: E402

RETRY_S, GIVE_UP_S = 0.25, 120.0
DRAIN_IDLE_S, DRAIN_MAX_S = 60.0, 600.0
# A read of every routed topic from the start: under a CPU-bound disk store
# the tests' 10 s cut a read short and counted routed events as missing.
READ_S = 180.0


@dataclass
class Post:
    first_try: float
    acked: float | None = None
    event_id: str | None = None
    tries: int = 0


class Clients(threading.Thread):
    """Sends the posts at ``rate`` a second, one after another; a refused or
    failed one is sent again (same body, same message id) until it is
    acknowledged or ``GIVE_UP_S`` passed; after three such, it stops. The
    fault runs in the main thread (children die with the thread that forked
    them: hub/procs.py)."""

    def __init__(self, url: str, count: int, rate: float, run: str) -> None:
        super().__init__(daemon=True)
        self.url, self.count, self.rate, self.run_id = url, count, rate, run
        self.posts: list[Post] = []

    def run(self) -> None:
        started, gave_up = time.monotonic(), 0
        for n, (call_id, body) in enumerate(hotline_posts(self.count, self.run_id)):
            if gave_up >= 3:  # the hub is not coming back: the row says so
                return
            time.sleep(max(0.0, started + n / self.rate - time.monotonic()))
            post = Post(time.monotonic())
            self.posts.append(post)
            while time.monotonic() - post.first_try < GIVE_UP_S:
                post.tries += 1
                answer = None
                with contextlib.suppress(httpx.TransportError):  # down: what we retry
                    answer = signed_post(self.url, "hotline", None, body=body,
                                         msg_id=f"msg_{call_id}")
                if answer is not None and answer.status_code == 202:
                    post.acked, post.event_id = time.monotonic(), answer.json()["event_id"]
                    break
                time.sleep(RETRY_S)
            gave_up += post.acked is None

    def wait_sent(self, fraction: float) -> None:
        while len(self.posts) < self.count * fraction and self.is_alive():
            time.sleep(0.05)

    def acked(self) -> list[str]:
        return [p.event_id for p in self.posts if p.event_id]

    def intake_pause(self) -> float:
        return max(((p.acked or time.monotonic()) - p.first_try for p in self.posts), default=0)


@dataclass
class Run:
    """One fault's run: where to post and read, the instants the faults hit
    (one row each), what to say, and what to stop at the end."""

    tmp: Path
    posts: int
    rate: float
    url: str = ""
    bootstrap: str = ""
    marks: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    clients: Clients | None = None

    def send(self) -> Clients:
        self.clients = Clients(self.url, self.posts, self.rate, self.tmp.name[-6:])
        self.clients.start()
        return self.clients

    def mark(self, label: str) -> None:
        self.marks.append((label, time.time()))


# ---- the systems under test ---------------------------------------------------


def _up(run: Run, **kw) -> Up:
    up = Up(run.tmp, **kw)
    run.url, run.bootstrap = up.url, f"127.0.0.1:{up.kafka}"
    run.cleanups.append(lambda: _stop_up(up))
    return up


def _stop_up(up: Up) -> None:
    if up.proc.poll() is None:
        up.proc.send_signal(signal.SIGINT)
        try:
            up.proc.wait(30)
        except Exception:  # noqa: BLE001 - then the hard way
            up.stop()


def _wait_log(up: Up, needle: str, timeout: float = 180) -> float:
    started = time.monotonic()
    while needle not in up.log():
        if time.monotonic() - started > timeout or up.proc.poll() is not None:
            raise SystemExit(f"hub up: no '{needle}':\n{up.log()[-3000:]}")
        time.sleep(0.2)
    return time.monotonic() - started


def _broker(run: Run) -> EmbeddedBroker:
    """The durable embedded broker on its own, as `hub up` would start it."""
    broker = EmbeddedBroker(free_port(), log_path=run.tmp / "broker.log",
                            data_dir=run.tmp / "broker").start()
    run.cleanups.append(broker.stop)
    asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
    run.bootstrap = broker.bootstrap
    return broker


def _env(run: Run, session_s: float | None = 6.0, **extra: str) -> dict[str, str]:
    # The fetch wait `hub up` gives its parts on a disk broker (hub/supervisor.py).
    env = hub_env(run.bootstrap, HUB_FETCH_WAIT_MS="200", **extra)
    if session_s is None:
        env.pop("HUB_KAFKA_SESSION_TIMEOUT_S")  # the parts' own default
    else:
        env["HUB_KAFKA_SESSION_TIMEOUT_S"] = f"{session_s:g}"
    return env


def _gateway(run: Run, port: int | None = None) -> Proc:
    proc, run.url = start_gateway(run.bootstrap, run.tmp, port=port, HUB_FETCH_WAIT_MS="200")
    run.cleanups.append(proc.stop)
    return proc


def _worker(run: Run, name: str, session_s: float | None = 6.0) -> Proc:
    proc = Proc("worker", _env(run, session_s, HUB_STATE_DIR=str(run.tmp / name)), run.tmp)
    run.cleanups.append(proc.stop)
    return proc.start()


# ---- the faults ---------------------------------------------------------------


def up_worker(run: Run) -> None:
    up = _up(run)
    _wait_log(up, "routing: a worker joined")
    clients = run.send()
    clients.wait_sent(1 / 3)
    run.mark("up: worker kill -9")
    os.kill(up.part("worker"), signal.SIGKILL)
    _wait_log(up, "restarting worker", 60)
    run.notes.append(f"session {_session(up)}")


def _session(up: Up) -> str:
    """The session the supervisor's worker was given, from its environment."""
    env = Path(f"/proc/{up.part('worker')}/environ").read_bytes().split(b"\0")
    given = [e.split(b"=", 1)[1].decode() for e in env
             if e.startswith(b"HUB_KAFKA_SESSION_TIMEOUT_S=")]
    bootstrap = any(e.startswith(b"HUB_KAFKA_BOOTSTRAP=") for e in env)
    return f"{given[0]} s" if given else ("30 s (default)" if bootstrap else "6 s (default)")


def up_broker(run: Run) -> None:
    up = _up(run)
    _wait_log(up, "routing: a worker joined")
    clients = run.send()
    clients.wait_sent(1 / 3)
    tansu = [p for p in _children(up.proc.pid) if "tansu" in _cmdline(p)]
    run.mark("up: broker kill -9")
    os.kill(tansu[0], signal.SIGKILL)
    try:
        code = up.proc.wait(30)
    except Exception:  # noqa: BLE001 - it survived: nothing to run again
        run.notes.append("hub up survived")
        return
    run.notes.append(f"hub up exited {code}; run again")
    _up(run, http=up.http, kafka=up.kafka)


def up_self(run: Run) -> None:
    up = _up(run)
    _wait_log(up, "routing: a worker joined")
    clients = run.send()
    clients.wait_sent(1 / 3)
    children = _children(up.proc.pid)
    run.mark("up: hub up kill -9, up again")
    up.proc.kill()
    up.proc.wait()
    deadline = time.monotonic() + 20
    while _alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = [_cmdline(p) for p in _alive(children)]
    run.notes.append(f"{len(orphans)} orphans" + (f": {orphans}" if orphans else ""))
    _up(run, http=up.http, kafka=up.kafka)


def _parts_worker_kill(run: Run, session_s: float | None, label: str) -> None:
    _broker(run)
    _gateway(run)
    worker = _worker(run, "worker", session_s)
    worker.wait_log('"worker.routing"', 120)
    clients = run.send()
    clients.wait_sent(1 / 3)
    run.mark(label)
    worker.kill()
    _worker(run, "worker", session_s)  # the same machine: its table is there


def parts_worker_30s(run: Run) -> None:
    _parts_worker_kill(run, None, "parts: worker kill -9, 30 s session")


def parts_worker_6s(run: Run) -> None:
    _parts_worker_kill(run, 6.0, "parts: worker kill -9, 6 s session")


def parts_gateway(run: Run) -> None:
    _broker(run)
    gateway = _gateway(run)
    port = int(run.url.rsplit(":", 1)[1])
    _worker(run, "worker").wait_log('"worker.routing"', 120)
    clients = run.send()
    clients.wait_sent(1 / 3)
    run.mark("parts: gateway kill -9, restart")
    gateway.kill()
    _gateway(run, port)


def parts_freeze(run: Run) -> None:
    broker = _broker(run)
    _gateway(run)
    _worker(run, "worker").wait_log('"worker.routing"', 120)
    clients = run.send()
    clients.wait_sent(1 / 3)
    run.mark("parts: broker SIGSTOP 10 s")
    os.kill(broker.proc.pid, signal.SIGSTOP)
    time.sleep(10)
    os.kill(broker.proc.pid, signal.SIGCONT)


def parts_scale(run: Run) -> None:
    _broker(run)
    _gateway(run)
    first = [_worker(run, f"worker-{n}") for n in range(2)]
    for proc in first:
        proc.wait_log('"worker.routing"', 120)
    clients = run.send()
    clients.wait_sent(1 / 4)
    run.mark("parts: 2 -> 3 workers (join)")
    _worker(run, "worker-2").wait_log('"worker.routing"', 120)
    clients.wait_sent(2 / 3)
    run.mark("parts: kill -9 of 1 of 3")
    first[0].kill()


FAULTS: dict[str, Callable[[Run], None]] = {
    "up-worker": up_worker, "up-broker": up_broker, "up-self": up_self,
    "worker-30s": parts_worker_30s, "worker-6s": parts_worker_6s,
    "gateway": parts_gateway, "freeze": parts_freeze, "scale": parts_scale,
}
QUICK = ("up-worker", "up-broker", "worker-6s", "freeze")


# ---- measuring ----------------------------------------------------------------


def drain(run: Run) -> dict[str, int]:
    """Wait until every acknowledged id is routed, or routing made no progress
    for DRAIN_IDLE_S; then a few seconds more for any copy still on its way."""
    assert run.clients is not None
    run.clients.join()
    wanted = set(run.clients.acked())
    started = last_change = time.monotonic()
    done = -1
    while True:
        counts = routed_counts(run.bootstrap, READ_S)
        have = len(wanted & set(counts))
        if have == len(wanted):
            break
        if have != done:
            done, last_change = have, time.monotonic()
        if time.monotonic() - last_change > DRAIN_IDLE_S or \
                time.monotonic() - started > DRAIN_MAX_S:
            break
        time.sleep(1)
    time.sleep(3)
    return routed_counts(run.bootstrap, READ_S)


HEAD = (f"{'fault':<38} {'acked':>6} {'routed':>6} {'missing':>7} {'dups':>5} "
        f"{'routing pause s':>15} {'event wait s':>12} {'intake pause s':>14}  note")


def rows(run: Run, counts: dict[str, int]) -> list[str]:
    assert run.clients is not None
    acked = set(run.clients.acked())
    routed = len(acked & set(counts))
    dups = sum(c - 1 for k, c in counts.items() if k in acked and c > 1)
    out = []
    for n, (label, at) in enumerate(run.marks):
        until = run.marks[n + 1][1] if n + 1 < len(run.marks) else None
        gap, waited = routing_pauses(run.bootstrap, at, until, READ_S)
        out.append(f"{label:<38} {len(acked):>6} {routed:>6} {len(acked) - routed:>7} "
                   f"{dups:>5} {gap:>15.1f} {waited:>12.1f} "
                   f"{run.clients.intake_pause():>14.1f}  {'; '.join(run.notes)}")
    return out


def run_fault(name: str, posts: int, rate: float) -> list[str]:
    run = Run(Path(tempfile.mkdtemp(prefix=f"hub-chaos-{name}-")), posts, rate)
    try:
        FAULTS[name](run)
        counts = drain(run)
        lines = rows(run, counts)
        missing = set(run.clients.acked()) - set(counts) if run.clients else set()
        if missing:
            lines.append(f"  missing (first 5): {sorted(missing)[:5]}; logs in {run.tmp}")
        return lines
    finally:
        for cleanup in reversed(run.cleanups):
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"300 posts and the faults {','.join(QUICK)}")
    parser.add_argument("--faults", help=f"comma-separated, of: {','.join(FAULTS)}")
    parser.add_argument("--posts", type=int)
    parser.add_argument("--rate", type=float, default=60.0, help="posts a second")
    args = parser.parse_args()
    names = args.faults.split(",") if args.faults else list(QUICK if args.quick else FAULTS)
    unknown = set(names) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {','.join(FAULTS)}")
    posts = args.posts or (300 if args.quick else 1000)
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    print(f"{posts} signed posts at {args.rate:g}/s per fault\n")
    print(HEAD, flush=True)
    for name in names:
        for line in run_fault(name, posts, args.rate):
            print(line, flush=True)


if __name__ == "__main__":
    main()
