"""Every error the hub reports, each carrying its contract code.

    HubError                      code            HTTP
    ├── InvalidPayload            invalid_payload 400
    ├── InvalidSignature          invalid_signature 401
    ├── StaleTimestamp            stale_timestamp 401
    ├── PayloadTooLarge           payload_too_large 413
    ├── UnsupportedMediaType      unsupported_media_type 415
    ├── RateLimited               rate_limited 429
    ├── BrokerUnavailable         broker_unavailable 503 (try again later)
    └── ProcessingError           (worker side: the message goes to hub.deadletter)
        └── ConfigError           a bad setting or policy file: startup fails

Callers decide retry versus dead-letter by class (BrokerUnavailable is the
one worth retrying), never by message text. Library exceptions are
translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class HubError(Exception):
    code: str = "internal_error"
    status: int = 500

    def __init__(self, message: str, *, detail: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}

    def to_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidPayload(HubError):
    code, status = "invalid_payload", 400


class InvalidSignature(HubError):
    code, status = "invalid_signature", 401


class StaleTimestamp(HubError):
    code, status = "stale_timestamp", 401


class PayloadTooLarge(HubError):
    code, status = "payload_too_large", 413


class UnsupportedMediaType(HubError):
    code, status = "unsupported_media_type", 415


class RateLimited(HubError):
    code, status = "rate_limited", 429


class BrokerUnavailable(HubError):
    code, status = "broker_unavailable", 503
    retry_after_s = 5


class ProcessingError(HubError):
    code = "processing_error"


class ConfigError(ProcessingError):
    code = "config_error"
