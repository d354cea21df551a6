"""Mail through a real SMTP session (aiosmtplib -> hub smtp) and the HTTP route."""

from __future__ import annotations

import asyncio
from email.mime.text import MIMEText

import aiosmtplib
import pytest

from hub.event import RoutedEvent
from hub.kafka.topics import INTAKE, RAW
from tests.conftest import start_broker
from tests.helpers import (
    FIXTURES,
    Proc,
    end_offsets,
    hub_env,
    kept_refused,
    routed_where,
    signed_post,
)
from tests.test_mail import mime


def send(port: int, raw: bytes, sender: str = "kehu@example.cn") -> tuple[int, str]:
    import asyncio

    async def go() -> tuple[int, str]:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=20)
        await client.connect()
        try:
            errors, message = await client.sendmail(sender, ["service@hub.example.cn"], raw)
            return 250, message
        except aiosmtplib.SMTPResponseException as exc:
            return exc.code, exc.message
        finally:
            client.close()
    return asyncio.run(go())


def routed(broker, message_id: str) -> RoutedEvent:
    return routed_where(broker.bootstrap, lambda e: e.channel_message_id == message_id)


def test_gbk_complaint_over_smtp_is_routed(broker, smtp_port, worker):
    code, message = send(smtp_port, (FIXTURES / "email" / "gbk_complaint.eml").read_bytes())
    assert code == 250 and "queued as" in message
    event = routed(broker, "<20261122091500.12345@mail.example.net>")
    assert event.channel == "email" and event.source == "email"
    assert event.contact.email == "li.xiansheng@example.net" and event.contact.name == "李先生"
    assert event.subject == "关于轮胎以旧充新的投诉" and "发自我的手机" not in event.text
    assert event.classification.type == "complaint"


def test_reply_in_a_thread_keeps_the_thread(broker, smtp_port, worker):
    raw = mime("还是没修好\n\n在 2026年11月21日，客服 写道：\n> 已安排", Subject="Re: 刹车异响",
               Message_ID="<reply-2@example.cn>", In_Reply_To="<case-1@hub>",
               References="<case-1@hub>")
    assert send(smtp_port, raw)[0] == 250
    event = routed(broker, "<reply-2@example.cn>")
    assert event.context.thread_id == "<case-1@hub>" and event.context.in_reply_to == "<case-1@hub>"
    assert event.text == "还是没修好"


def test_auto_reply_is_accepted_but_never_stored_or_routed(broker, smtp_port):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    code, message = send(smtp_port, mime("我正在休假", Subject="自动回复: 休假",
                                         Auto_Submitted="auto-replied",
                                         Message_ID="<ooo@example.cn>"))
    assert code == 250 and "auto-reply" in message
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_oversized_mail_gets_552(broker, smtp_port):
    big = MIMEText("长" * 700_000, "plain", "utf-8")
    big["From"], big["Subject"] = "kehu@example.cn", "大附件"
    code, _ = send(smtp_port, big.as_bytes())
    assert code == 552


def test_unreadable_mail_gets_550(broker, smtp_port):
    code, message = send(smtp_port, b"Subject: no sender at all\r\n\r\nbody")
    assert code == 550 and "From" in message


def test_broker_down_gets_451_so_the_mta_retries(logs_dir):
    from hub.kafka.embedded import free_port

    broker = start_broker(logs_dir)
    port = free_port()
    proc = Proc("smtp", hub_env(broker.bootstrap, HUB_SMTP_PORT=str(port)), logs_dir).start()
    try:
        proc.wait_log("smtp.listening")
        assert send(port, mime("第一封", Message_ID="<up@x>"))[0] == 250
        broker.stop()
        code, _ = send(port, mime("第二封", Message_ID="<down@x>"))
        assert code == 451
    finally:
        proc.stop()
        broker.stop()


@pytest.mark.parametrize("ctype, status", [("message/rfc822", 202), ("text/plain", 415)])
def test_http_route_takes_a_signed_raw_message(broker, gateway, ctype, status):
    raw = mime("网站上的咨询:请问保养多少钱", Message_ID=f"<http-{status}@example.cn>")
    response = signed_post(gateway, "email", None, body=raw, content_type=ctype)
    assert response.status_code == status


def test_unreadable_mail_gets_550_after_it_is_kept_and_replays_once_fixed(broker, smtp_port):
    from hub.channels import CHANNELS, ChannelSpec
    from hub.connectors.email import EmailConnector
    from hub.event import utcnow
    from hub.gateway.replay import replay
    from hub.normalizers import email
    from hub.settings import load_settings

    since = utcnow()
    no_from = b"Subject: =?utf-8?b?5YiZ6L2m?=\r\nMessage-ID: <no-from-1@example.cn>\r\n\r\nhi\r\n"
    (code, message), raw = kept_refused(broker.bootstrap, lambda: send(smtp_port, no_from))
    assert code == 550 and "From" in message
    assert raw["path"] == "smtp" and raw["headers"]["mail_from"] == "kehu@example.cn"
    assert raw["refused"]["code"] == "invalid_payload" and raw["body"].encode() == no_from

    def fixed(payload: dict, received_at):  # the fix: no From header, the envelope's sender
        return email.normalize({"rfc822": b"From: kehu@example.cn\r\n" + payload["rfc822"]},
                               received_at)

    channels = tuple(ChannelSpec(EmailConnector, fixed) if s.connector is EmailConnector else s
                     for s in CHANNELS)
    settings = load_settings(kafka_bootstrap=broker.bootstrap)
    assert [f.path for f in asyncio.run(replay(settings, since)).failed] == ["smtp"]
    assert asyncio.run(replay(settings, since, channels)).sent == 1
    assert routed(broker, "<no-from-1@example.cn>").contact.email == "kehu@example.cn"
