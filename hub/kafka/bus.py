"""The producer every part of the hub writes with: acks=all, and an answer
within ``publish_timeout_s``. A write that Kafka did not acknowledge in time
raises :class:`BrokerUnavailable`; it may still land later, which is harmless
because event ids are stable and the worker deduplicates by them.

An acknowledgement alone is not enough: a broker that lost its topics (the
embedded one restarted memory-only) re-creates them on first mention and
acknowledges writes that no consumer group will ever read. So every write is
confirmed afterwards by fresh metadata: its topics exist with the configured
partitions, or the write is refused like an unacknowledged one."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.structs import RecordMetadata

from hub.cloudevents import Headers
from hub.errors import BrokerUnavailable
from hub.kafka.security import client_kwargs
from hub.kafka.topics import CONTRACT_TOPICS, topic_problems
from hub.settings import Settings


class Bus:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _ensure(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._settings.bootstrap,
                    acks="all",
                    # Tansu has no idempotent producer; duplicates are handled by event_id.
                    enable_idempotence=False,
                    # No linger: under load the records of concurrent posts batch by
                    # themselves while a request is in flight; 2 ms of linger saved no
                    # CPU per post (bench/stream.py) and would add 2 ms to each.
                    linger_ms=0,
                    request_timeout_ms=int(self._settings.publish_timeout_s * 1000) + 2000,
                    max_request_size=4 * 1024 * 1024,
                    **client_kwargs(self._settings),
                )
                try:
                    await asyncio.wait_for(producer.start(), self._settings.publish_timeout_s)
                except (TimeoutError, KafkaError, OSError) as exc:
                    await producer.stop()
                    raise BrokerUnavailable("Kafka is not reachable") from exc
                self._producer = producer
        return self._producer

    async def publish(self, topic: str, key: str | bytes | None, value: bytes,
                      headers: Headers, partition: int | None = None) -> RecordMetadata:
        results = await self.publish_many([(topic, key, value, headers, partition)])
        return results[0]

    async def publish_many(
        self, records: list[tuple[str, str | bytes | None, bytes, Headers, int | None]]
    ) -> list[RecordMetadata]:
        """Send all records at once and return when Kafka acknowledged every one."""
        producer = await self._ensure()
        try:
            futures = [
                await producer.send(topic, value=value, headers=headers, partition=partition,
                                    key=key.encode() if isinstance(key, str) else key)
                for topic, key, value, headers, partition in records
            ]
            results = list(await asyncio.wait_for(asyncio.gather(*futures),
                                                  self._settings.publish_timeout_s))
        except (TimeoutError, KafkaError, OSError) as exc:
            producer.client.force_metadata_update()  # the next write sees today's topics
            raise BrokerUnavailable("Kafka did not acknowledge the write") from exc
        problems = await self.topic_problems({topic for topic, *_ in records})
        # A producer that still believes the made-up count writes to a partition
        # that does not exist any more, and Tansu acknowledges that too.
        problems += [f"{r.topic} has no partition {r.partition}" for r in results
                     if r.partition >= self._settings.partitions and r.topic in CONTRACT_TOPICS]
        if problems:
            producer.client.force_metadata_update()
            raise BrokerUnavailable("the broker lost its topics (" + "; ".join(problems)
                                    + "): run `hub topics create`")
        return results

    async def topic_problems(self, topics: set[str] | None = None) -> list[str]:
        """What is wrong with the contract topics (or those of ``topics``) now.
        Asks for these topics only, and without letting the broker create
        them: half the cost of a full metadata request on every write."""
        producer = await self._ensure()
        names = sorted((CONTRACT_TOPICS if topics is None else topics) & CONTRACT_TOPICS)
        if not names:
            return []
        request = MetadataRequest(names, allow_auto_topic_creation=False)
        try:
            node = producer.client.get_random_node()
            if node is None:
                raise BrokerUnavailable("no Kafka broker known")
            answer = await asyncio.wait_for(producer.client.send(node, request), 2.0)
        except (TimeoutError, KafkaError, OSError) as exc:
            raise BrokerUnavailable("Kafka did not answer a metadata request") from exc
        counts = {t["topic"]: len(t["partitions"]) for t in answer.to_object()["topics"]
                  if t["error_code"] == 0}
        believed = producer.client.cluster
        if any(len(believed.partitions_for_topic(t) or ()) not in (0, counts.get(t, 0))
               for t in names):
            producer.client.force_metadata_update()  # the next write sees today's topics
        return topic_problems(counts, self._settings.partitions, names)

    async def ping(self) -> bool:
        """True when the broker answers a metadata request."""
        try:
            await self.topic_problems()
            return True
        except BrokerUnavailable:
            return False

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
