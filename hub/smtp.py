"""``hub smtp``: the SMTP intake on ``HUB_SMTP_PORT`` (aiosmtpd).

A message is answered ``250`` only after its raw copy and its event are
acknowledged by Kafka; when Kafka cannot take it the answer is ``451`` (the
MTA keeps it and retries); a message we cannot read is ``550`` with the
reason, after it is kept in ``hub.raw`` (``refused``, for ``hub replay
hub.raw``; ``451`` when it cannot be kept); one over ``HUB_MAX_BODY_BYTES`` is
refused by aiosmtpd with ``552``.
Auto-replies and bounces are accepted and dropped (logged), never routed."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import datetime

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub.errors import BrokerUnavailable, HubError
from hub.event import Event, utcnow
from hub.gateway.ingest import Ingest
from hub.kafka.bus import Bus
from hub.normalizers.email import normalize
from hub.settings import Settings

log = structlog.get_logger("hub.smtp")
SMTP_PATH = "smtp"  # hub.raw's path for mail that came over SMTP


class IntakeHandler:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    async def _read(self, meta: dict, raw: bytes, received_at: datetime) -> Event | None:
        """The message's event; one that cannot be read is kept in hub.raw first."""
        try:
            # Same source as the HTTP route: one Message-ID, one event, whichever way it came.
            return normalize({"rfc822": raw}, received_at)
        except HubError as err:
            await self.ingest.store_refused(meta, raw, "email", err, received_at)
            raise

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        received_at = utcnow()
        meta = {"method": "SMTP", "path": SMTP_PATH, "query": "",
                "headers": {"mail_from": envelope.mail_from,
                            "rcpt_tos": ",".join(envelope.rcpt_tos),
                            "peer": str(session.peer[0]) if session.peer else ""}}
        with structlog.contextvars.bound_contextvars(channel="email"):
            try:
                event = await self._read(meta, raw, received_at)
                if event is None:
                    return "250 2.0.0 OK: auto-reply or bounce, not a case"
                [accepted] = await self.ingest.store(meta, raw, [event], received_at)
                log.info("smtp.accepted", event_id=accepted.event_id, duplicate=accepted.duplicate)
                return f"250 2.0.0 OK: queued as {accepted.event_id}"
            except BrokerUnavailable:
                log.warning("smtp.deferred", reason="broker_unavailable")
                return "451 4.3.0 Cannot store the message now, try again later"
            except HubError as err:
                log.warning("smtp.refused", code=err.code, reason=err.message)
                return f"550 5.6.0 {err.message}"


def server_factory(settings: Settings, bus: Bus) -> Callable[[], SMTP]:
    handler = IntakeHandler(Ingest(bus))

    def factory() -> SMTP:
        return SMTP(handler, data_size_limit=settings.max_body_bytes, enable_SMTPUTF8=True,
                    decode_data=False, hostname="hub")
    return factory


async def serve(settings: Settings) -> None:
    bus = Bus(settings)
    factory = server_factory(settings, bus)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host=settings.http_host, port=settings.smtp_port)
    log.info("smtp.listening", host=settings.http_host, port=settings.smtp_port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    await bus.close()


def run(settings: Settings) -> None:
    asyncio.run(serve(settings))
