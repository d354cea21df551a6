"""Replies by email through ``HUB_SMTP_RELAY`` (host:port, STARTTLS when the
relay offers it), with aiosmtplib.

A reply is threaded under the customer's message (In-Reply-To and
References carry its Message-ID), so it lands in the customer's
conversation rather than as a new mail. Acknowledgements say
``Auto-Submitted: auto-replied`` (RFC 3834), which stops the customer's own
autoresponder from answering back. Subjects in Chinese are RFC 2047
encoded words (the stdlib's SMTP policy does it). The Message-ID is made
from the reply id: sent twice, a mail client would show it once."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

import aiosmtplib

from hub.answers.outcome import GiveUp, RetryLater, Sent

PROVIDER = "smtp"


def message_id(reply_id: str, sender: str) -> str:
    return f"<reply-{reply_id}@{sender.rpartition('@')[2] or 'hub'}>"


def compose(*, reply_id: str, sender: str, to: str, subject: str | None, text: str,
            in_reply_to: str | None, automatic: bool) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"] = sender, to
    base = (subject or "").strip()
    msg["Subject"] = base if base.lower().startswith("re:") else (
        f"Re: {base}" if base else "您的来信 / Your message")
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(reply_id, sender)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"  # Exchange's spelling of the same wish
    msg.set_content(text)
    return msg


class Mailer:
    def __init__(self, relay: str, sender: str, timeout_s: float = 10.0) -> None:
        host, _, port = relay.rpartition(":")
        self.host, self.port = host or relay, int(port) if port.isdigit() else 25
        self.sender, self.timeout = sender, timeout_s

    async def send(self, msg: EmailMessage) -> Sent:
        try:
            await aiosmtplib.send(msg, hostname=self.host, port=self.port,
                                  start_tls=None, timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = next(iter(exc.recipients), None)
            code = refusal.code if refusal else None
            raise _by_code(code, str(refusal or exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code, exc.message) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RetryLater(PROVIDER, type(exc).__name__, str(exc)) from exc
        return Sent(PROVIDER, msg["Message-ID"])


def _by_code(code: int | None, message: str) -> RetryLater | GiveUp:
    """4xx is the relay's "later" (greylisting, a full queue); 5xx is final."""
    if code is not None and 400 <= code < 500:
        return RetryLater(PROVIDER, code, message)
    return GiveUp(PROVIDER, code, message)
