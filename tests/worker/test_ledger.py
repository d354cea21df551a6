"""The ledger's partition scanner against the embedded broker: it reads exact
ranges, finds a record by CloudEvents id, and lets go of what it read."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.kafka.bus import Bus
from hub.settings import load_settings
from hub.worker.ledger import PartitionScanner


def _fill(bootstrap: str, ids: list[str]) -> str:
    """A fresh one-partition topic holding one record per id, in order."""
    topic = f"test.scanner.{uuid.uuid4().hex[:8]}"

    async def go() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, 1, 1)])
        finally:
            await admin.close()
        bus = Bus(load_settings(kafka_bootstrap=bootstrap))
        try:
            for i in ids:
                await bus.publish(topic, i, f"value-{i}".encode(), [("ce_id", i.encode())], 0)
        finally:
            await bus.close()
    asyncio.run(go())
    return topic


def _scan(bootstrap: str, work) -> object:
    async def go() -> object:
        scanner = PartitionScanner(bootstrap)
        try:
            return await work(scanner)
        finally:
            await scanner.close()
    return asyncio.run(go())


def test_read_returns_exactly_the_range(broker):
    topic = _fill(broker.bootstrap, [f"id-{i}" for i in range(6)])

    async def work(scanner: PartitionScanner) -> object:
        return ([r.offset for r in await scanner.read(topic, 0, 2, 5)],
                [r.offset for r in await scanner.read(topic, 0, 0, 6)],
                await scanner.start_offset(topic, 0), await scanner.end_offset(topic, 0),
                await scanner.end_offsets(topic, [0]), await scanner.partitions(topic))
    middle, whole, start, end, ends, parts = _scan(broker.bootstrap, work)
    assert middle == [2, 3, 4]
    assert whole == list(range(6))
    assert (start, end, ends, parts) == (0, 6, {0: 6}, [0])


def test_contains_finds_a_record_by_ce_id_from_the_given_offset(broker):
    topic = _fill(broker.bootstrap, ["a", "b", "c"])

    async def work(scanner: PartitionScanner) -> object:
        asks = [(0, "b"), (2, "b"), (0, "zzz"), (3, "c")]
        return tuple([await scanner.contains(topic, 0, start, ce) for start, ce in asks])
    assert _scan(broker.bootstrap, work) == (True, False, False, False)


def test_a_read_leaves_no_partition_assigned(broker):
    """An assigned partition is long-polled in the background, and the broker
    answers the next end-offset request on that connection only after the poll:
    after a crash recovery every routed event waited half a second for it."""
    topic = _fill(broker.bootstrap, ["x", "y"])

    async def work(scanner: PartitionScanner) -> object:
        await scanner.read(topic, 0, 0, 2)
        after_read = scanner._consumer.assignment()
        await scanner.contains(topic, 0, 0, "y")
        return after_read, scanner._consumer.assignment()
    assert _scan(broker.bootstrap, work) == (set(), set())


def test_unknown_topic_is_a_kafka_error(broker):
    from aiokafka.errors import KafkaError

    async def work(scanner: PartitionScanner) -> object:
        try:
            await scanner.partitions(f"no.such.{uuid.uuid4().hex[:6]}")
        except KafkaError as exc:
            return str(exc)
        return None
    assert "does not exist" in str(_scan(broker.bootstrap, work))
