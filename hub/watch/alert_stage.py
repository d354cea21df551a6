"""Batch complaints and volume spikes (contract §9) as a stream stage. Its
input is keyed by dimension (the router writes one record per dimension of
each routed event), so each dimension's window lives on one partition: one
alert per dimension and window, whatever the number of workers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from prometheus_client import Counter

from hub import cloudevents
from hub.kafka.topics import ALERT_DIMENSIONS, ALERTS, DEADLETTER
from hub.routers.policy import AlertRules
from hub.stream.records import Output
from hub.stream.state import PartitionState
from hub.watch.alerts import batch_step, spike_step

log = structlog.get_logger("hub.watch.alerts")
RAISED = Counter("hub_alerts_total", "early warnings raised", ["kind"])


class AlertStage:
    name = "hub-alerts"
    inputs = (ALERT_DIMENSIONS,)
    outputs = (ALERTS, DEADLETTER)
    deadletter = DEADLETTER

    def __init__(self, rules: AlertRules) -> None:
        self.rules = rules

    def dedupe_key(self, record: Any) -> str | None:
        return None  # the router writes each member once (stream core provenance)

    def process(self, record: Any, state: PartitionState) -> list[Output]:
        member = orjson.loads(record.value)
        key = record.key.decode()
        structlog.contextvars.bind_contextvars(event_id=member["event_id"], dimension=key)
        kind = key.split("|", 1)[0]
        window = state.get(kind, key)
        if kind == "batch":
            window, raised = batch_step(window, key, member["dimension"], self.rules.batch,
                                        member["event_id"], member["customer"], member["at"])
        else:
            window, raised = spike_step(window, key, member["dimension"], self.rules.spike,
                                        member["event_id"], member["at"])
        state.put(kind, key, window)
        if raised is None:
            return []
        RAISED.labels(raised["kind"]).inc()
        log.warning("alert.raised", kind=raised["kind"], alert_id=raised["alert_id"],
                    count=raised["count"])
        return [Output(ALERTS, raised["alert_id"].encode(), orjson.dumps(raised),
                       cloudevents.headers(id=raised["alert_id"], source="/hub/watch",
                                           type="hub.alert.v1",
                                           time=datetime.fromtimestamp(member["at"], UTC)))]
