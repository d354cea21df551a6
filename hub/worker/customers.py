"""Keeps a :class:`CustomerDirectory` in step with ``hub.customers``.

Every worker reads every partition from the beginning (no consumer group):
identity needs all customers, not a share of them. Kafka compacts the topic;
the embedded broker does not, so replay reads each update, which ends at the
same state. The worker routes nothing until the replay has caught up."""

from __future__ import annotations

import asyncio

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.errors import ConfigError
from hub.kafka.topics import CUSTOMERS
from hub.routers.identity import CustomerDirectory

log = structlog.get_logger("hub.worker.customers")


async def _caught_up(consumer: AIOKafkaConsumer, target: dict[TopicPartition, int]) -> bool:
    for tp, end in target.items():
        if await consumer.position(tp) < end:
            return False
    return True


class CustomerFeed:
    def __init__(self, bootstrap: str, directory: CustomerDirectory) -> None:
        self.bootstrap = bootstrap
        self.directory = directory
        self.ready = asyncio.Event()
        self.positions: dict[TopicPartition, int] = {}

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            log.warning("customers.skipped", reason="record without key")
            return
        customer_id = key.decode()
        try:
            record = orjson.loads(value) if value is not None else None
        except orjson.JSONDecodeError:
            log.warning("customers.skipped", customer_id=customer_id, reason="not JSON")
            return
        if record is not None and not isinstance(record, dict):
            log.warning("customers.skipped", customer_id=customer_id, reason="not an object")
            return
        self.directory.apply(customer_id, record)

    async def catch_up(self) -> None:
        """Replay the topic to its current end (before the worker routes anything)."""
        consumer, tps = await self._open()
        try:
            target = await consumer.end_offsets(tps)
            while not await _caught_up(consumer, target):
                await self._poll(consumer)
            self.positions = {tp: await consumer.position(tp) for tp in tps}
            self.ready.set()
            log.info("customers.loaded", customers=len(self.directory))
        finally:
            await consumer.stop()

    async def follow(self) -> None:
        """Apply updates and deletions as they come, for as long as the worker runs."""
        if not self.ready.is_set():
            await self.catch_up()
        consumer, tps = await self._open()
        try:
            for tp in tps:
                consumer.seek(tp, self.positions.get(tp, 0))
            while True:
                await self._poll(consumer)
        finally:
            await consumer.stop()

    async def _open(self) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest")
        await consumer.start()
        cluster = await consumer._client.fetch_all_metadata()
        partitions = cluster.partitions_for_topic(CUSTOMERS) or set()
        if not partitions:
            await consumer.stop()
            raise ConfigError(f"topic {CUSTOMERS} does not exist: run `hub topics create`")
        tps = [TopicPartition(CUSTOMERS, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        return consumer, tps

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=500)
        for records in batches.values():
            for r in records:
                self.apply(r.key, r.value)
