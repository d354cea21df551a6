"""The /metrics server of the processes that serve no HTTP of their own (the
worker, the dispatcher): prometheus_client's, on its own thread."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import start_http_server

log = structlog.get_logger("hub.metrics")


def start(part: str, host: str, port: int) -> WSGIServer | None:
    """Serve /metrics on ``host:port``; none for port 0, or when the port is
    taken (two workers on one machine: the second runs without)."""
    if not port:
        return None
    try:
        server, _thread = start_http_server(port, addr=host)
    except OSError as exc:
        log.warning("metrics.unavailable", part=part, host=host, port=port, error=str(exc))
        return None
    shown = f"[{host}]" if ":" in host else host
    log.info("metrics.serving", part=part, url=f"http://{shown}:{port}/metrics")
    return server
