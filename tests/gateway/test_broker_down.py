"""When Kafka cannot take the write, nothing is acknowledged: 503 with Retry-After."""

from __future__ import annotations

import time

import orjson

from tests.conftest import start_broker
from tests.helpers import FIXTURES, signed_post, start_gateway


def test_stopped_broker_gives_503_and_acknowledges_nothing(logs_dir):
    broker = start_broker(logs_dir)
    gateway, url = start_gateway(broker.bootstrap, logs_dir)
    try:
        payload = orjson.loads((FIXTURES / "hotline/repair_booking.json").read_bytes())
        assert signed_post(url, "hotline", payload).status_code == 202
        broker.stop()
        started = time.monotonic()
        response = signed_post(url, "hotline", {**payload, "call_id": "CALL-DOWN-1"})
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "broker_unavailable"
        assert int(response.headers["retry-after"]) > 0
        assert elapsed < 10  # answered within the publish timeout, not hung
        # Authenticated but unreadable: it cannot be kept, so not 400 but 503,
        # and the upstream sends it again once the broker is back.
        unreadable = signed_post(url, "hotline", None, body=b'{"call_id": ')
        assert unreadable.status_code == 503 and int(unreadable.headers["retry-after"]) > 0
        assert unreadable.json()["error"]["code"] == "broker_unavailable"
        # Not authenticated: refused as ever, no broker needed.
        assert signed_post(url, "hotline", payload, secret="whsec_" + "QUJD" * 8
                           ).status_code == 401
        import httpx

        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert httpx.get(f"{url}/healthz").status_code == 200  # alive, just not ready
    finally:
        gateway.stop()
        broker.stop()


def test_gateway_started_before_the_broker_answers_503_then_recovers(logs_dir):
    from hub.kafka.embedded import EmbeddedBroker, free_port

    port = free_port()
    gateway, url = start_gateway(f"127.0.0.1:{port}", logs_dir)
    broker = None
    try:
        payload = orjson.loads((FIXTURES / "hotline/repair_booking.json").read_bytes())
        assert signed_post(url, "hotline", payload).status_code == 503
        broker = EmbeddedBroker(port, log_path=logs_dir / "late-broker.log").start()
        import asyncio

        from hub.kafka.topics import create_topics
        from hub.settings import load_settings

        asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
        deadline = time.monotonic() + 20
        while (status := signed_post(url, "hotline", payload).status_code) != 202:
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
    finally:
        gateway.stop()
        if broker:
            broker.stop()
