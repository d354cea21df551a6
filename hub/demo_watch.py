"""The second half of ``hub demo``: what happens after routing. A ticket
system acknowledges the demo's hotline complaint (a ticket update on
``hub.ticket-updates``), six customers complain about charging after an OTA
update (a batch), and the demo shows the cases, escalations and alerts the
watch wrote. With ``HUB_SLA_SCALE=0.001`` on the hub, first-response
deadlines pass within seconds and show up as escalations too."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hub.kafka.topics import ALERTS, CASES, ESCALATIONS, TICKET_UPDATES
from hub.settings import Settings
from hub.signatures import signed_headers
from hub.stream.scanner import Scanner

OTA = ["OTA升级以后车就充不进电了，充电桩一直报错，我要投诉",
       "昨晚OTA更新后充电失败，换了好几个桩都不行，必须给个说法",
       "升级完系统就没法充电了，快充慢充都充不上，投诉！",
       "OTA之后充电一直提示故障，耽误我上班，要求赔偿",
       "更新软件后充电桩插上没反应，已经两天没法用车了，投诉",
       "OTA升级后充电就报错，充不进去，太耽误事了，投诉"]


async def mark(s: Settings) -> dict[TopicPartition, int]:
    """Where the watch's topics end before the demo sends anything."""
    scanner = Scanner(s.bootstrap)
    try:
        tps = [TopicPartition(t, p) for t in (CASES, ESCALATIONS, ALERTS)
               for p in await scanner.partitions(t)]
        return await scanner.end_offsets(tps)
    finally:
        await scanner.close()


async def send_batch(s: Settings, base: str) -> list[str]:
    """Six web forms about charging after an OTA update; their event ids."""
    run = uuid.uuid4().hex[:6]
    ids = []
    async with httpx.AsyncClient(base_url=base, timeout=15) as http:
        for n, text in enumerate(OTA):
            body = orjson.dumps({"form_id": f"DEMO-{run}-ota-{n}", "name": f"车主{n}",
                                 "phone": f"1390000{n:04d}", "topic": "complaint",
                                 "body": text})
            headers = signed_headers(s.source_secret("web"), body, f"msg_{uuid.uuid4().hex}")
            r = await http.post("/v1/channels/web", content=body,
                                headers=headers | {"content-type": "application/json"})
            if r.status_code == 202:
                ids.append(r.json()["event_id"])
    return ids


async def acknowledge(s: Settings, event_id: str) -> None:
    """What a ticket system does when an agent picks the case up."""
    producer = AIOKafkaProducer(bootstrap_servers=s.bootstrap, acks="all")
    await producer.start()
    try:
        update = {"event_id": event_id, "ticket_id": f"TK-DEMO-{event_id[:6]}",
                  "status": "acknowledged", "at": datetime.now(UTC).isoformat(),
                  "agent_id": "A1024", "note": "demo: 已受理"}
        await producer.send_and_wait(TICKET_UPDATES, orjson.dumps(update),
                                     key=event_id.encode())
    finally:
        await producer.stop()


async def watch(s: Settings, routed: list[dict], wait_s: float,
                marks: dict[TopicPartition, int]) -> dict[str, list[dict]]:
    """Acknowledge the hotline complaint, send the batch, collect what the watch
    wrote about the demo's events since ``marks``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=s.bootstrap, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        consumer.assign(list(marks))
        for tp, offset in marks.items():
            consumer.seek(tp, offset)
        ids = {e["event_id"] for e in routed}
        complaint = next((e for e in routed if e["channel"] == "hotline"
                          and e["classification"]["type"] == "complaint"), None)
        if complaint:
            await acknowledge(s, complaint["event_id"])
        batch_ids = set(await send_batch(s, f"http://{s.http_host}:{s.http_port}"))
        ids |= batch_ids
        seen: dict[str, list[dict]] = {CASES: [], ESCALATIONS: [], ALERTS: []}
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    if r.value is None:
                        continue  # an erased case (hub erase) is no demo's
                    value = orjson.loads(r.value)
                    ours = (set(value["sample_event_ids"]) & batch_ids if r.topic == ALERTS
                            else value["event_id"] in ids)
                    if ours:
                        seen[r.topic].append(value)
            acked = any(c["status"] == "acknowledged" for c in seen[CASES]) or not complaint
            if acked and any(a["kind"] == "batch_complaint" for a in seen[ALERTS]):
                break
        return seen
    finally:
        await consumer.stop()


def report(seen: dict[str, list[dict]], sla_scale: float) -> str:
    latest = {c["event_id"]: c for c in seen[CASES]}
    lines = ["", "the watch:",
             f"  {len(latest)} cases opened or updated; "
             f"acknowledged: {sum(c['status'] == 'acknowledged' for c in latest.values())}"]
    for c in latest.values():
        if c["status"] != "open":
            lines.append(f"  case {c['event_id'][:8]}… {c['status']} ticket {c['ticket_id']} "
                         f"owner {c['owner']} (首问负责制)")
    for e in seen[ESCALATIONS]:
        lines.append(f"  escalation {e['reason']:<24} level {e['level']}  "
                     f"due {e['due']}  case {e['event_id'][:8]}…")
    if not any(e["reason"] == "first_response_overdue" for e in seen[ESCALATIONS]):
        lines.append("  (no deadline has passed yet: run the hub with HUB_SLA_SCALE=0.001 to "
                     "see a first-response deadline become an escalation)"
                     if sla_scale >= 0.01 else "  (no first-response deadline passed yet)")
    for a in seen[ALERTS]:
        lines.append(f"  alert {a['kind']:<16} {a['dimension']}  {a['count']} customers "
                     f"(threshold {a['threshold']})")
    return "\n".join(lines)
