"""The guard against a hole at the tail of a partition.

The contiguity guard sees a hole only when a record after it arrives. When
faust drops what it fetched and nothing newer comes (the night shift, or a
worker restarted after the upstream systems have stopped sending), the
records sit in hub.intake, acknowledged to their senders and routed by no
one. So the worker asks, every few seconds, how far each partition it owns
has been processed and where the partition ends; a partition that owes
records and has not moved for ``after_s`` has its fetch position set back to
what it owes. Slow is not stalled: a record in progress moves the owed
offset within seconds, and records fetched twice are skipped as seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StallWatch:
    after_s: float
    _since: dict[Any, tuple[int, float]] = field(default_factory=dict)

    def retain(self, tps: set[Any]) -> None:
        """Forget partitions no longer owned: one handed back later starts a
        fresh clock rather than counting the time it was away."""
        for tp in self._since.keys() - tps:
            del self._since[tp]

    def stalled(self, tp: Any, owed: int, end: int, now: float) -> bool:
        """True when ``tp`` owes ``owed..end-1`` and ``owed`` has not moved for
        ``after_s`` seconds of ``now`` (a monotonic clock)."""
        if owed >= end:
            self._since.pop(tp, None)
            return False
        first = self._since.get(tp)
        if first is None or first[0] != owed:
            self._since[tp] = (owed, now)
            return False
        return now - first[1] >= self.after_s
