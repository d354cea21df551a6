"""The worker's and the dispatcher's /metrics server: where it listens."""

import httpx
import pytest

from hub import metrics_server
from hub.kafka.embedded import free_port

# Linux routes all of 127/8 to loopback, but a socket bound to 127.0.0.1
# answers on that address only: 127.0.0.2 stands for the pod's own address.
OTHER = "127.0.0.2"


def _serve(host: str):
    port = free_port()
    server = metrics_server.start("test", host, port)
    assert server is not None
    return server, port


def test_all_addresses_serve_metrics_to_probes_and_prometheus():
    server, port = _serve("0.0.0.0")
    try:
        for host in ("127.0.0.1", OTHER):
            reply = httpx.get(f"http://{host}:{port}/metrics", timeout=5)
            assert reply.status_code == 200 and "python_info" in reply.text
    finally:
        server.shutdown()
        server.server_close()


def test_the_default_loopback_bind_is_unreachable_from_elsewhere():
    server, port = _serve("127.0.0.1")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{OTHER}:{port}/metrics", timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def test_port_zero_serves_nothing_and_a_taken_port_is_not_fatal():
    assert metrics_server.start("test", "127.0.0.1", 0) is None
    server, port = _serve("127.0.0.1")
    try:
        assert metrics_server.start("test", "127.0.0.1", port) is None
    finally:
        server.shutdown()
        server.server_close()
