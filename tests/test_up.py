"""`hub up`: brings everything up on the embedded broker, prints where it
listens, and Ctrl-C stops every child, broker included."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import httpx
import orjson

from hub.kafka.embedded import free_port
from tests.helpers import FIXTURES, ROOT, signed_post


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    pairs = [tuple(map(int, line.split())) for line in out.splitlines() if line.strip()]
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in pairs if parent in frontier} - found
        found |= frontier
    return found


def test_up_runs_everything_and_ctrl_c_stops_it_all(tmp_path):
    http, kafka = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_HTTP_PORT=str(http), HUB_EMBEDDED_BROKER_PORT=str(kafka),
               HUB_SMTP_PORT=str(free_port()),
               HUB_BROKER_LOG=str(tmp_path / "broker.log"))
    up = subprocess.Popen([sys.executable, "-m", "hub", "up"], env=env, cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=(tmp_path / "up.log").open("wb"),
                          text=True)
    try:
        banner = []
        for line in up.stdout:
            banner.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(banner)
        assert f"127.0.0.1:{kafka}" in text and f"http://127.0.0.1:{http}" in text
        assert "whsec_" in text and "dev only" in text
        url = f"http://127.0.0.1:{http}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        payload = orjson.loads((FIXTURES / "hotline" / "repair_booking.json").read_bytes())
        assert signed_post(url, "hotline", payload).status_code == 202
        children = _children(up.pid)
        assert len(children) >= 4  # broker, gateway, smtp, worker
        up.send_signal(signal.SIGINT)
        assert up.wait(30) == 0
        # No terminal: every part's JSON stays on stderr.
        assert b'"event":"webhook.accepted"' in (tmp_path / "up.log").read_bytes()
        time.sleep(0.5)
        alive = [p for p in children if os.path.exists(f"/proc/{p}")
                 and "zombie" not in open(f"/proc/{p}/status").read().lower()]
        assert not alive, f"orphans left: {alive}"
    finally:
        if up.poll() is None:
            up.kill()


def test_on_a_terminal_up_shows_readable_lines_and_keeps_json_in_log_files(tmp_path):
    """Under a pseudo-terminal: the banner, the log folder, one coloured line per routed
    event and per warning, and no JSON; the JSON of every part is in the log folder."""
    http, kafka = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_HTTP_PORT=str(http), HUB_EMBEDDED_BROKER_PORT=str(kafka),
               HUB_SMTP_PORT=str(free_port()), HUB_STATE_DIR=str(tmp_path / "state"),
               TERM="xterm-256color")
    master, slave = pty.openpty()
    up = subprocess.Popen([sys.executable, "-m", "hub", "up"], env=env, cwd=ROOT,
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
        read_until(b"logs (JSON, every part): " + str(tmp_path / "logs").encode() + b"/")
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
    logs = tmp_path / "logs"
    assert {"gateway.log", "worker.log", "smtp.log", "broker.log"} <= {
        p.name for p in logs.iterdir()}
    records = [orjson.loads(line) for line in (logs / "gateway.log").read_bytes().splitlines()]
    assert [r["event"] for r in records].count("webhook.accepted") == 1
    worker = (logs / "worker.log").read_bytes()
    assert b'"event":"route.selected"' in worker
