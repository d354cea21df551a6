"""WeChat official account and mini program message push.

https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html

- ``GET``: URL check, ``signature`` = SHA1 of sorted (token, timestamp, nonce);
  answer ``echostr``.
- ``POST`` plain mode: the same ``signature``; XML (official account) or JSON
  (mini program) body.
- ``POST`` safe mode (``encrypt_type=aes``): ``msg_signature`` = SHA1 of sorted
  (token, timestamp, nonce, Encrypt); AES-256-CBC per WeChat (wechatpy's
  PrpCrypto), which also checks the appid inside the plaintext.
- ``timestamp`` more than ``HUB_WEBHOOK_TOLERANCE_S`` from now: 401 stale_timestamp
  (the signature covers it, so this stops replays of captured pushes).
- Answer ``success`` once stored: WeChat retries three times after 5 s and
  shows "该公众号暂时无法提供服务" on failure.

Signatures are compared with ``hmac.compare_digest`` (wechatpy uses ``!=``);
XML goes through defusedxml (no DTD, no entities), so an XML bomb is a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from hub.connectors.base import Accepted, Connector, Received, parse_json_object
from hub.connectors.docs import WECHAT_AES, WECHAT_PLAIN, Answer, Body, Doc, Param
from hub.errors import InvalidPayload, InvalidSignature, StaleTimestamp, UnsupportedMediaType
from hub.normalizers.wechat import WeChatMessage


def wechat_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def parse_xml(data: bytes | str) -> dict[str, str]:
    """Flat ``<xml><Tag>text</Tag>…</xml>`` to a dict, refusing DTDs and entities."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ElementTree.ParseError, ValueError) as exc:
        raise InvalidPayload(f"not acceptable XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise InvalidPayload("WeChat XML must have an <xml> root")
    return {child.tag: (child.text or "") for child in root}


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().endswith("json")


def _outer(request: Request, body: bytes) -> dict[str, Any]:
    """The body as posted: the message (plain mode) or its envelope (safe mode)."""
    if _is_json(request):
        return parse_json_object(body)
    if body.lstrip().startswith(b"<"):
        return parse_xml(body)
    raise UnsupportedMediaType("WeChat pushes XML or JSON")


class WeChatEnvelope(BaseModel):
    """Safe mode: the message, AES-encrypted and Base64-encoded, in ``Encrypt``."""

    model_config = ConfigDict(json_schema_extra={"xml": {"name": "xml"}})
    ToUserName: str | None = None
    Encrypt: str


def _text(description: str, example: str) -> Answer:
    return Answer(200, "text/plain", description, {"type": "string"}, example)


class WeChatConnector(Connector):
    channel = "wechat"
    path = "/v1/channels/wechat"
    methods = ("GET", "POST")
    summary = "WeChat official account / mini program push (plain or AES)"
    docs = (
        Doc("WeChat's URL check when the server address is saved: echoes `echostr`.",
            method="GET", security=(WECHAT_PLAIN,), answers=(_text("`echostr`", "1234567"),),
            errors=(InvalidSignature, StaleTimestamp),
            parameters=(Param("echostr", "query", "WeChat's random string to echo"),)),
        Doc("A message or event push: XML from the official account, JSON from the mini "
            "program. Plain mode is signed with `signature`; safe mode (`encrypt_type=aes`) "
            "carries the same message AES-encrypted in `Encrypt`, signed with "
            "`msg_signature`. Events without a customer message (unsubscribe, menu clicks) "
            "are answered and not routed.",
            bodies=(Body("text/xml", WeChatMessage | WeChatEnvelope,
                         ("wechat/text.xml", "wechat/voice.xml", "wechat/subscribe_qrscene.xml"),
                         xml_root="xml"),
                    Body("application/json", WeChatMessage | WeChatEnvelope,
                         ("wechat/miniprogram.json",))),
            security=(WECHAT_PLAIN, WECHAT_AES), answers=(_text("stored", "success"),)),
    )

    @property
    def _token(self) -> str:
        return self.settings.wechat_token.get_secret_value()

    def _check_time(self, timestamp: str) -> None:
        # WeChat signs the timestamp; checking it keeps an old push from being replayed.
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError as exc:
            raise InvalidSignature("timestamp is not an integer") from exc
        if skew > self.settings.webhook_tolerance_s:
            raise StaleTimestamp(f"timestamp is more than "
                                 f"{self.settings.webhook_tolerance_s} s from now")

    def _check(self, given: str | None, *parts: str) -> None:
        expected = wechat_signature(self._token, *parts)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise InvalidSignature("WeChat signature does not match")

    async def handle_get(self, request: Request) -> Response:
        q = request.query_params
        self._check(q.get("signature"), q.get("timestamp", ""), q.get("nonce", ""))
        self._check_time(q.get("timestamp", ""))
        return PlainTextResponse(q.get("echostr", ""))

    def _decrypt(self, encrypted: str) -> str:
        key = base64.b64decode(self.settings.wechat_aes_key.get_secret_value() + "=")
        try:
            return PrpCrypto(key).decrypt(encrypted, self.settings.wechat_appid)
        except InvalidAppIdException as exc:
            raise InvalidSignature("encrypted message is for another appid") from exc
        except Exception as exc:  # padding, base64, length: all mean "not ours"
            raise InvalidPayload("encrypted message cannot be decrypted") from exc

    async def authenticate(self, request: Request, body: bytes) -> None:
        q = request.query_params
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if q.get("encrypt_type") == "aes":
            # msg_signature covers the ciphertext: the envelope is read to check it.
            encrypted = str(_outer(request, body).get("Encrypt") or "")
            self._check(q.get("msg_signature"), timestamp, nonce, encrypted)
        else:
            self._check(q.get("signature"), timestamp, nonce)
        self._check_time(timestamp)

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        outer = _outer(request, body)
        if request.query_params.get("encrypt_type") == "aes":
            # The appid inside is checked here, not in authenticate: a message our
            # token signed but for another appid is a wrong HUB_WECHAT_APPID, and
            # hub.raw keeps it for replay once that is fixed.
            plain = self._decrypt(str(outer.get("Encrypt") or ""))
            if _is_json(request):
                try:
                    message = orjson.loads(plain)
                except orjson.JSONDecodeError as exc:
                    raise InvalidPayload("decrypted body is not JSON") from exc
            else:
                message = parse_xml(plain)
        else:
            message = outer
        if not isinstance(message, dict) or not message.get("MsgType"):
            raise InvalidPayload("WeChat message without MsgType")
        kind = str(message["MsgType"]).lower()
        if kind == "event":
            kind = f"event:{str(message.get('Event', '')).lower()}"
        return [Received(message, kind=kind)]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return PlainTextResponse("success")
