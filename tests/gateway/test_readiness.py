"""/readyz means routing: ready only once a worker has joined its group."""

import time

import httpx

from tests.conftest import start_broker
from tests.helpers import Proc, hub_env, start_gateway


def _readyz(url: str, **params) -> httpx.Response:
    return httpx.get(f"{url}/readyz", params=params, timeout=10)


def test_ready_only_when_a_worker_routes_and_intake_readiness_apart(tmp_path):
    broker = start_broker(tmp_path)
    gateway, url = start_gateway(broker.bootstrap, tmp_path)
    worker = None
    try:
        not_yet = _readyz(url)
        assert not_yet.status_code == 503
        assert not_yet.json() == {"status": "not_routing",
                                  "detail": "no worker in consumer group hub-worker"}
        assert _readyz(url, scope="intake").json() == {"status": "ready"}
        worker = Proc("worker", hub_env(broker.bootstrap), tmp_path).start()
        worker.wait_log("worker.routing")
        deadline = time.monotonic() + 15
        while _readyz(url).status_code != 200:
            assert time.monotonic() < deadline, _readyz(url).json()
            time.sleep(0.3)
    finally:
        if worker:
            worker.stop()
        gateway.stop()
        broker.stop()
