"""The contract's topics (§4) and their creation (``hub topics create``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable, ConfigError
from hub.event import TIERS, TYPES, routed_topic
from hub.kafka.security import client_kwargs
from hub.settings import Settings

RAW = "hub.raw"
INTAKE = "hub.intake"
CUSTOMERS = "hub.customers"
TICKET_UPDATES = "hub.ticket-updates"
ESCALATIONS = "hub.escalations"
ALERTS = "hub.alerts"
REPLIES = "hub.replies"
CASES = "hub.cases"
DELIVERIES = "hub.deliveries"
DEADLETTER = "hub.deadletter"
# Internal: each routed event again, keyed by event_id like hub.ticket-updates,
# so the watch finds a case and its updates on one partition.
WATCH_ROUTED = "hub-watch-routed"
# Internal: one record per alert dimension of each routed event, keyed by the
# dimension, so one partition holds a dimension's whole window.
ALERT_DIMENSIONS = "hub-alerts-dimensions"
# Internal: one record per `hub erase` request, kept forever (the proof that
# it was done); it holds no identifier in clear (hub.erase.audit).
ERASURES = "hub-erasures"

ROUTED = tuple(routed_topic(tier, t) for tier in TIERS for t in TYPES)

_TOPIC_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    compacted: bool = False
    config: dict[str, str] = field(default_factory=dict)


def all_topics() -> list[TopicSpec]:
    plain = [RAW, INTAKE, TICKET_UPDATES, ESCALATIONS, ALERTS, REPLIES, DELIVERIES, DEADLETTER,
             WATCH_ROUTED, ALERT_DIMENSIONS, *ROUTED]
    return [TopicSpec(CUSTOMERS, compacted=True), TopicSpec(CASES, compacted=True)] + [
        TopicSpec(n) for n in plain] + [TopicSpec(ERASURES, config={"retention.ms": "-1"})]


def topic_config(spec: TopicSpec, settings: Settings) -> dict[str, str]:
    """The configs ``hub topics create`` gives a topic: compaction, or the
    retention of HUB_RETENTION_MS (HUB_RAW_RETENTION_MS for hub.raw, whose
    requests as received hold personal data that `hub erase` cannot reach)."""
    if spec.compacted:
        return {"cleanup.policy": "compact"} | spec.config
    retention = settings.raw_retention_ms if spec.name == RAW else settings.retention_ms
    return {"retention.ms": str(retention)} | spec.config


CONTRACT_TOPICS = frozenset(spec.name for spec in all_topics())
# The cluster id `EmbeddedBroker` gives Tansu: a broker the hub started itself.
EMBEDDED_CLUSTER_ID = "hub-embedded"


def topic_problems(counts: Mapping[str, int], partitions: int,
                   names: Iterable[str] = CONTRACT_TOPICS) -> list[str]:
    """What is wrong with the contract topics among ``names``, given the
    broker's partition count per topic, in words for an operator; empty when
    each exists with ``partitions`` partitions. A wrong count matters as much
    as a missing topic: Tansu creates a topic on first mention with a count
    of its own (4), so a broker that lost its topics answers a write to one
    as if nothing had happened."""
    problems = []
    for name in sorted(set(names) & CONTRACT_TOPICS):
        have = counts.get(name, 0)
        if not have:
            problems.append(f"{name} is missing")
        elif have != partitions:
            problems.append(f"{name} has {have} partitions, not {partitions}")
    return problems


async def started_admin(settings: Settings) -> AIOKafkaAdminClient:
    """An admin client that reached the broker; the caller closes it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                request_timeout_ms=10_000, **client_kwargs(settings))
    try:
        await admin.start()
    except KafkaError as exc:
        await admin.close()
        raise BrokerUnavailable(f"cannot reach Kafka at {settings.bootstrap}") from exc
    return admin


async def create_topics(settings: Settings) -> dict[str, str]:
    """Create every topic; existing ones are left alone. Returns name ->
    created|exists|recreated. On a broker the hub started itself, a contract
    topic with the wrong partition count is deleted and created again: Tansu
    made it on first mention after losing its topics, and it holds nothing
    the hub acknowledged (the gateway refuses writes to it). On a real
    cluster nothing is ever deleted; the gateway's /readyz names the topic."""
    admin = await started_admin(settings)
    try:
        meta = (await admin._get_cluster_metadata()).to_object()
        brokers = len(meta["brokers"])
        if settings.replication > brokers:
            # Kafka would refuse each topic with error 38 (invalid replication factor).
            raise ConfigError(f"HUB_REPLICATION={settings.replication} but the cluster at "
                              f"{settings.bootstrap} has {brokers} broker"
                              f"{'s' if brokers != 1 else ''}: set HUB_REPLICATION to at "
                              f"most {brokers}")
        counts = {t["topic"]: len(t["partitions"]) for t in meta["topics"]}
        wrong = sorted(n for n in CONTRACT_TOPICS
                       if counts.get(n, 0) not in (0, settings.partitions))
        if wrong and meta.get("cluster_id") == EMBEDDED_CLUSTER_ID:
            await admin.delete_topics(wrong)
        else:
            wrong = []
        new = [NewTopic(spec.name, settings.partitions, settings.replication,
                        topic_configs=topic_config(spec, settings)) for spec in all_topics()]
        response = await admin.create_topics(new)
        result = {}
        for name, code, *_ in response.topic_errors:
            if code not in (0, _TOPIC_EXISTS):
                raise BrokerUnavailable(f"creating {name} failed with Kafka error {code}")
            result[name] = ("recreated" if name in wrong else "created") if code == 0 \
                else "exists"
        return result
    except KafkaError as exc:
        raise BrokerUnavailable(f"creating the topics failed: {exc!r}") from exc
    finally:
        await admin.close()


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the topics again when the broker lost any (what ``hub up`` checks
    every few seconds). Returns what it did, e.g. ``hub.intake recreated``;
    empty when nothing needed doing. A wrongly sized topic on a real cluster
    is left to the operator (the gateway's /readyz names it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                request_timeout_ms=5_000, **client_kwargs(settings))
    try:
        await admin.start()
        meta = (await admin._get_cluster_metadata()).to_object()
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {settings.bootstrap}") from exc
    finally:
        await admin.close()
    counts = {t["topic"]: len(t["partitions"]) for t in meta["topics"]}
    missing = any(not counts.get(n) for n in CONTRACT_TOPICS)
    wrong = any(counts.get(n, 0) not in (0, settings.partitions) for n in CONTRACT_TOPICS)
    if not missing and not (wrong and meta.get("cluster_id") == EMBEDDED_CLUSTER_ID):
        return []
    result = await create_topics(settings)
    return sorted(f"{name} {state}" for name, state in result.items() if state != "exists")
