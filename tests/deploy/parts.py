"""What the hub's parts really are, for checking deployment files against:
the CLI's commands, the settings a part runs with, and what it listens on."""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import click

from hub.cli import main
from hub.errors import HubError
from hub.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SETTING_NAMES = frozenset(f"HUB_{name.upper()}" for name in Settings.model_fields)


def cli_part(command: list[str]) -> str:
    """``["hub", "topics", "create"]`` -> ``"topics create"``; a command the
    CLI does not have raises ValueError."""
    if not command or command[0] != "hub":
        raise ValueError(f"{command!r} does not run the hub CLI")
    group: click.Command = main
    words: list[str] = []
    for word in command[1:]:
        if not isinstance(group, click.Group):
            raise ValueError(f"{' '.join(command)}: `hub {' '.join(words)}` takes no {word!r}")
        sub = group.commands.get(word)
        if sub is None:
            raise ValueError(f"{' '.join(command)}: the hub CLI has no {word!r}")
        words.append(word)
        group = sub
    if isinstance(group, click.Group):
        raise ValueError(f"{' '.join(command)} names a group, not a command")
    return " ".join(words)


def dockerfile_env(path: Path = DOCKERFILE) -> dict[str, str]:
    """The ``ENV`` of a Dockerfile (``KEY=VALUE`` form, continuation lines joined)."""
    env: dict[str, str] = {}
    for line in path.read_text().replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0].upper() == "ENV":
            env.update(word.split("=", 1) for word in words[1:])
    return env


def unknown_settings(names: list[str]) -> list[str]:
    return [n for n in names if n.startswith("HUB_") and n not in SETTING_NAMES]


def settings_from(env: Mapping[str, str]) -> Settings:
    """The settings a part started with ``env`` would have (raises HubError
    where it would refuse to start)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        return load_settings()


@dataclass(frozen=True)
class Listener:
    protocol: str                    # "http" or "tcp"
    host: str
    port: int
    paths: frozenset[str] = frozenset()


def listener(part: str, settings: Settings) -> Listener | None:
    """Where a part (a ``cli_part``) accepts connections; None for none."""
    metrics = frozenset({"/metrics"})  # prometheus_client answers any path; this is the one
    return {
        "gateway": Listener("http", settings.http_host, settings.http_port,
                            frozenset(gateway_gets())),
        "smtp": Listener("tcp", settings.http_host, settings.smtp_port),
        "worker": Listener("http", settings.metrics_host, settings.worker_metrics_port, metrics),
        "dispatcher": Listener("http", settings.metrics_host, settings.dispatcher_metrics_port,
                               metrics),
    }.get(part)


@functools.cache
def gateway_gets() -> dict[str, dict[str, set[str] | None]]:
    """The gateway's GET paths from its own OpenAPI document, each with its
    query parameters (name -> allowed values, None for any)."""
    from hub.gateway.app import create_app

    doc = create_app(Settings()).openapi()
    gets = {}
    for path, operations in doc["paths"].items():
        if "get" in operations:
            gets[path] = {p["name"]: set(p["schema"]["enum"]) if "enum" in p["schema"] else None
                          for p in operations["get"].get("parameters", []) if p["in"] == "query"}
    return gets


def probe_problem(part: str, settings: Settings, protocol: str, port: int,
                  path: str | None, *, from_outside: bool) -> str | None:
    """Why a probe of ``part`` on ``port`` (and ``path``, for HTTP) would fail,
    or None. ``from_outside``: the prober is not in the container (kubelet)."""
    where = listener(part, settings)
    if where is None:
        return f"`hub {part}` listens on no port"
    if protocol == "http" and where.protocol != "http":
        return f"`hub {part}` serves no HTTP"
    if port != where.port:
        return f"probes port {port}, `hub {part}` listens on {where.port}"
    if from_outside and where.host in LOOPBACK:
        return (f"`hub {part}` listens on {where.host} only: a probe from outside the "
                "container cannot reach it")
    if protocol == "http":
        return _path_problem(part, where, path or "/")
    return None


def _path_problem(part: str, where: Listener, target: str) -> str | None:
    url = urlsplit(target)
    if url.path not in where.paths:
        return f"`hub {part}` serves no {url.path}"
    if part != "gateway":
        return None if not url.query else f"`hub {part}` takes no query ({url.query})"
    accepted = gateway_gets()[url.path]
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        if name not in accepted:
            return f"{url.path} takes no parameter {name!r}"
        if accepted[name] is not None and value not in accepted[name]:
            return f"{url.path}?{name}= takes {sorted(accepted[name])}, not {value!r}"
    return None


def settings_problem(env: Mapping[str, str]) -> tuple[Settings | None, str | None]:
    try:
        return settings_from(env), None
    except HubError as err:
        return None, err.message
