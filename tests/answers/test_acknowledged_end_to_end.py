"""A hotline call through the gateway and the worker is acknowledged once on
hub.replies, and the dispatcher delivers the acknowledgement by SMS."""

from __future__ import annotations

import time
import uuid

import orjson

from hub.kafka.topics import DELIVERIES, REPLIES
from tests.fakes.vendors import Vendors, dispatcher
from tests.helpers import ce_id, read_topics, signed_post, wait_for


def test_a_call_is_acknowledged_once_and_the_sms_arrives(broker, gateway, worker, fake_loop,
                                                          logs_dir):
    call = {"call_id": f"CALL-ACK-{uuid.uuid4().hex[:6]}", "caller": "13811112222",
            "ivr_path": ["2"], "transcript": "你好 刹车的时候方向盘有点抖 想约个时间检查一下"}
    first = signed_post(gateway, "hotline", call)
    again = signed_post(gateway, "hotline", call)  # the same call pushed twice
    assert first.status_code == again.status_code == 202
    event_id = first.json()["event_id"]
    reply_id = f"ack-{event_id}"
    wait_for(broker.bootstrap, [REPLIES], [reply_id])
    vendors = Vendors(fake_loop)
    proc = dispatcher(broker.bootstrap, vendors, logs_dir)
    try:
        wait_for(broker.bootstrap, [DELIVERIES], [f"{reply_id}/delivery"])
    finally:
        proc.stop()
    time.sleep(1)
    replies = [orjson.loads(r.value) for r in read_topics(broker.bootstrap, [REPLIES])
               if ce_id(r) == reply_id]
    assert len(replies) == 1
    assert replies[0]["channel"] == "hotline" and replies[0]["to"]["phone"] == "+8613811112222"
    [sms] = [m for m in vendors.aliyun.messages if m["out_id"] == reply_id]
    assert sms["phone"] == "13811112222" and sms["params"]["text"] == replies[0]["text"]
    assert "我们已收到" in sms["params"]["text"]
