"""Reads partitions directly, outside any consumer group: end offsets,
ranges of records, the changelog's tail. A client of its own, because the
embedded broker answers a request on a connection only after the fetch
long-poll before it: on the group consumer's connection every end-offset
request would wait for a fetch to time out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError
from aiokafka.protocol.metadata import MetadataRequest


class Scanner:
    def __init__(self, bootstrap: str, **client: object) -> None:
        self._bootstrap, self._client = bootstrap, client
        self._consumer: AIOKafkaConsumer | None = None

    async def _ensure(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap,
                                        enable_auto_commit=False, fetch_max_wait_ms=50,
                                        **self._client)
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def close(self) -> None:
        if self._consumer is not None:
            # aiokafka 0.14's fetcher, stopped right after a read unassigned its
            # partitions, can swallow its cancellation and hang the stop.
            await asyncio.sleep(0.2)
            await self._consumer.stop()
            self._consumer = None

    async def partitions(self, topic: str) -> list[int]:
        consumer = await self._ensure()
        found = consumer.partitions_for_topic(topic)
        if not found:
            # The consumer's metadata covers the topics it knew at start (its
            # refresh returns a copy and keeps none): ask for this one, without
            # letting the broker create it (as hub.kafka.bus does).
            found = await self._ask(topic)
        if not found:
            raise KafkaError(f"topic {topic} does not exist")
        return sorted(found)

    async def _ask(self, topic: str) -> set[int]:
        producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, **self._client)
        await producer.start()
        try:
            node = producer.client.get_random_node()
            answer = await producer.client.send(
                node, MetadataRequest([topic], allow_auto_topic_creation=False))
        finally:
            await producer.stop()
        return {p["partition"] for t in answer.to_object()["topics"]
                if t["topic"] == topic and t["error_code"] == 0 for p in t["partitions"]}

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        return dict(await (await self._ensure()).end_offsets(tps))

    async def start_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        return dict(await (await self._ensure()).beginning_offsets(tps))

    async def read(self, ranges: dict[TopicPartition, tuple[int, int]]) -> list:
        """Records with ``start <= offset < end`` for each partition's range."""
        return await self._read({tp: r for tp, r in ranges.items() if r[0] < r[1]}, True)

    async def read_from(self, starts: dict[TopicPartition, int],
                        sink: Callable[[list], object] | None = None) -> list:
        """Every record from each partition's start to its end.

        Not "up to the end offset": the embedded broker reports the end of a
        partition as one past the first offset of its last record batch, so
        a batch of ten records written at once looks like one. A fetch
        returns whole batches, so reading until the position passes the
        reported end and keeping everything gets the whole of it.

        With ``sink``, each fetched batch goes to it instead of the result: a
        changelog of a million records is replayed without holding it."""
        ends = await self.end_offsets(list(starts))
        return await self._read({tp: (s, ends[tp]) for tp, s in starts.items()}, False, sink)

    async def read_topic(self, topic: str,
                         sink: Callable[[list], object] | None = None) -> list:
        """Every record of ``topic`` (to ``sink`` as in :meth:`read_from`); none
        when it does not exist (the embedded broker lists no topic that was
        never written to). A broker that cannot be reached is an error, not an
        empty topic."""
        try:
            parts = await self.partitions(topic)
        except KafkaConnectionError:
            raise
        except KafkaError:
            return []
        return await self.read_from({TopicPartition(topic, p): 0 for p in parts}, sink)

    async def _read(self, wanted: dict[TopicPartition, tuple[int, int]], bounded: bool,
                    sink: Callable[[list], object] | None = None) -> list:
        if not wanted:
            return []
        consumer = await self._ensure()
        consumer.assign(list(wanted))
        try:
            for tp, (start, _) in wanted.items():
                consumer.seek(tp, start)
            out: list = []
            left, passed = set(wanted), set()
            while left:
                batch = await consumer.getmany(*left, timeout_ms=1000)
                for tp, records in batch.items():
                    start, end = wanted[tp]
                    kept = [r for r in records
                            if start <= r.offset and (r.offset < end or not bounded)]
                    if sink is None:
                        out += kept
                    elif kept:
                        sink(kept)
                for tp in list(left):
                    # Unbounded: past the reported end (which can lie inside the
                    # last batch; a fetch brings whole batches), then one fetch
                    # more or one that brought nothing. Not "until nothing comes":
                    # on a partition written to all along that never happened.
                    if bounded or tp in passed or not batch.get(tp):
                        if await consumer.position(tp) >= wanted[tp][1]:
                            left.discard(tp)
                    elif await consumer.position(tp) >= wanted[tp][1]:
                        passed.add(tp)
            return out
        finally:
            # Left assigned, the client would keep long-polling these partitions.
            consumer.unsubscribe()
