"""Which vendor carries a reply on a channel, and the one call that sends it.

SMS goes through ``HUB_SMS_PROVIDER`` for mainland numbers and through
Twilio for the others (the Chinese vendors' templates are mainland ones).
Numbers are made E.164 by :func:`hub.phones.to_e164`; one that is not a
valid number is given up before any vendor is asked."""

from __future__ import annotations

import httpx

from hub.answers.mail import Mailer, compose
from hub.answers.outcome import GiveUp, Sent
from hub.answers.reply import Reply
from hub.answers.sms_aliyun import AliyunSms
from hub.answers.sms_tencent import TencentSms
from hub.answers.sms_twilio import TwilioSms
from hub.answers.wechat import WeChatClient
from hub.phones import to_e164
from hub.settings import Settings

SMS_CHANNELS = ("sms", "hotline", "web", "qr", "telematics")


def first_channel(reply: Reply) -> str | None:
    """The customer's own channel when the reply can go there, else SMS, else email."""
    channel = reply.channel or "sms"
    if channel == "wechat" and reply.wechat_openid:
        return "wechat"
    if channel == "email" and reply.email:
        return "email"
    if reply.phone:
        return "sms"
    if reply.email:
        return "email"
    return None


# Where each provider is reached: left at its default outside production, it
# is the vendor's real address with dev credentials (a newcomer's `hub up`).
_ADDRESS = {"wechat": "wechat_api_base", "aliyun": "aliyun_sms_endpoint",
            "tencent": "tencent_sms_endpoint", "twilio": "twilio_api_base",
            "smtp": "smtp_relay"}


class Senders:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        s = settings
        self.sms_provider = s.sms_provider
        self.unset = {p for p, field in _ADDRESS.items() if s.env != "production"
                      and getattr(s, field) == type(s).model_fields[field].default}
        self.wechat = WeChatClient(http, s.wechat_api_base, s.wechat_appid,
                                   s.wechat_secret.get_secret_value())
        self.aliyun = AliyunSms(http, s.aliyun_sms_endpoint, s.aliyun_access_key_id,
                                s.aliyun_access_key_secret.get_secret_value(),
                                s.aliyun_sms_sign_name, s.aliyun_sms_template_code)
        self.tencent = TencentSms(http, s.tencent_sms_endpoint, s.tencent_secret_id,
                                  s.tencent_secret_key.get_secret_value(),
                                  s.tencent_sms_sdk_app_id, s.tencent_sms_sign_name,
                                  s.tencent_sms_template_id)
        self.twilio = TwilioSms(http, s.twilio_api_base, s.twilio_account_sid,
                                s.twilio_auth_token.get_secret_value(), s.twilio_from)
        self.mailer = Mailer(s.smtp_relay, s.mail_from, s.vendor_timeout_s)

    def provider(self, channel: str, reply: Reply) -> str:
        if channel == "wechat":
            return "wechat"
        if channel == "email":
            return "smtp"
        phone = to_e164(reply.phone)
        return self.sms_provider if phone and phone.startswith("+86") else "twilio"

    def unconfigured(self, channel: str, reply: Reply) -> str | None:
        """Why this reply is not sent at all: its provider is left at the vendor's
        real address outside production, where dev credentials only fail and
        their retries would flood a newcomer's hub."""
        provider = self.provider(channel, reply)
        if provider in self.unset:
            return (f"{provider} is not configured (HUB_{_ADDRESS[provider].upper()} unset "
                    "outside production): not sent")
        return None

    async def send(self, channel: str, reply: Reply) -> Sent:
        if channel == "wechat":
            return await self.wechat.send_text(reply.wechat_openid or "", reply.text)
        if channel == "email":
            return await self.mailer.send(compose(
                reply_id=reply.reply_id, sender=self.mailer.sender, to=reply.email or "",
                subject=reply.subject, text=reply.text, in_reply_to=reply.in_reply_to,
                automatic=reply.automatic))
        return await self._sms(reply)

    async def _sms(self, reply: Reply) -> Sent:
        phone = to_e164(reply.phone)
        provider = self.provider("sms", reply)
        if phone is None:
            raise GiveUp(provider, "invalid_number", "not a valid phone number")
        if provider == "aliyun":
            return await self.aliyun.send(phone, {"case": reply.case, "text": reply.text},
                                          reply.reply_id)
        if provider == "tencent":
            return await self.tencent.send(phone, [reply.case, reply.text], reply.reply_id)
        return await self.twilio.send(phone, reply.text)
