"""The OpenAPI document against the running gateway, by schemathesis.

A gateway of its own on the real broker; every operation of /openapi.json
gets the document's examples (the real-format fixtures), generated valid and
invalid requests, and schemathesis's checks: no 5xx, documented status codes,
content types and headers, responses that match their schemas, invalid data
refused, valid data accepted, authentication enforced. Each request is signed
the way its upstream signs (Standard Webhooks HMAC, WeChat SHA1, Twilio
HMAC-SHA1, push token, QR token), so the checks reach past the 401."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import hypothesis
import orjson
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hub import qr
from hub.connectors.sms_twilio import twilio_signature
from hub.connectors.wechat import wechat_signature
from hub.gateway.app import create_app
from hub.gateway.openapi import example_text
from hub.settings import DEV_SECRETS, DEV_SOURCE_SECRETS, load_settings
from hub.signatures import signed_headers
from tests.helpers import FIXTURES, start_gateway

PUBLIC_URL = "http://127.0.0.1:8080"  # HUB_PUBLIC_URL's default: what Twilio signs
SIGNED = {"/v1/channels/hotline": "hotline", "/v1/channels/web": "web",
          "/v1/channels/telematics": "telematics", "/v1/channels/email": "email",
          "/v1/channels/telematics/gbt32960": "telematics"}
PUSHED = {"/v1/channels/sms/aliyun", "/v1/channels/sms/tencent",
          "/v1/channels/hotline/tencent-ccc"}
# Bodies whose validity no JSON schema can say (a frame's checksum, a mail's
# headers): generated ones are refused (400), as they should be, so only the
# "valid data is accepted" check is off for them; the examples still get 202.
OPAQUE = {"/v1/channels/telematics/gbt32960", "/v1/channels/email"}


# The QR form's phone is libphonenumber's question; valid ones are Chinese mobiles here.
MOBILE = r"^1(3\d|4[57]|5[0-35-9]|6[2567]|7[0-35-8]|8\d|9[0-35-9])\d{8}$"
schemathesis.openapi.format("phone", st.from_regex(MOBILE, fullmatch=True))


def qr_token() -> str:
    return qr.issue(DEV_SECRETS["qr_secret"], dealer="D0571A", vin="LNBSCU3H0MR512345")


CREDENTIALS = {"webhook-id", "webhook-timestamp", "webhook-signature", "token", "signature",
               "timestamp", "nonce", "msg_signature", "encrypt_type", "x-twilio-signature"}


class UpstreamSigner(requests.auth.AuthBase):
    """Signs the request as sent (final bytes and URL), as each upstream would,
    unless the case is about a missing or broken credential: then it goes as
    generated, and must be refused."""

    def __init__(self, case) -> None:
        negated = {name.lower() for name, _ in negated_parameters(case.meta)}
        # A mutation without a name ("required violated") at the credentials' place counts too.
        unnamed = case.meta is not None and not negated and any(
            case.meta.is_negative_at(loc) for loc in (ParameterLocation.QUERY,
                                                      ParameterLocation.HEADER))
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
            query = self._wechat(query, body)
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

    @staticmethod
    def _wechat(query: dict, body: bytes) -> dict:
        token, ts, nonce = DEV_SECRETS["wechat_token"], str(int(time.time())), uuid.uuid4().hex
        query.update(timestamp=ts, nonce=nonce, signature=wechat_signature(token, ts, nonce))
        if query.get("encrypt_type") == "aes":
            encrypted = ""
            if b"<Encrypt>" in body:
                encrypted = body.split(b"<Encrypt>", 1)[1].split(b"</Encrypt>", 1)[0].decode()
            query["msg_signature"] = wechat_signature(token, ts, nonce, encrypted)
        return query


@schemathesis.serializer("message/rfc822")
def rfc822(_ctx, value) -> dict:
    data = getattr(value, "data", value)
    return {"data": data if isinstance(data, bytes) else str(data).encode()}


@schemathesis.hook
def map_body(ctx, body):
    # The QR form's token is its authentication: a valid one lets the checks past the 401.
    if ctx.operation.path == "/v1/channels/qr" and isinstance(body, dict):
        return {**body, "token": qr_token()}
    return body


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if ctx.operation.path == "/q/{token}" and path_parameters:
        return {**path_parameters, "token": qr_token()}
    return path_parameters


@pytest.fixture(scope="module")
def openapi_gateway(broker, logs_dir):
    proc, url = start_gateway(broker.bootstrap, logs_dir)
    yield url
    proc.stop()


# The document as the gateway builds it; the test below checks the served one is the same.
DOCUMENT = create_app(load_settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@hypothesis.settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_gateway_conforms_to_its_openapi(case, openapi_gateway):
    excluded = [positive_data_acceptance] if case.operation.path in OPAQUE else []
    case.call_and_validate(base_url=openapi_gateway, auth=UpstreamSigner(case),
                           excluded_checks=excluded, timeout=30)


def test_the_gateway_serves_this_document(openapi_gateway):
    assert requests.get(f"{openapi_gateway}/openapi.json", timeout=10).json() == \
        orjson.loads(orjson.dumps(DOCUMENT))


def test_examples_are_the_real_format_fixtures(openapi_gateway):
    document = requests.get(f"{openapi_gateway}/openapi.json", timeout=10).json()
    names = [example["summary"].split("(")[1].rstrip(")")
             for path in document["paths"].values() for op in path.values()
             for media in op.get("requestBody", {}).get("content", {}).values()
             for example in media.get("examples", {}).values()]
    assert len(names) >= 12
    for name in names:
        assert example_text(name) == (FIXTURES / name).read_text("utf-8"), name


def test_every_channel_endpoint_documents_body_auth_and_errors(openapi_gateway):
    document = requests.get(f"{openapi_gateway}/openapi.json", timeout=10).json()
    schemes = document["components"]["securitySchemes"]
    assert {"webhookSignature", "wechatSignature", "pushToken", "twilioSignature"} <= set(schemes)
    for path, methods in document["paths"].items():
        if not path.startswith("/v1/channels/"):
            continue
        for method, op in methods.items():
            if method == "post":
                assert op["requestBody"]["content"], path
                assert {"400", "401", "413", "415", "503"} <= set(op["responses"]), path
                assert "Retry-After" in op["responses"]["503"]["headers"], path
            if path != "/v1/channels/qr":  # its token is a form field
                assert op["security"], (path, method)
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    hex_frame = document["paths"]["/v1/channels/telematics/gbt32960"]["post"]["requestBody"][
        "content"]["application/octet-stream"]["x-example-hex"]
    assert orjson.dumps(hex_frame) and bytes.fromhex(hex_frame)[:2] == b"##"
