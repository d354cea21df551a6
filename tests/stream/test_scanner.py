"""Reading partitions outside a group, on the real broker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from aiokafka import AIOKafkaProducer, TopicPartition

from hub.stream.scanner import Scanner


def test_read_from_a_partition_written_to_all_along_ends_with_all_it_had(broker):
    topic = f"busy-{uuid.uuid4().hex[:8]}"
    tp = TopicPartition(topic, 0)

    async def scenario() -> tuple[int, list]:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        for i in range(50):
            await producer.send_and_wait(topic, str(i).encode(), partition=0)

        async def keep_writing() -> None:
            n = 50
            while True:
                await producer.send_and_wait(topic, str(n).encode(), partition=0)
                n += 1
                await asyncio.sleep(0.005)

        writer = asyncio.create_task(keep_writing())
        scanner = Scanner(broker.bootstrap)
        try:
            await asyncio.sleep(0.3)
            before = (await scanner.end_offsets([tp]))[tp]
            # It used to wait for a fetch that brought nothing: never, here.
            records = await asyncio.wait_for(scanner.read_from({tp: 0}), 30)
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            await scanner.close()
            await producer.stop()
        return before, records

    before, records = asyncio.run(scenario())
    offsets = [r.offset for r in records]
    assert offsets == list(range(len(offsets)))
    assert len(offsets) >= before
