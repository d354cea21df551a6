"""A broker, gateway and (optionally) worker as real processes, for benchmarks."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.kafka.embedded import EmbeddedBroker, free_port  # noqa: E402
from hub.kafka.topics import create_topics  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from tests.helpers import Proc, hub_env, start_gateway  # noqa: E402


@dataclass
class Stack:
    url: str
    bootstrap: str
    gateway: Proc
    worker: Proc | None


@contextmanager
def stack(worker: bool = True, log_level: str = "WARNING") -> Iterator[Stack]:
    """A fresh broker with the contract's topics, a gateway logging at
    ``log_level`` and a worker (at INFO, as deployed) that has joined its group."""
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    broker = EmbeddedBroker(free_port(), log_path=tmp / "broker.log").start()
    procs = []
    try:
        asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
        gateway, url = start_gateway(broker.bootstrap, tmp, HUB_LOG_LEVEL=log_level)
        procs.append(gateway)
        w = None
        if worker:
            w = Proc("worker", hub_env(broker.bootstrap, HUB_LOG_LEVEL="INFO"), tmp).start()
            procs.append(w)
            w.wait_log("worker.routing")
            time.sleep(1)
        yield Stack(url, broker.bootstrap, gateway, w)
    finally:
        for p in procs:
            p.stop()
        broker.stop()


@contextmanager
def running_stack(worker: bool = True) -> Iterator[tuple[str, str]]:
    """Yields (gateway URL, bootstrap)."""
    with stack(worker) as s:
        yield s.url, s.bootstrap


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def line(name: str, ms: list[float]) -> str:
    return (f"{name:<34} n={len(ms):<4} p50={pct(ms, 50):7.1f} ms  p95={pct(ms, 95):7.1f} ms  "
            f"p99={pct(ms, 99):7.1f} ms  max={max(ms):7.1f} ms  mean={statistics.mean(ms):6.1f} ms")
