"""The worker's /metrics: lag, routed by tier and type, dead letters by
reason, route latency, state size."""

import asyncio
import re
import time

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from hub.event import utcnow
from hub.kafka.embedded import free_port
from hub.kafka.topics import INTAKE
from hub.normalizers.hotline import normalize
from tests.conftest import start_broker
from tests.helpers import FIXTURES, Proc, hub_env


async def _intake(bootstrap: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(INTAKE, value, key=key)
    finally:
        await producer.stop()


def _value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_worker_metrics_count_what_it_routed_and_dead_lettered(tmp_path):
    broker = start_broker(tmp_path)
    port = free_port()
    worker = Proc("worker", hub_env(broker.bootstrap, HUB_WORKER_METRICS_PORT=str(port)),
                  tmp_path).start()
    try:
        worker.wait_log("worker.routing")
        event = normalize(orjson.loads((FIXTURES / "hotline" / "repair_booking.json")
                                       .read_bytes()), utcnow())
        asyncio.run(_intake(broker.bootstrap, [
            (event.event_id.encode(), event.model_dump_json(by_alias=True).encode()),
            (b"not-an-event", b"{oops")]))
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 30
        while True:
            text = httpx.get(url, timeout=5).text
            if _value(text, "hub_deadlettered_total", reason="invalid_event"):
                break
            assert time.monotonic() < deadline, text[-3000:]
            time.sleep(0.5)
        assert _value(text, "hub_routed_total", tier="ordinary", type="repair",
                      channel="hotline") == 1
        assert _value(text, "hub_route_latency_seconds_count") == 1
        assert _value(text, "hub_stream_state_entries", stage="hub-worker") >= 1
        # Housekeeping (every 5 s) sets the lag of every owned partition.
        deadline = time.monotonic() + 15
        while True:
            lags = re.findall(r'hub_stream_lag\{partition="(\d)",stage="hub-worker",'
                              r'topic="hub.intake"\} (\S+)', text)
            if len(lags) == 3 and all(float(lag) == 0 for _, lag in lags):
                break
            assert time.monotonic() < deadline, (lags, worker.log()[-2000:])
            time.sleep(1)
            text = httpx.get(url, timeout=5).text
    finally:
        worker.stop()
        broker.stop()
