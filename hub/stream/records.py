"""What a stage writes, and the provenance header that makes it idempotent.

Every output carries ``hub_src`` = ``{topic}/{partition}/{offset}/{n}``: the
input record it came from and its place among that record's outputs. After a
crash the next owner of the input partition reads the output partitions back
from a checkpoint and skips every (offset, n) already there, so an output is
written once even though its input is processed again."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import orjson

from hub import cloudevents
from hub.event import utcnow

SRC_HEADER = "hub_src"


@dataclass(frozen=True)
class Output:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: cloudevents.Headers = field(default_factory=list)
    partition: int | None = None


def src_value(topic: str, partition: int, offset: int, n: int) -> bytes:
    return f"{topic}/{partition}/{offset}/{n}".encode()


def parse_src(value: bytes) -> tuple[str, int, int, int] | None:
    topic, _, rest = value.decode(errors="replace").rpartition("/")
    head, _, offset = topic.rpartition("/")
    topic, _, partition = head.rpartition("/")
    try:
        return topic, int(partition), int(offset), int(rest)
    except ValueError:
        return None


def dead_letter(record, deadletter_topic: str, reason: str, error: str,
                source: str = "/hub/worker", extra: dict | None = None) -> Output:
    """The record as it was, with why it could not be processed (and ``extra``
    fields a replay needs, such as the subscriber)."""
    value = record.value or b""
    try:
        text, b64 = value.decode(), None
    except UnicodeDecodeError:
        text, b64 = None, base64.b64encode(value).decode()
    now = utcnow()
    body = orjson.dumps({"reason": reason, "error": error, "topic": record.topic,
                         "partition": record.partition, "offset": record.offset,
                         "value": text, "value_base64": b64, "at": now, **(extra or {})})
    ce_id = f"{record.topic}/{record.partition}/{record.offset}"
    return Output(deadletter_topic, record.key, body,
                  cloudevents.headers(id=ce_id, source=source, type="hub.deadletter.v1",
                                      time=now))


def dead_letter_value(letter: dict) -> bytes:
    """The record a dead letter keeps, as it was (the inverse of :func:`dead_letter`)."""
    if letter.get("value") is not None:
        return letter["value"].encode()
    return base64.b64decode(letter.get("value_base64") or "")
