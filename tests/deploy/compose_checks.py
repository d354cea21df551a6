"""What the Compose Specification's schema cannot say about deploy/docker-compose.yml:
references between services, the Kafka cluster's shape, and the hub's parts
as they would really start (their settings, commands and health checks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from tests.deploy.parts import (
    cli_part,
    dockerfile_env,
    probe_problem,
    settings_problem,
    unknown_settings,
)

# http://host:port/path in a health check's command, or smtplib.SMTP('host', port).
_URL = re.compile(r"(http)://([\w.-]+):(\d+)(/[^'\"\s]*)?")
_SMTP = re.compile(r"SMTP\(\s*'([\w.-]+)',\s*(\d+)")


def compose_problems(doc: dict[str, Any], base: Path) -> list[str]:
    """Everything wrong with a loaded compose file whose folder is ``base``."""
    services = doc.get("services", {})
    problems = []
    for name, service in services.items():
        problems += [f"{name}: {p}" for p in _service_problems(name, service, services, base)]
    problems += _kafka_problems(services, base)
    return problems


def environment(service: dict[str, Any], base: Path) -> dict[str, str]:
    """A service's environment as its container gets it: the image's ENV
    (when built from the hub's Dockerfile), then env_file, then environment."""
    env: dict[str, str] = {}
    build = service.get("build")
    if isinstance(build, dict) and build.get("dockerfile"):
        dockerfile = base / build.get("context", ".") / build["dockerfile"]
        if dockerfile.is_file():
            env.update(dockerfile_env(dockerfile))
    for entry in _list(service.get("env_file")):
        path = base / (entry["path"] if isinstance(entry, dict) else entry)
        if path.is_file():
            env.update({k: v or "" for k, v in dotenv_values(path).items()})
    extra = service.get("environment") or {}
    if isinstance(extra, list):
        extra = dict(item.split("=", 1) for item in extra)
    env.update({k: "" if v is None else str(v) for k, v in extra.items()})
    return env


def _list(value: Any) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def _service_problems(name: str, service: dict, services: dict, base: Path) -> list[str]:
    problems = []
    depends = service.get("depends_on") or {}
    for target, rule in (depends.items() if isinstance(depends, dict)
                         else ((t, {}) for t in depends)):
        condition = (rule or {}).get("condition", "service_started")
        if target not in services:
            problems.append(f"depends on {target}, which is not a service")
        elif condition == "service_healthy" and not _has_healthcheck(services[target]):
            problems.append(f"waits for {target} to be healthy, which has no health check")
        elif condition == "service_completed_successfully" and \
                services[target].get("restart", "no") != "no":
            problems.append(f"waits for {target} to complete, but {target} is restarted "
                            f"({services[target]['restart']})")
    for entry in _list(service.get("env_file")):
        path = entry["path"] if isinstance(entry, dict) else entry
        if not (base / path).is_file():
            problems.append(f"env_file {path} does not exist")
    build = service.get("build")
    if isinstance(build, dict):
        context = base / build.get("context", ".")
        if not (context / build.get("dockerfile", "Dockerfile")).is_file():
            problems.append(f"no {build.get('dockerfile', 'Dockerfile')} in {context}")
    command = service.get("command")
    if command and command[0] == "hub":
        problems += _hub_problems(name, service, base)
    return problems


def _has_healthcheck(service: dict) -> bool:
    check = service.get("healthcheck") or {}
    return bool(check.get("test")) and not check.get("disable") and check["test"] != ["NONE"]


def _hub_problems(name: str, service: dict, base: Path) -> list[str]:
    try:
        part = cli_part(service["command"])
    except ValueError as err:
        return [str(err)]
    env = environment(service, base)
    problems = [f"{n} is not a hub setting" for n in unknown_settings(list(env))]
    settings, refused = settings_problem(env)
    if refused:
        return [*problems, f"`hub {part}` would not start: {refused}"]
    replicas = (service.get("deploy") or {}).get("replicas", 1)
    if part == "worker" and replicas > settings.partitions:
        problems.append(f"{replicas} workers for {settings.partitions} partitions: "
                        f"{replicas - settings.partitions} would stand idle")
    if "healthcheck" in service:
        problems += _healthcheck_problems(part, settings, service["healthcheck"])
    return problems


def healthcheck_target(check: dict) -> tuple[str, int, str | None] | None:
    """What a hub service's health check asks: protocol, port and (HTTP) path."""
    test = " ".join(_list(check.get("test")))
    if url := _URL.search(test):
        return url[1], int(url[3]), url[4] or "/"
    if smtp := _SMTP.search(test):
        return "tcp", int(smtp[2]), None
    return None


def _healthcheck_problems(part: str, settings, check: dict) -> list[str]:
    target = healthcheck_target(check)
    if target is None:
        return [f"health check {check.get('test')!r} reaches no address the checks can read"]
    # A health check runs inside the container: loopback reaches every bind.
    problem = probe_problem(part, settings, *target, from_outside=False)
    return [f"health check: {problem}"] if problem else []


def _kafka_problems(services: dict, base: Path) -> list[str]:
    envs = {name: environment(s, base) for name, s in services.items()}
    nodes = {name: env for name, env in envs.items() if "KAFKA_PROCESS_ROLES" in env}
    brokers = {n: env for n, env in nodes.items() if "broker" in env["KAFKA_PROCESS_ROLES"]}
    problems = _quorum_problems(nodes)
    for name, env in brokers.items():
        if not _has_healthcheck(services[name]):
            problems.append(f"{name}: a broker without a health check")
        for key in ("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
            if int(env.get(key, 3)) > len(brokers):
                problems.append(f"{name}: {key}={env.get(key, '3 (Kafka default)')} on "
                                f"{len(brokers)} brokers")
        min_isr = int(env.get("KAFKA_MIN_INSYNC_REPLICAS", 1))
        if not 1 < min_isr < int(env.get("KAFKA_DEFAULT_REPLICATION_FACTOR", 1)):
            problems.append(f"{name}: KAFKA_MIN_INSYNC_REPLICAS={min_isr}: acks=all should "
                            "need two copies and survive the loss of one")
    advertised = {name: _listener(env.get("KAFKA_ADVERTISED_LISTENERS", ""), "PLAINTEXT")
                  for name, env in brokers.items()}
    for name, address in advertised.items():
        if address is None or address[0] not in (name, services[name].get("hostname")):
            problems.append(f"{name} advertises {address}, not its own name")
    reachable = {f"{host}:{port}" for host, port in filter(None, advertised.values())}
    for name, env in envs.items():
        if "HUB_KAFKA_BOOTSTRAP" not in env:
            continue
        listed = [b.strip() for b in env["HUB_KAFKA_BOOTSTRAP"].split(",")]
        problems += [f"{name}: bootstrap {b} is not a broker of this file"
                     for b in listed if b not in reachable]
        problems += [f"{name}: bootstrap leaves out {b}" for b in sorted(reachable - set(listed))]
        replication = int(env.get("HUB_REPLICATION", 1))
        if replication > len(brokers):
            problems.append(f"{name}: HUB_REPLICATION={replication} on {len(brokers)} brokers")
    return problems


def _listener(listeners: str, wanted: str) -> tuple[str, str] | None:
    for item in listeners.split(","):
        label, _, address = item.strip().partition("://")
        if label == wanted:
            host, _, port = address.rpartition(":")
            return host, port
    return None


def _quorum_problems(nodes: dict[str, dict[str, str]]) -> list[str]:
    problems = []
    if len({env.get("CLUSTER_ID") for env in nodes.values()}) > 1:
        problems.append("the Kafka nodes have different CLUSTER_IDs")
    ids = [env.get("KAFKA_NODE_ID") for env in nodes.values()]
    if len(set(ids)) != len(ids):
        problems.append(f"Kafka node ids repeat: {ids}")
    for name, env in nodes.items():
        for voter in env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "").split(","):
            node_id, _, address = voter.partition("@")
            host, _, port = address.rpartition(":")
            peer = nodes.get(host)
            if peer is None or "controller" not in peer["KAFKA_PROCESS_ROLES"]:
                problems.append(f"{name}: voter {voter} is not a controller of this file")
            elif peer.get("KAFKA_NODE_ID") != node_id:
                problems.append(f"{name}: voter {voter}, but {host} is node "
                                f"{peer.get('KAFKA_NODE_ID')}")
            elif _listener(peer.get("KAFKA_LISTENERS", ""), "CONTROLLER") is None or \
                    _listener(peer["KAFKA_LISTENERS"], "CONTROLLER")[1] != port:
                problems.append(f"{name}: voter {voter}, but {host}'s controller listens "
                                f"on {_listener(peer.get('KAFKA_LISTENERS', ''), 'CONTROLLER')}")
    return problems
