"""Give the worker's consumer group a committed offset on every input partition
before faust starts.

Why: on a partition with no committed offset, faust fetches from ``earliest``,
then, once its tables are recovered, seeks "to the committed offset", which
does nothing when there is none, and drops what it had prefetched: the worker
resumes at the end of the partition and never routes the records before it.
That is the first start of a fresh deployment, or a worker that died before
its first commit. With an explicit committed offset (the log start) the seek
lands where it must."""

from __future__ import annotations

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

log = structlog.get_logger("hub.worker.offsets")


async def ensure_committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Commit the log start offset where the group has none; return what was set."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        if not partitions:
            cluster = await consumer._client.fetch_all_metadata()
            partitions = sorted(cluster.partitions_for_topic(topic) or ())
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        missing = [tp for tp in tps if await consumer.committed(tp) is None]
        if not missing:
            return {}
        starts = await consumer.beginning_offsets(missing)
        try:
            await consumer.commit({tp: starts[tp] for tp in missing})
        except KafkaError as exc:  # an active group commits for itself
            log.warning("offsets.not_initialised", topic=topic, error=type(exc).__name__)
            return {}
        set_ = {tp.partition: starts[tp] for tp in missing}
        log.info("offsets.initialised", topic=topic, partitions=sorted(set_))
        return set_
    finally:
        await consumer.stop()
