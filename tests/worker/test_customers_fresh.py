"""A customer record the broker acknowledged is used for every event received
500 ms or more later: a new VIP's first message is routed as VIP."""

import asyncio
import uuid

import orjson

from hub.event import Contact, Event, utcnow
from hub.kafka.bus import Bus
from hub.kafka.topics import CUSTOMERS, INTAKE
from hub.settings import load_settings
from tests.helpers import routed_where


def test_a_new_vips_first_message_half_a_second_later_is_routed_vip(broker, worker):
    openids = [f"o-fresh-{uuid.uuid4().hex[:10]}" for _ in range(5)]

    async def go() -> list[str]:
        bus = Bus(load_settings(kafka_bootstrap=broker.bootstrap))
        ids = []
        try:
            for n, openid in enumerate(openids):
                customer = {"customer_id": f"C-FRESH-{openid}", "tier": "vip",
                            "wechat_openids": [openid]}
                await bus.publish(CUSTOMERS, customer["customer_id"], orjson.dumps(customer), [])
                await asyncio.sleep(0.5)
                event = Event(event_id=str(uuid.uuid4()), channel="wechat", source="wechat",
                              channel_message_id=f"m-{openid}", received_at=utcnow(),
                              text="你们的销售服务态度太差了",
                              contact=Contact(wechat_openid=openid))
                await bus.publish(INTAKE, event.event_id, event.to_json(),
                                  [("ce_id", event.event_id.encode())])
                ids.append(event.event_id)
                if n % 2:
                    await asyncio.sleep(0.2)  # vary the phase against the feed's polls
        finally:
            await bus.close()
        return ids

    ids = asyncio.run(go())
    for event_id in ids:
        routed = routed_where(broker.bootstrap, lambda e, i=event_id: e.event_id == i)
        assert routed.customer.tier == "vip", routed.customer
