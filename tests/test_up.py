"""`hub up`: brings everything up on the embedded broker, prints where it
listens, and Ctrl-C stops every child, broker included."""

from __future__ import annotations

import os
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
        time.sleep(0.5)
        alive = [p for p in children if os.path.exists(f"/proc/{p}")
                 and "zombie" not in open(f"/proc/{p}/status").read().lower()]
        assert not alive, f"orphans left: {alive}"
    finally:
        if up.poll() is None:
            up.kill()
