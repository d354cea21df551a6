"""deploy/docker-compose.yml: valid by the Compose Specification's own schema,
and sound where a schema cannot look (tests/deploy/compose_checks.py)."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from tests.deploy.compose_checks import compose_problems, environment, healthcheck_target
from tests.deploy.parts import DEPLOY, ROOT, cli_part, settings_from

COMPOSE = DEPLOY / "docker-compose.yml"


def _load(path: Path = COMPOSE) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture
def deployed(tmp_path: Path) -> Path:
    """deploy/ as the README has a user prepare it (hub.env copied from the
    example), in a copy of the repository's layout: the build context is `..`."""
    root = tmp_path / "repo"
    shutil.copytree(DEPLOY, root / "deploy")
    shutil.copy(root / "deploy" / "hub.env.example", root / "deploy" / "hub.env")
    for name in ("pyproject.toml", "README.md", "hub"):
        (root / name).symlink_to(ROOT / name)
    return root / "deploy"


def _schema_check(path: Path) -> subprocess.CompletedProcess:
    # check-jsonschema ships the Compose Specification's schema
    # (compose-spec/compose-spec, schema/compose-spec.json): offline.
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_the_compose_file_follows_the_compose_specification():
    result = _schema_check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_refuses_a_broken_compose_file(tmp_path):
    doc = _load()
    doc["services"]["topics"]["depends_on"]["kafka-1"]["condition"] = "service_up"
    doc["services"]["worker"]["healthchek"] = doc["services"]["worker"].pop("healthcheck")
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(doc))

    result = _schema_check(broken)

    assert result.returncode == 1
    assert "'service_up' is not one of" in result.stdout
    assert "'healthchek' was unexpected" in result.stdout


def test_three_kraft_brokers_and_every_part_of_the_hub(deployed):
    services = _load(deployed / "docker-compose.yml")["services"]
    envs = {name: environment(s, deployed) for name, s in services.items()}
    brokers = [n for n, env in envs.items() if "broker" in env.get("KAFKA_PROCESS_ROLES", "")]
    assert brokers == ["kafka-1", "kafka-2", "kafka-3"]
    assert {envs[b]["KAFKA_MIN_INSYNC_REPLICAS"] for b in brokers} == {"2"}
    parts = {name: cli_part(s["command"]) for name, s in services.items()
             if s.get("command", [""])[0] == "hub"}
    assert sorted(parts.values()) == ["dispatcher", "gateway", "smtp", "topics create", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in parts:
        settings = settings_from(envs[name])
        assert (settings.env, settings.replication) == ("production", 3)
        assert settings.session_timeout_s == 30


def test_the_compose_file_holds_together(deployed):
    assert compose_problems(_load(deployed / "docker-compose.yml"), deployed) == []


def _set_env(service: str, **env: str) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["services"][service].setdefault("environment", {}).update(env)
    return change


def _set(service: str, key: str, value) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["services"][service][key] = value
    return change


def _health_url(service: str, old: str, new: str) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        check = doc["services"][service]["healthcheck"]
        check["test"] = [word.replace(old, new) for word in check["test"]]
    return change


def _without(service: str, key: str | None = None) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        if key:
            del doc["services"][service][key]
        else:
            del doc["services"][service]
    return change


@pytest.mark.parametrize(("change", "problem"), [
    (_set("gateway", "depends_on", {"topic": {"condition": "service_completed_successfully"}}),
     "gateway: depends on topic, which is not a service"),
    (_without("kafka-1", "healthcheck"),
     "topics: waits for kafka-1 to be healthy, which has no health check"),
    (_set("topics", "restart", "unless-stopped"),
     "gateway: waits for topics to complete, but topics is restarted (unless-stopped)"),
    (_set_env("gateway", HUB_KAFKA_BOOTSTRAP="kafka:9092"),
     "gateway: bootstrap kafka:9092 is not a broker of this file"),
    (_set_env("worker", HUB_KAFKA_BOOTSTRAP="kafka-1:9092,kafka-2:9092"),
     "worker: bootstrap leaves out kafka-3:9092"),
    (_without("kafka-3"), "topics: HUB_REPLICATION=3 on 2 brokers"),
    (_set_env("kafka-2", KAFKA_MIN_INSYNC_REPLICAS="1"),
     "kafka-2: KAFKA_MIN_INSYNC_REPLICAS=1"),
    (_set_env("kafka-1", KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="4"),
     "kafka-1: KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=4 on 3 brokers"),
    (_set_env("kafka-3", KAFKA_CONTROLLER_QUORUM_VOTERS="1@kafka-1:9093,3@kafka-2:9093"),
     "kafka-3: voter 3@kafka-2:9093, but kafka-2 is node 2"),
    (_set_env("kafka-2", KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://localhost:9092"),
     "kafka-2 advertises ('localhost', '9092'), not its own name"),
    (_set_env("kafka-3", CLUSTER_ID="another"), "the Kafka nodes have different CLUSTER_IDs"),
    (_set("smtp", "env_file", "hub.env.prod"), "smtp: env_file hub.env.prod does not exist"),
    (_set("worker", "command", ["hub", "workers"]),
     "worker: hub workers: the hub CLI has no 'workers'"),
    (_set_env("gateway", HUB_KAFKA_BOOTSTRAPS="kafka-1:9092"),
     "gateway: HUB_KAFKA_BOOTSTRAPS is not a hub setting"),
    (_set_env("dispatcher", HUB_QR_SECRET="hubdevqrsecret"),
     "dispatcher: `hub dispatcher` would not start: invalid configuration"),
    (_set("worker", "deploy", {"replicas": 13}),
     "worker: 13 workers for 12 partitions: 1 would stand idle"),
    (_health_url("gateway", ":8080/", ":8081/"),
     "gateway: health check: probes port 8081, `hub gateway` listens on 8080"),
    (_health_url("gateway", "/readyz", "/ready"),
     "gateway: health check: `hub gateway` serves no /ready"),
    (_health_url("gateway", "scope=intake", "scope=all"),
     "gateway: health check: /readyz?scope= takes ['intake', 'routing'], not 'all'"),
    (_health_url("worker", "9091", "9093"),
     "worker: health check: probes port 9093, `hub worker` listens on 9091"),
    (_health_url("smtp", "2525", "25"),
     "smtp: health check: probes port 25, `hub smtp` listens on 2525"),
])
def test_a_broken_compose_file_is_refused_with_the_reason(deployed, change, problem):
    doc = copy.deepcopy(_load(deployed / "docker-compose.yml"))
    change(doc)
    problems = compose_problems(doc, deployed)
    assert any(p.startswith(problem) for p in problems), problems


def test_the_gateway_answers_its_health_check(gateway):
    # The session's real gateway (topics created): what the container would ask.
    _, _, path = healthcheck_target(_load()["services"]["gateway"]["healthcheck"])
    reply = httpx.get(f"{gateway}{path}", timeout=10)
    assert (reply.status_code, reply.json()) == (200, {"status": "ready"})


def test_docker_compose_reads_the_file(deployed):
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True,
                                    timeout=60).returncode != 0:
        pytest.skip("no docker client with the compose plugin here: the schema and the "
                    "checks above stand in for `docker compose config`")
    result = subprocess.run([docker, "compose", "-f", str(deployed / "docker-compose.yml"),
                             "config", "--quiet"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
