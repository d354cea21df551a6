"""The agent's guard against holes in its own stream.

faust can hand an agent a partition with a hole: records prefetched before a
recovery's "seek to committed" are dropped from its queues while the fetch
position stays past them, and its commit takes the highest run of acked
offsets without checking that the run starts at the committed offset
(faust-streaming #312). Either way an acknowledged webhook would never be
routed. So the agent checks every record's offset against the next one it
owes; on a hole it reads the missing range itself (``PartitionScanner``) and
routes it, in order, before the record that revealed the hole. The routing
ledger keeps that idempotent. A hole with nothing after it is the stall
watch's (:mod:`hub.worker.stall`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verdict(Enum):
    NEXT = "next"          # the record the partition owes us: process it
    SEEN = "seen"          # before what we processed already (a re-fetch): ack, skip
    GAP = "gap"            # past a hole: route ``expected``..offset-1 first


@dataclass
class Contiguity:
    expected: dict[Any, int] = field(default_factory=dict)
    generation: dict[Any, int] = field(default_factory=dict)

    def knows(self, tp: Any, generation: int) -> bool:
        """Whether ``tp`` has been started in this generation (an assignment)."""
        return self.generation.get(tp) == generation

    def start(self, tp: Any, generation: int, owed: int) -> None:
        """A (re)assigned partition resumes at ``owed``: the group's commit, or
        the log start when there is none. Never "whatever comes first": a hole
        at the head of a partition would pass unseen."""
        self.generation[tp] = generation
        self.expected[tp] = owed

    def check(self, tp: Any, offset: int) -> Verdict:
        want = self.expected[tp]
        if offset == want:
            return Verdict.NEXT
        return Verdict.SEEN if offset < want else Verdict.GAP

    def done(self, tp: Any, offset: int) -> None:
        self.expected[tp] = offset + 1
