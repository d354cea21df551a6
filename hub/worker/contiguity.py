"""The agent's guard against holes in its own stream.

faust can hand an agent a partition with a hole: records prefetched before a
recovery's "seek to committed" are dropped from its queues while the fetch
position stays past them, and its commit takes the highest run of acked
offsets without checking that the run starts at the committed offset
(faust-streaming #312). Either way an acknowledged webhook would never be
routed. So the agent checks every record's offset against the next one it
owes; on a hole it reads the missing range itself (``IntakeReader``) and
routes it, in order, before the record that revealed the hole. The routing
ledger keeps that idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


class Verdict(Enum):
    NEXT = "next"          # the record the partition owes us: process it
    SEEN = "seen"          # before what we processed already (a re-fetch): ack, skip
    GAP = "gap"            # past a hole: route ``expected``..offset-1 first


@dataclass
class Contiguity:
    expected: dict[Any, int] = field(default_factory=dict)
    generation: dict[Any, int] = field(default_factory=dict)

    def check(self, tp: Any, offset: int, generation: int, committed: int | None) -> Verdict:
        if self.generation.get(tp) != generation:  # (re)assigned: start from the commit
            self.generation[tp] = generation
            if committed is None:
                self.expected.pop(tp, None)
            else:
                self.expected[tp] = committed
        want = self.expected.get(tp)
        if want is None or offset == want:
            return Verdict.NEXT
        return Verdict.SEEN if offset < want else Verdict.GAP

    def done(self, tp: Any, offset: int) -> None:
        self.expected[tp] = offset + 1


class IntakeReader:
    """Reads a range of one partition directly, for the holes faust leaves."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None

    async def read(self, topic: str, partition: int, start: int, end: int) -> list:
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap,
                                              enable_auto_commit=False)
            await self._consumer.start()
        tp = TopicPartition(topic, partition)
        self._consumer.assign([tp])
        self._consumer.seek(tp, start)
        out: list = []
        while len(out) < end - start:
            batch = await self._consumer.getmany(tp, timeout_ms=1000)
            out += [r for r in batch.get(tp, []) if start <= r.offset < end]
        return out
