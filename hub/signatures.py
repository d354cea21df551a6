"""Standard Webhooks (standardwebhooks.com) verification over the raw body.

The ``standardwebhooks`` package is the reference we test against and sign
with (``hub sign``); we verify with our own 30 lines because the package
decodes the body as UTF-8 text, which a binary GB/T 32960 frame is not, and
does not tell a stale timestamp from a bad signature except by message text.

Signed content: ``{webhook-id}.{webhook-timestamp}.{body}``, HMAC-SHA256 with
the base64-decoded secret after ``whsec_``; the ``webhook-signature`` header
may carry several space-separated ``v1,<base64>`` signatures (key rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from hub.errors import InvalidSignature, StaleTimestamp


def secret_bytes(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("webhook secret is not base64 after whsec_") from exc
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body,
                   hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(secret: str, body: bytes, headers: Mapping[str, str], *,
           tolerance_s: int = 300, now: float | None = None) -> str:
    """Check the headers against the body; return the webhook-id."""
    msg_id = headers.get("webhook-id")
    ts_raw = headers.get("webhook-timestamp")
    sig_header = headers.get("webhook-signature")
    if not (msg_id and ts_raw and sig_header):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(ts_raw)
    except ValueError as exc:
        raise InvalidSignature("webhook-timestamp is not an integer") from exc
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance_s:
        raise StaleTimestamp(f"webhook-timestamp is more than {tolerance_s} s from now")
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1].encode()
    for candidate in sig_header.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value.encode()):
            return msg_id
    raise InvalidSignature("no matching signature")


def signed_headers(secret: str, body: bytes, msg_id: str,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": sign(secret, msg_id, ts, body)}
