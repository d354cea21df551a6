"""Batch complaints and volume spikes as pure window steps."""

from datetime import UTC, datetime

from hub.event import Classification, Context, Event, Telematics, Vehicle
from hub.routers.policy import BatchRule, SpikeRule
from hub.watch.alerts import batch_dimensions, batch_key, batch_step, spike_step

T0 = datetime(2026, 12, 2, 2, tzinfo=UTC).timestamp()
KEY, DIM = "batch|fault|charging", {"fault": "charging"}


def members(rule: BatchRule, customers: list[str], every_s: float = 60):
    window, raised = None, []
    for n, customer in enumerate(customers):
        window, alert = batch_step(window, KEY, DIM, rule, f"e{n}", customer, T0 + n * every_s)
        raised.append(alert)
    return window, raised


def test_five_distinct_customers_raise_one_batch_and_later_members_join_it():
    window, raised = members(BatchRule(), ["c1", "c2", "c2", "c3", "c4", "c5", "c6"])
    alerts = [a for a in raised if a]
    assert len(alerts) == 1 and raised[5] is alerts[0]   # the 5th distinct customer
    alert = alerts[0]
    assert alert["kind"] == "batch_complaint" and alert["count"] == 5
    assert alert["threshold"] == 5 and alert["dimension"] == DIM
    assert alert["sample_event_ids"] == ["e0", "e1", "e3", "e4", "e5"]
    assert alert["window"]["start"] == "2026-12-02T02:00:00Z"
    assert alert["window"]["end"] == "2026-12-03T02:00:00Z"
    assert alert["alert_id"] == "batch_complaint:fault|charging:2026-12-02T02:00:00Z"
    assert window["active"]["alert_id"] == alert["alert_id"]


def test_members_spread_wider_than_the_window_are_no_batch():
    _, raised = members(BatchRule(window_h=1), [f"c{i}" for i in range(8)], every_s=1200)
    assert not any(raised)


def test_after_the_window_a_new_batch_is_a_new_alert():
    rule = BatchRule(window_h=1, min_customers=2)
    window, first = batch_step(None, KEY, DIM, rule, "a", "c1", T0)
    window, first = batch_step(window, KEY, DIM, rule, "b", "c2", T0 + 10)
    window, later = batch_step(window, KEY, DIM, rule, "c", "c3", T0 + 7200)
    window, again = batch_step(window, KEY, DIM, rule, "d", "c4", T0 + 7210)
    assert first and not later and again and again["alert_id"] != first["alert_id"]


def test_an_ota_charging_complaint_counts_by_fault_model_and_dealer():
    c = Classification(type="complaint", category="charging", confidence=0.9, method="m")
    event = Event(event_id="e", channel="wechat", source="wechat", channel_message_id="m",
                  received_at=datetime.now(UTC), text="OTA后充不进电",
                  vehicle=Vehicle(model="EV5"), context=Context(dealer_code="D001"))
    dims = batch_dimensions(event, c, BatchRule())
    assert [batch_key(d) for d in dims] == ["batch|category_model|charging|EV5",
                                            "batch|dealer|D001", "batch|fault|charging"]
    inquiry = c.model_copy(update={"type": "inquiry"})
    assert batch_dimensions(event, inquiry, BatchRule()) == []
    telematics = event.model_copy(update={"telematics": Telematics(trigger="fault",
                                                                   dtc_codes=["P0A80"])})
    service = c.model_copy(update={"category": "service"})
    assert [batch_key(d) for d in batch_dimensions(telematics, service, BatchRule())] == [
        "batch|category_model|service|EV5", "batch|dealer|D001", "batch|fault|P0A80"]


def spikes(rule: SpikeRule, times: list[float]):
    window, raised = None, []
    for n, t in enumerate(times):
        window, alert = spike_step(window, "spike|category|charging", {"category": "charging"},
                                   rule, f"e{n}", t)
        raised.append(alert)
    return raised


def test_a_spike_at_the_threshold_alerts_once_per_window():
    rule = SpikeRule(threshold=5, min_count=3)
    raised = spikes(rule, [T0 + i for i in range(8)] + [T0 + 3600 + i for i in range(5)])
    alerts = [a for a in raised if a]
    # The second hour has a past now: 8 in 24 h is 0.33 an hour, so 3 (min_count) is a spike.
    assert [raised.index(a) for a in alerts] == [4, 10]
    assert [a["threshold"] for a in alerts] == [5, 3]
    assert alerts[0]["kind"] == "volume_spike" and alerts[0]["count"] == 5
    assert alerts[0]["sample_event_ids"] == ["e0", "e1", "e2", "e3", "e4"]


def test_a_multiple_of_the_trailing_average_alerts_below_the_threshold():
    rule = SpikeRule(threshold=1000, multiple=3, trailing_windows=4, min_count=3)
    quiet = [T0 + h * 3600 for h in range(4)]               # one an hour
    busy = [T0 + 4 * 3600 + i for i in range(3)]             # three in the fifth hour
    raised = spikes(rule, quiet + busy)
    assert [a["count"] for a in raised if a] == [3]
    assert [a for a in raised if a][0]["threshold"] == 3
