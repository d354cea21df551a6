"""Aliyun SMS (dysmsapi 2017-05-25) SendSms, signed the RPC way.

The signature (Aliyun's "RPC signature", SignatureVersion 1.0): every query
parameter but ``Signature``, percent-encoded per RFC 3986 (space %20, ``*``
%2A, ``~`` kept), sorted by name and joined as ``k=v&…``; the string to sign
is ``GET&%2F&`` + that string percent-encoded once more; the signature is
base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)). A fresh
``SignatureNonce`` and the UTC ``Timestamp`` keep a captured request from
being replayed.

Mainland numbers go without their country code, others as country code and
number without the plus. The reply's ``reply_id`` is the ``OutId``, so a
delivery report names the reply."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import orjson

from hub.answers.outcome import (
    GiveUp,
    RetryLater,
    Sent,
    http_status_error,
    json_answer,
    transport_error,
)

PROVIDER = "aliyun"
# Throttled (the API's QPS or the per-number frequency control) or Aliyun's
# own failure: worth another try after a pause.
TRANSIENT = {"Throttling", "Throttling.User", "Throttling.Api", "isv.BUSINESS_LIMIT_CONTROL",
             "isp.SYSTEM_ERROR", "ServiceUnavailable", "InternalError"}


def percent(value: str) -> str:
    return quote(value, safe="~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent('/')}&{percent(canonical)}"


def signature(secret: str, method: str, params: dict[str, str]) -> str:
    mac = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def aliyun_number(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


class AliyunSms:
    def __init__(self, http: httpx.AsyncClient, endpoint: str, access_key_id: str,
                 access_key_secret: str, sign_name: str, template_code: str) -> None:
        self.http, self.endpoint = http, endpoint.rstrip("/")
        self.key_id, self.secret = access_key_id, access_key_secret
        self.sign_name, self.template_code = sign_name, template_code

    def signed_params(self, phone: str, template_params: dict[str, str],
                      out_id: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25", "PhoneNumbers": aliyun_number(phone),
            "SignName": self.sign_name, "TemplateCode": self.template_code,
            "TemplateParam": orjson.dumps(template_params).decode(), "OutId": out_id,
        }
        params["Signature"] = signature(self.secret, "GET", params)
        return params

    async def send(self, phone: str, template_params: dict[str, str], out_id: str) -> Sent:
        params = self.signed_params(phone, template_params, out_id)
        query = "&".join(f"{percent(k)}={percent(v)}" for k, v in params.items())
        try:
            response = await self.http.get(f"{self.endpoint}/?{query}")
        except httpx.HTTPError as exc:
            raise transport_error(PROVIDER, exc) from exc
        answer = json_answer(response)
        code, message = answer.get("Code"), str(answer.get("Message", response.text[:300]))
        if response.status_code == 200 and code == "OK":
            return Sent(PROVIDER, answer.get("BizId"))
        if code in TRANSIENT:
            raise RetryLater(PROVIDER, code, message)
        if response.status_code != 200:
            raise http_status_error(PROVIDER, response, code, message)
        # isv.MOBILE_NUMBER_ILLEGAL, isv.SMS_TEMPLATE_ILLEGAL,
        # isv.TEMPLATE_MISSING_PARAMETERS, isp.RAM_PERMISSION_DENY,
        # isv.AMOUNT_NOT_ENOUGH, isv.DAY_LIMIT_CONTROL ...
        raise GiveUp(PROVIDER, code, message)
