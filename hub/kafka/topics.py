"""The contract's topics (§4) and their creation (``hub topics create``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable
from hub.event import TIERS, TYPES, routed_topic
from hub.settings import Settings

RAW = "hub.raw"
INTAKE = "hub.intake"
CUSTOMERS = "hub.customers"
TICKET_UPDATES = "hub.ticket-updates"
ESCALATIONS = "hub.escalations"
ALERTS = "hub.alerts"
REPLIES = "hub.replies"
DELIVERIES = "hub.deliveries"
DEADLETTER = "hub.deadletter"

ROUTED = tuple(routed_topic(tier, t) for tier in TIERS for t in TYPES)

_TOPIC_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    compacted: bool = False
    config: dict[str, str] = field(default_factory=dict)


def all_topics() -> list[TopicSpec]:
    plain = [RAW, INTAKE, TICKET_UPDATES, ESCALATIONS, ALERTS, REPLIES, DELIVERIES, DEADLETTER,
             *ROUTED]
    return [TopicSpec(CUSTOMERS, compacted=True)] + [TopicSpec(n) for n in plain]


async def create_topics(settings: Settings) -> dict[str, str]:
    """Create every topic; existing ones are left alone. Returns name -> created|exists."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                request_timeout_ms=10_000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {settings.bootstrap}") from exc
    try:
        new = []
        for spec in all_topics():
            cfg = {"cleanup.policy": "compact"} if spec.compacted else {
                "retention.ms": str(settings.retention_ms)}
            new.append(NewTopic(spec.name, settings.partitions, settings.replication,
                                topic_configs=cfg | spec.config))
        response = await admin.create_topics(new)
        result = {}
        for name, code, *_ in response.topic_errors:
            if code not in (0, _TOPIC_EXISTS):
                raise BrokerUnavailable(f"creating {name} failed with Kafka error {code}")
            result[name] = "created" if code == 0 else "exists"
        return result
    finally:
        await admin.close()
