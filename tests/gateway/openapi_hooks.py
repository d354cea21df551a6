"""schemathesis hooks (``SCHEMATHESIS_HOOKS``) for tests/gateway/test_openapi.py:
sign each generated request the way its upstream signs, so the checks reach
past the 401; teach schemathesis the formats and media types it cannot know.

Signing happens on the prepared request (its final bytes and URL), with the
dev secrets the test gateway runs with. A case about a missing or broken
credential is sent as generated, and must be refused."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters
from wechatpy.crypto import WeChatCrypto

from hub import qr
from hub.connectors.sms_twilio import twilio_signature
from hub.connectors.wechat import wechat_signature
from hub.gateway.openapi import example_text
from hub.settings import DEV_SECRETS, DEV_SOURCE_SECRETS
from hub.signatures import signed_headers
from tests import gbt32960_frames as frames

PUBLIC_URL = "http://127.0.0.1:8080"  # HUB_PUBLIC_URL's default: the URL Twilio signs
SIGNED = {"/v1/channels/hotline": "hotline", "/v1/channels/web": "web",
          "/v1/channels/telematics": "telematics", "/v1/channels/email": "email",
          "/v1/channels/telematics/gbt32960": "telematics"}
PUSHED = {"/v1/channels/sms/aliyun", "/v1/channels/sms/tencent",
          "/v1/channels/hotline/tencent-ccc"}
CREDENTIALS = {"webhook-id", "webhook-timestamp", "webhook-signature", "token", "signature",
               "timestamp", "nonce", "msg_signature", "encrypt_type", "x-twilio-signature"}
# The QR form's phone is libphonenumber's question; valid ones are Chinese mobiles here.
MOBILE = r"^1(3\d|4[57]|5[0-35-9]|6[2567]|7[0-35-8]|8\d|9[0-35-9])\d{8}$"

schemathesis.openapi.format("phone", st.from_regex(MOBILE, fullmatch=True))


def qr_token() -> str:
    return qr.issue(DEV_SECRETS["qr_secret"], dealer="D0571A", vin="LNBSCU3H0MR512345")


class UpstreamSigner(requests.auth.AuthBase):
    def __init__(self, case) -> None:
        negated = {name.lower() for name, _ in negated_parameters(case.meta)}
        # A mutation without a name ("required violated") where credentials live counts too.
        unnamed = case.meta is not None and not negated and any(
            case.meta.is_negative_at(loc)
            for loc in (ParameterLocation.QUERY, ParameterLocation.HEADER))
        self.skip = bool(negated & CREDENTIALS) or unnamed

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.skip:
            return r
        parts = urlsplit(r.url)
        body = r.body or b""
        body = body.encode() if isinstance(body, str) else body
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path in SIGNED:
            r.headers.update(signed_headers(DEV_SOURCE_SECRETS[SIGNED[parts.path]], body,
                                            f"msg_{uuid.uuid4().hex}"))
        elif parts.path in PUSHED:
            query["token"] = DEV_SECRETS["push_token"]
        elif parts.path == "/v1/channels/wechat":
            query = _wechat(r, query, body)
        elif parts.path == "/v1/channels/qr":
            # Each submission from another phone (uvicorn trusts X-Forwarded-For from
            # loopback), so the per-address limit leaves the form's logic to test.
            r.headers["X-Forwarded-For"] = f"10.{uuid.uuid4().int % 250}.{len(body) % 250}.7"
        elif parts.path == "/v1/channels/sms/twilio":
            url = PUBLIC_URL + parts.path + (f"?{parts.query}" if parts.query else "")
            try:
                params = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                params = []
            r.headers["X-Twilio-Signature"] = twilio_signature(
                DEV_SECRETS["twilio_auth_token"], url, params)
        r.url = urlunsplit(parts._replace(query=urlencode(query)))
        return r


def _wechat(r: requests.PreparedRequest, query: dict, body: bytes) -> dict:
    token, ts, nonce = DEV_SECRETS["wechat_token"], str(int(time.time())), uuid.uuid4().hex
    query.update(timestamp=ts, nonce=nonce, signature=wechat_signature(token, ts, nonce))
    as_json = r.headers.get("Content-Type", "").endswith("json")
    envelope = _json_object(body) if as_json else None
    if (envelope is not None and "Encrypt" in envelope) or (
            not as_json and re.search(rb"<Encrypt>.*</Encrypt>", body, re.S)):
        # A safe-mode envelope: encrypt a real message into it, as WeChat does.
        message = example_text("wechat/miniprogram.json" if as_json else "wechat/text.xml")
        encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", WeChatCrypto(
            token, DEV_SECRETS["wechat_aes_key"], DEV_SECRETS["wechat_appid"]
        ).encrypt_message(message, nonce, ts)).group(1)
        if envelope is not None:
            r.body = json.dumps({**envelope, "Encrypt": encrypted}).encode()
        else:
            r.body = re.sub(rb"<Encrypt>.*</Encrypt>", f"<Encrypt>{encrypted}</Encrypt>".encode(),
                            body, flags=re.S)
        r.headers["Content-Length"] = str(len(r.body))
        query.update(encrypt_type="aes", msg_signature=wechat_signature(token, ts, nonce,
                                                                        encrypted))
    return query


def _json_object(body: bytes) -> dict | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@schemathesis.auth()
class Upstream:
    """Marks every case as carrying real credentials (the signer below adds
    them), so ``ignored_auth`` probes each operation without them."""

    def get(self, case, ctx) -> str:
        return "signed on the wire"

    def set(self, case, data, ctx) -> None:
        pass


@schemathesis.hook
def before_call(ctx, case, kwargs) -> None:
    kwargs["auth"] = UpstreamSigner(case)


@schemathesis.serializer("message/rfc822")
def rfc822(_ctx, value) -> bytes:
    data = getattr(value, "data", value)
    return data if isinstance(data, bytes) else str(data).encode()


def _real_frame(seed: bytes) -> bytes:
    """A real-time frame with an alarm, its fields drawn from the generated bytes."""
    n = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big")
    at = datetime(2026, 1 + n % 12, 1 + n % 28, n % 24, n % 60, (n >> 8) % 60)
    return frames.realtime(at, frames.position(30 + n % 10 / 10, 120 + n % 7 / 10),
                           frames.alarm(1 + n % 3, [n % 19]))


def _real_mail(seed: bytes) -> bytes:
    digest = hashlib.sha256(seed).hexdigest()[:16]
    return (f"From: 客户 <c{digest[:6]}@example.cn>\r\nTo: service@hub.example.cn\r\n"
            f"Subject: 车辆异响 {digest}\r\nMessage-ID: <{digest}@example.cn>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n保养后发动机异响。{seed.hex()}\r\n"
            ).encode()


@schemathesis.hook
def map_body(ctx, body):
    path = ctx.operation.path
    # The QR form's token is its authentication: a valid one gets the checks past the 401.
    if path == "/v1/channels/qr" and isinstance(body, dict):
        return {**body, "token": qr_token()}
    # Random bytes are refused (400) by the frame and mail parsers, rightly; every other
    # body becomes a real frame or mail built from them, so the 202 path is checked too.
    raw = getattr(body, "data", body)
    if isinstance(raw, bytes | str) and len(raw) % 2 == 0:
        raw = raw.encode() if isinstance(raw, str) else raw
        if path == "/v1/channels/telematics/gbt32960":
            return _real_frame(raw)
        if path == "/v1/channels/email":
            return _real_mail(raw)
    return body


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if ctx.operation.path == "/q/{token}" and path_parameters:
        return {**path_parameters, "token": qr_token()}
    return path_parameters
