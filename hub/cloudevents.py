"""CloudEvents 1.0 binary-mode Kafka headers (the Kafka protocol binding:
attributes as ``ce_`` headers, the data as the record value)."""

from __future__ import annotations

from datetime import datetime

Headers = list[tuple[str, bytes]]


def headers(*, id: str, source: str, type: str, time: datetime,
            subject: str | None = None) -> Headers:
    out = [
        ("ce_specversion", b"1.0"),
        ("ce_id", id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", type.encode()),
        ("ce_time", time.isoformat().replace("+00:00", "Z").encode()),
        ("content-type", b"application/json"),
    ]
    if subject:
        out.append(("ce_subject", subject.encode()))
    return out


def as_dict(raw: Headers | None) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in (raw or [])}
