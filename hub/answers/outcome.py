"""What a vendor made of one message: sent, worth another try, or refused.

The dispatcher decides by class, never by the vendor's text: ``RetryLater``
is retried with backoff, ``GiveUp`` is recorded and dead-lettered at once.
Both keep the vendor's own code and message for ``hub.deliveries``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from hub.errors import ProcessingError


@dataclass(frozen=True)
class Sent:
    provider: str
    message_id: str | None


class DeliveryError(ProcessingError):
    code = "delivery_failed"

    def __init__(self, provider: str, vendor_code: str | int | None, message: str) -> None:
        super().__init__(f"{provider}: {vendor_code}: {message}",
                         detail={"provider": provider, "vendor_code": vendor_code})
        self.provider, self.vendor_code = provider, vendor_code


class RetryLater(DeliveryError):
    """Throttled, the vendor's side failed, or no answer in time."""

    code = "delivery_retry"


class GiveUp(DeliveryError):
    """The vendor refused this message for good: another try would fail the same way."""

    code = "delivery_refused"


class OutsideWindow(GiveUp):
    """WeChat 45015: the customer last wrote more than 48 hours ago."""

    code = "wechat_outside_window"


def json_answer(response: httpx.Response) -> dict:
    """A vendor's JSON answer, or {} when it sent none (a proxy's HTML page)."""
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def transport_error(provider: str, exc: httpx.HTTPError) -> RetryLater:
    """A connection refused or reset, or a timeout: the vendor may be back soon.
    (A timeout after the request went out is one the vendor may have
    accepted; the dispatcher's intent record is what keeps that from
    becoming a second message.)"""
    return RetryLater(provider, type(exc).__name__, str(exc) or type(exc).__name__)


def http_status_error(provider: str, response: httpx.Response,
                      vendor_code: str | int | None, message: str) -> DeliveryError:
    """Throttling and the vendor's own failures are transient; other statuses are not."""
    if response.status_code == 429 or response.status_code >= 500:
        return RetryLater(provider, vendor_code or response.status_code, message)
    return GiveUp(provider, vendor_code or response.status_code, message)
