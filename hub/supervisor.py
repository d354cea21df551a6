"""``hub up``: the embedded broker, the topics, then each part of the hub as a
child process, kept running. A part that dies is started again after a
backoff (0.5 s doubling to 30 s, back to 0.5 s once it has run for a minute);
every ~2 s the contract topics are checked and re-created when the broker
lost them. Everything stops on Ctrl-C or SIGTERM, or when the embedded
broker itself dies (then nothing the parts do can be stored). The children
run in sessions of their own that die with the supervisor, even by SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from hub import console
from hub.errors import HubError
from hub.kafka.embedded import EmbeddedBroker
from hub.kafka.groups import GroupWatch
from hub.kafka.topics import create_topics, ensure_topics
from hub.procs import spawn
from hub.settings import DEV_SECRETS, DEV_SOURCE_SECRETS, Settings

# The parts `hub up` runs: each is the CLI verb of the same name (contract §1).
# The dispatcher joins as soon as the CLI has that verb.
WANTED_PARTS = ("gateway", "smtp", "worker", "dispatcher")
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.5, 30.0
STABLE_AFTER_S = 60.0  # a part that ran this long starts its backoff afresh
TOPIC_CHECK_S = 2.0


def parts() -> tuple[str, ...]:
    from hub.cli import main

    return tuple(p for p in WANTED_PARTS if p in main.commands)


def notice(message: str) -> None:
    """Every line the supervisor writes besides the banner goes through here."""
    print(f"hub: {message}", file=sys.stderr, flush=True)


@dataclass
class Child:
    part: str
    env: dict[str, str]
    screen: console.Console | None = None  # a person watching: stderr goes through it
    proc: subprocess.Popen | None = None
    started: float = 0.0
    backoff: float = BACKOFF_FIRST_S
    restart_at: float | None = None
    restarts: int = 0
    argv: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.argv = [sys.executable, "-m", "hub", self.part]

    def start(self) -> None:
        self.proc = spawn(self.argv, self.env, pipe_stderr=self.screen is not None)
        if self.screen is not None:
            self.screen.follow(self.part, self.proc.stderr)
        self.restart_at, self.started = None, time.monotonic()

    def tend(self, now: float) -> None:
        """Notice a death and schedule the restart; restart when it is due."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                notice(f"restarting {self.part} (restart {self.restarts})")
                self.start()
            return
        if self.proc is None or self.proc.poll() is None:
            return
        if now - self.started >= STABLE_AFTER_S:
            self.backoff = BACKOFF_FIRST_S
        notice(f"{self.part} exited with {self.proc.returncode}; "
               f"restarting in {self.backoff:g} s")
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX_S)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def child_env(settings: Settings, broker: EmbeddedBroker | None) -> dict[str, str]:
    """The parts' environment. On the embedded broker they are told its
    address, so each would take it for a cluster and use a cluster's
    defaults (a 30 s session: a killed worker's partitions waited that long;
    a 500 ms fetch wait: every hop waited that long on Tansu). They get the
    embedded ones instead, unless the user set their own."""
    env = dict(os.environ)
    if broker is None:
        return env
    env["HUB_KAFKA_BOOTSTRAP"] = broker.bootstrap
    env.setdefault("HUB_KAFKA_SESSION_TIMEOUT_S", f"{settings.session_timeout_s:g}")
    # Tansu answers a fetch when its wait ends, and on disk each fetch lists
    # every partition it asks for: the worker's stages and feeds poll about
    # thirty partitions, and at 50 ms waits the store spent its CPU listing
    # while routing crawled.
    wait = settings.fetch_wait_ms or (200 if broker.data_dir is not None else 10)
    env.setdefault("HUB_FETCH_WAIT_MS", str(wait))
    return env


def banner(settings: Settings, bootstrap: str, broker: EmbeddedBroker | None = None) -> str:
    kafka = f"  kafka      {bootstrap}"
    if broker is not None:
        kafka += f"  (embedded Tansu, {broker.describe()})"
    lines = ["hub is up", kafka]
    if broker is not None and broker.log_path:
        lines.append(f"  broker log {broker.log_path}")
    lines += [
        f"  gateway    http://{settings.http_host}:{settings.http_port}"
        "   (/docs, /healthz, /readyz, /metrics)",
        f"  smtp       {settings.http_host}:{settings.smtp_port}",
        "  worker     hub.intake -> hub.routed.{tier}.{type}",
    ]
    if settings.env != "production":
        lines += ["", "dev secrets (dev only; set real ones and HUB_ENV=production in production):"]
        lines += [f"  HUB_{k.upper():<20} {v}" for k, v in DEV_SECRETS.items()]
        lines += [f"  HUB_SOURCE_SECRETS[{k}] {v}" for k, v in DEV_SOURCE_SECRETS.items()]
    lines += ["", "try: bin/hub tail hub.routed.vip.complaint hub.routed.ordinary.rescue",
              "Ctrl-C stops everything."]
    return "\n".join(lines)


def _check_topics(settings: Settings) -> None:
    try:
        repaired = asyncio.run(ensure_topics(settings))
    except HubError as err:
        notice(f"topic check failed: {err.message}")
        return
    if repaired:
        notice("the broker had lost topics: " + ", ".join(repaired))


def _routing(settings: Settings) -> bool:
    """Whether a worker has joined its group (it joins once its directory caught up)."""
    async def ask() -> int:
        watch = GroupWatch(settings.bootstrap, settings.worker_id, ttl_s=0)
        try:
            return await watch.members()
        finally:
            await watch.close()
    return asyncio.run(ask()) > 0


def up(settings: Settings, broker: EmbeddedBroker | None = None) -> int:
    """Run everything until Ctrl-C or SIGTERM. ``broker``: the embedded one to
    start first (None when HUB_KAFKA_BOOTSTRAP names a cluster)."""
    children: list[Child] = []
    stopping = False
    screen = console.for_terminal(settings)  # None: the parts' JSON stays on stderr

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        if broker is not None:
            broker.start()
        env = child_env(settings, broker)
        bootstrap = env.get("HUB_KAFKA_BOOTSTRAP", settings.bootstrap)
        settings = settings.model_copy(update={"kafka_bootstrap": bootstrap})
        asyncio.run(create_topics(settings))
        children = [Child(part, env, screen) for part in parts()]
        for child in children:
            child.start()
        started = time.monotonic()
        print(banner(settings, bootstrap, broker), flush=True)
        if screen:
            print(f"logs (JSON, every part): {screen.directory}/", flush=True)
        next_check = time.monotonic() + TOPIC_CHECK_S
        routing = "worker" not in parts()
        while not stopping:
            now = time.monotonic()
            if not routing and now >= next_check - TOPIC_CHECK_S / 2:
                routing = _routing(settings)
                if routing:
                    notice(f"routing: a worker joined after {now - started:.1f} s "
                           "(/readyz is ready)")
            if broker is not None and not broker.alive():
                notice(f"the embedded broker exited ({broker.exit_reason()}); stopping")
                code = 1
                break
            for child in children:
                child.tend(now)
            if now >= next_check:
                _check_topics(settings)
                next_check = time.monotonic() + TOPIC_CHECK_S
            time.sleep(0.2)
        return code
    finally:
        for child in children:
            child.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            child.wait(deadline)
        if broker is not None:
            broker.stop()
        if screen:
            screen.close()
        notice("stopped")


def default_broker(settings: Settings, memory: bool = False) -> EmbeddedBroker | None:
    """The embedded broker `hub up` starts, or None on a named cluster: its
    data in the state folder, beside the worker tables (``.hub/broker`` next
    to ``.hub/state``), unless ``memory``."""
    if not settings.embedded:
        return None
    settings.hub_path.mkdir(parents=True, exist_ok=True)
    return EmbeddedBroker(settings.embedded_broker_port,
                          log_path=settings.hub_path / "broker.log",
                          data_dir=None if memory else settings.hub_path / "broker")
