"""Twilio inbound SMS/MMS webhook (https://www.twilio.com/docs/usage/security).

Form-encoded; ``X-Twilio-Signature`` = Base64(HMAC-SHA1(auth token, URL +
each parameter name and value, sorted by name)). The URL is the one Twilio
called: ``HUB_PUBLIC_URL`` + path + query. Like Twilio's own validators we
also accept it with the default port added or removed, because proxies in
front of the gateway change that. The answer is empty TwiML (no auto-reply
here; acknowledgements go through hub.replies)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from fastapi import Request
from fastapi.responses import Response

from hub.connectors.base import Accepted, Connector, Received
from hub.connectors.docs import TOKEN_ERRORS, TWILIO, Answer, Body, Doc
from hub.errors import InvalidPayload, InvalidSignature, UnsupportedMediaType
from hub.normalizers.sms import TwilioMessage

_DEFAULT_PORTS = {"https": 443, "http": 80}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    data = url
    for name in sorted({k for k, _ in params}):
        for value in sorted({v for k, v in params if k == name}):
            data += name + value
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    port = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    bare = urlunsplit(parts._replace(netloc=host))
    variants = [url, bare]
    if port and parts.port in (None, port):
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{port}")))
    return list(dict.fromkeys(variants))


def form_params(request: Request, body: bytes) -> list[tuple[str, str]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Twilio posts application/x-www-form-urlencoded")
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidPayload("body is not a valid form") from exc


class TwilioSmsConnector(Connector):
    channel = "sms"
    source = "sms:twilio"
    path = "/v1/channels/sms/twilio"
    summary = "Twilio inbound SMS/MMS (form-encoded, X-Twilio-Signature)"
    docs = (Doc("Twilio's messaging webhook; MMS media (`MediaUrl0`...) become attachments.",
                bodies=(Body("application/x-www-form-urlencoded", TwilioMessage,
                             ("sms/twilio_mms.json",)),),
                security=(TWILIO,), errors=TOKEN_ERRORS,
                answers=(Answer(200, "text/xml", "Empty TwiML: stored, no auto-reply",
                                {"type": "string"}, EMPTY_TWIML),)),)

    def public_url(self, request: Request) -> str:
        url = self.settings.public_url.rstrip("/") + request.url.path
        return f"{url}?{request.url.query}" if request.url.query else url

    async def authenticate(self, request: Request, body: bytes) -> None:
        # The signature covers the form's fields: no form, nothing to check it over.
        params = form_params(request, body)
        given = request.headers.get("x-twilio-signature", "")
        token = self.settings.twilio_auth_token.get_secret_value()
        if not given or not any(
                hmac.compare_digest(given.encode(), twilio_signature(token, u, params).encode())
                for u in url_variants(self.public_url(request))):
            raise InvalidSignature("X-Twilio-Signature does not match")

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        return [Received(dict(form_params(request, body)))]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return Response(EMPTY_TWIML, status_code=200, media_type="text/xml")
