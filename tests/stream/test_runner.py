"""The stream primitive on a real broker, with a toy stage: a count per key."""

from __future__ import annotations

import asyncio
import uuid

import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import REGISTRY

from hub.errors import InvalidPayload
from hub.stream.records import SRC_HEADER, Output
from hub.stream.runner import LAG, Options, Runner
from tests.helpers import read_topics
from tests.stream.running import run_until

PARTS = 2


class Counter:
    """Counts each key's records; ``boom`` cannot be processed."""

    def __init__(self, tag: str) -> None:
        self.name = f"count-{tag}"
        self.inputs, self.outputs = (f"in-{tag}",), (f"out-{tag}",)
        self.deadletter = f"dead-{tag}"

    def dedupe_key(self, record) -> str:
        return orjson.loads(record.value)["id"]

    async def process(self, record, state) -> list[Output]:
        body = orjson.loads(record.value)
        if body.get("boom"):
            raise InvalidPayload("boom is not a message")
        count = (state.get("count", body["k"]) or 0) + 1
        state.put("count", body["k"], count)
        return [Output(self.outputs[0], body["k"].encode(),
                       orjson.dumps({"id": body["id"], "k": body["k"], "count": count}))]


async def _topics(bootstrap: str, stage: Counter) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, PARTS, 1) for t in
                                   (*stage.inputs, *stage.outputs, stage.deadletter)])
    finally:
        await admin.close()


async def _send(bootstrap: str, topic: str, bodies: list[dict]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for body in bodies:
            await producer.send_and_wait(topic, orjson.dumps(body), key=body["k"].encode())
    finally:
        await producer.stop()


async def _run_until(stage: Counter, options: Options, bootstrap: str, want: int) -> None:
    async def enough(_runner) -> bool:
        outs = await asyncio.to_thread(read_topics, bootstrap,
                                       [*stage.outputs, stage.deadletter], 0.5)
        return len(outs) >= want
    await run_until(stage, options, enough, f"{want} outputs")


def _counts(bootstrap: str, stage: Counter) -> list[tuple[str, str, int]]:
    outs = read_topics(bootstrap, stage.outputs, 2)
    return sorted((b["k"], b["id"], b["count"]) for b in (orjson.loads(r.value) for r in outs))


def test_ordered_counts_duplicates_skipped_and_a_bad_record_dead_lettered(broker, tmp_path):
    stage, boot = Counter(uuid.uuid4().hex[:8]), broker.bootstrap
    options = Options(boot, tmp_path / "state", PARTS)
    bodies = [{"id": "1", "k": "a"}, {"id": "2", "k": "b"}, {"id": "3", "k": "a"},
              {"id": "1", "k": "a"},                     # an upstream redelivery
              {"id": "4", "k": "a", "boom": True}, {"id": "5", "k": "a"}]

    async def scenario() -> None:
        await _topics(boot, stage)
        await _send(boot, stage.inputs[0], bodies)
        await _run_until(stage, options, boot, want=5)
    asyncio.run(scenario())

    assert _counts(boot, stage) == [("a", "1", 1), ("a", "3", 2), ("a", "5", 3), ("b", "2", 1)]
    outs = read_topics(boot, stage.outputs, 2)
    assert all(dict(r.headers)[SRC_HEADER].startswith(stage.inputs[0].encode()) for r in outs)
    dead = [orjson.loads(r.value) for r in read_topics(boot, [stage.deadletter], 2)]
    assert [(d["reason"], orjson.loads(d["value"])["id"]) for d in dead] == [
        ("invalid_payload", "4")]


def test_a_worker_without_its_file_rebuilds_the_table_from_the_changelog(broker, tmp_path):
    stage, boot = Counter(uuid.uuid4().hex[:8]), broker.bootstrap

    async def scenario() -> None:
        await _topics(boot, stage)
        await _send(boot, stage.inputs[0], [{"id": "1", "k": "a"}, {"id": "2", "k": "a"}])
        await _run_until(stage, Options(boot, tmp_path / "first", PARTS), boot, want=2)
        # Another machine: no state file. The count and the seen ids come back.
        await _send(boot, stage.inputs[0], [{"id": "2", "k": "a"}, {"id": "3", "k": "a"}])
        await _run_until(stage, Options(boot, tmp_path / "second", PARTS), boot, want=3)
    asyncio.run(scenario())

    assert _counts(boot, stage) == [("a", "1", 1), ("a", "2", 2), ("a", "3", 3)]


def test_a_revoked_partition_stops_reporting_its_lag(tmp_path):
    # A rebalance hands the partition on; its new owner reports the lag from then
    # on, and a figure left here would count twice in a sum over the workers.
    stage = Counter(uuid.uuid4().hex[:8])
    runner = Runner(stage, Options("127.0.0.1:1", tmp_path / "state", PARTS))
    kept, moved = (TopicPartition(stage.inputs[0], p) for p in (0, 1))
    for tp in (kept, moved):
        LAG.labels(stage.name, tp.topic, tp.partition).set(42)

    asyncio.run(runner.revoked({moved}))

    def lag(tp: TopicPartition) -> float | None:
        return REGISTRY.get_sample_value("hub_stream_lag", {
            "stage": stage.name, "topic": tp.topic, "partition": str(tp.partition)})
    assert lag(moved) is None
    assert lag(kept) == 42
    asyncio.run(runner.revoked({moved}))  # revoked again (a second rebalance): no error
