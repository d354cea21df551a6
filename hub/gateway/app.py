"""The gateway's ASGI app. FastAPI (on Starlette) because it gives the
OpenAPI document at /docs for free while leaving us the raw body, which
every signature scheme needs byte for byte."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.channels import CHANNELS, ChannelSpec
from hub.connectors.base import Connector
from hub.errors import HubError, PayloadTooLarge
from hub.event import utcnow
from hub.gateway.ingest import Ingest, request_meta
from hub.gateway.metrics import LATENCY, REQUESTS
from hub.kafka.bus import Bus
from hub.kafka.groups import GroupWatch
from hub.settings import Settings

log = structlog.get_logger("hub.gateway")

Handler = Callable[[Request], Awaitable[Response]]


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes before reading them where
    the client declared its length, and while streaming where it did not."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _handler(connector: Connector, spec: ChannelSpec, ingest: Ingest,
             settings: Settings) -> Handler:
    async def handle(request: Request) -> Response:
        started = time.perf_counter()
        outcome = "accepted"
        with structlog.contextvars.bound_contextvars(channel=connector.channel):
            try:
                if request.method == "GET":
                    outcome = "verified"
                    return await connector.handle_get(request)
                body = await read_body(request, connector.max_body_bytes or settings.max_body_bytes)
                received = await connector.receive(request, body)
                received_at = utcnow()
                normalized = [spec.normalize(r.payload, received_at) for r in received]
                events = [e for e in normalized if e is not None]
                if len(events) < len(normalized):
                    # Pushes that carry no customer message (unsubscribe, menu views...).
                    outcome = "ignored"
                    log.info("webhook.ignored", count=len(normalized) - len(events),
                             kinds=[r.kind for r in received if r.kind])
                accepted = await ingest.store(request_meta(request), body, events, received_at) \
                    if events else []
                # DEBUG: a line per request was a fifth of the gateway's CPU; the
                # counters in hub.gateway.metrics say how many were accepted.
                for a in accepted:
                    log.debug("webhook.accepted", event_id=a.event_id, duplicate=a.duplicate)
                if accepted and all(a.duplicate for a in accepted):
                    outcome = "duplicate"
                return connector.answer(accepted, request)
            except HubError as err:
                outcome = err.code
                log.warning("webhook.refused", code=err.code, reason=err.message)
                return connector.refuse(err, request)
            except Exception:
                outcome = "internal_error"
                log.exception("webhook.failed")
                return JSONResponse({"error": {"code": "internal_error",
                                               "message": "unexpected error"}}, 500)
            finally:
                REQUESTS.labels(connector.channel, outcome).inc()
                LATENCY.labels(connector.channel, outcome).observe(time.perf_counter() - started)

    handle.__name__ = f"{connector.channel}_webhook"
    return handle


def settle_gc() -> None:
    """After start-up: what is loaded by now lives as long as the process, so
    it leaves the collector's view (``gc.freeze``); and a young generation of
    50,000 objects instead of 700 collects less often. Full collections of
    the start-up heap took 85-150 ms about once a second under load: they
    were the gateway's p99."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


class Gateway(FastAPI):
    """FastAPI for the docs, the pages and the ops routes; a channel's webhook
    goes straight to its handler, which reads the raw body, catches its own
    errors and answers itself. FastAPI's middleware stack, dependency solving
    and telemetry hooks were a fifth of a post's CPU (bench/stream.py). The
    routes stay registered with FastAPI, so /docs is unchanged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channel_posts: dict[tuple[str, str], Handler] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        handle = self.channel_posts.get((scope.get("method", ""), scope.get("path", ""))) \
            if scope["type"] == "http" else None
        if handle is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        response = await handle(Request(scope, receive, send))
        await response(scope, receive, send)


def create_app(settings: Settings, channels: tuple[ChannelSpec, ...] = CHANNELS) -> FastAPI:
    bus = Bus(settings)
    ingest = Ingest(bus)
    workers = GroupWatch(settings.bootstrap, settings.worker_id)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await bus.ping()  # connect early when we can; requests retry when we cannot
        settle_gc()
        yield
        await workers.close()
        await bus.close()

    app = Gateway(title="hub gateway", version="1", lifespan=lifespan,
                  description="Omnichannel intake: see shared/contract.md")
    app.state.bus = bus
    for spec in channels:
        connector = spec.connector(settings)
        handle = _handler(connector, spec, ingest, settings)
        app.add_api_route(connector.path, handle, methods=list(connector.methods),
                          summary=connector.summary, tags=["channels"], status_code=202)
        app.channel_posts.update({(method, connector.path): handle for method in connector.methods})
        for path, endpoint in connector.pages():
            app.add_api_route(path, endpoint, methods=["GET"], tags=["pages"],
                              include_in_schema=False)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz(scope: str = "routing") -> Response:
        """Ready when events are stored and routed: the broker answers and a
        worker has joined its group. ``?scope=intake`` asks only the first, for a
        load balancer that should keep taking posts while workers restart."""
        if not await bus.ping():
            return JSONResponse({"status": "broker_unavailable"}, 503,
                                headers={"Retry-After": "5"})
        if scope != "intake" and not await workers.members():
            return JSONResponse({"status": "not_routing",
                                 "detail": f"no worker in consumer group {workers.group}"},
                                503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["ops"])
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
