"""``HUB_SUBSCRIBERS`` (contract §11): ticket systems that take webhooks
instead of reading Kafka. Each is ``name -> {"url", "secret": "whsec_…",
"topics": [patterns]}``; patterns are shell-style (``hub.routed.vip.*``)
against the hub's own topics, so a typo that matches nothing is an error at
start, not a silence."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass

from hub.errors import ConfigError
from hub.signatures import secret_bytes

# Contract §11: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (× HUB_RETRY_SCALE).
SCHEDULE_S = (5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass(frozen=True)
class Subscriber:
    name: str
    url: str
    secret: str
    topics: tuple[str, ...]


def parse(raw: str | dict | None, known_topics: list[str]) -> list[Subscriber]:
    if not raw:
        return []
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise ConfigError(f"HUB_SUBSCRIBERS is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError("HUB_SUBSCRIBERS must be a JSON object: name -> subscriber")
    out = []
    for name, spec in data.items():
        where = f"HUB_SUBSCRIBERS[{name}]"
        if not isinstance(spec, dict) or not {"url", "secret", "topics"} <= set(spec):
            raise ConfigError(f"{where} needs url, secret and topics")
        if not str(spec["url"]).startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url must be an http(s) URL")
        try:
            secret_bytes(str(spec["secret"]))
        except ValueError as exc:
            raise ConfigError(f"{where}.secret: {exc}") from exc
        patterns = spec["topics"] if isinstance(spec["topics"], list) else []
        topics = sorted({t for p in patterns for t in known_topics if fnmatch.fnmatchcase(t, p)})
        if not topics:
            raise ConfigError(f"{where}.topics {patterns!r} match none of the hub's topics")
        out.append(Subscriber(name, str(spec["url"]), str(spec["secret"]), tuple(topics)))
    return out
