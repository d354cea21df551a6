"""The vendors' fakes, served on loopback for the client and dispatcher tests."""

from __future__ import annotations

import pytest

from hub.settings import load_settings
from tests.fakes.aliyun import AliyunFake
from tests.fakes.base import FakeLoop
from tests.fakes.smtp import SmtpFake
from tests.fakes.tencent import TencentFake
from tests.fakes.twilio import TwilioFake
from tests.fakes.wechat import WeChatFake


@pytest.fixture(scope="module")
def settings():
    return load_settings()


@pytest.fixture(scope="module")
def fake_loop():
    loop = FakeLoop()
    yield loop
    loop.stop()


@pytest.fixture
def wechat(fake_loop, settings):
    fake = WeChatFake(settings.wechat_appid, settings.wechat_secret.get_secret_value())
    return fake, fake_loop.serve_http(fake.app)


@pytest.fixture
def aliyun(fake_loop, settings):
    fake = AliyunFake(settings.aliyun_access_key_id,
                      settings.aliyun_access_key_secret.get_secret_value(),
                      settings.aliyun_sms_sign_name, settings.aliyun_sms_template_code)
    return fake, fake_loop.serve_http(fake.app)


@pytest.fixture
def tencent(fake_loop, settings):
    fake = TencentFake(settings.tencent_secret_id, settings.tencent_secret_key.get_secret_value(),
                       settings.tencent_sms_sdk_app_id, settings.tencent_sms_sign_name,
                       settings.tencent_sms_template_id)
    return fake, fake_loop.serve_http(fake.app)


@pytest.fixture
def twilio(fake_loop, settings):
    fake = TwilioFake(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value())
    return fake, fake_loop.serve_http(fake.app)


@pytest.fixture
def mailbox(fake_loop):
    fake = SmtpFake()
    return fake, fake.serve(fake_loop)
