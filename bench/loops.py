"""The worker's yardsticks for bench/stream.py, each run as its own process
(its RSS is measured alone) on its own consumer group and output topics:

    python bench/loops.py plain BOOTSTRAP COUNT PREFIX  # consume -> Router.route -> produce
    python bench/loops.py raw BOOTSTRAP COUNT TOPIC     # consume -> produce

Both read hub.intake from the beginning, send a fetch's records, wait for
every acknowledgement (acks=all, as the worker) and commit, until COUNT
records are out. Prints its RSS in bytes on its last line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402
import psutil  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

from hub import cloudevents  # noqa: E402
from hub.event import Event, utcnow  # noqa: E402
from hub.kafka.topics import INTAKE  # noqa: E402
from hub.routers.identity import CustomerDirectory  # noqa: E402
from hub.routers.pipeline import Router, customer_key  # noqa: E402
from hub.routers.policy import load_policy  # noqa: E402
from hub.worker.customers import CustomerFeed  # noqa: E402


def router_step(router: Router, prefix: str):
    def step(record) -> tuple[str, bytes, bytes, list]:
        event = Event.from_json(record.value)
        routed = router.route(event)
        headers = cloudevents.headers(id=event.event_id, source="/hub/worker",
                                      type="hub.routed.v1", time=utcnow(),
                                      subject=routed.route.queue)
        return (prefix + routed.route.topic, customer_key(routed).encode(),
                orjson.dumps(routed.model_dump(mode="json", by_alias=True)), headers)
    return step


def raw_step(topic: str):
    def step(record) -> tuple[str, bytes, bytes, list]:
        return topic, record.key, record.value, list(record.headers)
    return step


async def loop(kind: str, bootstrap: str, count: int, target: str) -> None:
    feeding = None
    if kind == "plain":
        directory = CustomerDirectory()
        feed = CustomerFeed(bootstrap, directory)
        feeding = asyncio.create_task(feed.run())
        await feed.ready.wait()
        step = router_step(Router(directory, load_policy(None)), target)
    else:
        step = raw_step(target)
    consumer = AIOKafkaConsumer(INTAKE, bootstrap_servers=bootstrap, group_id=f"bench-{kind}",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                fetch_max_wait_ms=10, max_poll_records=500)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=False, linger_ms=0)
    await consumer.start()
    await producer.start()
    done = 0
    try:
        while done < count:
            for records in (await consumer.getmany(timeout_ms=200, max_records=500)).values():
                futures = []
                for record in records:
                    topic, key, value, headers = step(record)
                    futures.append(await producer.send(topic, value, key=key, headers=headers))
                await asyncio.gather(*futures)
                await consumer.commit()
                done += len(records)
    finally:
        await consumer.stop()
        await producer.stop()
        if feeding:
            feeding.cancel()
    print(psutil.Process().memory_info().rss)


if __name__ == "__main__":
    asyncio.run(loop(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
