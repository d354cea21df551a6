"""A provider left at the vendor's real address outside production is not called."""

import httpx

from hub.answers.reply import Reply
from hub.answers.senders import Senders
from hub.settings import load_settings


def reply() -> Reply:
    return Reply(reply_id="r1", event_id="e1", kind="acknowledgement", text="您好",
                 at="2026-12-02T02:00:00Z", channel="sms", phone="+8613900001111", email=None,
                 wechat_openid=None)


def test_default_vendor_addresses_outside_production_are_not_called():
    senders = Senders(load_settings(), httpx.AsyncClient())
    assert "HUB_ALIYUN_SMS_ENDPOINT unset" in senders.unconfigured("sms", reply())
    configured = Senders(load_settings(aliyun_sms_endpoint="http://127.0.0.1:9/"),
                         httpx.AsyncClient())
    assert configured.unconfigured("sms", reply()) is None
