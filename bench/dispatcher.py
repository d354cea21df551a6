"""The dispatcher against fakes that answer at once (Aliyun SendSms, its
signature verified per message), on the embedded broker, real processes:

1. throughput: a backlog of replies on hub.replies, then the dispatcher
   started; replies/s from its first delivery to its last;
2. routed -> sent: hotline calls through the gateway and the worker, whose
   acknowledgements the dispatcher sends; the time from the router writing
   the acknowledgement (its ``at``) to the vendor accepting it (the
   delivery's ``at``), p50/p99.

    .venv/bin/python bench/dispatcher.py --replies 1000 --calls 200"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import orjson
from stack import line, running_stack

from hub.kafka.bus import Bus
from hub.kafka.topics import DELIVERIES, REPLIES
from hub.settings import DEV_SOURCE_SECRETS, load_settings
from hub.signatures import signed_headers
from tests.fakes.base import FakeLoop
from tests.fakes.vendors import Vendors, dispatcher
from tests.helpers import read_topics


def _at(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def deliveries(bootstrap: str, wanted: set[str], timeout: float) -> dict[str, dict]:
    deadline, got = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        got = {d["reply_id"]: d for d in (orjson.loads(r.value)
                                          for r in read_topics(bootstrap, [DELIVERIES]))
               if d["reply_id"] in wanted}
        if len(got) == len(wanted):
            break
        time.sleep(0.5)
    return got


async def backlog(bootstrap: str, n: int) -> set[str]:
    bus = Bus(load_settings(kafka_bootstrap=bootstrap))
    ids = set()
    try:
        for i in range(n):
            rid = f"bench-{uuid.uuid4().hex[:10]}"
            ids.add(rid)
            body = {"reply_id": rid, "event_id": str(uuid.uuid4()), "kind": "agent",
                    "channel": "sms", "to": {"phone": f"+86139{i:08d}"},
                    "text": "您好，您的车辆已检修完毕，可到店取车。", "at": None}
            await bus.publish(REPLIES, body["event_id"], orjson.dumps(body),
                              [("ce_id", rid.encode())])
    finally:
        await bus.close()
    return ids


async def calls(url: str, n: int, pause_s: float) -> list[str]:
    event_ids = []
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(n):
            body = orjson.dumps({"call_id": f"BENCH-{uuid.uuid4().hex}",
                                 "caller": f"1381111{i % 10000:04d}", "ivr_path": ["2"],
                                 "transcript": "刹车异响 想预约检查"})
            headers = signed_headers(DEV_SOURCE_SECRETS["hotline"], body, f"msg_{i}") | {
                "content-type": "application/json"}
            r = await client.post(f"{url}/v1/channels/hotline", content=body, headers=headers)
            assert r.status_code == 202, r.text
            event_ids.append(r.json()["event_id"])
            await asyncio.sleep(pause_s)
    return event_ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--pause-ms", type=float, default=20)
    args = parser.parse_args()
    loop = FakeLoop()
    logs = Path(tempfile.mkdtemp(prefix="hub-bench-dispatcher-"))
    try:
        with running_stack(worker=True) as (url, bootstrap):
            vendors = Vendors(loop)
            ids = asyncio.run(backlog(bootstrap, args.replies))
            proc = dispatcher(bootstrap, vendors, logs, HUB_RETRY_SCALE="1")
            try:
                got = deliveries(bootstrap, ids, timeout=600)
                ats = sorted(_at(d["at"]) for d in got.values())
                sent = sum(d["status"] == "sent" for d in got.values())
                span = ats[-1] - ats[0]
                print(f"\nbacklog: {len(got)}/{len(ids)} delivered ({sent} sent) in {span:.2f} s "
                      f"from first to last: {(len(got) - 1) / span:.0f} replies/s; "
                      f"{len(vendors.aliyun.messages)} SendSms calls verified at the fake")
                event_ids = asyncio.run(calls(url, args.calls, args.pause_ms / 1000))
                wanted = {f"ack-{e}" for e in event_ids}
                got = deliveries(bootstrap, wanted, timeout=120)
                written = {orjson.loads(r.value)["reply_id"]: orjson.loads(r.value)["at"]
                           for r in read_topics(bootstrap, [REPLIES])}
                ms = [(_at(d["at"]) - _at(written[r])) * 1000 for r, d in got.items()]
                print(f"calls: {args.calls} hotline calls, one every {args.pause_ms:.0f} ms; "
                      f"{len(got)}/{len(wanted)} acknowledgements delivered")
                print(line("routed (ack written) -> sent", ms))
            finally:
                proc.stop()
    finally:
        loop.stop()


if __name__ == "__main__":
    main()
