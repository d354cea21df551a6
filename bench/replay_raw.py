"""What keeping refused requests costs, and how fast ``hub replay hub.raw``
sends them once fixed. Real processes: the embedded broker (on disk, as
``hub up``; ``--memory`` as ``hub up --memory``) and a gateway.

    .venv/bin/python bench/replay_raw.py --requests 1500 [--memory]

Posts N signed web forms one at a time that the gateway accepts, then N it
authenticates and refuses (``formId`` where ``form_id`` belongs: kept in
hub.raw before the 400), and prints the answer latency of each; then replays
hub.raw twice with a normalizer that reads ``formId``: the first sends every
event, the second none (all already in hub.intake)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import orjson

from hub.channels import CHANNELS, ChannelSpec
from hub.connectors.web import WebConnector
from hub.gateway.replay import replay
from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.topics import create_topics
from hub.normalizers import web
from hub.settings import DEV_SOURCE_SECRETS, load_settings
from hub.signatures import signed_headers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import FIXTURES, start_gateway  # noqa: E402

FORM = orjson.loads((FIXTURES / "web" / "delivery_delay.json").read_bytes())


def accepted(i: int) -> dict:
    return {**FORM, "form_id": f"BENCH-OK-{i}"}


def refused(i: int) -> dict:
    return {**{k: v for k, v in FORM.items() if k != "form_id"}, "formId": f"BENCH-{i}"}


def fixed(payload: dict, received_at: datetime):
    return web.normalize({"form_id": payload.get("formId"), **payload}, received_at)


def post_all(url: str, make, n: int) -> tuple[int, list[float]]:
    latencies, status = [], 0
    with httpx.Client() as client:
        for i in range(n):
            body = orjson.dumps(make(i))
            headers = {**signed_headers(DEV_SOURCE_SECRETS["web"], body, f"msg_bench_{i}"),
                       "content-type": "application/json"}
            started = time.perf_counter()
            status = client.post(f"{url}/v1/channels/web", content=body,
                                 headers=headers).status_code
            latencies.append(time.perf_counter() - started)
    return status, sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--memory", action="store_true", help="broker in memory only")
    args = parser.parse_args()
    n = args.requests
    logs = Path(tempfile.mkdtemp(prefix="hub-bench-replay-"))
    broker = EmbeddedBroker(free_port(), log_path=logs / "broker.log",
                            data_dir=None if args.memory else logs / "broker").start()
    asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
    gateway, url = start_gateway(broker.bootstrap, logs)
    try:
        for name, make in (("accepted", accepted), ("refused, kept", refused)):
            status, lat = post_all(url, make, n)
            print(f"{name:14} {n} posts, answered {status}: p50 "
                  f"{statistics.median(lat) * 1000:.1f} ms, p99 "
                  f"{lat[int(len(lat) * 0.99) - 1] * 1000:.1f} ms")
        channels = tuple(ChannelSpec(s.connector, fixed) if s.connector is WebConnector else s
                         for s in CHANNELS)
        settings = load_settings(kafka_bootstrap=broker.bootstrap)
        for run in ("first", "second"):
            started = time.perf_counter()
            done = asyncio.run(replay(settings, None, channels))
            print(f"replay, {run}: {done.sent} sent, {done.present} already in hub.intake, "
                  f"{len(done.failed)} still refused in {time.perf_counter() - started:.1f} s")
    finally:
        gateway.stop()
        broker.stop()
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()
