"""One `hub erase` against a populated hub: N customers (default 1,000) and M
cases (default 5,000) on a fresh embedded broker, then one erasure by phone
timed three times: the first (customer and cases found and tombstoned), the
second and third (nothing left to erase: the cost of a repeated request).

    .venv/bin/python bench/erase.py [--customers 1000] [--cases 5000]

The cases are written to ``hub.cases`` as the watch writes them (each case
twice, opened then acknowledged, as a compacted topic holds it before
compaction), a fifth of them from a contact point with no customer record.
Prints the seconds for each run and the counts it reported; the time is
reading the two compacted topics whole plus one acknowledged batch of
tombstones, so it grows with the topics, not with the customer's cases."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.erase.identifier import parse  # noqa: E402
from hub.erase.run import erase  # noqa: E402
from hub.kafka.bus import Bus  # noqa: E402
from hub.kafka.embedded import EmbeddedBroker, free_port  # noqa: E402
from hub.kafka.topics import CASES, CUSTOMERS, create_topics  # noqa: E402
from hub.settings import load_settings  # noqa: E402


def phone(i: int) -> str:
    return f"+86139{i:08d}"


def populate(n_customers: int, n_cases: int) -> tuple[list, list]:
    rng = random.Random(7)
    customers = [(f"C-{i:05d}", {"customer_id": f"C-{i:05d}", "tier": "ordinary",
                                 "phones": [phone(i)], "emails": [f"u{i}@example.cn"],
                                 "wechat_openids": [], "vins": []})
                 for i in range(n_customers)]
    cases = []
    for j in range(n_cases):
        i = rng.randrange(n_customers)
        known = rng.random() > 0.2
        case = {"event_id": f"e-{j:06d}", "status": "open",
                "customer": {"customer_id": f"C-{i:05d}" if known else None,
                             "tier": "ordinary", "matched_by": "phone" if known else None},
                "type": "complaint", "category": "charging", "opened_at": "2026-12-01T02:00Z",
                "history_keys": [f"c:C-{i:05d}" if known else f"c:{phone(i)}"]}
        cases.append((case["event_id"], case))
        cases.append((case["event_id"], {**case, "status": "acknowledged"}))
    return customers, cases


async def load(settings, customers: list, cases: list) -> None:
    bus = Bus(settings)
    try:
        for topic, records in ((CUSTOMERS, customers), (CASES, cases)):
            for start in range(0, len(records), 1000):
                await bus.publish_many([(topic, k, orjson.dumps(v), [], None)
                                        for k, v in records[start:start + 1000]])
    finally:
        await bus.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--cases", type=int, default=5000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-erase-"))
    broker = EmbeddedBroker(free_port(), log_path=tmp / "broker.log").start()
    try:
        settings = load_settings(kafka_bootstrap=broker.bootstrap, publish_timeout_s=10)
        asyncio.run(create_topics(settings))
        customers, cases = populate(args.customers, args.cases)
        started = time.perf_counter()
        asyncio.run(load(settings, customers, cases))
        print(f"loaded {len(customers)} customers and {len(cases)} case records "
              f"({args.cases} cases) in {time.perf_counter() - started:.1f} s")
        # The customer with the most cases: the largest erasure of the run.
        owners = Counter(c["history_keys"][0].split(":", 1)[1].replace("C-", "")
                         for _, c in cases[::2])
        top = max(range(args.customers),
                  key=lambda i: owners[f"{i:05d}"] + owners[phone(i)])
        ident = parse(phone=phone(top))
        for run in ("first", "second", "third"):
            result = asyncio.run(erase(settings, ident))
            print(f"{run:6} erase: {result.seconds:.2f} s  outcome={result.outcome} "
                  f"customers={len(result.found.customers)} cases={len(result.found.cases)} "
                  f"tombstones={result.tombstoned}")
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
