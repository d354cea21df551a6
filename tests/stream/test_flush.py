"""``state.flush()``: a step's table changes reach the changelog (and the
file) at once, before the batch's outputs, and survive a lost batch."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.stream.records import Output
from hub.stream.runner import Options, Runner
from hub.stream.scanner import Scanner
from hub.stream.state import changelog_key


class FlushingStage:
    def __init__(self, name: str, topic: str, bootstrap: str) -> None:
        self.name, self.inputs, self.outputs = name, (topic,), (f"{topic}.out",)
        self.deadletter = f"{topic}.out"
        self.bootstrap = bootstrap
        self.seen_in_changelog: list[bool] = []
        self.outputs_before: list[int] = []

    def dedupe_key(self, record):
        return None

    async def process(self, record, state):
        state.put("intent", record.value.decode(), {"open": True})
        await state.flush()
        scanner = Scanner(self.bootstrap)
        try:
            changelog = TopicPartition(f"{self.name}-changelog", record.partition)
            keys = {r.key for r in await scanner.read_from({changelog: 0})}
            out = TopicPartition(self.outputs[0], record.partition)
            self.outputs_before.append((await scanner.end_offsets([out]))[out])
        finally:
            await scanner.close()
        self.seen_in_changelog.append(changelog_key("intent", record.value.decode()) in keys)
        return [Output(self.outputs[0], record.key, record.value)]


def test_flushed_changes_are_in_the_changelog_before_the_outputs(broker, tmp_path):
    topic = f"test.flush.{uuid.uuid4().hex[:6]}"

    async def go():
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(topic, 1, 1), NewTopic(f"{topic}.out", 1, 1)])
        await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        for i in range(3):
            await producer.send_and_wait(topic, f"r{i}".encode(), key=b"k")
        await producer.stop()
        stage = FlushingStage(f"flush-{uuid.uuid4().hex[:6]}", topic, broker.bootstrap)
        runner = Runner(stage, Options(bootstrap=broker.bootstrap, state_dir=tmp_path,
                                       partitions=1))
        await runner.start()
        task = asyncio.create_task(runner.run())
        for _ in range(300):
            if len(stage.seen_in_changelog) == 3:
                break
            await asyncio.sleep(0.1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.stop()
        return stage

    stage = asyncio.run(go())
    assert stage.seen_in_changelog == [True, True, True]
    assert stage.outputs_before[0] == 0  # the batch's outputs were not written yet
