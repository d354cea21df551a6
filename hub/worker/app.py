"""The faust worker: hub.intake -> identify, classify, rate, route ->
hub.routed.{tier}.{type}; what cannot be processed -> hub.deadletter.

One agent, ``concurrency=1`` (faust-streaming #606: higher concurrency can
commit offsets past unfinished messages); scale with partitions and workers.
At-least-once with the ledger (:mod:`hub.worker.ledger`) makes routing
idempotent by event_id."""

from __future__ import annotations

import asyncio
import base64
import faulthandler
import logging
import os
import signal
import time
from typing import Any

import faust
import orjson
import structlog
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from pydantic import ValidationError

from hub import cloudevents
from hub.errors import BrokerUnavailable
from hub.event import Event, utcnow
from hub.kafka.topics import DEADLETTER, INTAKE
from hub.routers.identity import CustomerDirectory
from hub.routers.pipeline import Router, customer_key
from hub.routers.policy import load_policy
from hub.settings import Settings
from hub.worker import ledger
from hub.worker.contiguity import Contiguity, Verdict
from hub.worker.customers import CustomerFeed
from hub.worker.offsets import ensure_committed
from hub.worker.stall import StallWatch

log = structlog.get_logger("hub.worker")
_partitioner = DefaultPartitioner()
STALL_CHECK_S = 5.0  # how often the stall watch looks at the partitions' ends
STALL_AFTER_S = 10.0  # a partition owing records and not moving for this long is fetched again


async def retry(what: str, action: Any, *args: Any) -> Any:
    """Kafka writes the worker cannot skip: retried until they succeed, because
    an unacknowledged intake offset must not be committed past them."""
    delay = 0.2
    while True:
        try:
            return await action(*args)
        except (KafkaError, OSError, TimeoutError, BrokerUnavailable) as exc:
            log.warning("worker.retry", action=what, error=type(exc).__name__, delay_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


class Failpoint:
    """Fault injection for the recovery tests: ``after_publish:N`` kills the
    worker right after its Nth routed record; ``drop:N`` makes the agent lose
    the first N records it is handed, unacknowledged, as faust does with a
    prefetch it throws away."""

    def __init__(self, spec: str | None) -> None:
        name, _, count = (spec or "").partition(":")
        n = int(count) if count.isdigit() else None
        self.remaining = n if name == "after_publish" else None
        self.drops = n if name == "drop" and n else 0

    def tick(self) -> None:
        if self.remaining is None:
            return
        self.remaining -= 1
        if self.remaining <= 0:
            log.warning("failpoint.hit", failpoint="after_publish")
            logging.shutdown()
            os._exit(137)

    def drop(self) -> bool:
        if self.drops <= 0:
            return False
        self.drops -= 1
        return True


def create_app(settings: Settings) -> faust.App:
    session = settings.session_timeout_s
    app = faust.App(
        settings.worker_id,
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        table_standby_replicas=0,
        web_enabled=False,
        broker_session_timeout=session,
        broker_heartbeat_interval=max(session / 6, 0.5),
        broker_rebalance_timeout=session,
        broker_commit_interval=1.0,
    )
    policy = load_policy(settings.policy_file)  # a bad policy stops the worker here
    directory = CustomerDirectory()
    router = Router(directory, policy, settings.sla_scale)
    feed = CustomerFeed(settings.bootstrap, directory)
    guard = Contiguity()
    watch = StallWatch(after_s=STALL_AFTER_S)
    scanner = ledger.PartitionScanner(settings.bootstrap)
    failpoint = Failpoint(settings.failpoint)
    intake = app.topic(INTAKE, key_type=bytes, value_type=bytes, value_serializer="raw",
                       key_serializer="raw")
    entries = app.Table("routing-ledger", default=None, partitions=settings.partitions,
                        key_type=str, value_type=ledger.Entry)

    @app.task
    async def follow_customers() -> None:
        await feed.follow()

    async def dead_letter(message: Any, reason: str, error: str) -> None:
        value = message.value or b""
        try:
            text, b64 = value.decode(), None
        except UnicodeDecodeError:
            text, b64 = None, base64.b64encode(value).decode()
        body = orjson.dumps({"reason": reason, "error": error, "topic": message.topic,
                             "partition": message.partition, "offset": message.offset,
                             "value": text, "value_base64": b64, "at": utcnow()})
        ce_id = f"{message.topic}/{message.partition}/{message.offset}"
        await retry("deadletter", app.producer.send_and_wait, DEADLETTER, message.key, body,
                    None, None, cloudevents.headers(id=ce_id, source="/hub/worker",
                                                    type="hub.deadletter.v1", time=utcnow()))
        log.error("event.deadlettered", reason=reason, error=error[:300])

    async def partition_for(topic: str, key: bytes) -> int:
        parts = await retry("metadata", scanner.partitions, topic)
        return _partitioner(key, parts, parts)

    async def route_one(message: Any) -> None:
        try:
            event = Event.from_json(message.value)
        except (orjson.JSONDecodeError, ValidationError, TypeError) as exc:
            await dead_letter(message, "invalid_event", str(exc))
            return
        structlog.contextvars.bind_contextvars(event_id=event.event_id, channel=event.channel)
        entry = entries.get(event.event_id)
        if entry and entry.state == ledger.DONE:
            log.info("route.duplicate", topic=entry.topic)
            return
        if entry and entry.state == ledger.INTENT and await retry(
                "verify", scanner.contains, entry.topic, entry.partition, entry.offset,
                event.event_id):
            entries[event.event_id] = ledger.done(entry.topic, entry.partition, -1)
            log.info("route.recovered", topic=entry.topic)
            return
        try:
            routed = router.route(event)
        except Exception as exc:  # a bug in a router must not stop the stream
            log.exception("route.failed")
            await dead_letter(message, "routing_failed", f"{type(exc).__name__}: {exc}")
            return
        topic, key = routed.route.topic, customer_key(routed).encode()
        partition = await partition_for(topic, key)
        start = await retry("end-offset", scanner.end_offset, topic, partition)
        entries[event.event_id] = ledger.intent(topic, partition, start)
        await retry("ledger-flush", app.producer.flush)
        meta = await retry(
            "publish", app.producer.send_and_wait, topic, key,
            orjson.dumps(routed.model_dump(mode="json", by_alias=True)), partition, None,
            cloudevents.headers(id=event.event_id, source="/hub/worker", type="hub.routed.v1",
                                time=utcnow(), subject=routed.route.queue))
        failpoint.tick()
        entries[event.event_id] = ledger.done(topic, partition, meta.offset)
        log.info("route.selected", topic=topic, queue=routed.route.queue,
                 priority=routed.route.priority, risk=routed.risk.level,
                 customer_matched_by=routed.customer.matched_by)

    async def route_safely(message: Any) -> None:
        try:
            await route_one(message)
        except Exception as exc:
            # faust moves past a message whose agent raised: dead-letter it
            # rather than lose it silently.
            log.exception("route.crashed")
            await dead_letter(message, "worker_error", f"{type(exc).__name__}: {exc}")
        finally:
            structlog.contextvars.clear_contextvars()

    async def resume_point(tp: Any) -> int:
        """Where a partition resumes: the group's commit, else the log start
        (consumer_auto_offset_reset is earliest)."""
        committed = app.consumer._committed_offset.get(tp)  # faust keeps a commit of 0 as None
        return committed or await retry("log-start", scanner.start_offset, tp.topic, tp.partition)

    @app.agent(intake, concurrency=1)
    async def route(stream: Any) -> None:
        log.info("worker.routing", customers=len(directory))
        async for event in stream.noack().events():
            message = event.message
            if failpoint.drop():
                continue
            if not guard.knows(message.tp, message.generation_id):
                guard.start(message.tp, message.generation_id, await resume_point(message.tp))
            verdict = guard.check(message.tp, message.offset)
            if verdict is Verdict.GAP:
                start = guard.expected[message.tp]
                log.warning("stream.gap", partition=message.partition, expected=start,
                            got=message.offset)
                missing = await retry("backfill", scanner.read, message.topic,
                                      message.partition, start, message.offset)
                for record in missing:
                    await route_safely(record)
                    guard.done(message.tp, record.offset)
            if verdict is not Verdict.SEEN:
                await route_safely(message)
                guard.done(message.tp, message.offset)
            event.ack()

    @app.timer(STALL_CHECK_S)
    async def watch_for_stalls() -> None:
        if app.rebalancing:  # partitions paused and changing hands: nothing to judge yet
            return
        generation = app.consumer_generation_id
        owned = {tp for tp in app.consumer.assignment() if tp.topic == INTAKE}
        watch.retain(owned)
        if not owned:
            return
        ends = await retry("end-offsets", scanner.end_offsets, INTAKE,
                           sorted(tp.partition for tp in owned))
        for tp in sorted(owned):
            end = ends[tp.partition]
            behind = guard.expected[tp] if guard.knows(tp, generation) else await resume_point(tp)
            if watch.stalled(tp, behind, end, time.monotonic()):
                # Fetched again, the records reach the agent as any others:
                # in stream iteration (the ledger table needs it), acked and
                # committed by faust. Still stalled next time: logged again.
                log.warning("stream.stalled", partition=tp.partition, owed=behind, end=end)
                await app.consumer.seek(tp, behind)

    app.customer_feed = feed  # type: ignore[attr-defined]
    return app


def run(settings: Settings) -> None:
    from hub.logs import logging_dict_config

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack
    app = create_app(settings)
    # Before faust starts, so the agent consumes from its first fetch on:
    # records it leaves waiting in faust's queues can be dropped (see contiguity).
    asyncio.run(ensure_committed(settings.bootstrap, settings.worker_id, INTAKE))
    asyncio.run(app.customer_feed.catch_up())
    worker = faust.Worker(app, loglevel=settings.log_level,
                          logging_config=logging_dict_config(settings.log_level),
                          redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
