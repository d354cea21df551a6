"""Masking of personal data before it reaches a log line."""

from __future__ import annotations

import re
from typing import Any

# Chinese mobiles (with or without 86/+86, spaced or dashed), landlines with an
# area code, any +international number, and e-mail addresses. Plain long digit
# runs (timestamps, offsets) are left alone: they are no one's phone.
_PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
    r"|(?<![0-9A-Za-z])0\d{2,3}[\s-]?\d{7,8}(?!\d)"
    r"|\+\d[\d\s-]{7,}\d")
# Ids are not phone numbers: a UUID whose last group reads 139xxxxxxxx then a
# letter, or a hex digest, was cut to `…-***7365f`. They are kept whole.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
                    r"|[0-9a-fA-F]{16,})(?![0-9A-Za-z])")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+")
_PII_KEYS = {"phone", "mobile", "caller", "callee", "email", "from", "to", "phone_number",
             "name", "wechat_openid", "openid"}


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 4:
        return "***"
    return f"***{''.join(digits[-4:])}"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _mask_free_text(text: str) -> str:
    text = _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_text(text: str) -> str:
    out, last = [], 0
    for match in _ID_RE.finditer(text):
        out += [_mask_free_text(text[last:match.start()]), match.group(0)]
        last = match.end()
    out.append(_mask_free_text(text[last:]))
    return "".join(out)


def mask_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key in _PII_KEYS:
            return mask_email(value) if "@" in value else mask_phone(value) \
                if any(c.isdigit() for c in value) else "***"
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    return value


def mask_processor(_logger: Any, _method: str, event_dict: dict) -> dict:
    """structlog processor: no phone number or e-mail address leaves in a log line."""
    return {k: (v if k in ("event", "timestamp", "level", "logger") else mask_value(k, v))
            for k, v in event_dict.items()} | {"event": mask_text(str(event_dict.get("event", "")))}
