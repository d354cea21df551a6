"""HUB_RAW_RETENTION_MS reaches hub.raw through `hub topics create`, and an
existing topic kept otherwise gets a warning with the command that fixes it
(the embedded broker answers DescribeConfigs with the configs a topic was
created with; it has no AlterConfigs)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from hub.kafka.retention import duration, kept
from hub.kafka.topics import ERASURES, RAW, all_topics, topic_config
from hub.settings import load_settings
from tests.conftest import start_broker
from tests.helpers import ROOT, delete_topics, hub_env

HOUR = 3_600_000


@pytest.fixture(scope="module")
def boot(tmp_path_factory):
    broker = start_broker(tmp_path_factory.mktemp("retention"))
    yield broker.bootstrap
    broker.stop()


def create(boot: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub", "topics", "create"],
                          env=hub_env(boot, **env), cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def retention(boot: str, topic: str) -> int | None:
    return asyncio.run(kept(load_settings(kafka_bootstrap=boot), [topic]))[topic].retention_ms


def test_the_default_keeps_hub_raw_30_days_and_the_erasures_forever(boot):
    assert retention(boot, RAW) == 30 * 24 * HOUR
    assert retention(boot, ERASURES) == -1
    assert retention(boot, "hub.intake") == 7 * 24 * HOUR  # HUB_RETENTION_MS, untouched


def test_a_new_setting_is_applied_at_creation_and_warned_about_after(boot):
    delete_topics(boot, [RAW])
    done = create(boot, HUB_RAW_RETENTION_MS=str(2 * HOUR))
    assert done.returncode == 0, done.stderr
    assert "created  hub.raw" in done.stdout and "warning" not in done.stderr
    assert retention(boot, RAW) == 2 * HOUR
    again = create(boot, HUB_RAW_RETENTION_MS=str(2 * HOUR))
    assert "exists   hub.raw" in again.stdout and "warning" not in again.stderr
    # Changed later: the existing topic is left alone, with the command that changes it.
    done = create(boot, HUB_RAW_RETENTION_MS=str(HOUR))
    assert done.returncode == 0 and "exists   hub.raw" in done.stdout
    assert "warning: hub.raw keeps records 2 h, not 1 h as configured" in done.stderr
    assert (f"kafka-configs.sh --bootstrap-server {boot} --alter --entity-type topics "
            f"--entity-name hub.raw --add-config retention.ms={HOUR}") in done.stderr
    assert retention(boot, RAW) == 2 * HOUR  # left alone


def test_the_configs_each_topic_is_created_with():
    settings = load_settings(raw_retention_ms=5000, retention_ms=9000)
    configs = {s.name: topic_config(s, settings) for s in all_topics()}
    assert configs[RAW] == {"retention.ms": "5000"}
    assert configs["hub.intake"] == {"retention.ms": "9000"}
    assert configs[ERASURES] == {"retention.ms": "-1"}
    assert configs["hub.customers"] == {"cleanup.policy": "compact"}


def test_durations_read_as_people_say_them():
    assert [duration(ms) for ms in (-1, 24 * HOUR, 30 * 24 * HOUR, 2 * HOUR, 1500)] == [
        "forever", "1 day", "30 days", "2 h", "1.5 s"]


def test_the_setting_refuses_nonsense():
    with pytest.raises(Exception, match="raw_retention_ms"):
        load_settings(raw_retention_ms=-5)
