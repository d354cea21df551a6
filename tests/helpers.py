"""Real processes and real Kafka reads for the tests: no mocks of the bus."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.kafka.embedded import free_port
from hub.settings import DEV_SOURCE_SECRETS
from hub.signatures import signed_headers

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "data"


STATE_ROOT = Path(tempfile.mkdtemp(prefix="hub-test-state-"))


def hub_env(bootstrap: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_LOG_LEVEL": "INFO",
                "HUB_PUBLISH_TIMEOUT_S": "2", "HUB_KAFKA_SESSION_TIMEOUT_S": "6",
                # One state folder per broker: a restarted worker finds its table again.
                "HUB_STATE_DIR": str(STATE_ROOT / bootstrap.replace(":", "_")),
                "HUB_WORKER_METRICS_PORT": "0"})
    env.update(extra)
    return env


class Proc:
    """A `python -m hub PART` child with its stderr kept in a file."""

    def __init__(self, part: str, env: dict[str, str], log_dir: Path) -> None:
        self.part, self.env = part, env
        self.log_path = log_dir / f"{part}-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "hub", *self.part.split()],
                                     env=self.env, stdout=self._log, stderr=self._log,
                                     cwd=ROOT)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log():
                return
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.part} exited {self.proc.returncode}:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{self.part}: no '{needle}' within {timeout}s:\n{self.log()[-3000:]}")

    def stacks(self) -> str:
        """The log's tail after the process printed every thread's stack: why a
        live process is doing nothing. Workers only: they register
        ``faulthandler`` on SIGUSR1, which would end any other part."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
        return self.log()[-6000:]

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_gateway(bootstrap: str, log_dir: Path, port: int | None = None,
                  **extra: str) -> tuple[Proc, str]:
    """A gateway that answers /healthz; on ``port`` (a restart keeps its URL) or a free one."""
    port = port or free_port()
    proc = Proc("gateway", hub_env(bootstrap, HUB_HTTP_PORT=str(port), **extra), log_dir).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"gateway did not start:\n{proc.log()}")


def signed_post(url: str, source: str, payload: object, *, msg_id: str | None = None,
                body: bytes | None = None, timestamp: int | None = None,
                secret: str | None = None, content_type: str = "application/json",
                path: str | None = None) -> httpx.Response:
    body = orjson.dumps(payload) if body is None else body
    headers = signed_headers(secret or DEV_SOURCE_SECRETS[source], body,
                             msg_id or f"msg_{uuid.uuid4().hex}", timestamp)
    headers["content-type"] = content_type
    return httpx.post(f"{url}{path or '/v1/channels/' + source}", content=body,
                      headers=headers, timeout=30)


async def _read(bootstrap: str, topics: Iterable[str], until: float) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = []
        cluster = await consumer._client.fetch_all_metadata()
        for topic in topics:
            tps += [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records = []
        while time.monotonic() < until:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
        return records
    finally:
        await consumer.stop()


def read_topics(bootstrap: str, topics: Iterable[str], timeout: float = 10) -> list:
    """Every record now on the topics (from the beginning to the current end)."""
    return asyncio.run(_read(bootstrap, list(topics), time.monotonic() + timeout))


def ce_id(record) -> str:
    return dict(record.headers or ())["ce_id"].decode()


def wait_for(bootstrap: str, topics: Iterable[str], event_ids: Iterable[str],
             timeout: float = 60) -> list:
    """Poll the topics until a record for every id is there; return all records."""
    wanted = set(event_ids)
    topics = list(topics)
    deadline = time.monotonic() + timeout
    while True:
        records = read_topics(bootstrap, topics)
        if wanted <= {ce_id(r) for r in records}:
            return records
        if time.monotonic() > deadline:
            missing = wanted - {ce_id(r) for r in records}
            raise AssertionError(
                f"{len(missing)} ids never arrived on {topics}: {sorted(missing)[:5]}")
        time.sleep(0.3)


def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict:
    async def go() -> dict:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        try:
            cluster = await consumer._client.fetch_all_metadata()
            tps = [TopicPartition(t, p) for t in topics
                   for p in cluster.partitions_for_topic(t) or ()]
            return dict(await consumer.end_offsets(tps))
        finally:
            await consumer.stop()
    return asyncio.run(go())


def routed_where(bootstrap: str, match, timeout: float = 60):
    """The first routed event (hub.event.RoutedEvent) for which ``match`` is true."""
    from hub.event import RoutedEvent
    from hub.kafka.topics import ROUTED

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in read_topics(bootstrap, ROUTED):
            event = RoutedEvent.from_json(record.value)
            if match(event):
                return event
        time.sleep(0.3)
    raise AssertionError("no matching routed event")


def routed_counts(bootstrap: str, timeout: float = 10) -> dict[str, int]:
    """How many times each event id was routed, across every hub.routed.* topic
    (``timeout``: how long the read may take; a busy disk broker wants more)."""
    from collections import Counter

    from hub.kafka.topics import ROUTED

    return Counter(ce_id(r) for r in read_topics(bootstrap, ROUTED, timeout))


def routing_pauses(bootstrap: str, since: float, until: float | None = None,
                   timeout: float = 10) -> tuple[float, float]:
    """What a fault at ``since`` (epoch seconds) cost routing, from the records'
    own timestamps: the longest gap between consecutive routed records after it
    (the whole group standing still, as in a rebalance), and the longest an
    event routed after it had waited since its hub.intake record (a partition
    left with a dead owner). Seconds; a repeat counts at its first routing;
    ``until`` ends the window (the next fault)."""
    from hub.kafka.topics import INTAKE, ROUTED

    first: dict[str, int] = {}
    for r in read_topics(bootstrap, ROUTED, timeout):
        key = ce_id(r)
        first[key] = min(first.get(key, r.timestamp), r.timestamp)
    intake = {ce_id(r): r.timestamp for r in read_topics(bootstrap, [INTAKE], timeout)}
    start, end = since * 1000, (until or float("inf")) * 1000
    after = sorted(t for t in first.values() if start <= t < end)
    before = [t for t in first.values() if t < start]
    marks = ([max(before)] if before else []) + after  # the last one before opens the gap
    gap = max((b - a for a, b in zip(marks, marks[1:], strict=False)), default=0)
    waited = max((t - intake[k] for k, t in first.items()
                  if start <= t < end and k in intake), default=0)
    return gap / 1000, waited / 1000


def delete_topics(bootstrap: str, topics: Iterable[str]) -> None:
    """Delete topics, as an operator (or a lost broker) would."""
    from aiokafka.admin import AIOKafkaAdminClient

    async def go() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(list(topics))
        finally:
            await admin.close()
    asyncio.run(go())


def records_since(bootstrap: str, before: dict) -> list:
    """The records written to the partitions of ``before`` (an ``end_offsets``) since then."""
    return [r for r in read_topics(bootstrap, {tp.topic for tp in before})
            if r.offset >= before.get(TopicPartition(r.topic, r.partition), 0)]


def kept_refused(bootstrap: str, send) -> tuple[httpx.Response, dict]:
    """Send a request the gateway authenticates and then refuses: its answer,
    and the one record it kept in hub.raw (``event_id`` null, the refusal);
    nothing on hub.intake."""
    from hub.kafka.topics import INTAKE, RAW

    before = end_offsets(bootstrap, [RAW, INTAKE])
    response = send()
    new = records_since(bootstrap, before)
    assert [r.topic for r in new] == [RAW], [(r.topic, r.value[:200]) for r in new]
    kept = orjson.loads(new[0].value)
    assert kept["event_id"] is None and kept["refused"]["message"], kept
    assert kept["refused"]["code"] != "broker_unavailable"
    return response, kept
