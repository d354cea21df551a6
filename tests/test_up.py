"""`hub up`: brings everything up on the embedded broker, prints where it
listens, keeps every part running, and stops all of it (broker included) on
Ctrl-C, or with itself when it is SIGKILLed."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson

from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.topics import INTAKE, ROUTED
from tests.conftest import start_broker
from tests.helpers import FIXTURES, ROOT, ce_id, read_topics, signed_post

PAYLOAD = orjson.loads((FIXTURES / "hotline" / "repair_booking.json").read_bytes())


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    pairs = [tuple(map(int, line.split())) for line in out.splitlines() if line.strip()]
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in pairs if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> list[int]:
    alive = []
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        if "zombie" not in status.lower():
            alive.append(p)
    return alive


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Up:
    """A `hub up` process on ports of its own, its stderr in a file."""

    def __init__(self, tmp: Path, *args: str, http: int | None = None,
                 kafka: int | None = None, **extra: str) -> None:
        self.http, self.kafka = http or free_port(), kafka or free_port()
        self.url = f"http://127.0.0.1:{self.http}"
        self.err = tmp / f"up-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(HUB_HTTP_PORT=str(self.http), HUB_EMBEDDED_BROKER_PORT=str(self.kafka),
                   HUB_SMTP_PORT=str(free_port()), HUB_STATE_DIR=str(tmp / "state"),
                   HUB_WORKER_METRICS_PORT="0", HUB_PUBLISH_TIMEOUT_S="2", **extra)
        self.proc = subprocess.Popen([sys.executable, "-m", "hub", "up", *args], env=env, cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=self.err.open("wb"),
                                     text=True)
        self.banner = ""
        for line in self.proc.stdout:
            self.banner += line
            if "Ctrl-C" in line:
                break
        assert "Ctrl-C" in self.banner, self.log()
        self.wait_ready()

    def log(self) -> str:
        return self.err.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                # Intake: a test that breaks the worker still gets its gateway.
                if httpx.get(f"{self.url}/readyz?scope=intake", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.2)

    def part(self, name: str) -> int:
        pids = [p for p in _children(self.proc.pid) if f"-m hub {name}" in _cmdline(p)]
        assert len(pids) == 1, (name, pids)
        return pids[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_up_runs_everything_and_ctrl_c_stops_it_all(tmp_path):
    up = Up(tmp_path, "--memory")
    try:
        assert f"127.0.0.1:{up.kafka}" in up.banner and up.url in up.banner
        assert "memory only" in up.banner and not (tmp_path / "state" / "broker").exists()
        assert "whsec_" in up.banner and "dev only" in up.banner
        assert signed_post(up.url, "hotline", PAYLOAD).status_code == 202
        children = _children(up.proc.pid)
        assert len(children) >= 4  # broker, gateway, smtp, worker
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(30) == 0
        time.sleep(0.5)
        assert not _alive(children), f"orphans left: {_alive(children)}"
    finally:
        up.stop()


def _post_many(url: str, prefix: str, count: int, per_s: float) -> list[str]:
    """Signed posts at a steady rate; a refused one is sent again with the same
    body (as an upstream would). Returns the event ids acknowledged."""
    ids = []
    for n in range(count):
        body = {**PAYLOAD, "call_id": f"{prefix}-{n}"}
        msg_id = f"msg_{prefix}_{n}"
        for _ in range(20):
            answer = signed_post(url, "hotline", body, msg_id=msg_id)
            if answer.status_code == 202:
                ids.append(answer.json()["event_id"])
                break
            time.sleep(0.5)
        time.sleep(1 / per_s)
    return ids


def _routed_once(bootstrap: str, ids: list[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = Counter(ce_id(r) for r in read_topics(bootstrap, ROUTED))
        missing = [i for i in ids if i not in counts]
        if not missing:
            break
        assert time.monotonic() < deadline, f"{len(missing)} of {len(ids)} never routed"
        time.sleep(0.5)
    twice = {i: c for i, c in counts.items() if c > 1 and i in set(ids)}
    assert not twice, f"routed more than once: {twice}"


def test_a_killed_worker_is_restarted_and_every_acknowledged_post_routed_once(tmp_path):
    up = Up(tmp_path)
    try:
        acked: list[str] = []
        sender = threading.Thread(target=lambda: acked.extend(
            _post_many(up.url, "KILLW", 60, per_s=20)))
        sender.start()
        time.sleep(1.0)
        worker = up.part("worker")
        os.kill(worker, signal.SIGKILL)
        sender.join(120)
        assert len(acked) == 60
        deadline = time.monotonic() + 20
        while "restarting worker" not in up.log():
            assert time.monotonic() < deadline, up.log()
            time.sleep(0.2)
        assert re.search(r"worker exited with -9; restarting in 0\.5 s", up.log()), up.log()
        assert up.part("worker") != worker
        _routed_once(f"127.0.0.1:{up.kafka}", acked)
    finally:
        up.stop()


def test_kill_9_of_hub_up_leaves_no_process_and_the_next_up_starts(tmp_path):
    up = Up(tmp_path)
    children = _children(up.proc.pid)
    assert len(children) >= 4
    up.proc.kill()
    up.proc.wait()
    deadline = time.monotonic() + 20
    while _alive(children):
        assert time.monotonic() < deadline, \
            f"orphans left: {[_cmdline(p) for p in _alive(children)]}"
        time.sleep(0.2)
    again = Up(tmp_path, http=up.http, kafka=up.kafka)  # same ports: nothing holds them
    try:
        assert signed_post(again.url, "hotline", PAYLOAD).status_code == 202
    finally:
        again.proc.send_signal(signal.SIGINT)
        again.proc.wait(30)
        again.stop()


def test_up_recreates_the_topics_a_restarted_broker_lost(tmp_path):
    """On a broker it did not start (HUB_KAFKA_BOOTSTRAP): one SIGKILLed and
    restarted empty gets its topics back from `hub up` within seconds; nothing
    posted meanwhile is acknowledged, everything after is stored."""
    broker = start_broker(tmp_path)
    up = Up(tmp_path, HUB_KAFKA_BOOTSTRAP=broker.bootstrap)
    try:
        assert signed_post(up.url, "hotline", PAYLOAD).status_code == 202
        broker.proc.kill()
        broker.proc.wait()
        broker = EmbeddedBroker(broker.port, log_path=tmp_path / "empty.log").start()
        answers = []
        deadline = time.monotonic() + 30
        while not answers or answers[-1].status_code != 202:
            assert time.monotonic() < deadline, up.log()
            answers.append(signed_post(up.url, "hotline", {**PAYLOAD, "call_id": "C-R"}))
            time.sleep(0.3)
        assert {a.status_code for a in answers} <= {202, 503}
        assert re.search(r"the broker had lost topics: .*hub\.intake (re)?created", up.log())
        ids = _post_many(up.url, "AFTER", 10, per_s=20)
        deadline = time.monotonic() + 20
        while not set(ids) <= {r.key.decode() for r in read_topics(broker.bootstrap, [INTAKE])}:
            assert time.monotonic() < deadline, "acknowledged events missing from hub.intake"
            time.sleep(0.3)
    finally:
        up.proc.send_signal(signal.SIGINT)
        up.proc.wait(30)
        up.stop()
        broker.stop()


def test_acknowledged_posts_survive_a_broker_sigkill_on_the_durable_default(tmp_path):
    up = Up(tmp_path)
    assert f"data in {tmp_path / 'state' / 'broker'}" in up.banner, up.banner
    assert f"broker log {tmp_path / 'state' / 'broker.log'}" in up.banner
    try:
        acked = _post_many(up.url, "DUR", 200, per_s=100)
        assert len(acked) == 200
        tansu = [p for p in _children(up.proc.pid) if "tansu" in _cmdline(p)]
        assert len(tansu) == 1
        os.kill(tansu[0], signal.SIGKILL)
        assert up.proc.wait(30) == 1  # the broker died: hub up says so and stops
        assert "the embedded broker exited" in up.log()
    finally:
        up.stop()
    again = Up(tmp_path, http=up.http, kafka=up.kafka)
    try:
        bootstrap = f"127.0.0.1:{again.kafka}"
        stored = {r.key.decode() for r in read_topics(bootstrap, [INTAKE])}
        assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged posts lost"
        # On disk every write is a few fsyncs, and each routed event is several
        # writes (routed, the watch's copy, alert dimensions, the acknowledgement).
        started = time.monotonic()
        _routed_once(bootstrap, acked, timeout=300)
        print(f"routed the 200 after the restart in {time.monotonic() - started:.1f} s")
    finally:
        again.proc.send_signal(signal.SIGINT)
        again.proc.wait(30)
        again.stop()


def test_a_part_that_keeps_dying_is_retried_with_growing_backoff_and_the_rest_serves(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text("this is [not a policy")
    up = Up(tmp_path, "--memory", HUB_POLICY_FILE=str(bad))  # the worker exits at startup
    try:
        deadline = time.monotonic() + 30
        while "restarting in 2 s" not in up.log():
            assert time.monotonic() < deadline, up.log()
            time.sleep(0.2)
        delays = re.findall(r"worker exited with \d+; restarting in ([\d.]+) s", up.log())
        assert delays[:3] == ["0.5", "1", "2"], up.log()
        assert "restarting worker (restart 2)" in up.log()
        assert httpx.get(f"{up.url}/readyz?scope=intake", timeout=5).status_code == 200  # unharmed
        assert signed_post(up.url, "hotline", PAYLOAD).status_code == 202
        assert up.proc.poll() is None
    finally:
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(30) == 0
        up.stop()


def test_on_a_terminal_up_shows_readable_lines_and_keeps_json_in_log_files(tmp_path):
    """Under a pseudo-terminal: the banner, the log folder, one coloured line per routed
    event and per warning, and no JSON; the JSON of every part is in the log folder."""
    http, kafka = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_HTTP_PORT=str(http), HUB_EMBEDDED_BROKER_PORT=str(kafka),
               HUB_SMTP_PORT=str(free_port()), HUB_STATE_DIR=str(tmp_path / "state"),
               HUB_WORKER_METRICS_PORT="0", TERM="xterm-256color")
    master, slave = pty.openpty()
    up = subprocess.Popen([sys.executable, "-m", "hub", "up", "--memory"], env=env, cwd=ROOT,
                          stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = bytearray()

    def read_until(words: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while words not in seen:
            assert time.monotonic() < deadline, f"no {words!r} in:\n{seen.decode(errors='replace')}"
            if select.select([master], [], [], 0.5)[0]:
                with contextlib.suppress(OSError):  # EIO once every writer has gone
                    seen.extend(os.read(master, 65536))

    try:
        read_until(b"Ctrl-C stops everything.")
        read_until(b"logs (JSON, every part): " + str(tmp_path / "state" / "logs").encode()
                   + b"/")
        url = f"http://127.0.0.1:{http}"
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        payload = orjson.loads((FIXTURES / "hotline" / "repair_booking.json").read_bytes())
        assert signed_post(url, "hotline", payload).status_code == 202
        read_until(b"routed \xe2\x86\x92 hub.routed.")  # "routed → hub.routed.…"
        assert signed_post(url, "hotline", payload, secret="whsec_" + "A" * 44).status_code == 401
        read_until(b"webhook.refused")
        up.send_signal(signal.SIGINT)
        assert up.wait(30) == 0
        read_until(b"hub: stopped")
    finally:
        if up.poll() is None:
            up.kill()
        os.close(master)
    text = seen.decode(errors="replace")
    print(text)  # shown when the test fails: what the person saw
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    routed = [line for line in plain.splitlines() if "routed →" in line]
    assert len(routed) == 1 and " priority=P" in routed[0] and " queue=" in routed[0]
    refused = next(line for line in text.splitlines() if "webhook.refused" in line)
    assert "\x1b[33m" in refused  # warnings in yellow
    assert "code=invalid_signature" in re.sub(r"\x1b\[[0-9;]*m", "", refused)
    assert '{"' not in text  # no JSON on the terminal
    logs = tmp_path / "state" / "logs"
    assert {"gateway.log", "worker.log", "smtp.log"} <= {p.name for p in logs.iterdir()}
    records = [orjson.loads(line) for line in (logs / "gateway.log").read_bytes().splitlines()]
    assert [r["event"] for r in records].count("webhook.refused") == 1
    worker = (logs / "worker.log").read_bytes()
    assert b'"event":"route.selected"' in worker
