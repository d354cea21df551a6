"""Helpers every normalizer uses: payload validation and time parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from hub.errors import InvalidPayload

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    """Base for upstream payload models: unknown fields are kept, not refused,
    because upstream systems add fields without telling us."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, coerce_numbers_to_str=True)


def validate(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidPayload(f"{where}: {first['msg']}",
                             detail={"errors": exc.errors(include_url=False)}) from exc


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 or epoch seconds to an aware UTC datetime; a time without an
    offset is taken as China time, which is what upstream systems here mean."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidPayload(f"not a timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA)
    return parsed.astimezone(UTC)
