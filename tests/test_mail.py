"""Chinese mail as it arrives: charsets, HTML, quotes, signatures, threads, auto-replies."""

from __future__ import annotations

from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from hub.errors import InvalidPayload
from hub.mail import own_words, parse_mail
from tests.helpers import FIXTURES


def mime(body: str, charset: str = "utf-8", subtype: str = "plain", **headers: str) -> bytes:
    msg = MIMEText(body, subtype, charset)
    msg["From"] = headers.pop("From", "客户 <kehu@example.cn>")
    msg["To"] = "service@hub.example.cn"
    msg["Subject"] = Header(headers.pop("Subject", "刹车异响"), charset).encode()
    msg["Message-ID"] = headers.pop("Message_ID", "<m1@example.cn>")
    for k, v in headers.items():
        msg[k.replace("_", "-")] = v
    return msg.as_bytes()


def test_gbk_sample_with_encoded_words_and_signature():
    m = parse_mail((FIXTURES / "email" / "gbk_complaint.eml").read_bytes())
    assert (m.from_name, m.from_addr) == ("李先生", "li.xiansheng@example.net")
    assert m.subject == "关于轮胎以旧充新的投诉"
    assert "旧胎翻新" in m.text and "发自我的手机" not in m.text
    assert "发自我的手机" in m.full_text


def test_gb2312_label_on_gbk_only_characters_is_read_as_gb18030():
    body = "镕 喆 昇 — 这些字不在 GB2312 里"  # 镕 喆 are GBK-only
    raw = MIMEText("x", "plain", "utf-8").as_bytes()  # template, replaced below
    raw = (b"From: a@example.cn\r\nSubject: =?gb2312?b?" +
           __import__("base64").b64encode("关于喆的投诉".encode("gbk")) + b"?=\r\n"
           b"Message-ID: <g@x>\r\nContent-Type: text/plain; charset=gb2312\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode("gb18030"))
    m = parse_mail(raw)
    assert m.subject == "关于喆的投诉" and "镕 喆 昇" in m.text


def test_big5_traditional_mail():
    m = parse_mail(mime("我的車子剎車有問題，請盡快處理。", charset="big5", Subject="剎車問題"))
    assert m.subject == "剎車問題" and "剎車有問題" in m.text


def test_raw_8bit_utf8_headers():
    raw = ("From: 王女士 <wang@example.cn>\r\nSubject: 交车延期\r\nMessage-ID: <8@x>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n还没交车").encode()
    m = parse_mail(raw)
    assert (m.from_name, m.subject, m.text) == ("王女士", "交车延期", "还没交车")


def test_html_only_mail_becomes_text():
    html = ("<html><head><style>p{}</style></head><body><p>发动机<b>异响</b></p>"
            "<script>x()</script><div>请尽快联系&nbsp;我</div></body></html>")
    m = parse_mail(mime(html, subtype="html"))
    assert "发动机异响" in m.text and "x()" not in m.text and "请尽快联系" in m.text


def test_multipart_alternative_prefers_plain_and_lists_attachments():
    msg = MIMEMultipart("mixed")
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@example.cn", "发票", "<mp@x>"
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("纯文本内容", "plain", "utf-8"))
    alt.attach(MIMEText("<p>HTML 内容</p>", "html", "utf-8"))
    msg.attach(alt)
    att = MIMEApplication(b"%PDF-1.4 fake", _subtype="pdf")
    att.add_header("Content-Disposition", "attachment",
                   filename=("utf-8", "", "维修发票.pdf"))
    msg.attach(att)
    m = parse_mail(msg.as_bytes())
    assert m.text == "纯文本内容"
    assert m.attachments == [{"filename": "维修发票.pdf", "content_type": "application/pdf",
                              "size": 13}]


@pytest.mark.parametrize("quoted", [
    "在 2026年11月21日 周六 10:00，客服 <service@hub.example.cn> 写道：\n> 您好，请问…",
    "On Sat, Nov 21, 2026 at 10:00 AM Service <service@hub.example.cn> wrote:\n> Hello",
    "-----Original Message-----\nFrom: service@hub.example.cn\nSent: Saturday",
    "-----原始邮件-----\n发件人: service@hub.example.cn",
    "From: Service <service@hub.example.cn>\nSent: Saturday, November 21, 2026 10:00 AM",
    "________________________________\n发件人: 客服",
])
def test_quoted_replies_are_removed(quoted):
    assert own_words(f"还是没有修好，请给个说法。\n\n{quoted}\n旧内容") == \
        "还是没有修好，请给个说法。"


def test_inline_quote_lines_and_signatures():
    text = "> 上次的回复\n我不接受这个方案\n> 更早\n\n--\n张三 | 138 0000 0000"
    assert own_words(text) == "我不接受这个方案"


def test_threading_headers():
    m = parse_mail(mime("追问", In_Reply_To="<a1@hub>", References="<root@hub> <a1@hub>",
                        Message_ID="<r2@x>"))
    assert (m.message_id, m.in_reply_to, m.thread_id) == ("<r2@x>", "<a1@hub>", "<root@hub>")
    alone = parse_mail(mime("新问题", Message_ID="<new@x>"))
    assert alone.thread_id == "<new@x>"


@pytest.mark.parametrize("headers, reason", [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"From": "MAILER-DAEMON@mx.example.cn"}, "sender"),
    ({"Subject": "自动回复: 我正在休假"}, "subject"),
    ({"Subject": "Out of Office: back Monday"}, "subject"),
])
def test_auto_replies_and_bounces_are_recognised(headers, reason):
    assert reason in parse_mail(mime("我正在休假", **headers)).auto


def test_delivery_status_notification_is_a_bounce():
    msg = MIMEMultipart("report", report_type="delivery-status")
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@x.cn", "failure", "<dsn@x>"
    msg.attach(MIMEText("Delivery failed", "plain"))
    assert parse_mail(msg.as_bytes()).auto == "delivery status notification"


def test_auto_submitted_no_is_a_person():
    assert parse_mail(mime("人工发送", Auto_Submitted="no")).auto is None


@pytest.mark.parametrize("raw", [b"", b"   ", b"just some text without headers",
                                 b"Subject: no sender\r\n\r\nbody"])
def test_unreadable_messages_are_refused(raw):
    with pytest.raises(InvalidPayload):
        parse_mail(raw)
