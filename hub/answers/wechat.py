"""WeChat customer-service messages (客服消息): ``POST
/cgi-bin/message/custom/send?access_token=…`` with an access token from
``GET /cgi-bin/token``.

The token is shared by every reply and fetched again only when WeChat says
it is no longer good (40001 invalid credential, 40014 invalid token, 42001
expired) or shortly before its ``expires_in``. Many replies finding the
token stale at once cause one fetch, not one each: WeChat keeps a daily
quota on ``/cgi-bin/token`` and each fetch invalidates the token before it.

45015 means the customer has not written for 48 hours: WeChat no longer
lets the account answer, which the dispatcher turns into an SMS."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
import structlog

from hub.answers.outcome import GiveUp, OutsideWindow, RetryLater, Sent, transport_error

log = structlog.get_logger("hub.answers.wechat")

PROVIDER = "wechat"
STALE_TOKEN = {40001, 40014, 42001}
OUTSIDE_WINDOW = 45015
# -1 system busy, 45009 the API's daily quota, 45047 too many messages in a row:
# all pass with time.
TRANSIENT = {-1, 45009, 45047}
EARLY_S = 300  # refresh this long before WeChat's expiry, not at it


class WeChatClient:
    def __init__(self, http: httpx.AsyncClient, base: str, appid: str, secret: str) -> None:
        self.http, self.base = http, base.rstrip("/")
        self.appid, self.secret = appid, secret
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # token fetches made: what the refresh test counts

    async def send_text(self, openid: str, text: str) -> Sent:
        body = orjson.dumps({"touser": openid, "msgtype": "text", "text": {"content": text}})
        token = await self._fresh_token(None)
        answer = await self._send(token, body)
        if answer.get("errcode") in STALE_TOKEN:
            log.info("wechat.token_stale", errcode=answer["errcode"])
            answer = await self._send(await self._fresh_token(token), body)
        return _outcome(answer)

    async def _send(self, token: str, body: bytes) -> dict:
        try:
            response = await self.http.post(
                f"{self.base}/cgi-bin/message/custom/send", params={"access_token": token},
                content=body, headers={"content-type": "application/json; charset=utf-8"})
        except httpx.HTTPError as exc:
            raise transport_error(PROVIDER, exc) from exc
        return _json(response)

    async def _fresh_token(self, stale: str | None) -> str:
        """The cached token, or a new one when there is none, it is near its
        expiry, or it is ``stale`` (the one WeChat just refused). Whoever
        waited on the lock while another fetched finds the new one and uses it."""
        async with self._lock:
            if self._token and self._token != stale and time.monotonic() < self._expires:
                return self._token
            try:
                response = await self.http.get(f"{self.base}/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": self.appid,
                    "secret": self.secret})
            except httpx.HTTPError as exc:
                raise transport_error(PROVIDER, exc) from exc
            self.fetches += 1
            answer = _json(response)
            if "access_token" not in answer:
                # 40013 invalid appid, 40125 invalid secret, 40164 IP not whitelisted:
                # nothing a retry fixes; -1 busy is the exception.
                _outcome(answer)
                raise GiveUp(PROVIDER, answer.get("errcode"), "no access_token in answer")
            self._token = answer["access_token"]
            self._expires = time.monotonic() + max(int(answer.get("expires_in", 7200)) - EARLY_S,
                                                   1)
            log.info("wechat.token_fetched", expires_in=answer.get("expires_in"))
            return self._token


def _json(response: httpx.Response) -> dict:
    if response.status_code >= 500:
        raise RetryLater(PROVIDER, response.status_code, response.text[:300])
    try:
        answer = response.json()
    except ValueError as exc:
        raise RetryLater(PROVIDER, response.status_code, "answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise RetryLater(PROVIDER, response.status_code, "answer is not a JSON object")
    return answer


def _outcome(answer: dict) -> Sent:
    code = answer.get("errcode", 0)
    message = str(answer.get("errmsg", ""))
    if code == 0:
        return Sent(PROVIDER, answer.get("msgid"))
    if code == OUTSIDE_WINDOW:
        raise OutsideWindow(PROVIDER, code, f"outside 48h window ({message})")
    if code in TRANSIENT:
        raise RetryLater(PROVIDER, code, message)
    # 40003 invalid openid, 48001 unauthorized API, 43004 unsubscribed,
    # 45002 content too long, and a token still refused after a fresh one.
    raise GiveUp(PROVIDER, code, message)
