"""The stream core's options from the hub's settings: one place for every
stage's process (worker, dispatcher)."""

from __future__ import annotations

from typing import Any

from hub.kafka.security import client_kwargs
from hub.settings import Settings
from hub.stream.runner import Options


def options(settings: Settings, **hooks: Any) -> Options:
    return Options(
        bootstrap=settings.bootstrap, state_dir=settings.state_path,
        partitions=settings.partitions, replication=settings.replication,
        fetch_wait_ms=settings.fetch_wait, session_timeout_s=settings.session_timeout_s,
        horizon_s=settings.dedupe_horizon_h * 3600, client=client_kwargs(settings), **hooks)
