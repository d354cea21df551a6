"""Session fixtures: one embedded broker, one gateway and one worker, started
as real processes; tests that break things start their own."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.topics import create_topics
from hub.settings import load_settings
from tests.helpers import FIXTURES, Proc, hub_env, start_gateway


def start_broker(tmp: Path) -> EmbeddedBroker:
    broker = EmbeddedBroker(free_port(), log_path=tmp / "broker.log").start()
    asyncio.run(create_topics(load_settings(kafka_bootstrap=broker.bootstrap)))
    return broker


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def broker(logs_dir: Path):
    b = start_broker(logs_dir)
    yield b
    b.stop()


@pytest.fixture(scope="session")
def gateway(broker: EmbeddedBroker, logs_dir: Path):
    proc, url = start_gateway(broker.bootstrap, logs_dir)
    yield url
    proc.stop()


@pytest.fixture(scope="session")
def customers(broker: EmbeddedBroker) -> Path:
    """The test customers, loaded with the real CLI before the worker starts."""
    path = FIXTURES / "customers.jsonl"
    done = subprocess.run([sys.executable, "-m", "hub", "customers", "load", str(path)],
                          env=hub_env(broker.bootstrap), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "published 5 customer records" in done.stdout
    return path


@pytest.fixture(scope="session")
def worker(broker: EmbeddedBroker, customers: Path, logs_dir: Path):
    proc = Proc("worker", hub_env(broker.bootstrap, HUB_SLA_SCALE="0.001"), logs_dir).start()
    proc.wait_log("worker.routing")  # joined its groups: /readyz says ready
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def smtp_port(broker: EmbeddedBroker, logs_dir: Path):
    port = free_port()
    proc = Proc("smtp", hub_env(broker.bootstrap, HUB_SMTP_PORT=str(port)), logs_dir).start()
    proc.wait_log("smtp.listening")
    yield port
    proc.stop()
