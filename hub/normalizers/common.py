"""Helpers every normalizer uses: payload validation and time parsing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from hub.errors import InvalidPayload

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
M = TypeVar("M", bound=BaseModel)
LAST_EPOCH_S = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime can hold



def _number(value: Any) -> Any:
    if isinstance(value, bool):  # a JSON true is not the number 1
        raise ValueError("expected a number, not a boolean")
    return value


def _integral(value: Any) -> Any:
    # JSON Schema (and JavaScript senders) say 12.0 is the integer 12.
    value = _number(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _number_as_text(value: Any) -> Any:
    value = _integral(value)
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def json_int(**bounds: int) -> Any:
    """An integer as JSON means it (12.0 is 12, true is not 1), with Field bounds."""
    # The bounds go before the validator, or pydantic writes "ge" instead of "minimum".
    return Annotated[int, Field(**bounds), BeforeValidator(_integral)]


JsonInt = json_int()
JsonFloat = Annotated[float, BeforeValidator(_number)]


# Days a month has (29 February left out: the schema cannot tell leap years).
_DATE = (r"[12]\d{3}-((0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)"
         r"|(0[13578]|1[02])-31)")
_CLOCK = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
_TIMESTAMP = re.compile(rf"^({_DATE}[Tt ]{_CLOCK}(\.\d+)?([Zz]|[+-]\d\d:\d\d)?|\d{{1,12}}|)$")


def _timestamp(value: str) -> str:
    if not _TIMESTAMP.match(value):
        raise ValueError("expected RFC 3339, YYYY-MM-DD hh:mm:ss or Unix seconds")
    try:
        parse_time(value)
    except InvalidPayload as exc:  # e.g. 30 February
        raise ValueError(exc.message) from exc
    return value


# What parse_time reads, checked when the payload is validated; "" means unknown.
Timestamp = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(_timestamp),
                      WithJsonSchema({
    "anyOf": [{"type": "string", "format": "date-time", "pattern": r"^[12]\d{3}-"},
              {"type": "string", "pattern": rf"^{_DATE}[T ]{_CLOCK}(\.\d{{1,6}})?$"},
              {"type": "integer", "minimum": 0, "maximum": LAST_EPOCH_S},
              {"type": "string", "pattern": r"^\d{1,11}$"},
              {"type": "string", "maxLength": 0}],
    "description": "RFC 3339; `YYYY-MM-DD hh:mm:ss` without an offset is China time; or Unix "
                   "seconds; empty means unknown"})]
EpochSeconds = json_int(ge=0, le=LAST_EPOCH_S)
# Required ids and text: whitespace is stripped first, so the schema says "not blank".
NonBlank = Annotated[str, Field(min_length=1, pattern=r"\S")]
# An id some upstreams send as a JSON number (Aliyun sequence_id, mini program MsgId).
IdText = Annotated[str, BeforeValidator(_number_as_text), Field(min_length=1, pattern=r"\S"),
                   WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1, "pattern": r"\S"},
                                             {"type": "integer"}]})]


class Payload(BaseModel):
    """Base for upstream payload models: unknown fields are kept, not refused,
    because upstream systems add fields without telling us. Known fields are
    strict JSON types (no "12" for 12), so the OpenAPI schema generated from the
    model is exactly what is accepted; models for form and XML bodies, where
    every value is text, set ``strict=False``."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, strict=True)


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
