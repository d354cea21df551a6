"""Sliding-window limits in memory (per gateway replica): enough to stop a
script hammering one QR code or one address; a shared store would be needed
to make the limit global across replicas."""

from __future__ import annotations

import time
from collections import defaultdict, deque


class SlidingWindow:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 100_000:  # forget idle keys rather than grow without bound
            for k in [k for k, v in self._hits.items() if not v][:50_000]:
                del self._hits[k]
        return True
