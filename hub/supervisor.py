"""``hub up``: the embedded broker, the topics, then each part of the hub as a
child process. Ctrl-C (or SIGTERM) stops the parts, then the broker; a part
that dies takes the rest down, so nothing half-runs unnoticed."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hub import console
from hub.kafka.embedded import EmbeddedBroker
from hub.kafka.topics import create_topics
from hub.settings import DEV_SECRETS, DEV_SOURCE_SECRETS, Settings

PARTS = ("gateway", "smtp", "worker", "dispatcher")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A child outlives a SIGKILLed supervisor otherwise (Linux only; harmless elsewhere).
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(part: str, env: dict[str, str], screen: console.Console | None = None
          ) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "hub", part], env=env,
                            stderr=subprocess.PIPE if screen else None,
                            preexec_fn=_die_with_parent)  # noqa: PLW1509
    if screen:
        screen.follow(part, proc.stderr)
    return proc


def banner(settings: Settings, bootstrap: str) -> str:
    lines = [
        "hub is up",
        f"  kafka      {bootstrap}" + ("  (embedded Tansu, memory only)" if settings.embedded
                                        else ""),
        f"  gateway    http://{settings.http_host}:{settings.http_port}"
        "   (/docs, /healthz, /readyz, /metrics)",
        f"  smtp       {settings.http_host}:{settings.smtp_port}",
        "  worker     hub.intake -> hub.routed.{tier}.{type}",
        f"  dispatcher hub.replies -> WeChat / SMS ({settings.sms_provider}) / mail "
        f"({settings.smtp_relay}) -> hub.deliveries",
    ]
    if settings.env != "production":
        lines += ["", "dev secrets (dev only; set real ones and HUB_ENV=production in production):"]
        lines += [f"  HUB_{k.upper():<20} {v}" for k, v in DEV_SECRETS.items()]
        lines += [f"  HUB_SOURCE_SECRETS[{k}] {v}" for k, v in DEV_SOURCE_SECRETS.items()]
    lines += ["", "try: bin/hub tail hub.routed.vip.complaint hub.routed.ordinary.rescue",
              "Ctrl-C stops everything."]
    return "\n".join(lines)


def up(settings: Settings) -> int:
    broker = None
    children: list[tuple[str, subprocess.Popen]] = []
    stopping = False
    screen = console.for_terminal(settings)  # None: the parts' JSON stays on stderr

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        env = dict(os.environ)
        if settings.embedded:
            log_path = Path(os.environ.get("HUB_BROKER_LOG")
                            or console.logs_dir(settings) / "broker.log")
            broker = EmbeddedBroker(settings.embedded_broker_port, log_path=log_path).start()
            env["HUB_KAFKA_BOOTSTRAP"] = broker.bootstrap
        bootstrap = env.get("HUB_KAFKA_BOOTSTRAP", settings.bootstrap)
        asyncio.run(create_topics(settings.model_copy(update={"kafka_bootstrap": bootstrap})))
        for part in PARTS:
            children.append((part, spawn(part, env, screen)))
        print(banner(settings, bootstrap), flush=True)
        if screen:
            print(f"logs (JSON, every part): {screen.directory}/", flush=True)
        while not stopping:
            for part, proc in children:
                if proc.poll() is not None:
                    print(f"hub: {part} exited with {proc.returncode}; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.2)
        return 0 if all(p.poll() in (None, 0) for _, p in children) else 1
    finally:
        for _, proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc in children:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if broker:
            broker.stop()
        if screen:
            screen.close()
        print("hub: stopped", file=sys.stderr, flush=True)
