"""A local aiosmtpd relay: a real SMTP session, the message kept as received.
Recipients at ``invalid.example`` are refused with 550; a scripted
temporary failure answers 451 to the DATA."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.fakes.base import FakeLoop, Script


class SmtpFake:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.script = Script()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, options: list) -> str:
        if address.lower().endswith("@invalid.example"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        scripted = self.script.take()
        if scripted:
            return scripted
        with self._lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(message_from_bytes(envelope.original_content,
                                                    policy=policy.default))
        return "250 2.0.0 Ok: queued"

    def serve(self, loop: FakeLoop) -> str:
        """Listens on a fresh loopback port; returns ``host:port`` (HUB_SMTP_RELAY)."""
        async def start():
            return await loop.loop.create_server(lambda: SMTP(self), "127.0.0.1", 0)

        server = loop.run(start())
        loop.add_closer(server.close)
        return f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
