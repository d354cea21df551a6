"""Tencent Cloud's SMS API 3.0 as SendSms sees it: the Authorization header
parsed (Credential, SignedHeaders, Signature), the TC3-HMAC-SHA256
signature recomputed over the headers it names as they arrived and the body
as it arrived, the timestamp refused beyond five minutes; then the app,
template and each number. Bodies as Tencent's: ``{"Response":
{"SendStatusSet": [{"SerialNo", "PhoneNumber", "Fee", "SessionContext",
"Code": "Ok", "Message": "send success", "IsoCode"}], "RequestId"}}`` and
``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from datetime import UTC, datetime

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.base import Script, request_id

THROTTLED = ("RequestLimitExceeded", "请求的次数超过了频率限制。")
_AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
                   r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def expected_signature(secret_key: str, date: str, timestamp: str, headers: dict[str, str],
                       signed: str, body: bytes) -> str:
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n"
                                for name in signed.split(";"))
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    string_to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
                      f"{hashlib.sha256(canonical.encode()).hexdigest()}")
    k = _sign(_sign(_sign(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentFake:
    def __init__(self, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 template_id: str, template_params: int = 2) -> None:
        self.keys = {secret_id: secret_key}
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id
        self.template_params = template_params
        self.messages: list[dict] = []
        self.refused: list[str] = []
        self.script = Script()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/", self.api, methods=["POST"])])

    def _error(self, code: str, message: str) -> JSONResponse:
        with self._lock:
            self.refused.append(code)
        return JSONResponse({"Response": {"Error": {"Code": code, "Message": message},
                                          "RequestId": request_id().lower()}})

    async def api(self, request: Request) -> JSONResponse:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = _AUTH.match(headers.get("authorization", ""))
        if not match:
            return self._error("AuthFailure.InvalidAuthorization",
                               "Authorization header is not valid.")
        secret_id, date, signed, given = match.groups()
        secret = self.keys.get(secret_id)
        if secret is None:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired.")
        if datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") != date:
            return self._error("AuthFailure.SignatureFailure", "The credential date does not "
                               "match the timestamp.")
        if not {"content-type", "host"} <= set(signed.split(";")):
            return self._error("AuthFailure.SignatureFailure", "content-type and host must be "
                               "signed.")
        expected = expected_signature(secret, date, timestamp, headers, signed, body)
        if not hmac.compare_digest(given, expected):
            return self._error("AuthFailure.SignatureFailure", "The provided credentials "
                               "could not be validated. Please check your signature is correct.")
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidAction", "The action is not found.")
        return self._send(orjson.loads(body))

    def _send(self, req: dict) -> JSONResponse:
        if req.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId 校验失败")
        if req.get("SignName") != self.sign_name:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved",
                               "签名未审批或格式错误")
        if req.get("TemplateId") != self.template_id:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved",
                               "模板未审批或内容不匹配")
        values = req.get("TemplateParamSet") or []
        if len(values) != self.template_params or not all(isinstance(v, str) for v in values):
            return self._error("InvalidParameterValue.TemplateParameterFormatError",
                               "验证码模板参数格式错误")
        scripted = self.script.take()
        if scripted:
            return self._error(*scripted)
        statuses = []
        for phone in req.get("PhoneNumberSet") or []:
            status = {"SerialNo": "", "PhoneNumber": phone, "Fee": 0,
                      "SessionContext": req.get("SessionContext", ""), "IsoCode": "CN"}
            if not re.fullmatch(r"\+861[3-9]\d{9}|\+[2-9]\d{7,14}", phone):
                status.update(Code="InvalidParameterValue.IncorrectPhoneNumber",
                              Message="incorrect number format", IsoCode="")
            else:
                serial = f"2433:{int(time.time() * 1e6)}"
                status.update(SerialNo=serial, Fee=1, Code="Ok", Message="send success")
                with self._lock:
                    self.messages.append({"phone": phone, "params": values, "serial": serial,
                                          "context": req.get("SessionContext")})
            statuses.append(status)
        return JSONResponse({"Response": {"SendStatusSet": statuses,
                                          "RequestId": request_id().lower()}})
