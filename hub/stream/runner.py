"""The one primitive every stream stage stands on: ordered, at-least-once,
idempotent processing of a consumer group's partitions.

Per input partition, records are processed in offset order, a batch at a
time (as many as one fetch brought). For a batch:

1. each record goes through the stage's ``process`` (a few pure steps that
   read and write the partition's table), giving its outputs; a record whose
   key the partition has seen at an earlier offset is an upstream redelivery
   and is skipped;
2. the outputs go to the broker, and the batch waits for every ack;
3. then the table's changes and a checkpoint (the batch's end) go to the
   changelog, and when they are acknowledged the table's file is updated;
4. then the input offset is committed.

Nothing is committed before its outputs are stored, so a crash repeats
work and never loses it. Repeated work writes nothing twice and changes the
table once. A crash after step 3 leaves a checkpoint past the commit: the
next owner starts there (the table already holds the batch). A crash in
step 2 or 3 leaves the table as it was, so the batch runs again; each output
carries its provenance (``hub_src``) and each checkpoint lower bounds of the
output partitions' ends, so the next owner reads back what the crashed
batch already wrote and skips it (:mod:`hub.stream.records`). Kafka
transactions would do this too; the embedded broker has none.

Timers are records too. A stage with a clock (``tick_s``) has a ticks topic
co-partitioned with its inputs; when ``next_due(state)`` of a partition it
owns has passed, the runner writes a tick to that partition and the stage
acts on it in ``process`` like on any record: what a deadline causes is
ordered with the partition's other records and written once, by the same
provenance as everything else, across crashes and rebalances.

A record that ``process`` cannot handle goes to the dead-letter topic with
the reason (an exception carrying a contract code names it); the stream
goes on. Broker errors are retried until they pass, because nothing after
them may be committed first.

No faust: a stage here is a class with ``process``; faust's agents, offsets
and table recovery were what the worker fought (README, "Stream core")."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from prometheus_client import Counter, Gauge, Histogram

from hub.errors import BrokerUnavailable, HubError
from hub.stream.records import SRC_HEADER, Output, dead_letter, parse_src, src_value
from hub.stream.scanner import Scanner
from hub.stream.state import PartitionState, StateFile, digest

log = structlog.get_logger("hub.stream")

CHECKPOINT = "__checkpoint__"
SEEN = "__seen__"

LAG = Gauge("hub_stream_lag", "records waiting in an input partition",
            ["stage", "topic", "partition"])
STATE_ENTRIES = Gauge("hub_stream_state_entries", "entries in the stage's table", ["stage"])
BATCHES = Histogram("hub_stream_batch_seconds", "time to process and store one batch",
                    ["stage"], buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
DEADLETTERED = Counter("hub_deadlettered_total", "records sent to hub.deadletter",
                       ["stage", "reason"])
DUPLICATES = Counter("hub_stream_duplicates_total", "upstream redeliveries skipped", ["stage"])


class Stage(Protocol):
    name: str                      # also the consumer group and the changelog's prefix
    inputs: tuple[str, ...]        # co-partitioned topics
    outputs: tuple[str, ...]       # every topic ``process`` may write to
    deadletter: str

    def dedupe_key(self, record: Any) -> str | None: ...

    # May be a coroutine function: a stage with side effects (the dispatcher)
    # awaits them here; records of a partition still go one at a time.
    def process(self, record: Any, state: PartitionState) -> list[Output]: ...


class Clocked(Stage, Protocol):
    """A stage with deadlines: ticks arrive on ``{name}-ticks`` as records
    whose value is ``{"at": epoch seconds}``."""

    tick_s: float

    def next_due(self, state: PartitionState) -> float | None: ...


@dataclass
class Options:
    bootstrap: str
    state_dir: Any
    partitions: int
    replication: int = 1
    fetch_wait_ms: int = 10
    max_batch: int = 500
    session_timeout_s: float = 6.0
    horizon_s: float = 7 * 24 * 3600
    client: dict = field(default_factory=dict)  # security options for every client
    before_batch: Callable[[list], Awaitable[None]] | None = None
    # Fault injection for the recovery tests: called with the batch's output
    # count after step 2 (outputs stored, table not) and after step 3 (table
    # stored, offset not committed).
    after_outputs: Callable[[int], None] | None = None
    after_state: Callable[[int], None] | None = None


@dataclass
class _Partition:
    state: PartitionState
    next: int                                   # first offset not yet committed
    emitted: set[tuple[int, int]] = field(default_factory=set)  # from a crashed batch
    floor: dict[str, int] = field(default_factory=dict)  # its checkpoint, kept until passed
    ticked: float = 0.0                         # when the last tick was written
    sought: int | None = None                   # where a gap sent the consumer back


def _tp_name(tp: TopicPartition) -> str:
    return f"{tp.topic}/{tp.partition}"


def _tp_parse(name: str) -> TopicPartition:
    topic, _, part = name.rpartition("/")
    return TopicPartition(topic, int(part))


async def retry(what: str, action: Callable[..., Awaitable[Any]], *args: Any,
                **kwargs: Any) -> Any:
    """Broker calls the stream cannot skip, retried until they pass."""
    delay = 0.1
    while True:
        try:
            return await action(*args, **kwargs)
        except (KafkaError, OSError, TimeoutError, BrokerUnavailable) as exc:
            if isinstance(exc, CommitFailedError | IllegalStateError):
                raise
            log.warning("stream.retry", action=what, error=type(exc).__name__, delay_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


class Runner:
    def __init__(self, stage: Stage, options: Options) -> None:
        self.stage, self.o = stage, options
        self.changelog = f"{stage.name}-changelog"
        self.ticks = f"{stage.name}-ticks" if getattr(stage, "tick_s", None) else None
        self.inputs = (*stage.inputs, self.ticks) if self.ticks else tuple(stage.inputs)
        self.file = StateFile(options.state_dir, stage.name)
        self.scanner = Scanner(options.bootstrap, **options.client)
        self.parts: dict[TopicPartition, _Partition] = {}
        self.bounds: dict[str, int] = {}  # output partition -> a lower bound of its end
        self.ready = asyncio.Event()     # joined the group and set up its partitions
        self._lock = asyncio.Lock()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._stopping = False

    # ---- set-up ---------------------------------------------------------

    async def start(self) -> None:
        await self._ensure_changelog()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.o.bootstrap, acks="all", enable_idempotence=False,
            linger_ms=0, max_request_size=4 * 1024 * 1024, **self.o.client)
        await self._producer.start()
        await self._refresh_bounds()
        session_ms = int(self.o.session_timeout_s * 1000)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.o.bootstrap, group_id=self.stage.name,
            enable_auto_commit=False, auto_offset_reset="earliest",
            fetch_max_wait_ms=self.o.fetch_wait_ms, max_poll_records=self.o.max_batch,
            session_timeout_ms=session_ms, heartbeat_interval_ms=max(session_ms // 6, 500),
            rebalance_timeout_ms=session_ms, max_poll_interval_ms=max(session_ms * 10, 60_000),
            # Range keeps partition p of every input topic on one member: the
            # partition's table serves all of them.
            partition_assignment_strategy=(RangePartitionAssignor,), **self.o.client)
        await self._consumer.start()
        self._consumer.subscribe(list(self.inputs), listener=_Listener(self))

    async def _ensure_changelog(self) -> None:
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        admin = AIOKafkaAdminClient(bootstrap_servers=self.o.bootstrap, **self.o.client)
        await retry("admin", admin.start)
        try:
            own = [NewTopic(self.changelog, self.o.partitions, self.o.replication,
                            topic_configs={"cleanup.policy": "compact"})]
            if self.ticks:
                own.append(NewTopic(self.ticks, self.o.partitions, self.o.replication,
                                    topic_configs={"retention.ms": str(24 * 3600 * 1000)}))
            with contextlib.suppress(KafkaError):
                await admin.create_topics(own)
        finally:
            await admin.close()
        parts = await retry("metadata", self.scanner.partitions, self.changelog)
        for topic in self.inputs:
            theirs = await retry("metadata", self.scanner.partitions, topic)
            if len(theirs) > len(parts):
                raise HubError(f"{self.changelog} has {len(parts)} partitions and {topic} "
                               f"{len(theirs)}: a changelog needs one per input partition")

    async def _output_partitions(self) -> list[TopicPartition]:
        out = []
        for topic in self.stage.outputs:
            out += [TopicPartition(topic, p)
                    for p in await retry("metadata", self.scanner.partitions, topic)]
        return out

    async def _refresh_bounds(self) -> None:
        ends = await retry("end-offsets", self.scanner.end_offsets,
                           await self._output_partitions())
        for tp, end in ends.items():
            name = _tp_name(tp)
            self.bounds[name] = max(self.bounds.get(name, 0), end)

    # ---- assignment -----------------------------------------------------

    async def assigned(self, tps: set[TopicPartition]) -> None:
        for tp in sorted(tps):
            if tp not in self.parts:
                self.parts[tp] = await self._take(tp)
        self.ready.set()

    async def revoked(self, tps: set[TopicPartition]) -> None:
        async with self._lock:  # a batch in flight finishes (and commits) first
            for tp in tps:
                part = self.parts.pop(tp, None)
                if part:
                    part.state.discard()
                # Its new owner reports its lag now: a stale figure here would
                # count twice in a sum over workers (the autoscaler's).
                with contextlib.suppress(KeyError):
                    LAG.remove(self.stage.name, tp.topic, str(tp.partition))

    async def _take(self, tp: TopicPartition) -> _Partition:
        """Set up a partition handed to this worker: its table brought up to
        the changelog's end, then what a crashed owner left half-done."""
        state = PartitionState(self.file, tp.partition, flusher=self._flush)
        await self._catch_up(state, tp.partition)
        committed = await retry("committed", self._consumer.committed, tp)
        if committed is None:
            committed = (await retry("log-start", self.scanner.start_offsets, [tp]))[tp]
        part = _Partition(state, committed)
        checkpoint = state.get(CHECKPOINT, _tp_name(tp))
        if checkpoint is None:
            # The first owner: a checkpoint before anything is written, so a
            # crash in the first batch has one to recover from.
            await self._write_checkpoint(tp, part)
        else:
            # A batch whose table was stored is done, committed or not.
            part.next = max(committed, checkpoint["next"])
            # Records past it may have been processed by a member that died
            # before storing the table: find what it wrote.
            part.floor = dict(checkpoint["bounds"])
            part.emitted = await self._emitted(tp, part.next, part.floor)
            if part.emitted or part.next > committed:
                log.info("stream.recovered", partition=tp.partition, topic=tp.topic,
                         already_written=len(part.emitted), done_uncommitted=part.next - committed)
        # Whatever was fetched before this point is fetched again from here.
        self._consumer.seek(tp, part.next)
        return part

    async def _catch_up(self, state: PartitionState, part: int) -> None:
        tp = TopicPartition(self.changelog, part)
        start, last = self.file.position(part)
        first = (await retry("log-start", self.scanner.start_offsets, [tp]))[tp]
        if start and not await self._same_changelog(tp, start, last, first):
            # Another broker's (a memory-only one restarted) or lost: the file
            # is rebuilt from what this broker has.
            log.warning("stream.state_reset", partition=part, had=start)
            self.file.reset(part)
            start = 0
        await retry("changelog", self.scanner.read_from, {tp: max(start, first)},
                    sink=state.replay)
        STATE_ENTRIES.labels(self.stage.name).set(self.file.count())

    async def _same_changelog(self, tp: TopicPartition, start: int, last: str | None,
                              first: int) -> bool:
        if start <= first:
            return False
        before = await retry("changelog", self.scanner.read, {tp: (start - 1, start)})
        return bool(before) and digest(before[0].key, before[0].value) == last

    async def _emitted(self, tp: TopicPartition, committed: int,
                       bounds: dict[str, int]) -> set[tuple[int, int]]:
        """(offset, n) of the outputs a crashed batch of ``tp`` already wrote."""
        outs = await self._output_partitions()
        starts = {o: bounds.get(_tp_name(o), 0) for o in outs}
        found = set()
        for record in await retry("scan", self.scanner.read_from, starts):
            raw = dict(record.headers or ()).get(SRC_HEADER)
            src = parse_src(raw) if raw else None
            if src and src[0] == tp.topic and src[1] == tp.partition and src[2] >= committed:
                found.add((src[2], src[3]))
        return found

    async def _write_checkpoint(self, tp: TopicPartition, part: _Partition) -> None:
        part.state.put(CHECKPOINT, _tp_name(tp), self._checkpoint(part))
        meta = await retry("checkpoint", self._send_changes, tp.partition, part.state)
        part.state.applied(meta)

    async def _flush(self, state: PartitionState) -> None:
        """A step's ``state.flush()``: the table's changes so far to the changelog
        (and the file) before the batch's outputs, which still wait for the batch."""
        state.applied(await retry("flush", self._send_changes, state.part, state))

    def _checkpoint(self, part: _Partition, next_offset: int | None = None) -> dict:
        bounds = {k: min(v, part.floor.get(k, v)) for k, v in self.bounds.items()}
        return {"next": part.next if next_offset is None else next_offset, "bounds": bounds}

    # ---- the loop -------------------------------------------------------

    async def run(self) -> None:
        assert self._consumer is not None
        refreshed = time.monotonic()
        while not self._stopping:
            batches = await retry("fetch", self._consumer.getmany,
                                  timeout_ms=200, max_records=self.o.max_batch)
            if batches and self.o.before_batch:
                await self.o.before_batch([r for rs in batches.values() for r in rs])
            async with self._lock:
                for tp, records in batches.items():
                    if tp in self.parts:
                        await self._batch(tp, self.parts[tp], records)
            if self.ticks:
                await self._tick()
            if time.monotonic() - refreshed > 5:
                refreshed = time.monotonic()
                await self._housekeeping()

    async def _tick(self) -> None:
        """A tick to each owned partition whose next deadline has passed. One
        at a time per partition: the next only after ``tick_s``, by which the
        last has normally been processed."""
        now = time.time()
        for tp, part in list(self.parts.items()):
            if tp.topic != self.ticks or now - part.ticked < self.stage.tick_s:
                continue
            # Every input topic's partition p shares one table: any of their states reads it.
            due = self.stage.next_due(part.state)
            if due is not None and due <= now:
                part.ticked = now
                await retry("tick", self._producer.send_and_wait, self.ticks,
                            orjson.dumps({"at": now}), partition=tp.partition)

    async def _batch(self, tp: TopicPartition, part: _Partition, records: list) -> None:
        started = time.perf_counter()
        records = [r for r in records if r.offset >= part.next]
        if not records:
            return
        if records[0].offset > part.next and part.sought != part.next:
            # The fetch position is past records this worker has not processed
            # (fetched, and dropped, while the partition was being taken):
            # committing this batch would skip them. Read from ``next`` again;
            # a gap that is still there then is the log's own.
            log.warning("stream.gap", topic=tp.topic, partition=tp.partition,
                        expected=part.next, got=records[0].offset)
            part.sought = part.next
            self._consumer.seek(tp, part.next)
            return
        state = part.state
        outputs = await self._process(tp, part, records)
        try:
            await self._send_outputs(outputs)
            if self.o.after_outputs:
                self.o.after_outputs(len(outputs))
            state.put(CHECKPOINT, _tp_name(tp),
                      self._checkpoint(part, next_offset=records[-1].offset + 1))
            next_changelog = await self._send_changes(tp.partition, state)
        except (KafkaError, OSError, TimeoutError) as exc:
            # Some writes may have landed: sending all again could write one
            # twice. Start the partition over as a new owner would.
            log.warning("stream.store_failed", partition=tp.partition, error=type(exc).__name__)
            state.discard()
            await asyncio.sleep(0.5)
            self.parts[tp] = await self._take(tp)
            return
        state.applied(next_changelog)
        if self.o.after_state:
            self.o.after_state(len(outputs))
        part.next = records[-1].offset + 1
        try:
            await retry("commit", self._consumer.commit, {tp: part.next})
        except (CommitFailedError, IllegalStateError) as exc:
            # Handed to another member meanwhile: it recovers from the checkpoint.
            log.warning("stream.commit_lost", topic=tp.topic, partition=tp.partition,
                        error=type(exc).__name__)
            self.parts.pop(tp, None)
            return
        if part.emitted and part.next > max(o for o, _ in part.emitted):
            part.emitted.clear()
            part.floor.clear()
        BATCHES.labels(self.stage.name).observe(time.perf_counter() - started)

    async def _process(self, tp: TopicPartition, part: _Partition,
                       records: list) -> list[Output]:
        """A batch through ``process``: one record at a time, or, for a stage
        with ``concurrency`` above 1 (the dispatcher, whose steps wait on
        vendors), records of different keys side by side and each key's in
        offset order. The outputs keep the records' order either way."""
        width = getattr(self.stage, "concurrency", 1)
        if width <= 1:
            outputs = []
            for record in records:
                outputs += await self._one(tp, part, record)
            return outputs
        lanes: dict[Any, list] = {}
        for record in records:
            lanes.setdefault(record.key, []).append(record)
        done: dict[int, list[Output]] = {}
        slots = asyncio.Semaphore(width)

        async def lane(queue: list) -> None:
            for record in queue:
                async with slots:
                    done[record.offset] = await self._one(tp, part, record)

        await asyncio.gather(*(lane(queue) for queue in lanes.values()))
        return [out for record in records for out in done[record.offset]]

    async def _one(self, tp: TopicPartition, part: _Partition, record: Any) -> list[Output]:
        structlog.contextvars.clear_contextvars()
        key = self.stage.dedupe_key(record)
        try:
            if key is not None:
                key = f"{tp.topic}/{key}"  # offsets compare within one topic only
                seen = part.state.get(SEEN, key)
                if seen is not None and seen["o"] < record.offset:
                    DUPLICATES.labels(self.stage.name).inc()
                    log.info("stream.duplicate", key=key, first_offset=seen["o"])
                    return []
                part.state.put(SEEN, key, {"o": record.offset, "t": time.time()})
            try:
                produced = self.stage.process(record, part.state)
                if inspect.isawaitable(produced):
                    produced = await produced
            except Exception as exc:  # a bug in a step must not stop the stream
                reason = exc.code if isinstance(exc, HubError) else "processing_failed"
                log.exception("stream.failed", reason=reason)
                DEADLETTERED.labels(self.stage.name, reason).inc()
                produced = [dead_letter(record, self.stage.deadletter, reason,
                                        f"{type(exc).__name__}: {exc}"[:2000])]
        finally:
            structlog.contextvars.clear_contextvars()
        kept = []
        for n, out in enumerate(produced):
            if (record.offset, n) in part.emitted:
                continue
            src = (SRC_HEADER, src_value(tp.topic, tp.partition, record.offset, n))
            kept.append(Output(out.topic, out.key, out.value, [*out.headers, src],
                               out.partition))
        return kept

    async def _send_outputs(self, outputs: list[Output]) -> None:
        producer = self._producer
        futures = [await producer.send(o.topic, o.value, key=o.key, partition=o.partition,
                                       headers=o.headers) for o in outputs]
        for meta in await asyncio.gather(*futures):
            name = f"{meta.topic}/{meta.partition}"
            self.bounds[name] = max(self.bounds.get(name, 0), meta.offset + 1)

    async def _send_changes(self, part: int, state: PartitionState) -> int:
        """Send the table's changes; when acknowledged, the changelog's next offset.
        One partition's records keep their order, so a stored checkpoint means
        every change sent before it is stored too."""
        producer = self._producer
        changes = [await producer.send(self.changelog, v, key=k, partition=part)
                   for k, v in state.changelog_records()]
        metas = await asyncio.gather(*changes)
        return metas[-1].offset + 1 if metas else self.file.position(part)[0]

    async def _housekeeping(self) -> None:
        """Every few seconds: fresher bounds (shorter recovery scans), lag,
        and seen keys past the horizon and the stage's expiring entries
        forgotten (tombstones let Kafka compact them away)."""
        await self._refresh_bounds()
        consumer = self._consumer
        async with self._lock:
            for tp, part in list(self.parts.items()):
                high = consumer.highwater(tp)
                if high is not None:
                    LAG.labels(self.stage.name, tp.topic, tp.partition).set(
                        max(high - part.next, 0))
                pruned = False
                for ns, keep_s in self._expiring().items():
                    for key in self.file.older_than(tp.partition, ns, time.time() - keep_s,
                                                    5000):
                        part.state.delete(ns, key)
                        pruned = True
                if pruned:
                    part.state.applied(await retry("prune", self._send_changes, tp.partition,
                                                   part.state))
        STATE_ENTRIES.labels(self.stage.name).set(self.file.count())

    def _expiring(self) -> dict[str, float]:
        """Namespace -> seconds an entry is kept: seen keys for the dedupe
        horizon, and what the stage declares in ``expiring`` (by the entry's
        ``t``, else the time it was written)."""
        return {SEEN: self.o.horizon_s, **getattr(self.stage, "expiring", {})}

    async def stop(self) -> None:
        self._stopping = True
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
        await self.scanner.close()
        self.file.close()


class _Listener(ConsumerRebalanceListener):
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.runner.revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.runner.assigned(set(assigned))
