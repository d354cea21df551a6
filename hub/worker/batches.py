"""The batch complaints under way, followed from ``hub.alerts``: what lets
the router flag an event that joins one (contract §9: later members carry
``batch``)."""

from __future__ import annotations

from datetime import datetime

import orjson
import structlog

from hub.kafka.topics import ALERTS
from hub.watch.alerts import batch_key
from hub.worker.customers import Feed

log = structlog.get_logger("hub.worker.batches")


class BatchBoard(Feed):
    topic = ALERTS

    def __init__(self, bootstrap: str, fetch_wait_ms: int = 10, **client: object) -> None:
        super().__init__(bootstrap, fetch_wait_ms, **client)
        self._windows: dict[str, list[tuple[datetime, datetime]]] = {}

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        try:
            alert = orjson.loads(value or b"null")
            if alert["kind"] != "batch_complaint":
                return
            window = (datetime.fromisoformat(alert["window"]["start"]),
                      datetime.fromisoformat(alert["window"]["end"]))
            dim_key = batch_key(alert["dimension"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, StopIteration):
            log.warning("alerts.skipped", reason="not an alert")
            return
        windows = [w for w in self._windows.get(dim_key, []) if w[1] >= window[0]]
        self._windows[dim_key] = [*windows, window]

    def active(self, dim_key: str, at: datetime) -> bool:
        return any(start <= at <= end for start, end in self._windows.get(dim_key, ()))
