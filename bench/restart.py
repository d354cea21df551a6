"""Worker restart time against the router's history: the seen-key table of
N routed events (default 1,000,000) in its changelog, then a real `hub worker`
started three ways, each timed from process start to `worker.routing`:

- warm: the worker's state file is there (the usual restart);
- cold: no state file (a new machine or pod): the changelog is replayed;
- warm after a small history (10,000) for comparison.

    .venv/bin/python bench/restart.py [--events 1000000]

The history is written straight to the changelog in the runner's own format
(what N routed events leave behind), not routed one by one, which would take
the bench ten minutes of CPU to set up."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.kafka.embedded import EmbeddedBroker, free_port  # noqa: E402
from hub.kafka.topics import create_topics  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from hub.stream.runner import SEEN  # noqa: E402
from hub.stream.state import changelog_key  # noqa: E402
from tests.helpers import Proc, hub_env  # noqa: E402

GROUP = "hub-worker"


async def write_history(bootstrap: str, events: int, partitions: int) -> float:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"{GROUP}-changelog", partitions, 1,
                                            topic_configs={"cleanup.policy": "compact"})])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                max_batch_size=512 * 1024)
    await producer.start()
    started, now = time.perf_counter(), time.time()
    try:
        pending = []
        for i in range(events):
            key = changelog_key(SEEN, f"hub.intake/{uuid.uuid5(uuid.NAMESPACE_URL, f'e{i}')}")
            value = orjson.dumps({"o": i // partitions, "t": now})
            pending.append(await producer.send(f"{GROUP}-changelog", value, key=key,
                                               partition=i % partitions))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def time_start(bootstrap: str, state: Path, logs: Path) -> tuple[float, float]:
    """Seconds from process start to routing, and the worker's RSS then."""
    env = hub_env(bootstrap, HUB_STATE_DIR=str(state))
    started = time.monotonic()
    worker = Proc("worker", env, logs).start()
    try:
        worker.wait_log("worker.routing", timeout=1800)
        elapsed = time.monotonic() - started
        rss = rss_mb(worker.proc.pid)
    finally:
        worker.stop()
    return elapsed, rss


def run(events: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hub-restart-"))
    rows = []
    for n in (10_000, events):
        broker = EmbeddedBroker(free_port(), log_path=tmp / f"broker-{n}.log").start()
        try:
            settings = load_settings(kafka_bootstrap=broker.bootstrap)
            asyncio.run(create_topics(settings))
            wrote = asyncio.run(write_history(broker.bootstrap, n, settings.partitions))
            state = tmp / f"state-{n}"
            cold, cold_rss = time_start(broker.bootstrap, state, tmp)
            warm, warm_rss = time_start(broker.bootstrap, state, tmp)
            size = sum(f.stat().st_size for f in state.rglob("*.sqlite*"))
            rows.append((n, wrote, cold, cold_rss, warm, warm_rss, size))
        finally:
            broker.stop()
    print(f"{'history':>10} {'write s':>8} {'cold start s':>13} {'RSS MB':>7} "
          f"{'warm restart s':>15} {'RSS MB':>7} {'state file MB':>14}")
    for n, wrote, cold, cold_rss, warm, warm_rss, size in rows:
        print(f"{n:>10,} {wrote:>8.1f} {cold:>13.2f} {cold_rss:>7.0f} {warm:>15.2f} "
              f"{warm_rss:>7.0f} {size / 1e6:>14.1f}")
    print("cold = no state file (changelog replayed); warm = the worker's own file found")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    run(parser.parse_args().events)
