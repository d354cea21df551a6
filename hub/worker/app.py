"""The stream worker: hub.intake -> identify, flag, classify, triage, rate,
route -> hub.routed.{tier}.{type}; what cannot be processed -> hub.deadletter;
and the watch (hub.watch.stage): cases, clocks and escalations.

The router is a stage on the stream primitive (:mod:`hub.stream.runner`):
ordered per partition, at-least-once, and idempotent by event_id (an
upstream redelivery is skipped; a crashed batch's outputs are not written
twice). Scale out with partitions and more workers."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal
import time
from typing import Any

import orjson
import structlog
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError

from hub import cloudevents, metrics_server
from hub.answers.acknowledge import acknowledgement
from hub.errors import ConfigError, HubError
from hub.event import Event, utcnow
from hub.kafka.security import client_kwargs
from hub.kafka.topics import ALERT_DIMENSIONS, DEADLETTER, INTAKE, REPLIES, ROUTED, WATCH_ROUTED
from hub.routers.identity import CustomerDirectory
from hub.routers.pipeline import Router, customer_key
from hub.routers.policy import load_policy
from hub.settings import Settings
from hub.stream.config import options
from hub.stream.records import Output, dead_letter
from hub.stream.runner import DEADLETTERED, Runner
from hub.stream.serve import until_stopped
from hub.stream.state import PartitionState
from hub.watch.alert_stage import AlertStage
from hub.watch.alerts import dimensions
from hub.watch.stage import WatchStage
from hub.worker.batches import BatchBoard
from hub.worker.customers import CustomerFeed
from hub.worker.history import CaseHistory

log = structlog.get_logger("hub.worker")

ROUTED_TOTAL = Counter("hub_routed_total", "events routed", ["tier", "type", "queue", "channel"])
ROUTE_SECONDS = Histogram("hub_route_latency_seconds", "received by the gateway -> routed",
                          buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
CUSTOMERS_KNOWN = Gauge("hub_customers", "customers in the directory")


class RouterStage:
    """One intake record in, one routed event (or a dead letter) out."""

    inputs = (INTAKE,)
    outputs = (*ROUTED, WATCH_ROUTED, ALERT_DIMENSIONS, REPLIES, DEADLETTER)
    deadletter = DEADLETTER

    def __init__(self, name: str, router: Router) -> None:
        self.name, self.router = name, router
        self.alert_rules = router.policy.alerts

    def dedupe_key(self, record: Any) -> str | None:
        return record.key.decode(errors="replace") if record.key else None

    def process(self, record: Any, state: PartitionState) -> list[Output]:
        try:
            event = Event.from_json(record.value)
        except (orjson.JSONDecodeError, ValidationError, TypeError) as exc:
            DEADLETTERED.labels(self.name, "invalid_event").inc()
            log.error("event.deadlettered", reason="invalid_event", error=str(exc)[:300])
            return [dead_letter(record, DEADLETTER, "invalid_event", str(exc))]
        structlog.contextvars.bind_contextvars(event_id=event.event_id, channel=event.channel)
        routed = self.router.route(event)
        route = routed.route
        now = utcnow()
        ROUTED_TOTAL.labels(routed.customer.tier, routed.classification.type, route.queue,
                            routed.channel).inc()
        ROUTE_SECONDS.observe(max((now - event.received_at).total_seconds(), 0))
        log.info("route.selected", topic=route.topic, queue=route.queue,
                 priority=route.priority, risk=routed.risk.level,
                 customer_matched_by=routed.customer.matched_by)
        value = orjson.dumps(routed.model_dump(mode="json", by_alias=True))
        headers = cloudevents.headers(id=event.event_id, source="/hub/worker",
                                      type="hub.routed.v1", time=now, subject=route.queue)
        customer = customer_key(routed)
        # Again keyed by event_id, for the watch: a case and its ticket updates
        # on one partition; and one record per alert dimension, keyed by it.
        outputs = [Output(route.topic, customer.encode(), value, headers),
                   Output(WATCH_ROUTED, event.event_id.encode(), value, headers)]
        outputs += [Output(ALERT_DIMENSIONS, key.encode(), orjson.dumps(
            {"event_id": event.event_id, "customer": customer, "dimension": dimension,
             "at": event.received_at.timestamp()}), headers)
            for key, dimension in dimensions(routed, self.alert_rules)]
        reply = acknowledgement(routed, self.router.policy)
        if reply:
            outputs.append(Output(REPLIES, event.event_id.encode(), orjson.dumps(reply),
                                  cloudevents.headers(id=reply["reply_id"], source="/hub/worker",
                                                      type="hub.reply.v1", time=now,
                                                      subject=event.event_id)))
        return outputs


class Failpoint:
    """Fault injection for the recovery tests: the worker dies once its Nth
    routed record was acknowledged, ``after_publish:N`` before the batch's
    table is stored, ``after_state:N`` after it and before the input offset
    is committed: the two worst instants."""

    def __init__(self, spec: str | None) -> None:
        name, _, count = (spec or "").partition(":")
        self.name = name
        self.remaining = int(count) if count.isdigit() else None

    def hook(self, name: str):
        return self._count if self.name == name and self.remaining is not None else None

    def _count(self, outputs: int) -> None:
        self.remaining -= outputs
        if self.remaining <= 0:
            log.warning("failpoint.hit", failpoint=self.name)
            logging.shutdown()
            os._exit(137)


async def serve(settings: Settings) -> None:
    policy = load_policy(settings.policy_file)  # a bad policy stops the worker here
    directory = CustomerDirectory()
    client = client_kwargs(settings)
    feed = CustomerFeed(settings.bootstrap, directory, settings.fetch_wait, **client)
    failpoint = Failpoint(settings.failpoint)

    async def fresh(records: list) -> None:
        newest = max(r.timestamp for r in records) / 1000
        await asyncio.gather(feed.fresh_for(newest), past.fresh_for(newest))
        CUSTOMERS_KNOWN.set(len(directory))

    batches = BatchBoard(settings.bootstrap, settings.fetch_wait, **client)
    past = CaseHistory(settings.bootstrap, policy.history.repeat_window_days, settings.fetch_wait,
                       **client)
    router = Runner(RouterStage(settings.worker_id, Router(directory, policy, settings.sla_scale,
                                                           batches=batches, past=past)),
                    options(settings, before_batch=fresh,
                             after_outputs=failpoint.hook("after_publish"),
                             after_state=failpoint.hook("after_state")))
    watch = Runner(WatchStage(policy.escalation, settings.sla_scale), options(settings))
    alerts = Runner(AlertStage(policy.alerts), options(settings))
    runners = (router, watch, alerts)
    feeds = {asyncio.create_task(f.run()) for f in (feed, batches, past)}
    started = time.monotonic()
    # Nothing is routed before the directory (and the batches under way) have
    # caught up with what they held at start.
    waiter = asyncio.ensure_future(asyncio.gather(*(f.ready.wait() for f in (feed, batches, past))))
    await asyncio.wait({*feeds, waiter}, return_when=asyncio.FIRST_COMPLETED)
    for task in feeds:
        if task.done():
            task.result()  # raises why the feed stopped
    for runner in runners:
        await runner.start()
    metrics_server.start("worker", settings.metrics_host, settings.worker_metrics_port)
    tasks = {*feeds, *(asyncio.create_task(r.run()) for r in runners)}
    joined = asyncio.ensure_future(asyncio.gather(*(r.ready.wait() for r in runners)))
    await asyncio.wait({joined, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    if joined.done():
        log.info("worker.routing", customers=len(directory), state=str(router.file.path),
                 partitions=sorted({tp.partition for tp in router.parts}),
                 seconds_to_ready=round(time.monotonic() - started, 2))
    try:
        for ready in (joined, waiter):
            ready.cancel()  # done, unless a task ended first: until_stopped raises its error
        await until_stopped(tasks, runners)
    finally:
        log.info("worker.stopped")


def run(settings: Settings) -> None:
    from hub.logs import configure

    configure(settings.log_level)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack
    try:
        asyncio.run(serve(settings))
    except (ConfigError, HubError) as exc:
        log.error("worker.failed", error=str(exc))
        raise SystemExit(2) from None
