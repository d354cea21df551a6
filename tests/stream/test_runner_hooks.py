"""The runner's two hooks for stages with side effects (the dispatcher):
``state.flush()`` makes a step's table changes durable at once, before the
batch's outputs; ``concurrency`` runs records of different keys side by
side, each key's in order, without losing a change to the table."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.stream.records import Output
from hub.stream.runner import Options
from hub.stream.scanner import Scanner
from hub.stream.state import changelog_key
from tests.helpers import read_topics
from tests.stream.running import run_until


async def _topic_with(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    """A one-partition topic holding `records` (key, value), and its output topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1), NewTopic(f"{topic}.out", 1, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    for key, value in records:
        await producer.send(topic, value, key=key)
    await producer.flush()
    await producer.stop()


def _options(broker, tmp_path) -> Options:
    return Options(bootstrap=broker.bootstrap, state_dir=tmp_path, partitions=1)


class FlushingStage:
    def __init__(self, name: str, topic: str, bootstrap: str) -> None:
        self.name, self.inputs, self.outputs = name, (topic,), (f"{topic}.out",)
        self.deadletter = f"{topic}.out"
        self.bootstrap = bootstrap
        self.seen_in_changelog: list[bool] = []
        self.outputs_before: list[int] = []

    def dedupe_key(self, record):
        return None

    async def process(self, record, state):
        state.put("intent", record.value.decode(), {"open": True})
        await state.flush()
        scanner = Scanner(self.bootstrap)
        try:
            changelog = TopicPartition(f"{self.name}-changelog", record.partition)
            keys = {r.key for r in await scanner.read_from({changelog: 0})}
            out = TopicPartition(self.outputs[0], record.partition)
            self.outputs_before.append((await scanner.end_offsets([out]))[out])
        finally:
            await scanner.close()
        self.seen_in_changelog.append(changelog_key("intent", record.value.decode()) in keys)
        return [Output(self.outputs[0], record.key, record.value)]


def test_flushed_changes_are_in_the_changelog_before_the_outputs(broker, tmp_path):
    topic = f"test.flush.{uuid.uuid4().hex[:6]}"

    async def go():
        await _topic_with(broker.bootstrap, topic, [(b"k", f"r{i}".encode()) for i in range(3)])
        stage = FlushingStage(f"flush-{uuid.uuid4().hex[:6]}", topic, broker.bootstrap)
        await run_until(stage, _options(broker, tmp_path),
                        lambda _: len(stage.seen_in_changelog) == 3, "three changelog checks")
        return stage

    stage = asyncio.run(go())
    assert stage.seen_in_changelog == [True, True, True]
    assert stage.outputs_before[0] == 0  # the batch's outputs were not written yet


class SideBySideStage:
    concurrency = 8

    def __init__(self, name: str, topic: str) -> None:
        self.name, self.inputs, self.outputs = name, (topic,), (f"{topic}.out",)
        self.deadletter = f"{topic}.out"
        self.order: list[tuple[bytes, int]] = []
        self.running = self.most = 0

    def dedupe_key(self, record):
        return None

    async def process(self, record, state):
        self.running += 1
        self.most = max(self.most, self.running)
        state.put("seen", record.value.decode(), {"v": record.value.decode()})
        await asyncio.sleep(0.02)
        await state.flush()  # flushes interleaved with other records' puts
        state.put("after", record.value.decode(), {"v": 1})
        self.order.append((record.key, record.offset))
        self.running -= 1
        return [Output(self.outputs[0], record.key, record.value)]


def test_concurrent_records_keep_each_keys_order_and_every_change(broker, tmp_path):
    topic = f"test.lanes.{uuid.uuid4().hex[:6]}"
    values = [f"{k}-{i}" for i in range(5) for k in "abcd"]

    async def go():
        await _topic_with(broker.bootstrap, topic, [(v[0].encode(), v.encode()) for v in values])
        stage = SideBySideStage(f"lanes-{uuid.uuid4().hex[:6]}", topic)
        await run_until(stage, _options(broker, tmp_path),  # every record stored and committed
                        lambda r: [p.next for p in r.parts.values()] == [len(values)],
                        "every record committed")
        return stage

    stage = asyncio.run(go())
    written = [r.value.decode() for r in read_topics(broker.bootstrap, [f"{topic}.out"])]
    keys = {r.key for r in read_topics(broker.bootstrap, [f"{stage.name}-changelog"])}
    assert stage.most > 1  # side by side
    for k in b"abcd":
        offsets = [o for key, o in stage.order if key == bytes([k])]
        assert offsets == sorted(offsets)  # each key in order
    assert written == values  # outputs in the records' order
    assert {changelog_key(ns, v) for v in values for ns in ("seen", "after")} <= keys
