import asyncio

import pytest

from hub.answers.mail import Mailer, compose
from hub.answers.outcome import GiveUp, RetryLater


def mail(to="li.ming@example.cn", automatic=True):
    return compose(reply_id="r-1", sender="service@hub.example.cn", to=to,
                   subject="刹车异响投诉", text="您好，已收到您的来信。",
                   in_reply_to="<CAF1234@mail.example.cn>", automatic=automatic)


def test_acknowledgement_arrives_threaded_over_a_real_smtp_session(mailbox):
    fake, relay = mailbox
    sent = asyncio.run(Mailer(relay, "service@hub.example.cn").send(mail()))
    (got,) = fake.messages
    assert fake.envelopes == [("service@hub.example.cn", ["li.ming@example.cn"])]
    assert got["In-Reply-To"] == got["References"] == "<CAF1234@mail.example.cn>"
    assert got["Auto-Submitted"] == "auto-replied"
    assert got["Subject"] == "Re: 刹车异响投诉"
    assert got["Message-ID"] == sent.message_id == "<reply-r-1@hub.example.cn>"
    assert got.get_content().strip() == "您好，已收到您的来信。"


def test_chinese_subject_is_rfc2047_on_the_wire():
    raw = mail().as_bytes()
    subject = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in subject.lower() and "刹".encode() not in raw.split(b"\r\n\r\n")[0]


def test_agent_replies_are_not_marked_automatic():
    assert mail(automatic=False)["Auto-Submitted"] is None


def test_refused_recipient_gives_up_and_a_4xx_retries(mailbox):
    fake, relay = mailbox
    with pytest.raises(GiveUp) as refused:
        asyncio.run(Mailer(relay, "service@hub.example.cn").send(mail("x@invalid.example")))
    assert refused.value.vendor_code == 550
    fake.script.fail_next(1, "451 4.3.0 Try again later")
    with pytest.raises(RetryLater):
        asyncio.run(Mailer(relay, "service@hub.example.cn").send(mail()))
    assert fake.messages == []
