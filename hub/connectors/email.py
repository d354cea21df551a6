"""Email over HTTP: a mail provider's inbound route (or any MTA with a hook)
POSTs the raw RFC 5322 message as ``message/rfc822``, signed per Standard
Webhooks with source secret ``email``. Mail over SMTP is :mod:`hub.smtp`."""

from fastapi import Request

from hub import signatures
from hub.connectors.base import Connector, Received
from hub.errors import UnsupportedMediaType


class EmailConnector(Connector):
    channel = "email"
    source = "email"
    path = "/v1/channels/email"
    summary = "Raw RFC 5322 message (message/rfc822)"

    async def receive(self, request: Request, body: bytes) -> list[Received]:
        signatures.verify(self.settings.source_secret(self.source), body, request.headers,
                          tolerance_s=self.settings.webhook_tolerance_s)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "message/rfc822":
            raise UnsupportedMediaType("expected message/rfc822")
        return [Received({"rfc822": body}, kind="email")]
