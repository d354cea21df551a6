"""The watch on the embedded broker with real workers: ticket updates stop the
right clocks, each escalation fires once and only when due, across SIGKILL
and between two workers; updates for unknown events are dead-lettered."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from hub.event import Telematics, utcnow
from hub.kafka.bus import Bus
from hub.kafka.topics import CASES, DEADLETTER, ESCALATIONS, INTAKE, TICKET_UPDATES
from hub.normalizers import hotline
from hub.routers.policy import DEFAULT_POLICY
from hub.settings import load_settings
from tests.conftest import start_broker
from tests.helpers import Proc, hub_env, read_topics

SCALE = 0.0005  # an ordinary complaint's 2 h first response: 3.6 s


def _policy(tmp: Path) -> Path:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    text = text.replace("working_days = true", "working_days = false")
    text = text.replace("early_update_grace_s = 60", "early_update_grace_s = 2")
    path = tmp / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _env(bootstrap: str, tmp: Path) -> dict[str, str]:
    return hub_env(bootstrap, HUB_SLA_SCALE=str(SCALE), HUB_POLICY_FILE=str(_policy(tmp)))


def _complaint(tag: str):
    return hotline.normalize({"call_id": f"CALL-{tag}", "caller": "13800001111",
                              "transcript": "你们4S店销售服务态度太差了，我要投诉"}, utcnow())


def _airbag(tag: str):
    event = hotline.normalize({"call_id": f"CALL-{tag}", "caller": "13800002222",
                               "transcript": ""}, utcnow())
    return event.model_copy(update={"channel": "telematics", "source": "tsp",
                                    "telematics": Telematics(trigger="airbag_deployed")})


def _publish(bootstrap: str, records: list[tuple[str, str, bytes]]) -> None:
    async def go() -> None:
        bus = Bus(load_settings(kafka_bootstrap=bootstrap))
        try:
            for topic, key, value in records:
                await bus.publish(topic, key, value, [("ce_id", key.encode())])
        finally:
            await bus.close()
    asyncio.run(go())


def _intake(bootstrap: str, events: list) -> None:
    _publish(bootstrap, [(INTAKE, e.event_id, e.to_json()) for e in events])


def _update(bootstrap: str, event_id: str, status: str, **kw) -> None:
    body = {"event_id": event_id, "ticket_id": f"TK-{event_id[:6]}", "status": status,
            "at": utcnow().isoformat(), **kw}
    _publish(bootstrap, [(TICKET_UPDATES, event_id, orjson.dumps(body))])


def _escalations(bootstrap: str) -> Counter:
    return Counter((b["event_id"], b["reason"]) for b in
                   (orjson.loads(r.value) for r in read_topics(bootstrap, [ESCALATIONS])))


def _cases(bootstrap: str) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for r in read_topics(bootstrap, [CASES]):
        latest[r.key.decode()] = orjson.loads(r.value)
    return latest


def _wait(what, timeout: float = 60, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


@pytest.fixture
def private(tmp_path):
    broker = start_broker(tmp_path)
    yield broker
    broker.stop()


def test_clocks_escalations_and_updates_end_to_end(private, tmp_path):
    boot = private.bootstrap
    worker = Proc("worker", _env(boot, tmp_path), tmp_path).start()
    try:
        worker.wait_log("worker.routing")
        answered, ignored, airbag = _complaint("answered"), _complaint("ignored"), \
            _airbag("airbag")
        _intake(boot, [answered, ignored, airbag])
        _wait(lambda: {answered.event_id, ignored.event_id} <= set(_cases(boot)))
        _update(boot, answered.event_id, "acknowledged", agent_id="A1024")
        _update(boot, answered.event_id, "contacted", agent_id="A2048")
        _update(boot, "no-such-event", "contacted")
        _wait(lambda: (ignored.event_id, "first_response_overdue") in _escalations(boot))
        dead = _wait(lambda: [orjson.loads(r.value) for r in read_topics(boot, [DEADLETTER])
                              if orjson.loads(r.value)["reason"] == "unknown_event"])
        assert "no-such-event" in dead[0]["error"]
        time.sleep(2)  # past the answered case's deadline too
        esc = _escalations(boot)
        assert esc[(ignored.event_id, "first_response_overdue")] == 1
        assert esc[(airbag.event_id, "risk_level")] == 1
        assert (answered.event_id, "first_response_overdue") not in esc
        level = {(b["event_id"], b["reason"]): b["level"] for b in
                 (orjson.loads(r.value) for r in read_topics(boot, [ESCALATIONS]))}
        assert level[(airbag.event_id, "risk_level")] == 3
        case = _cases(boot)[answered.event_id]
        assert case["status"] == "contacted" and case["owner"] == "A1024"
        assert case["first_response_at"] and case["escalations"] == []
    finally:
        worker.stop()


def test_a_deadline_passed_while_the_worker_was_dead_escalates_once_after_restart(
        private, tmp_path):
    boot = private.bootstrap
    env = _env(boot, tmp_path)
    first = Proc("worker", env, tmp_path).start()
    second = third = None
    try:
        first.wait_log("worker.routing")
        events = [_complaint(f"kill-{i}") for i in range(6)]
        _intake(boot, events)
        _wait(lambda: {e.event_id for e in events} <= set(_cases(boot)))
        first.kill()                                    # before any deadline
        time.sleep(5)                                   # every first response now overdue
        assert not _escalations(boot)
        # Two workers share the partitions: each escalation still once.
        second = Proc("worker", env, tmp_path).start()
        third = Proc("worker", env, tmp_path).start()
        want = {(e.event_id, "first_response_overdue") for e in events}
        _wait(lambda: want <= set(_escalations(boot)), timeout=90)
        third.kill()                                    # a rebalance mid-watch
        time.sleep(8)
        esc = _escalations(boot)
        assert all(esc[k] == 1 for k in want), esc
        due = {b["event_id"]: b for b in (orjson.loads(r.value)
                                          for r in read_topics(boot, [ESCALATIONS]))}
        for e in events:  # the true deadline, not when it was noticed
            assert due[e.event_id]["due"] == _cases(boot)[e.event_id]["route"][
                "first_response_due"].replace("+00:00", "Z")
    finally:
        for w in (first, second, third):
            if w:
                w.stop()


OTA_CHARGING = ["OTA升级以后车就充不进电了，充电桩一直报错，太坑了，我要投诉",
                "昨晚OTA更新后充电失败，换了好几个桩都不行，你们必须给个说法",
                "升级完系统就没法充电了，快充慢充都充不上，投诉！",
                "OTA之后充电一直提示故障，耽误我上班，要求赔偿",
                "更新软件后充电桩插上没反应，已经两天没法用车了，投诉",
                "OTA升级后充电就报错，充不进去，太耽误事了，投诉",
                "OTA升级后我的车也充不进电了，跟网上说的一样，你们怎么回事"]


def _wechat(text: str, openid: str):
    from hub.event import Contact, Event
    return Event(event_id=f"ota-{openid}", channel="wechat", source="wechat",
                 channel_message_id=openid, received_at=utcnow(), text=text,
                 contact=Contact(wechat_openid=openid))


def test_six_customers_on_charging_after_ota_raise_one_batch_and_the_next_joins_it(
        private, tmp_path):
    from hub.event import RoutedEvent
    from hub.kafka.topics import ALERTS, ROUTED

    boot = private.bootstrap
    env = _env(boot, tmp_path)
    workers = [Proc("worker", env, tmp_path).start() for _ in range(2)]
    try:
        for w in workers:
            w.wait_log("worker.routing")
        first_six = [_wechat(t, f"o-ota-{i}") for i, t in enumerate(OTA_CHARGING[:6])]
        _intake(boot, first_six)

        def batch_alerts():
            return [orjson.loads(r.value) for r in read_topics(boot, [ALERTS])
                    if orjson.loads(r.value)["kind"] == "batch_complaint"]
        alerts = _wait(batch_alerts)
        time.sleep(2)  # a second alert for the same batch would show up now
        alerts = batch_alerts()
        assert len(alerts) == 1, alerts
        alert = alerts[0]
        assert alert["dimension"] == {"fault": "charging"} and alert["count"] == 5
        assert set(alert["sample_event_ids"]) <= {e.event_id for e in first_six}
        routed = {r.event_id: r for r in (RoutedEvent.from_json(x.value)
                                          for x in read_topics(boot, ROUTED))}
        # The five that made the batch are not "joining" it (the sixth may already be).
        assert all("batch" not in routed[e.event_id].flags for e in first_six[:5])
        later = _wechat(OTA_CHARGING[6], "o-ota-6")
        _intake(boot, [later])
        joined = _wait(lambda: [RoutedEvent.from_json(x.value) for x in read_topics(boot, ROUTED)
                                if x.key and b"o-ota-6" in x.key])
        assert "batch" in joined[0].flags
    finally:
        for w in workers:
            w.stop()


def test_a_repeat_complaint_carries_repeat_and_the_earlier_id(private, tmp_path):
    from hub.event import Contact, Event, RoutedEvent
    from hub.kafka.topics import CUSTOMERS, ROUTED

    boot = private.bootstrap
    customer = {"customer_id": "C-TWO-PHONES", "tier": "ordinary",
                "phones": ["13911112222", "+86 139 3333 4444"], "wechat_openids": []}
    _publish(boot, [(CUSTOMERS, customer["customer_id"], orjson.dumps(customer))])
    worker = Proc("worker", _env(boot, tmp_path), tmp_path).start()

    def event(tag: str, text: str, **contact) -> Event:
        return Event(event_id=f"rep-{tag}", channel="wechat", source="wechat",
                     channel_message_id=tag, received_at=utcnow(), text=text,
                     contact=Contact(**contact))

    def routed(eid: str) -> RoutedEvent:
        return _wait(lambda: [r for r in (RoutedEvent.from_json(x.value)
                                          for x in read_topics(boot, ROUTED))
                              if r.event_id == eid])[0]
    try:
        worker.wait_log("worker.routing")
        first = event("1", "充电桩一直充不进电，我要投诉", wechat_openid="o-rep")
        _intake(boot, [first])
        assert "repeat" not in routed(first.event_id).flags
        _wait(lambda: first.event_id in _cases(boot))
        time.sleep(0.6)  # the promise: a case stored 500 ms before an event is known
        again = event("2", "还是充不进电，第二次投诉了", wechat_openid="o-rep")
        _intake(boot, [again])
        r = routed(again.event_id)
        assert "repeat" in r.flags and r.history.previous_event_ids == [first.event_id]
        assert r.history.open_case_ids == [first.event_id] and r.history.contacts_30d == 1

        by_phone = event("3", "充电又失败了，投诉", phone="+8613911112222")
        _intake(boot, [by_phone])
        assert "repeat" not in routed(by_phone.event_id).flags  # the customer writes first
        _wait(lambda: by_phone.event_id in _cases(boot))
        time.sleep(0.6)
        other_phone = event("4", "充电问题一直没解决", phone="+8613933334444")
        _intake(boot, [other_phone])
        r = routed(other_phone.event_id)
        assert r.customer.customer_id == "C-TWO-PHONES"
        assert "repeat" in r.flags and r.history.previous_event_ids == [by_phone.event_id]
    finally:
        worker.stop()
