"""The one place channels are registered: a connector and its normalizer, a
line each. A new channel is one connector module, one normalizer module and
one line here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hub.connectors.base import Connector
from hub.connectors.email import EmailConnector
from hub.connectors.hotline import HotlineConnector
from hub.connectors.hotline_tencent_ccc import TencentCccConnector
from hub.connectors.qr import QrConnector
from hub.connectors.sms_aliyun import AliyunSmsConnector
from hub.connectors.sms_tencent import TencentSmsConnector
from hub.connectors.sms_twilio import TwilioSmsConnector
from hub.connectors.telematics import TelematicsConnector
from hub.connectors.telematics_gbt32960 import Gbt32960Connector
from hub.connectors.web import WebConnector
from hub.connectors.wechat import WeChatConnector
from hub.event import Event
from hub.normalizers import email, hotline, qr, sms, telematics, web, wechat

# A normalizer returns None for a push that carries no customer message.
Normalizer = Callable[[dict, datetime], Event | None]


@dataclass(frozen=True)
class ChannelSpec:
    connector: type[Connector]
    normalize: Normalizer


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(HotlineConnector, hotline.normalize),
    ChannelSpec(TencentCccConnector, hotline.normalize_tencent_ccc),
    ChannelSpec(WebConnector, web.normalize),
    ChannelSpec(TelematicsConnector, telematics.normalize),
    ChannelSpec(Gbt32960Connector, telematics.normalize_gbt32960),
    ChannelSpec(WeChatConnector, wechat.normalize),
    ChannelSpec(EmailConnector, email.normalize),
    ChannelSpec(QrConnector, qr.normalize),
    ChannelSpec(AliyunSmsConnector, sms.normalize_aliyun),
    ChannelSpec(TencentSmsConnector, sms.normalize_tencent),
    ChannelSpec(TwilioSmsConnector, sms.normalize_twilio),
)
