"""Helpers every normalizer uses: payload validation and time parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from hub.errors import InvalidPayload

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
M = TypeVar("M", bound=BaseModel)
LAST_EPOCH_S = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime can hold

# What parse_time reads, as the OpenAPI document tells integrators.
Timestamp = Annotated[str, WithJsonSchema({
    "anyOf": [{"type": "string", "format": "date-time"},
              {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"},
              {"type": "integer", "minimum": 0, "maximum": LAST_EPOCH_S}],
    "description": "RFC 3339, `YYYY-MM-DD hh:mm:ss` (China time) or Unix seconds"})]
EpochSeconds = Annotated[int, Field(ge=0, le=LAST_EPOCH_S)]
# Required ids and text: whitespace is stripped first, so the schema says "not blank".
NonBlank = Annotated[str, Field(min_length=1, pattern=r"\S")]


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
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidPayload(f"not a timestamp: {value!r}") from exc
    try:
        parsed = datetime.fromisoformat(str(value).upper().replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=CHINA)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # overflow: year 1 or 9999 across an offset
        raise InvalidPayload(f"not a timestamp: {value!r}") from exc
