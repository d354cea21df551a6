"""End-to-end latency on the embedded broker: signed hotline POST -> 202
(gateway, acks=all on hub.raw + hub.intake) and POST -> record on
hub.routed.* (gateway + worker). Real processes, real HTTP, real Kafka.

    .venv/bin/python bench/latency.py --events 300

Prints percentiles; run-to-run noise on a 2-core machine is a few ms."""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from stack import line, running_stack

from hub.kafka.topics import ROUTED
from hub.settings import DEV_SOURCE_SECRETS
from hub.signatures import signed_headers


async def run(url: str, bootstrap: str, events: int, concurrency: int,
              pause_s: float = 0.0) -> None:
    # A short fetch wait: the embedded broker answers a fetch only when its wait ends,
    # so the default (500 ms) would be counted as latency.
    consumer = AIOKafkaConsumer(*ROUTED, bootstrap_servers=bootstrap, auto_offset_reset="latest",
                                fetch_max_wait_ms=10)
    await consumer.start()
    await asyncio.sleep(2)  # let the consumer settle at the end of every partition
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    answers: list[float] = []

    async def collect() -> None:
        async for record in consumer:
            arrived.setdefault(dict(record.headers)["ce_id"].decode(), time.perf_counter())

    collector = asyncio.create_task(collect())
    secret = DEV_SOURCE_SECRETS["hotline"]
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as client:
        async def post(i: int) -> None:
            body = orjson.dumps({"call_id": f"BENCH-{uuid.uuid4().hex}", "caller": "13811112222",
                                 "ivr_path": ["2"], "transcript": "刹车异响 想预约检查"})
            headers = signed_headers(secret, body, f"msg_{i}") | {
                "content-type": "application/json"}
            async with sem:
                if pause_s:
                    await asyncio.sleep(pause_s)
                t0 = time.perf_counter()
                r = await client.post(f"{url}/v1/channels/hotline", content=body, headers=headers)
                answers.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 202, r.text
            sent[r.json()["event_id"]] = t0

        t_start = time.perf_counter()
        await asyncio.gather(*(post(i) for i in range(events)))
        wall = time.perf_counter() - t_start
    deadline = time.monotonic() + 60
    # Polling with a deadline: the collector task owns the consumer.
    while len(arrived.keys() & sent.keys()) < len(sent) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    collector.cancel()
    await consumer.stop()
    e2e = [(arrived[k] - sent[k]) * 1000 for k in sent if k in arrived]
    mode = f"paced, 1 every {pause_s * 1000:.0f} ms" if pause_s else f"concurrency {concurrency}"
    print(f"\n{mode}: {events} webhooks in {wall:.2f} s "
          f"({events / wall:.0f} req/s), {len(e2e)}/{events} routed")
    print(line("POST -> 202 (stored, acks=all)", answers))
    print(line("POST -> routed topic", e2e))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    with running_stack() as (url, bootstrap):
        asyncio.run(run(url, bootstrap, min(args.events, 100), 1, pause_s=0.05))
        for concurrency in (1, 16):
            asyncio.run(run(url, bootstrap, args.events, concurrency))


if __name__ == "__main__":
    main()
