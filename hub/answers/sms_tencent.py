"""Tencent Cloud SMS SendSms (API 3.0, version 2021-01-11), signed with
TC3-HMAC-SHA256.

The signature: a canonical request (method, ``/``, empty query, the signed
headers ``content-type``, ``host`` and ``x-tc-action`` lower-cased, and the
SHA-256 of the body) is hashed into ``TC3-HMAC-SHA256\\n{timestamp}\\n
{date}/sms/tc3_request\\n{hash}``; the key is derived as
HMAC("TC3" + SecretKey, date) -> "sms" -> "tc3_request". Tencent refuses a
timestamp more than five minutes off.

A request can succeed while a number fails: each number's own ``Code`` in
``SendStatusSet`` ("Ok" or the reason) is what counts."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import orjson

from hub.answers.outcome import GiveUp, RetryLater, Sent, http_status_error, transport_error

PROVIDER = "tencent"
SERVICE, VERSION, ACTION, REGION = "sms", "2021-01-11", "SendSms", "ap-guangzhou"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"
def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, host: str, action: str, payload: bytes,
                  timestamp: int) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join([
        "POST", "/", "",
        f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n",
        SIGNED_HEADERS, hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, host: str, action: str, payload: bytes,
                  timestamp: int) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{SERVICE}/tc3_request, "
            f"SignedHeaders={SIGNED_HEADERS}, "
            f"Signature={tc3_signature(secret_key, host, action, payload, timestamp)}")


def _transient(code: str) -> bool:
    """RequestLimitExceeded (API QPS), the short per-number limits and Tencent's
    own errors pass with time; the daily per-number limit does not."""
    return code.startswith(("RequestLimitExceeded", "InternalError",
                            "LimitExceeded.PhoneNumberThirtySecondLimit",
                            "LimitExceeded.PhoneNumberOneHourLimit"))


class TencentSms:
    def __init__(self, http: httpx.AsyncClient, endpoint: str, secret_id: str, secret_key: str,
                 sdk_app_id: str, sign_name: str, template_id: str) -> None:
        self.http, self.endpoint = http, endpoint.rstrip("/")
        self.host = urlsplit(self.endpoint).netloc
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id

    async def send(self, phone: str, template_params: list[str], context: str) -> Sent:
        payload = orjson.dumps({
            "PhoneNumberSet": [phone], "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name, "TemplateId": self.template_id,
            "TemplateParamSet": template_params, "SessionContext": context})
        timestamp = int(time.time())
        headers = {
            "Authorization": authorization(self.secret_id, self.secret_key, self.host, ACTION,
                                           payload, timestamp),
            "Content-Type": CONTENT_TYPE, "Host": self.host, "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp), "X-TC-Version": VERSION, "X-TC-Region": REGION}
        try:
            response = await self.http.post(f"{self.endpoint}/", content=payload,
                                            headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(PROVIDER, exc) from exc
        try:
            answer = response.json()["Response"]
        except (ValueError, KeyError, TypeError):
            raise http_status_error(PROVIDER, response, None, response.text[:300]) from None
        error = answer.get("Error")
        if error:
            code, message = str(error.get("Code")), str(error.get("Message", ""))
            if _transient(code):
                raise RetryLater(PROVIDER, code, message)
            # AuthFailure.*, InvalidParameterValue.*, UnauthorizedOperation.*
            raise GiveUp(PROVIDER, code, message)
        statuses = answer.get("SendStatusSet") or [{}]
        status = statuses[0]
        code = str(status.get("Code"))
        if code == "Ok":
            return Sent(PROVIDER, status.get("SerialNo"))
        message = str(status.get("Message", ""))
        if _transient(code):
            raise RetryLater(PROVIDER, code, message)
        # InvalidParameterValue.IncorrectPhoneNumber, FailedOperation.
        # TemplateIncorrectOrUnapproved, LimitExceeded.PhoneNumberDailyLimit ...
        raise GiveUp(PROVIDER, code, message)
