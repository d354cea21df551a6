"""Keeps a :class:`CustomerDirectory` in step with ``hub.customers`` (and,
through the same :class:`Feed`, any view of a whole topic).

Every worker reads every partition from the beginning (no consumer group):
identity needs all customers, not a share of them. Kafka compacts the topic;
the embedded broker does not, so replay reads each update, which ends at the
same state. The worker routes nothing until the replay has caught up.

Freshness is a promise, not a hope: the feed notes when it last asked for the
topic's end and then read up to it (``fresh_as_of``), and the router waits
before a batch until that moment is no more than ``FRESH_WITHIN_S`` older
than the batch's newest event. A customer record the broker acknowledged is
then known to every event received at least that long after it."""

from __future__ import annotations

import abc
import asyncio
import time

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.errors import ConfigError
from hub.kafka.topics import CUSTOMERS
from hub.routers.identity import CustomerDirectory
from hub.stream.scanner import Scanner

log = structlog.get_logger("hub.worker.customers")
FRESH_WITHIN_S = 0.5
MAX_WAIT_S = 2.0  # a stuck feed delays routing this long, then routes with a warning


async def _caught_up(consumer: AIOKafkaConsumer, target: dict[TopicPartition, int]) -> bool:
    for tp, end in target.items():
        if await consumer.position(tp) < end:
            return False
    return True


class Feed(abc.ABC):
    """A whole topic, replayed then followed, into an in-memory view; a feed
    says which topic and how a record changes its view (``apply``)."""

    topic: str

    def __init__(self, bootstrap: str, fetch_wait_ms: int = 10, **client: object) -> None:
        self.bootstrap, self.client = bootstrap, client
        self.fetch_wait_ms = fetch_wait_ms
        self.ready = asyncio.Event()
        self.fresh_as_of = 0.0  # epoch seconds
        self._changed = asyncio.Event()

    @abc.abstractmethod
    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Change the view by one record of the topic."""

    def loaded(self) -> None:
        log.info("feed.loaded", topic=self.topic)

    async def run(self) -> None:
        """Replay the topic, then follow it for as long as the worker runs."""
        scanner = Scanner(self.bootstrap, **self.client)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest",
                                    fetch_max_wait_ms=self.fetch_wait_ms, **self.client)
        await consumer.start()
        try:
            partitions = await scanner.partitions(self.topic)
        except Exception as exc:
            await consumer.stop()
            await scanner.close()
            raise ConfigError(f"topic {self.topic} does not exist: run `hub topics create`") \
                from exc
        tps = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        try:
            while True:
                asked = time.time()
                target = await scanner.end_offsets(tps)
                while not await _caught_up(consumer, target):
                    await self._poll(consumer, 200)
                self.fresh_as_of = asked
                self._changed.set()
                self._changed.clear()
                if not self.ready.is_set():
                    self.ready.set()
                    self.loaded()
                await self._poll(consumer, 100)
        finally:
            await consumer.stop()
            await scanner.close()

    async def fresh_for(self, received_at: float) -> None:
        """Wait until every record acknowledged ``FRESH_WITHIN_S`` before
        ``received_at`` (epoch seconds) is applied."""
        deadline = time.monotonic() + MAX_WAIT_S
        while self.fresh_as_of < received_at - FRESH_WITHIN_S:
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning("feed.stale", topic=self.topic,
                            behind_s=round(received_at - self.fresh_as_of, 3))
                return
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    async def _poll(self, consumer: AIOKafkaConsumer, timeout_ms: int) -> None:
        batches = await consumer.getmany(timeout_ms=timeout_ms)
        for records in batches.values():
            for r in records:
                self.apply(r.key, r.value)


class CustomerFeed(Feed):
    topic = CUSTOMERS

    def __init__(self, bootstrap: str, directory: CustomerDirectory,
                 fetch_wait_ms: int = 10, **client: object) -> None:
        super().__init__(bootstrap, fetch_wait_ms, **client)
        self.directory = directory

    def loaded(self) -> None:
        log.info("customers.loaded", customers=len(self.directory))

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
