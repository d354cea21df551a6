"""Stable event ids: the same upstream message always gets the same id, so a
redelivered webhook (or one received by two gateway replicas) is recognised
downstream. The id is a UUIDv5 over channel, source and the upstream id."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1c2b7e-3a55-4f0e-9a43-2c1d7b0e9d10")


def event_id(channel: str, source: str, channel_message_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{channel}\x1f{source}\x1f{channel_message_id}"))
