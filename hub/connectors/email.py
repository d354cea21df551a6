"""Email over HTTP: a mail provider's inbound route (or any MTA with a hook)
POSTs the raw RFC 5322 message as ``message/rfc822``, signed per Standard
Webhooks with source secret ``email``. Mail over SMTP is :mod:`hub.smtp`."""

from fastapi import Request

from hub.connectors.base import Received, StandardWebhook, require_media_type
from hub.connectors.docs import STANDARD_WEBHOOKS, Body, Doc


class EmailConnector(StandardWebhook):
    channel = "email"
    source = "email"
    path = "/v1/channels/email"
    summary = "Raw RFC 5322 message (message/rfc822)"
    docs = (Doc("The message as received, headers and MIME body, in any charset. "
                "Auto-replies and bounces are answered and not routed.",
                bodies=(Body("message/rfc822", {"type": "string", "format": "binary"}),),
                security=(STANDARD_WEBHOOKS,)),)

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        require_media_type(request, "message/rfc822")
        return [Received({"rfc822": body}, kind="email")]
