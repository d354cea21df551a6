"""QR tokens: what a code at a dealer or on a car carries to the hub.

A token is a Fernet token (AES-128-CBC + HMAC-SHA256, from the ``cryptography``
package) keyed from ``HUB_QR_SECRET``: opaque (no VIN readable in the URL) and
tamper-proof (any change fails the HMAC). It holds the dealer code and/or VIN,
and an expiry."""

from __future__ import annotations

import base64
import hashlib
import time

import orjson
from cryptography.fernet import Fernet, InvalidToken

from hub.errors import InvalidPayload, InvalidSignature


class ExpiredToken(InvalidSignature):
    code = "stale_timestamp"


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def issue(secret: str, *, dealer: str | None = None, vin: str | None = None,
          days: float = 3650, now: float | None = None) -> str:
    if not dealer and not vin:
        raise InvalidPayload("a QR code needs a dealer code or a VIN")
    now = time.time() if now is None else now
    claims = {"d": dealer, "v": vin.upper() if vin else None, "exp": int(now + days * 86400)}
    return _fernet(secret).encrypt_at_time(orjson.dumps(claims), int(now)).decode()


def read(secret: str, token: str, now: float | None = None) -> dict:
    """The claims of a token: {"dealer", "vin", "exp", "ref"}; raises when forged or expired."""
    found = claims(secret, token)
    if (time.time() if now is None else now) > found["exp"]:
        raise ExpiredToken("this QR code has expired")
    return found


def claims(secret: str, token: str) -> dict:
    """The claims of a token, expired or not (``hub replay hub.raw`` reads a
    submission again after its code expired); raises when forged."""
    try:
        raw = orjson.loads(_fernet(secret).decrypt(token.encode()))
    except (InvalidToken, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidSignature("this QR code is not valid (it may have been altered)") from exc
    ref = hashlib.sha256(token.encode()).hexdigest()[:12]  # stable, not reversible
    return {"dealer": raw.get("d"), "vin": raw.get("v"), "exp": raw.get("exp", 0), "ref": ref}


def url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/q/{token}"
