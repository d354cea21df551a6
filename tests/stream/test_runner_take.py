"""A batch that does not start where the partition's last commit ended: the
runner goes back for what it skipped instead of committing past it."""

from __future__ import annotations

import asyncio
import uuid

import orjson
from aiokafka import AIOKafkaProducer, TopicPartition

from hub.stream.runner import Options
from tests.helpers import read_topics
from tests.stream.running import run_until
from tests.stream.test_runner import Counter, _topics


async def _send(bootstrap: str, topic: str, ids: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in ids:
            await producer.send_and_wait(topic, orjson.dumps({"id": i, "k": "a"}),
                                         key=b"a", partition=0)
    finally:
        await producer.stop()


def test_a_fetch_position_ahead_of_the_commit_is_sought_back(broker, tmp_path):
    stage, boot = Counter(uuid.uuid4().hex[:8]), broker.bootstrap
    tp = TopicPartition(stage.inputs[0], 0)
    steps = {"moved": False}

    async def done(runner) -> bool:
        if tp not in runner.parts:
            return False
        if not steps["moved"]:
            # Where a batch fetched (and dropped) during the partition's take
            # leaves the consumer: three records ahead of the commit.
            steps["moved"] = True
            runner._consumer.seek(tp, 3)
            await _send(boot, stage.inputs[0], [str(i) for i in range(6)])
            return False
        outs = await asyncio.to_thread(read_topics, boot, list(stage.outputs), 0.5)
        return len(outs) >= 6

    async def scenario() -> None:
        await _topics(boot, stage)
        await run_until(stage, Options(boot, tmp_path / "state", 2), done, "6 outputs")
    asyncio.run(scenario())

    outs = [orjson.loads(r.value) for r in read_topics(boot, list(stage.outputs), 2)]
    assert [(o["id"], o["count"]) for o in outs] == [(str(i), i + 1) for i in range(6)]
