"""What the hub knew about a customer (or a vehicle) before this event: the
cases in ``hub.cases``, indexed by their history keys, followed like the
customer directory (contract §6 ``history``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import structlog

from hub.event import History
from hub.kafka.topics import CASES
from hub.worker.customers import Feed

log = structlog.get_logger("hub.worker.history")
CLOSED = {"resolved", "closed"}
KEEP = timedelta(days=31)


class CaseHistory(Feed):
    topic = CASES

    def __init__(self, bootstrap: str, repeat_window_days: float = 30, fetch_wait_ms: int = 10,
                 **client: object) -> None:
        super().__init__(bootstrap, fetch_wait_ms, **client)
        self.repeat_window = timedelta(days=repeat_window_days)
        # key -> event_id -> (opened_at, category, status)
        self._by_key: dict[str, dict[str, tuple[datetime, str, str]]] = {}
        self._keys: dict[str, list[str]] = {}  # event_id -> its keys

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        event_id = key.decode() if key else None
        if event_id is None:
            return
        for k in self._keys.pop(event_id, []):
            self._by_key.get(k, {}).pop(event_id, None)
        if value is None:
            return  # erased
        try:
            case = orjson.loads(value)
            entry = (datetime.fromisoformat(case["opened_at"]), case["category"], case["status"])
            keys = list(case.get("history_keys") or [])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("cases.skipped", reason="not a case")
            return
        self._keys[event_id] = keys
        for k in keys:
            self._by_key.setdefault(k, {})[event_id] = entry

    def history(self, keys: list[str], category: str, at: datetime) -> History:
        seen: dict[str, tuple[datetime, str, str]] = {}
        for k in keys:
            seen.update(self._by_key.get(k, {}))
        recent = sorted(((e, v) for e, v in seen.items() if at - KEEP < v[0] <= at),
                        key=lambda ev: ev[1][0], reverse=True)
        within = [(e, v) for e, v in recent if v[0] > at - timedelta(days=30)]
        same = [e for e, v in recent if v[0] > at - self.repeat_window and v[1] == category
                and category != "other"]
        open_cases = sorted((e for e, v in seen.items() if v[2] not in CLOSED),
                            key=lambda e: seen[e][0], reverse=True)
        return History(contacts_30d=len(within),
                       previous_event_ids=[e for e, _ in within[:5]],
                       open_case_ids=open_cases, same_fault_contacts=len(same))
