"""The gateway's ASGI app. FastAPI (on Starlette) because it gives the
OpenAPI document at /docs for free while leaving us the raw body, which
every signature scheme needs byte for byte."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from hub.channels import CHANNELS, ChannelSpec
from hub.connectors.base import Connector, Received
from hub.errors import BrokerUnavailable, HubError, PayloadTooLarge
from hub.event import Event, utcnow
from hub.gateway.ingest import Ingest, request_meta
from hub.gateway.metrics import LATENCY, REQUESTS
from hub.gateway.openapi import install as install_openapi
from hub.kafka.bus import Bus
from hub.kafka.groups import GroupWatch
from hub.kafka.security import client_kwargs
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


async def _read_authenticated(connector: Connector, spec: ChannelSpec, ingest: Ingest,
                              request: Request, body: bytes, received_at: datetime
                              ) -> tuple[list[Received], list[Event | None]]:
    """Parse and normalize an authenticated request. One that fails is kept in
    hub.raw (acks=all) before its refusal is answered, so nothing the
    upstream sent is lost to a bug here; if it cannot be kept, the answer is
    503 and the upstream sends it again."""
    try:
        received = await connector.parse(request, body)
        return received, [spec.normalize(r.payload, received_at) for r in received]
    except Exception as exc:
        # A bug is kept too (the point of replay), by its type only: messages
        # of library exceptions can quote the payload.
        error = exc if isinstance(exc, HubError) \
            else HubError(f"unexpected error: {type(exc).__name__}")
        await ingest.store_refused(request_meta(request), body, connector.channel, error,
                                   received_at)
        raise


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
                await connector.authenticate(request, body)  # refused here: stored nowhere
                received_at = utcnow()
                received, normalized = await _read_authenticated(
                    connector, spec, ingest, request, body, received_at)
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
    workers = GroupWatch(settings.bootstrap, settings.worker_id, **client_kwargs(settings))

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

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> Response:
        # Unknown paths and methods answer in the contract's error shape too.
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": {"code": code, "message": str(exc.detail)}},
                            exc.status_code, headers=exc.headers)

    for spec in channels:
        connector = spec.connector(settings)
        handle = _handler(connector, spec, ingest, settings)
        # The document's operations come from connector.docs (hub.gateway.openapi).
        app.add_api_route(connector.path, handle, methods=list(connector.methods),
                          include_in_schema=False)
        app.channel_posts.update({(method, connector.path): handle for method in connector.methods})
        for path, endpoint in connector.pages():
            app.add_api_route(path, endpoint, methods=["GET"], tags=["pages"],
                              include_in_schema=False)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", tags=["ops"],
             summary="Readiness: the topics exist on a broker that answers, and a worker "
                     "has joined its group (?scope=intake: the first only)",
             response_model=Health, responses={503: {
                 "model": Health, "description": "Broker unreachable, topics lost, or no worker",
                 "headers": {"Retry-After": {"schema": {"type": "integer"}}}}})
    async def readyz(scope: Literal["routing", "intake"] = "routing") -> Response:
        """Ready when events are stored and routed. ``?scope=intake`` is for a
        load balancer that should keep taking posts while workers restart."""
        try:
            problems = await bus.topic_problems()
        except BrokerUnavailable as err:
            problems = [err.message]
        if problems:
            return JSONResponse({"status": "broker_unavailable", "problems": problems}, 503,
                                headers={"Retry-After": "5"})
        if scope != "intake" and not await workers.members():
            return JSONResponse({"status": "not_routing",
                                 "detail": f"no worker in consumer group {workers.group}"},
                                503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics",
             response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    install_openapi(app, [spec.connector for spec in channels])
    return app


class Health(BaseModel):
    status: str
