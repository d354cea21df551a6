"""Webhooks to ticket systems on a real broker, to real HTTP receivers that
verify the Standard Webhooks signature: order per key, a failing subscriber
never delays a healthy one, dead letters after the last attempt, replay once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.errors import ConfigError
from hub.kafka.topics import DEADLETTER, DELIVERIES
from hub.signatures import verify
from hub.stream.runner import Options, Runner
from hub.webhooks import subscribers
from hub.webhooks.delivery import WebhookStage
from hub.webhooks.replay import replay
from tests.helpers import read_topics

SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtdGlja2V0LXN5c3RlbQ=="


class Receiver:
    """A ticket system's endpoint: checks the signature, records what came,
    and answers ``status`` (a callable of the request count)."""

    def __init__(self, status=lambda n: 200) -> None:
        self.got: list[tuple[str, dict]] = []
        self.calls = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                msg_id = verify(SECRET, body, {k.lower(): v for k, v in self.headers.items()})
                receiver.calls += 1
                code = status(receiver.calls)
                if code == 200:
                    receiver.got.append((msg_id, orjson.loads(body)))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


async def _setup(bootstrap: str, topic: str, records: list[tuple[str, dict]]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, orjson.dumps(value), key=key.encode(),
                                         headers=[("ce_id", value["id"].encode())])
    finally:
        await producer.stop()


async def _run(stages, bootstrap: str, tmp, until, within_s: float = 90) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        runners = [Runner(make(client), Options(bootstrap, tmp / "state", 2)) for make in stages]
        for r in runners:
            await r.start()
        tasks = [asyncio.create_task(r.run()) for r in runners]
        try:
            deadline = time.monotonic() + within_s
            while not await asyncio.to_thread(until):
                assert time.monotonic() < deadline, "timed out"
                await asyncio.sleep(0.2)
        finally:
            for r in runners:
                await r.stop()
            for t in tasks:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t


def test_a_failing_subscriber_gets_everything_in_order_and_never_delays_a_healthy_one(
        broker, tmp_path):
    topic = f"hooks-{uuid.uuid4().hex[:8]}"
    records = [(f"k{i % 3}", {"id": f"r{i}", "k": f"k{i % 3}", "n": i}) for i in range(12)]
    asyncio.run(_setup(broker.bootstrap, topic, records))
    healthy = Receiver()
    flaky = Receiver(status=lambda n: 500 if n <= 6 else 200)  # down, then back
    subs = subscribers.parse({
        "good": {"url": healthy.url, "secret": SECRET, "topics": [topic]},
        "bad": {"url": flaky.url, "secret": SECRET, "topics": [topic]}}, [topic])
    healthy_done: list[float] = []

    def until() -> bool:
        if len(healthy.got) == 12 and not healthy_done:
            healthy_done.append(time.monotonic())
        return len(healthy.got) == 12 and len(flaky.got) == 12
    started = time.monotonic()
    try:
        asyncio.run(_run([lambda c, s=s: WebhookStage(s, c, retry_scale=0.2) for s in subs],
                         broker.bootstrap, tmp_path, until))
    finally:
        healthy.close()
        flaky.close()
    # webhook-id is the record's ce_id; each key's records in their order, on both.
    for got in (healthy.got, flaky.got):
        assert sorted(m for m, _ in got) == sorted(v["id"] for _, v in records)
        for k in ("k0", "k1", "k2"):
            assert [b["n"] for _, b in got if b["k"] == k] == [
                v["n"] for _, v in records if v["k"] == k]
    # The first retry waits 5 s x 0.2: the healthy one finished before the flaky one's retries.
    assert healthy_done[0] - started < 30
    sent = [orjson.loads(r.value) for r in read_topics(broker.bootstrap, [DELIVERIES])
            if orjson.loads(r.value)["provider"] == "bad"]
    assert {d["event_id"] for d in sent} == {v["id"] for _, v in records}
    assert max(d["attempts"] for d in sent) >= 2


def test_the_last_attempt_dead_letters_and_replay_sends_once(broker, tmp_path):
    topic = f"hooks-{uuid.uuid4().hex[:8]}"
    asyncio.run(_setup(broker.bootstrap, topic, [("k", {"id": "only", "k": "k"})]))
    down = Receiver(status=lambda n: 503)
    sub = subscribers.parse({"down": {"url": down.url, "secret": SECRET, "topics": [topic]}},
                            [topic])[0]

    def dead() -> list[dict]:
        return [d for d in (orjson.loads(r.value) for r in
                            read_topics(broker.bootstrap, [DEADLETTER], 1))
                if d.get("subscriber") == "down" and d["ce_id"] == "only"]
    try:
        asyncio.run(_run([lambda c: WebhookStage(sub, c, retry_scale=0.0001)],
                         broker.bootstrap, tmp_path, lambda: bool(dead())))
    finally:
        down.close()
    assert down.calls == 8  # the first try and the contract's seven retries
    letter = dead()[0]
    assert letter["reason"] == "delivery_failed" and "HTTP 503" in letter["error"]
    back = Receiver()
    fixed = subscribers.Subscriber("down", back.url, SECRET, (topic,))
    try:
        first = asyncio.run(replay(broker.bootstrap, fixed))
        again = asyncio.run(replay(broker.bootstrap, fixed))
    finally:
        back.close()
    assert (first.sent, again.sent, again.skipped) == (1, 0, 1)
    assert [m for m, _ in back.got] == ["only"]


@pytest.mark.parametrize("raw, message", [
    ("{", "not JSON"), ('{"a": {"url": "x", "secret": "whsec_AA==", "topics": ["hub.*"]}}',
                        r"http\(s\) URL"),
    ('{"a": {"url": "http://t", "secret": "whsec_AA==", "topics": ["nope.*"]}}', "match none"),
    ('{"a": {"url": "http://t", "topics": ["hub.*"]}}', "needs url, secret and topics")])
def test_bad_subscriber_settings_stop_startup_with_a_clear_message(raw, message):
    with pytest.raises(ConfigError, match=message):
        subscribers.parse(raw, ["hub.cases", "hub.escalations"])
