import asyncio

import httpx
import pytest

from hub.answers.outcome import GiveUp, RetryLater
from hub.answers.sms_tencent import TencentSms
from tests.fakes.tencent import THROTTLED

PARAMS = ["C5B2F6C1E", "已收到，2小时内回复"]


def send(base, settings, phone="+8613911110001", key=None):
    async def go():
        async with httpx.AsyncClient() as http:
            client = TencentSms(http, base, settings.tencent_secret_id,
                                key or settings.tencent_secret_key.get_secret_value(),
                                settings.tencent_sms_sdk_app_id, settings.tencent_sms_sign_name,
                                settings.tencent_sms_template_id)
            return await client.send(phone, PARAMS, "r-1")
    return asyncio.run(go())


def test_message_arrives_signed(tencent, settings):
    fake, base = tencent
    sent = send(base, settings)
    assert sent.provider == "tencent" and sent.message_id.startswith("2433:")
    assert fake.messages == [{"phone": "+8613911110001", "params": PARAMS,
                              "serial": sent.message_id, "context": "r-1"}]


def test_a_bad_signature_is_refused_by_the_fake(tencent, settings):
    fake, base = tencent
    with pytest.raises(GiveUp) as refused:
        send(base, settings, key="not-the-key")
    assert refused.value.vendor_code == "AuthFailure.SignatureFailure"
    assert fake.messages == []


def test_a_tampered_body_is_refused_by_the_fake(tencent, settings):
    fake, base = tencent

    class Tamper(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request):
            body = request.content.replace(b"+8613911110001", b"+8613922220002")
            request.stream = httpx.ByteStream(body)
            request.headers["content-length"] = str(len(body))
            return await self.inner.handle_async_request(request)

    async def go():
        async with httpx.AsyncClient(transport=Tamper()) as http:
            client = TencentSms(http, base, settings.tencent_secret_id,
                                settings.tencent_secret_key.get_secret_value(),
                                settings.tencent_sms_sdk_app_id, settings.tencent_sms_sign_name,
                                settings.tencent_sms_template_id)
            await client.send("+8613911110001", PARAMS, "r-1")

    with pytest.raises(GiveUp, match="SignatureFailure"):
        asyncio.run(go())
    assert fake.messages == []


def test_throttling_retries_and_invalid_number_gives_up(tencent, settings):
    fake, base = tencent
    fake.script.fail_next(1, THROTTLED)
    with pytest.raises(RetryLater) as throttled:
        send(base, settings)
    assert throttled.value.vendor_code == "RequestLimitExceeded"
    with pytest.raises(GiveUp) as bad:
        send(base, settings, phone="+86139")
    assert bad.value.vendor_code == "InvalidParameterValue.IncorrectPhoneNumber"
    assert not isinstance(bad.value, RetryLater)
    assert fake.messages == []
