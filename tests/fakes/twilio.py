"""Twilio's Messages API: basic auth (AccountSid, AuthToken) checked against
the account in the path, the form's To checked with libphonenumber, the
Message resource answered with 201. Errors as Twilio's:
``{"code", "message", "more_info", "status"}`` (20003 authenticate, 21211
invalid To, 20429 too many requests)."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from email.utils import formatdate

import phonenumbers
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.base import Script

THROTTLED = (429, 20429, "Too Many Requests")


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message,
                         "more_info": f"https://www.twilio.com/docs/errors/{code}",
                         "status": status}, status_code=status)


class TwilioFake:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.sid, self.token = account_sid, auth_token
        self.messages: list[dict] = []
        self.refused: list[int] = []
        self.script = Script()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json",
                                           self.create, methods=["POST"])])

    def _refuse(self, status: int, code: int, message: str) -> JSONResponse:
        with self._lock:
            self.refused.append(code)
        return _error(status, code, message)

    def _authenticated(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (scheme.lower() == "basic" and hmac.compare_digest(user, self.sid)
                and hmac.compare_digest(password, self.token)
                and request.path_params["sid"] == self.sid)

    async def create(self, request: Request) -> JSONResponse:
        if not self._authenticated(request):
            return self._refuse(401, 20003, "Authenticate")
        form = await request.form()
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(str(to)))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            return self._refuse(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not body:
            return self._refuse(400, 21602, "Message body is required.")
        scripted = self.script.take()
        if scripted:
            return self._refuse(*scripted)
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.messages.append({"to": to, "from": sender, "body": body, "sid": sid})
        now = formatdate(usegmt=True)
        return JSONResponse({
            "account_sid": self.sid, "api_version": "2010-04-01", "body": body,
            "date_created": now, "date_sent": None, "date_updated": now,
            "direction": "outbound-api", "error_code": None, "error_message": None,
            "from": sender, "messaging_service_sid": None, "num_media": "0",
            "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
            "status": "queued", "to": to,
            "uri": f"/2010-04-01/Accounts/{self.sid}/Messages/{sid}.json"}, status_code=201)
