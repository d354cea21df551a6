"""Aliyun dysmsapi as SendSms sees it: the RPC signature recomputed from the
query exactly as received (the classic SDK's encoding: quote, then ``+`` ->
%20, ``*`` -> %2A, %7E -> ``~``), the nonce refused when used again, the
timestamp refused beyond 15 minutes, then the number, template and its
parameters checked. Bodies as Aliyun's: ``{"Message": "OK", "RequestId",
"BizId", "Code": "OK"}``; a bad signature is HTTP 400 ``SignatureDoesNotMatch``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.base import Script, request_id

HOST_ID = "dysmsapi.aliyuncs.com"
THROTTLED = ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")


def _encode(value: str) -> str:
    return quote(value.encode("utf-8"), "").replace("+", "%20").replace("*", "%2A") \
        .replace("%7E", "~")


def expected_signature(secret: str, params: dict[str, str]) -> str:
    query = "&".join(_encode(k) + "=" + _encode(params[k]) for k in sorted(params))
    to_sign = "GET&" + _encode("/") + "&" + _encode(query)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(),
                                     hashlib.sha1).digest()).decode()


class AliyunFake:
    def __init__(self, key_id: str, secret: str, sign_name: str, template_code: str,
                 template_vars: tuple[str, ...] = ("case", "text")) -> None:
        self.keys = {key_id: secret}
        self.sign_name, self.template_code, self.template_vars = (sign_name, template_code,
                                                                  template_vars)
        self.messages: list[dict] = []
        self.refused: list[str] = []
        self.nonces: set[str] = set()
        self.invalid_numbers: set[str] = set()  # well-formed but no such subscriber
        self.script = Script()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/", self.rpc, methods=["GET", "POST"])])

    def _error(self, status: int, code: str, message: str) -> JSONResponse:
        with self._lock:
            self.refused.append(code)
        return JSONResponse({"RequestId": request_id(), "HostId": HOST_ID, "Code": code,
                             "Message": message, "Recommend": "https://api.aliyun.com/"
                             f"troubleshoot?q={code}"}, status_code=status)

    async def rpc(self, request: Request) -> JSONResponse:
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        given = params.pop("Signature", None)
        secret = self.keys.get(params.get("AccessKeyId", ""))
        if secret is None:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is "
                                                                   "not found.")
        if given is None or not hmac.compare_digest(given, expected_signature(secret, params)):
            return self._error(400, "SignatureDoesNotMatch", "Specified signature is not "
                               "matched with our calculation.")
        try:
            at = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return self._error(400, "InvalidTimeStamp.Format", "Specified time stamp or date "
                                                               "value is not well formatted.")
        if abs(at.replace(tzinfo=UTC).timestamp() - time.time()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date "
                                                                "value is expired.")
        with self._lock:
            used = params.get("SignatureNonce") in self.nonces
            self.nonces.add(params.get("SignatureNonce", ""))
        if used or not params.get("SignatureNonce"):
            return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used "
                                                          "already.")
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return self._error(400, "InvalidAction.NotFound", "Specified api is not found.")
        return self._send(params)

    def _send(self, params: dict[str, str]) -> JSONResponse:
        def biz(code: str, message: str) -> JSONResponse:  # business errors are HTTP 200
            with self._lock:
                self.refused.append(code)
            return JSONResponse({"Message": message, "RequestId": request_id(), "Code": code})

        phone = params.get("PhoneNumbers", "")
        if phone in self.invalid_numbers or not re.fullmatch(r"1[3-9]\d{9}|[2-9]\d{7,14}",
                                                             phone):
            return biz("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if params.get("SignName") != self.sign_name:
            return biz("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if params.get("TemplateCode") != self.template_code:
            return biz("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = orjson.loads(params.get("TemplateParam", "{}"))
        except orjson.JSONDecodeError:
            return biz("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(not isinstance(values.get(v), str) for v in self.template_vars):
            return biz("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        scripted = self.script.take()
        if scripted:
            return biz(*scripted)
        biz_id = f"{int(time.time() * 1000) % 10**12}^0"
        with self._lock:
            self.messages.append({"phone": phone, "params": values,
                                  "out_id": params.get("OutId"), "biz_id": biz_id})
        return JSONResponse({"Message": "OK", "RequestId": request_id(), "BizId": biz_id,
                             "Code": "OK"})
