"""The watch under load: N cases (default 100,000) with a realistic mix of
ticket updates replayed through a real `hub worker`, some deadlines already
past when it starts and the others passing while it runs.

    .venv/bin/python bench/watch.py [--cases 100000] [--quick]

Routed events are the router's own output: a few hundred corpus texts are
routed once with hub.routers.pipeline.Router (at the bench's HUB_SLA_SCALE),
and each case is one of them under a new event_id and receipt time, its
deadlines moved with it. They go to `hub-watch-routed` keyed by event_id,
each followed by its ticket updates on `hub.ticket-updates`: none (every
clock runs out), acknowledged then contacted (in time or late), contacted
-> resolved -> closed, resolved then reopened, and a stale update (older
`at`, ignored). Receipt times run from 10 s before the preload at --rate
cases/s (about the worker's pace on a shared 2-core machine), so
deadlines pass both before the worker starts (late breaches, emitted with
their true `due`) and while it runs.

Prints cases/s (worker ready -> every input committed), the escalation lag
(`at` - `due`) p50/p99 for deadlines that passed while the worker ran, the
escalations emitted (each `escalation_id` must be there once), and the
state: the SQLite files under HUB_STATE_DIR/hub-watch and the changelog's
record count."""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.evaluation import load  # noqa: E402
from hub.kafka.embedded import EmbeddedBroker, free_port  # noqa: E402
from hub.kafka.topics import CASES, ESCALATIONS, TICKET_UPDATES, WATCH_ROUTED, create_topics  # noqa: E402
from hub.routers.identity import CustomerDirectory  # noqa: E402
from hub.routers.pipeline import Router  # noqa: E402
from hub.routers.policy import DEFAULT_POLICY, load_policy  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from hub.stream.scanner import Scanner  # noqa: E402
from tests.helpers import Proc, hub_env  # noqa: E402

SCALE = 0.0002      # a complaint's 2 h first response: 1.4 s; 3 days to resolve: 52 s
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"
GROUP = "hub-watch"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def templates(policy_file: Path, count: int = 400) -> list[dict]:
    """Routed events of varied texts (every type, channel and risk level the
    corpus has), as the router writes them."""
    router = Router(CustomerDirectory(), load_policy(policy_file), SCALE)
    samples = load(CORPUS)
    random.Random(7).shuffle(samples)
    return [router.route(s.event()).model_dump(mode="json", by_alias=True)
            for s in samples[:count]]


def _case(template: dict, event_id: str, received: datetime) -> dict:
    was = datetime.fromisoformat(template["received_at"])
    shift = received - was

    def moved(iso: str) -> str:
        return _iso(datetime.fromisoformat(iso) + shift)

    route = {**template["route"], "first_response_due": moved(template["route"]
                                                              ["first_response_due"]),
             "resolve_due": moved(template["route"]["resolve_due"])}
    return {**template, "event_id": event_id, "channel_message_id": event_id,
            "received_at": _iso(received), "route": route}


def updates(case: dict, rng: random.Random) -> list[dict]:
    """One of the mixes a ticket system sends, with `at` relative to receipt."""
    received = datetime.fromisoformat(case["received_at"])
    window = (datetime.fromisoformat(case["route"]["first_response_due"]) -
              received).total_seconds()

    def at(seconds: float, status: str, agent: str | None = "A1024") -> dict:
        body = {"event_id": case["event_id"], "ticket_id": f"TK-{case['event_id'][:8]}",
                "status": status, "at": _iso(received + timedelta(seconds=seconds))}
        return body | ({"agent_id": agent} if agent else {})

    pick = rng.random()
    answer = window * rng.uniform(0.2, 1.6)  # in time or late
    if pick < 0.25:
        return []
    if pick < 0.60:
        return [at(0.05, "acknowledged", "A0001"), at(answer, "contacted")]
    if pick < 0.85:
        return [at(answer, "contacted"), at(answer + 5, "resolved"), at(answer + 8, "closed")]
    if pick < 0.95:
        return [at(answer, "contacted"), at(answer + 3, "resolved"), at(answer + 6, "reopened")]
    return [at(answer + 2, "contacted"), at(answer, "acknowledged")]  # the second is stale


async def preload(bootstrap: str, cases: int, bases: list[dict], start: datetime,
                  span_s: float) -> tuple[int, int]:
    rng = random.Random(11)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                max_batch_size=512 * 1024)
    await producer.start()
    routed = sent_updates = 0
    try:
        pending = []
        for i in range(cases):
            eid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-watch-{i}"))
            case = _case(bases[i % len(bases)], eid,
                         start + timedelta(seconds=i * span_s / cases))
            pending.append(await producer.send(WATCH_ROUTED, orjson.dumps(case),
                                               key=eid.encode()))
            routed += 1
            for update in updates(case, rng):
                pending.append(await producer.send(TICKET_UPDATES, orjson.dumps(update),
                                                   key=eid.encode()))
                sent_updates += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return routed, sent_updates


async def consumed(bootstrap: str) -> bool:
    """Every input record of the watch committed by its group."""
    scanner = Scanner(bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        tps = [TopicPartition(t, p) for t in (WATCH_ROUTED, TICKET_UPDATES)
               for p in await scanner.partitions(t)]
        ends = await scanner.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(GROUP, partitions=tps)
        # The reported end can lie inside the last batch (Scanner.read_from):
        # committed at or past it, with nothing newer arriving, is done.
        return all(tp in committed and committed[tp].offset >= ends[tp] for tp in tps)
    finally:
        await admin.close()
        await scanner.close()


async def read_outputs(bootstrap: str) -> tuple[list[dict], dict[str, float]]:
    """The escalations, and when the worker opened each case (the broker's
    timestamp of its first hub.cases record)."""
    scanner = Scanner(bootstrap)
    try:
        tps = [TopicPartition(t, p) for t in (ESCALATIONS, CASES)
               for p in await scanner.partitions(t)]
        records = await scanner.read_from(await scanner.start_offsets(tps))
        await asyncio.sleep(0.2)  # see hub/report/source.py: aiokafka's stop after a read
    finally:
        await scanner.close()
    opened: dict[str, float] = {}
    for r in records:
        if r.topic == CASES:
            key = r.key.decode()
            opened[key] = min(opened.get(key, r.timestamp / 1000), r.timestamp / 1000)
    return [orjson.loads(r.value) for r in records if r.topic == ESCALATIONS], opened


async def changelog_records(bootstrap: str) -> int:
    scanner = Scanner(bootstrap)
    try:
        tps = [TopicPartition(f"{GROUP}-changelog", p)
               for p in await scanner.partitions(f"{GROUP}-changelog")]
        ends, starts = await scanner.end_offsets(tps), await scanner.start_offsets(tps)
        return sum(ends[tp] - starts[tp] for tp in tps)
    finally:
        await scanner.close()


def _policy(tmp: Path) -> Path:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    # Updates may overtake their case across the two topics: let them wait.
    text = text.replace("working_days = true", "working_days = false")
    text = text.replace("early_update_grace_s = 60", "early_update_grace_s = 600")
    path = tmp / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _until(done, worker: Proc, every: float = 0.2) -> None:
    while not done():
        if worker.proc.poll() is not None:
            raise SystemExit(f"worker exited:\n{worker.log()[-3000:]}")
        time.sleep(every)


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(
        values) > 1 else (values[0] if values else float("nan"))


def run(cases: int, linger_s: float, rate: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-watch-"))
    broker = EmbeddedBroker(free_port(), log_path=tmp / "broker.log").start()
    worker = None
    try:
        boot = broker.bootstrap
        asyncio.run(create_topics(load_settings(kafka_bootstrap=boot)))
        policy = _policy(tmp)
        bases = templates(policy)
        span = cases / rate
        t0 = time.monotonic()
        start = datetime.now(UTC) - timedelta(seconds=10)
        routed, sent = asyncio.run(preload(boot, cases, bases, start, span))
        loaded = time.monotonic() - t0
        state = tmp / "state"
        port = free_port()
        env = hub_env(boot, HUB_SLA_SCALE=str(SCALE), HUB_POLICY_FILE=str(policy),
                      HUB_STATE_DIR=str(state), HUB_LOG_LEVEL="WARNING",
                      HUB_WORKER_METRICS_PORT=str(port))
        worker = Proc("worker", env, tmp).start()
        # Ready: its metrics endpoint opens once both stages have started (at
        # INFO the worker would say so, and log every case).
        _until(lambda: _answers(port), worker)
        began, ready_at = time.monotonic(), datetime.now(UTC)
        _until(lambda: asyncio.run(consumed(boot)), worker)
        elapsed = time.monotonic() - began
        time.sleep(linger_s)  # timers that come due after the backlog
        stopped_at = datetime.now(UTC)
        worker.stop()
        worker = None
        escalations, opened = asyncio.run(read_outputs(boot))
        log_records = asyncio.run(changelog_records(boot))
    finally:
        if worker:
            worker.stop()
        broker.stop()
    ids = Counter(e["escalation_id"] for e in escalations)
    during = [(datetime.fromisoformat(e["at"]) - datetime.fromisoformat(e["due"])
               ).total_seconds() for e in escalations
              if ready_at <= datetime.fromisoformat(e["due"]) <= stopped_at]
    # The clock's own lag: deadlines that passed after the worker had opened
    # the case (the others waited in the backlog for their case first).
    timer = [(datetime.fromisoformat(e["at"]) - datetime.fromisoformat(e["due"])
              ).total_seconds() for e in escalations
             if datetime.fromisoformat(e["due"]).timestamp() >= opened.get(e["event_id"], 1e18)]
    tables = load_settings(kafka_bootstrap=boot, state_dir=str(state)).state_path / GROUP
    files = sorted(tables.glob("*.sqlite*"))
    size = sum(f.stat().st_size for f in files)
    reasons = Counter(e["reason"] for e in escalations)
    print(f"cases                {routed:,} with {sent:,} ticket updates "
          f"(preloaded in {loaded:.1f} s, {len(bases)} routed templates)")
    print(f"cases/s              {routed / elapsed:,.0f} "
          f"({routed + sent:,} records in {elapsed:.1f} s from worker ready, "
          f"HUB_SLA_SCALE={SCALE})")
    print(f"escalations          {len(escalations):,} emitted, {len(ids):,} distinct ids, "
          f"{sum(n - 1 for n in ids.values())} duplicates: "
          + ", ".join(f"{r} {n:,}" for r, n in reasons.most_common()))
    if during:
        print(f"escalation lag       p50 {_pct(during, 50):.2f} s, p99 {_pct(during, 99):.2f} s, "
              f"max {max(during):.2f} s over {len(during):,} deadlines that passed while the "
              f"worker ran (at - due)")
    if timer:
        print(f"  of which on a clock p50 {_pct(timer, 50):.2f} s, p99 {_pct(timer, 99):.2f} s, "
              f"max {max(timer):.2f} s over {len(timer):,} deadlines that passed after their "
              f"case was opened")
    late = sum(1 for e in escalations if datetime.fromisoformat(e["due"]) < ready_at)
    print(f"late breaches        {late:,} deadlines passed before the worker started, "
          f"emitted with their true due")
    print(f"state                {size / 1e6:.1f} MB in {len(files)} SQLite files "
          f"(under HUB_STATE_DIR/state/{GROUP}), changelog {log_records:,} records")
    shutil.rmtree(tmp, ignore_errors=True)  # a full run leaves a quarter of a GB


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 cases: a smoke run")
    parser.add_argument("--linger", type=float, default=15,
                        help="seconds the worker runs on once its inputs are consumed")
    parser.add_argument("--rate", type=float, default=200,
                        help="cases/s the receipt times are spread for: about the worker's "
                             "pace, so deadlines pass while it runs rather than all before")
    args = parser.parse_args()
    run(10_000 if args.quick else args.cases, args.linger, args.rate)
