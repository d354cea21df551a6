import asyncio

import orjson

from hub.tail import describe, tail
from tests.helpers import FIXTURES, signed_post


def test_describe_routed_event_is_one_masked_line():
    line = describe("hub.routed.vip.complaint", {"ce_time": "2026-11-22T01:00:00Z",
                                                 "ce_type": "hub.routed.v1"}, orjson.dumps({
        "event_id": "e1", "channel": "hotline", "text": "我的电话13900009999 刹车异响",
        "customer": {"tier": "vip"}, "classification": {"type": "complaint"},
        "route": {"priority": "P1", "queue": "vip-care"}, "risk": {"level": 4},
        "flags": ["safety"]}))
    assert "\n" not in line and "13900009999" not in line
    assert "vip/complaint P1 queue=vip-care risk=4 flags=safety channel=hotline" in line


def test_describe_survives_non_json():
    assert "hub.raw" in describe("hub.raw", {}, b"\xff\xfe")


def test_tail_follows_a_real_topic(broker, gateway):
    payload = orjson.loads((FIXTURES / "web" / "delivery_delay.json").read_bytes())
    signed_post(gateway, "web", {**payload, "form_id": "F-TAIL-1"})
    lines: list[str] = []
    asyncio.run(asyncio.wait_for(tail(broker.bootstrap, ["hub.intake"], True, lines.append,
                                      limit=1), 30))
    assert lines and "hub.intake hub.event.v1" in lines[0]
