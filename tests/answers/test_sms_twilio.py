import asyncio

import httpx
import pytest

from hub.answers.outcome import GiveUp, RetryLater
from hub.answers.sms_twilio import TwilioSms
from tests.fakes.twilio import THROTTLED


def send(base, settings, phone="+14155550123", token=None):
    async def go():
        async with httpx.AsyncClient() as http:
            client = TwilioSms(http, base, settings.twilio_account_sid,
                               token or settings.twilio_auth_token.get_secret_value(),
                               settings.twilio_from)
            return await client.send(phone, "Received: case C5B2F6C1E")
    return asyncio.run(go())


def test_message_arrives_authenticated(twilio, settings):
    fake, base = twilio
    sent = send(base, settings)
    assert sent.message_id.startswith("SM")
    assert fake.messages == [{"to": "+14155550123", "from": settings.twilio_from,
                              "body": "Received: case C5B2F6C1E", "sid": sent.message_id}]


def test_wrong_credentials_are_refused_by_the_fake(twilio, settings):
    fake, base = twilio
    with pytest.raises(GiveUp) as refused:
        send(base, settings, token="wrong")
    assert refused.value.vendor_code == 20003 and fake.messages == []


def test_429_retries_and_invalid_number_gives_up(twilio, settings):
    fake, base = twilio
    fake.script.fail_next(1, THROTTLED)
    with pytest.raises(RetryLater) as throttled:
        send(base, settings)
    assert throttled.value.vendor_code == 20429
    with pytest.raises(GiveUp) as bad:
        send(base, settings, phone="+1555")
    assert bad.value.vendor_code == 21211 and not isinstance(bad.value, RetryLater)
    assert fake.messages == []
