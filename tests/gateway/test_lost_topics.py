"""A broker that lost its topics gets no acknowledged write: a memory-only
broker SIGKILLed and restarted empty re-creates any topic on first mention
(with 4 partitions), so the gateway must look, not trust the ack."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx
import orjson

from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.topics import INTAKE, create_topics
from hub.settings import load_settings
from tests.conftest import start_broker
from tests.helpers import FIXTURES, ROOT, hub_env, read_topics, signed_post, start_gateway


def _post(url: str, n: int) -> httpx.Response:
    payload = orjson.loads((FIXTURES / "hotline/repair_booking.json").read_bytes())
    return signed_post(url, "hotline", {**payload, "call_id": f"CALL-LOST-{n}"})


def test_restarted_empty_broker_gives_503_until_topics_are_created_again(logs_dir):
    broker = start_broker(logs_dir)
    gateway, url = start_gateway(broker.bootstrap, logs_dir)
    try:
        assert _post(url, 0).status_code == 202
        broker.proc.kill()
        broker.proc.wait()
        broker = EmbeddedBroker(broker.port, log_path=logs_dir / "empty-broker.log").start()
        # Every write now lands in a topic Tansu made up on the spot: none is acknowledged.
        for n in range(1, 6):
            refused = _post(url, n)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "broker_unavailable"
            assert int(refused.headers["retry-after"]) > 0
        ready = httpx.get(f"{url}/readyz?scope=intake", timeout=10)
        assert ready.status_code == 503
        assert any(INTAKE in p for p in ready.json()["problems"]), ready.json()

        done = subprocess.run([sys.executable, "-m", "hub", "topics", "create"], cwd=ROOT,
                              env=hub_env(broker.bootstrap), capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert f"created  {INTAKE}" in done.stdout or f"recreated {INTAKE}" in done.stdout

        assert httpx.get(f"{url}/readyz?scope=intake", timeout=10).status_code == 200
        answers = [_post(url, n) for n in range(10, 20)]
        assert {r.status_code for r in answers} <= {202, 503}
        assert [r.status_code for r in answers[-5:]] == [202] * 5
        ids = {r.json()["event_id"] for r in answers if r.status_code == 202}
        deadline = time.monotonic() + 20
        while not ids <= {r.key.decode() for r in read_topics(broker.bootstrap, [INTAKE])}:
            assert time.monotonic() < deadline, "acknowledged events missing from hub.intake"
            time.sleep(0.3)
    finally:
        gateway.stop()
        broker.stop()


def test_topic_with_the_wrong_partition_count_is_refused_then_recreated(logs_dir):
    broker = EmbeddedBroker(free_port(), log_path=logs_dir / "five-broker.log").start()
    asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap, partitions=5)))
    gateway, url = start_gateway(broker.bootstrap, logs_dir)  # configured for 3
    try:
        refused = _post(url, 20)
        assert refused.status_code == 503
        assert "has 5 partitions, not 3" in refused.json()["error"]["message"]
        # A broker the hub started holds nothing acknowledged there: made again.
        result = asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
        assert result[INTAKE] == "recreated"
        # The gateway's producer may still believe in 5 partitions for one write:
        # that one is refused (partition 3 or 4 is gone), never acknowledged.
        assert 202 in [_post(url, 21).status_code for _ in range(3)]
    finally:
        gateway.stop()
        broker.stop()
