import asyncio

import httpx
import pytest

from hub.answers.outcome import GiveUp, RetryLater
from hub.answers.sms_aliyun import AliyunSms, aliyun_number
from tests.fakes.aliyun import THROTTLED

PARAMS = {"case": "C5B2F6C1E", "text": "已收到，2小时内回复"}


def sms(http, base, settings, secret=None):
    return AliyunSms(http, base, settings.aliyun_access_key_id,
                     secret or settings.aliyun_access_key_secret.get_secret_value(),
                     settings.aliyun_sms_sign_name, settings.aliyun_sms_template_code)


def send(base, settings, phone="+8613911110001", secret=None, params=PARAMS):
    async def go():
        async with httpx.AsyncClient() as http:
            return await sms(http, base, settings, secret).send(phone, params, "r-1")
    return asyncio.run(go())


def test_message_arrives_signed_with_the_number_and_parameters(aliyun, settings):
    fake, base = aliyun
    sent = send(base, settings)
    assert sent.provider == "aliyun" and sent.message_id.endswith("^0")
    assert fake.messages == [{"phone": "13911110001", "params": PARAMS, "out_id": "r-1",
                              "biz_id": sent.message_id}]


def test_a_bad_signature_is_refused_by_the_fake(aliyun, settings):
    fake, base = aliyun
    with pytest.raises(GiveUp) as refused:
        send(base, settings, secret="not-the-secret")
    assert refused.value.vendor_code == "SignatureDoesNotMatch"
    assert fake.messages == [] and fake.refused == ["SignatureDoesNotMatch"]


def test_a_replayed_request_is_refused_by_the_fake(aliyun, settings):
    fake, base = aliyun

    async def go():
        async with httpx.AsyncClient() as http:
            params = sms(http, base, settings).signed_params("+8613911110001", PARAMS, "r-1")
            first = await http.get(f"{base}/", params=params)
            again = await http.get(f"{base}/", params=params)
            return first.json(), again.json()

    first, again = asyncio.run(go())
    assert first["Code"] == "OK" and again["Code"] == "SignatureNonceUsed"


def test_throttling_is_worth_a_retry(aliyun, settings):
    fake, base = aliyun
    fake.script.fail_next(1, THROTTLED)
    with pytest.raises(RetryLater) as throttled:
        send(base, settings)
    assert throttled.value.vendor_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert send(base, settings).provider == "aliyun"
    assert len(fake.messages) == 1


def test_invalid_number_and_missing_parameter_give_up(aliyun, settings):
    fake, base = aliyun
    with pytest.raises(GiveUp) as bad_number:
        send(base, settings, phone="+861391111")
    with pytest.raises(GiveUp) as bad_params:
        send(base, settings, params={"case": "C1"})
    assert bad_number.value.vendor_code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert bad_params.value.vendor_code == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert not isinstance(bad_number.value, RetryLater) and fake.messages == []


def test_numbers_in_aliyun_spelling():
    assert aliyun_number("+8613911110001") == "13911110001"
    assert aliyun_number("+85291234567") == "85291234567"
