"""Every vendor's fake at once, and a dispatcher process pointed at them."""

from __future__ import annotations

import uuid

from hub.settings import load_settings
from tests.fakes.aliyun import AliyunFake
from tests.fakes.base import FakeLoop
from tests.fakes.smtp import SmtpFake
from tests.fakes.tencent import TencentFake
from tests.fakes.twilio import TwilioFake
from tests.fakes.wechat import WeChatFake
from tests.helpers import Proc, hub_env

S = load_settings()


class Vendors:
    def __init__(self, loop: FakeLoop) -> None:
        self.wechat = WeChatFake(S.wechat_appid, S.wechat_secret.get_secret_value())
        self.aliyun = AliyunFake(S.aliyun_access_key_id,
                                 S.aliyun_access_key_secret.get_secret_value(),
                                 S.aliyun_sms_sign_name, S.aliyun_sms_template_code)
        self.twilio = TwilioFake(S.twilio_account_sid, S.twilio_auth_token.get_secret_value())
        self.smtp = SmtpFake()
        self.tencent = TencentFake(S.tencent_secret_id, S.tencent_secret_key.get_secret_value(),
                                   S.tencent_sms_sdk_app_id, S.tencent_sms_sign_name,
                                   S.tencent_sms_template_id)
        self.env = {"HUB_TENCENT_SMS_ENDPOINT": loop.serve_http(self.tencent.app),
                    "HUB_WECHAT_API_BASE": loop.serve_http(self.wechat.app),
                    "HUB_ALIYUN_SMS_ENDPOINT": loop.serve_http(self.aliyun.app),
                    "HUB_TWILIO_API_BASE": loop.serve_http(self.twilio.app),
                    "HUB_SMTP_RELAY": self.smtp.serve(loop),
                    "HUB_RETRY_SCALE": "0.01", "HUB_DISPATCHER_METRICS_PORT": "0",
                    "HUB_DISPATCHER_ID": f"dispatcher-{uuid.uuid4().hex[:6]}"}


def dispatcher(bootstrap: str, vendors: Vendors, logs_dir, **extra: str) -> Proc:
    proc = Proc("dispatcher", hub_env(bootstrap, **{**vendors.env, **extra}), logs_dir).start()
    try:
        proc.wait_log("dispatcher.sending")
    except AssertionError:
        proc.kill()
        raise
    return proc
