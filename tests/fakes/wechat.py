"""WeChat's API as the account sees it: ``GET /cgi-bin/token`` issues access
tokens that expire, ``POST /cgi-bin/message/custom/send`` checks the token
and answers with WeChat's codes (40001 unknown token, 42001 expired, 40003
unknown openid, 45015 outside the 48-hour window). Bodies as in WeChat's
documentation: ``{"errcode": 0, "errmsg": "ok"}`` and
``{"access_token": "...", "expires_in": 7200}``."""

from __future__ import annotations

import secrets
import threading
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.base import Script


def _rid() -> str:
    return f"rid: {secrets.token_hex(6)}-{secrets.token_hex(4)}"


class WeChatFake:
    def __init__(self, appid: str, secret: str, ttl_s: int = 7200) -> None:
        self.appid, self.secret, self.ttl_s = appid, secret, ttl_s
        self.tokens: dict[str, float] = {}     # token -> expiry (epoch)
        self.token_fetches = 0
        self.messages: list[dict] = []          # accepted customer-service messages
        self.refused: list[dict] = []
        self.outside_window: set[str] = set()   # openids that last wrote > 48 h ago
        self.script = Script()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/cgi-bin/token", self.token, methods=["GET"]),
            Route("/cgi-bin/message/custom/send", self.send, methods=["POST"])])

    def expire_tokens(self) -> None:
        """Every token issued so far expires now, as after its 7200 s."""
        with self._lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    async def token(self, request: Request) -> JSONResponse:
        q = request.query_params
        if q.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": f"invalid grant_type {_rid()}"})
        if q.get("appid") != self.appid:
            return JSONResponse({"errcode": 40013, "errmsg": f"invalid appid {_rid()}"})
        if q.get("secret") != self.secret:
            return JSONResponse({"errcode": 40125, "errmsg": f"invalid appsecret {_rid()}"})
        token = secrets.token_urlsafe(96)
        with self._lock:
            self.token_fetches += 1
            self.tokens[token] = time.time() + self.ttl_s
        return JSONResponse({"access_token": token, "expires_in": self.ttl_s})

    async def send(self, request: Request) -> JSONResponse:
        token = request.query_params.get("access_token", "")
        with self._lock:
            expiry = self.tokens.get(token)
        if expiry is None:
            return self._refuse(40001, "invalid credential, access_token is invalid or not "
                                       "latest", token)
        if expiry < time.time():
            return self._refuse(42001, "access_token expired", token)
        body = await request.json()
        openid = body.get("touser", "")
        if body.get("msgtype") != "text" or "content" not in body.get("text", {}):
            return self._refuse(40008, "invalid message type", openid)
        if not openid.startswith("o") or len(openid) < 20:
            return self._refuse(40003, "invalid openid", openid)
        if openid in self.outside_window:
            return self._refuse(45015, "response out of time limit or subscription is "
                                       "canceled", openid)
        scripted = self.script.take()
        if scripted:
            return self._refuse(scripted[0], scripted[1], openid)
        with self._lock:
            self.messages.append({"touser": openid, "content": body["text"]["content"]})
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    def _refuse(self, code: int, message: str, who: str) -> JSONResponse:
        with self._lock:
            self.refused.append({"errcode": code, "who": who})
        return JSONResponse({"errcode": code, "errmsg": f"{message} {_rid()}"})
