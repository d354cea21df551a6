"""The embedded broker's two storage engines side by side: memory-only
(`hub up --memory`) and on disk (`hub up`: Tansu's s3:// engine on
hub.kafka.s3store, fsync per write). Real broker processes on loopback.

    .venv/bin/python bench/broker_storage.py --records 1000

Per engine: one-at-a-time produce latency (acks=all, the gateway's case:
each request waits for its own write), produce throughput with many writes
in flight, and how long reading everything back takes with the fetch wait
`hub up` uses for that engine. Also the listing cost of a partition as it
grows, which is what every fetch on disk pays."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.topics import INTAKE, create_topics
from hub.settings import load_settings

VALUE = b"x" * 600  # about one hub.intake event


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


async def measure(bootstrap: str, records: int, fetch_wait_ms: int) -> dict[str, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=False, linger_ms=0)
    await producer.start()
    try:
        lat = []
        for n in range(records):
            started = time.perf_counter()
            await (await producer.send(INTAKE, VALUE, key=b"k%d" % n))
            lat.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        futures = [await producer.send(INTAKE, VALUE, key=b"b%d" % n) for n in range(records)]
        await asyncio.gather(*futures)
        burst = records / (time.perf_counter() - started)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_wait_ms=fetch_wait_ms)
    await consumer.start()
    try:
        tps = [TopicPartition(INTAKE, p) for p in range(3)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        started, seen = time.perf_counter(), 0
        while seen < 2 * records and time.perf_counter() - started < 120:
            batch = await consumer.getmany(timeout_ms=500)
            seen += sum(len(v) for v in batch.values())
        read_s = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {"p50 ms": pct(lat, 50), "p99 ms": pct(lat, 99),
            "one-at-a-time /s": 1000 / statistics.mean(lat), "in flight /s": burst,
            "read all s": read_s, "read /s": seen / read_s}


def run_engine(data_dir: Path | None, records: int, log: Path) -> dict[str, float]:
    broker = EmbeddedBroker(free_port(), log_path=log, data_dir=data_dir).start()
    try:
        asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
        return asyncio.run(measure(broker.bootstrap, records, 10 if data_dir is None else 50))
    finally:
        broker.stop()


def listing_cost(data_dir: Path) -> list[tuple[int, float, float]]:
    """Milliseconds for a full listing of a partition's records (what Tansu asks
    the store on every fetch, 1,000 keys a page) as the partition holds more
    batches: the first after the store started (a walk of the folder), then
    the next ones (from the store's sorted keys)."""
    import http.client
    import re
    import subprocess
    import sys

    folder = data_dir / "tansu" / "clusters" / "bench" / "records"
    folder.mkdir(parents=True, exist_ok=True)
    out, have = [], 0

    def full_listing(conn: http.client.HTTPConnection) -> None:
        token = None
        while True:
            path = "/tansu?list-type=2&prefix=clusters%2Fbench%2Frecords%2F"
            if token:
                path += f"&continuation-token={token}"
            conn.request("GET", path)
            body = conn.getresponse().read().decode()
            found = re.search(r"<NextContinuationToken>([^<]+)<", body)
            if not found:
                return
            token = found.group(1)

    for size in (100, 1000, 10_000):
        for n in range(have, size):
            (folder / f"{n:020}.batch").write_bytes(VALUE)
        have = size
        port = free_port()
        store = subprocess.Popen([sys.executable, "-m", "hub.kafka.s3store", str(data_dir),
                                  "--port", str(port)], stderr=subprocess.DEVNULL)
        try:
            time.sleep(1)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            started = time.perf_counter()
            full_listing(conn)
            cold = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            for _ in range(5):
                full_listing(conn)
            out.append((size, cold, (time.perf_counter() - started) / 5 * 1000))
        finally:
            store.terminate()
            store.wait()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        tmp_path = Path(tmp)
        memory = run_engine(None, args.records, tmp_path / "memory.log")
        disk = run_engine(tmp_path / "broker", args.records, tmp_path / "disk.log")
        listing = listing_cost(tmp_path / "listing")
    print(f"{args.records} records of {len(VALUE)} bytes to hub.intake, acks=all")
    print(f"{'':22}{'memory':>12}{'disk (s3)':>12}")
    for key in memory:
        print(f"{key:22}{memory[key]:12.1f}{disk[key]:12.1f}")
    print("\nlisting a partition's records (every fetch on disk pays it), ms:")
    print(f"  {'batches':>8}{'first':>10}{'then':>10}")
    for size, cold, warm in listing:
        print(f"  {size:>8}{cold:10.1f}{warm:10.1f}")


if __name__ == "__main__":
    main()
