"""What the broker says each topic keeps (``retention.ms``, ``cleanup.policy``),
through DescribeConfigs; and where that differs from what ``hub topics
create`` would give it, the command that fixes it.

``hub topics create`` leaves an existing topic alone, and the hub changes no
topic's configs itself (the embedded broker has no AlterConfigs; on a real
cluster that is the operator's call), so a new HUB_RAW_RETENTION_MS reaches
an existing hub.raw only through the printed ``kafka-configs.sh`` line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable
from hub.kafka.topics import TopicSpec, all_topics, started_admin, topic_config
from hub.settings import Settings

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Kept:
    """A topic's retention as the broker reports it; None where it said nothing."""
    topic: str
    retention_ms: int | None
    cleanup: str | None

    def describe(self) -> str:
        if self.cleanup and "compact" in self.cleanup:
            return "compacted: the latest record per key, until a tombstone"
        return "retention unknown (the broker did not say)" if self.retention_ms is None \
            else f"kept {duration(self.retention_ms)}"


def duration(ms: int) -> str:
    if ms < 0:
        return "forever"
    if ms % DAY_MS == 0:
        days = ms // DAY_MS
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{ms / 3_600_000:g} h" if ms >= 3_600_000 else f"{ms / 1000:g} s"


def _entries(resource: dict) -> dict[str, str | None]:
    # aiokafka names the fields by the protocol version it spoke.
    entries = resource.get("config_entries") or resource.get("configs") or []
    return {e.get("config_names") or e.get("name"): e.get("config_value", e.get("value"))
            for e in entries}


async def kept(settings: Settings, topics: Iterable[str]) -> dict[str, Kept]:
    """Each topic's retention and cleanup policy, as the broker reports them."""
    names = list(topics)
    admin = await started_admin(settings)
    try:
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    except KafkaError as exc:
        raise BrokerUnavailable(f"DescribeConfigs failed: {exc!r}") from exc
    finally:
        await admin.close()
    found: dict[str, Kept] = {}
    for answer in answers:
        for resource in answer.to_object()["resources"]:
            if resource["error_code"]:
                continue
            entries = _entries(resource)
            retention = entries.get("retention.ms")
            found[resource["resource_name"]] = Kept(
                resource["resource_name"],
                int(retention) if retention not in (None, "") else None,
                entries.get("cleanup.policy"))
    return {n: found.get(n, Kept(n, None, None)) for n in names}


def alter_command(settings: Settings, topic: str, retention_ms: int) -> str:
    return (f"kafka-configs.sh --bootstrap-server {settings.bootstrap} --alter "
            f"--entity-type topics --entity-name {topic} "
            f"--add-config retention.ms={retention_ms}")


async def drift(settings: Settings,
                specs: Iterable[TopicSpec] | None = None) -> list[str]:
    """A warning per topic whose retention the broker reports differs from
    the configured one, with the command that changes it. A broker that
    reports nothing (Tansu keeps no topic configs) gives no warning."""
    wanted = {s.name: int(cfg["retention.ms"]) for s in (specs or all_topics())
              if "retention.ms" in (cfg := topic_config(s, settings))}
    have = await kept(settings, wanted)
    return [f"{name} keeps records {duration(k.retention_ms)}, not {duration(wanted[name])} "
            f"as configured; `hub topics create` leaves an existing topic's configs alone. "
            f"To change it: {alter_command(settings, name, wanted[name])}"
            for name, k in have.items()
            if k.retention_ms is not None and k.retention_ms != wanted[name]]
