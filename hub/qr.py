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
    try:
        claims = orjson.loads(_fernet(secret).decrypt(token.encode()))
    except (InvalidToken, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidSignature("this QR code is not valid (it may have been altered)") from exc
    if (time.time() if now is None else now) > claims.get("exp", 0):
        raise ExpiredToken("this QR code has expired")
    ref = hashlib.sha256(token.encode()).hexdigest()[:12]  # stable, not reversible
    return {"dealer": claims.get("d"), "vin": claims.get("v"), "exp": claims["exp"], "ref": ref}


def url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/q/{token}"
