import asyncio
import select
import signal
import subprocess
import sys
import time

import orjson
from aiokafka import AIOKafkaProducer

from hub.tail import describe, printable, tail
from tests.conftest import start_broker
from tests.helpers import FIXTURES, hub_env, signed_post


def test_describe_routed_event_is_one_masked_line():
    line = describe("hub.routed.vip.complaint", {"ce_time": "2026-11-22T01:00:00Z",
                                                 "ce_type": "hub.routed.v1"}, orjson.dumps({
        "event_id": "e1", "channel": "hotline", "text": "我的电话13900009999 刹车异响",
        "customer": {"tier": "vip"}, "classification": {"type": "complaint"},
        "route": {"priority": "P1", "queue": "vip-care"}, "risk": {"level": 4},
        "flags": ["safety"]}))
    assert "\n" not in line and "13900009999" not in line
    assert "vip/complaint P1 queue=vip-care risk=4 flags=safety channel=hotline" in line


def test_describe_says_what_hub_raw_kept_refused():
    line = describe("hub.raw", {"ce_id": "c1", "ce_type": "hub.raw.v1"}, orjson.dumps({
        "event_id": None, "channel": "web", "path": "/v1/channels/web", "body": "{}",
        "refused": {"code": "invalid_payload", "message": "form_id: Field required"}}))
    assert line.endswith("hub.raw hub.raw.v1 c1 channel=web refused=invalid_payload "
                         "/v1/channels/web")


def test_describe_survives_non_json():
    assert "hub.raw" in describe("hub.raw", {}, b"\xff\xfe")


def test_tail_follows_a_real_topic(broker, gateway):
    payload = orjson.loads((FIXTURES / "web" / "delivery_delay.json").read_bytes())
    signed_post(gateway, "web", {**payload, "form_id": "F-TAIL-1"})
    lines: list[str] = []
    asyncio.run(asyncio.wait_for(tail(broker.bootstrap, ["hub.intake"], True, lines.append,
                                      limit=1), 30))
    assert lines and "hub.intake hub.event.v1" in lines[0]


def test_control_characters_from_customers_are_shown_not_obeyed():
    assert printable("红\x1b[31m色\x07\x9b2J\u202eabc\u2066x\u2069\u200f") == (
        "红\\x1b[31m色\\x07\\x9b2J\\u202eabc\\u2066x\\u2069\\u200f")
    line = describe("hub.intake", {"ce_type": "hub.event.v1\x1b]0;owned\x07"}, orjson.dumps(
        {"event_id": "e1", "channel": "web", "text": "刹车\x1b[2J\x1b[31m异响\u202e"}))
    assert "\x1b" not in line and "\u202e" not in line and "\x07" not in line
    assert "hub.event.v1\\x1b]0;owned\\x07" in line and "刹车\\x1b[2J\\x1b[31m异响" in line


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


def test_tail_stops_with_one_message_when_the_broker_is_gone(logs_dir):
    broker = start_broker(logs_dir)
    tail_proc = None
    try:
        asyncio.run(_produce(broker.bootstrap, "hub.intake", orjson.dumps(
            {"event_id": "e-esc", "channel": "web", "text": "您好\x1b[31m红字"})))
        tail_proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "tail", "hub.intake", "--from-beginning",
             "--broker-timeout", "3"], env=hub_env(broker.bootstrap),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert select.select([tail_proc.stdout], [], [], 30)[0], "no line from hub tail"
        line = tail_proc.stdout.readline()
        assert "e-esc" in line and "您好\\x1b[31m红字" in line and "\x1b" not in line
        broker.stop()
        stopped = time.monotonic()
        out, err = tail_proc.communicate(timeout=30)
        took = time.monotonic() - stopped
    finally:
        if tail_proc and tail_proc.poll() is None:
            tail_proc.kill()
        broker.stop()
    # The 3 s count from the broker's last answer, up to one probe (1 s) before the stop.
    assert tail_proc.returncode == 1 and 1.5 < took < 15, (tail_proc.returncode, took, err)
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"Kafka at {broker.bootstrap} does not answer; waiting up to 3 s")
    assert lines[-1].startswith(
        f"Error: Kafka at {broker.bootstrap} has not answered for more than 3 s")
    assert len(lines) == 2, err  # no retry noise from the client library


def test_tail_without_a_broker_at_all_fails_at_once(logs_dir):
    from hub.kafka.embedded import free_port
    done = subprocess.run([sys.executable, "-m", "hub", "tail", "hub.intake"],
                          env=hub_env(f"127.0.0.1:{free_port()}"), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1 and "cannot reach Kafka at 127.0.0.1:" in done.stderr


def test_tail_rides_out_a_short_outage(logs_dir):
    from hub.kafka.embedded import EmbeddedBroker

    broker = start_broker(logs_dir)
    port = int(broker.bootstrap.rsplit(":", 1)[1])
    tail_proc, again = None, None
    try:
        tail_proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "tail", "hub.intake", "--broker-timeout", "20"],
            env=hub_env(broker.bootstrap), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        time.sleep(3)  # joined
        broker.stop()
        assert select.select([tail_proc.stderr], [], [], 20)[0], "no word of the outage"
        assert "does not answer; waiting up to 20 s" in tail_proc.stderr.readline()
        again = EmbeddedBroker(port, log_path=logs_dir / "broker-again.log").start()
        assert select.select([tail_proc.stderr], [], [], 20)[0], "no word of the return"
        assert tail_proc.stderr.readline().strip() == f"Kafka at {broker.bootstrap} answers again"
        assert tail_proc.poll() is None  # still following
        tail_proc.send_signal(signal.SIGINT)
        assert tail_proc.wait(20) == 0
    finally:
        if tail_proc and tail_proc.poll() is None:
            tail_proc.kill()
        broker.stop()
        if again:
            again.stop()
