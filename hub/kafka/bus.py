"""The producer every part of the hub writes with: acks=all, and an answer
within ``publish_timeout_s``. A write that Kafka did not acknowledge in time
raises :class:`BrokerUnavailable`; it may still land later, which is harmless
because event ids are stable and the worker deduplicates by them."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata

from hub.cloudevents import Headers
from hub.errors import BrokerUnavailable
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
            return list(await asyncio.wait_for(asyncio.gather(*futures),
                                               self._settings.publish_timeout_s))
        except (TimeoutError, KafkaError, OSError) as exc:
            raise BrokerUnavailable("Kafka did not acknowledge the write") from exc

    async def ping(self) -> bool:
        """True when the broker answers a metadata request."""
        try:
            producer = await self._ensure()
            await asyncio.wait_for(producer.client.fetch_all_metadata(), 2.0)
            return True
        except (BrokerUnavailable, TimeoutError, KafkaError, OSError):
            return False

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
