"""``hub dispatcher``: hub.replies -> the customer's channel -> hub.deliveries
(and hub.deadletter for what could not be delivered).

A stage on the stream runner (:mod:`hub.stream.runner`), so replies of one
event go in order and a crash repeats work rather than losing it. Repeating
a vendor call would be a second message to the customer, so the stage's
table keeps, per reply id:

- ``intent``: an attempt is about to start (made durable with
  ``state.flush()`` before the vendor is called) or has ended in a known
  failure;
- ``outcome``: what became of the reply (durable as soon as the vendor
  answered, before the batch's outputs are written).

A reply met again with an outcome re-emits that outcome and sends nothing.
A reply met with an open intent and no outcome is one whose vendor call was
under way when the dispatcher died: the vendor may have accepted it. It is
not sent again; it is recorded ``failed`` with ``unconfirmed`` and
dead-lettered for a person to check. That window is one vendor call plus
one changelog write (milliseconds); nothing else can repeat or lose a reply.

Up to ``HUB_DISPATCHER_CONCURRENCY`` replies of different events are sent
side by side; a crash may then leave that many unconfirmed. Retries
(throttling, 5xx, timeouts) wait 1 s, 5 s, 30 s × ``HUB_RETRY_SCALE`` in
place: the event's later replies wait with them, keeping them in order.
WeChat's 45015 (outside the 48-hour window) turns into an SMS when a phone
is known. A reply that names no recipient goes to its event's
(:mod:`hub.answers.recipients`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import structlog
from prometheus_client import Counter, Histogram

from hub import cloudevents, metrics_server
from hub.answers import recipients
from hub.answers.outcome import DeliveryError, GiveUp, OutsideWindow, RetryLater, Sent
from hub.answers.recipients import CONTACT, WAIT_DUE, WAITING, addressed, filled
from hub.answers.reply import Reply
from hub.answers.senders import Senders, first_channel
from hub.errors import ConfigError, HubError, InvalidPayload
from hub.event import utcnow
from hub.kafka.topics import DEADLETTER, DELIVERIES, REPLIES, WATCH_ROUTED, all_topics
from hub.settings import Settings
from hub.stream.config import options
from hub.stream.records import Output, dead_letter
from hub.stream.runner import DEADLETTERED, Runner
from hub.stream.serve import until_stopped
from hub.stream.state import PartitionState
from hub.webhooks import subscribers
from hub.webhooks.delivery import WebhookStage

log = structlog.get_logger("hub.dispatcher")

INTENT, OUTCOME = "intent", "outcome"
BACKOFF_S = (1.0, 5.0, 30.0)  # then the reply is dead-lettered

DELIVERED = Counter("hub_deliveries_total", "replies by what became of them",
                    ["channel", "provider", "status"])
ATTEMPTS = Counter("hub_delivery_attempts_total", "vendor calls", ["channel", "provider",
                                                                   "result"])
WAITED = Counter("hub_replies_waited_total", "replies without a recipient that waited for "
                 "their event's contact, by how the wait ended", ["end"])
ROUTED_TO_SENT = Histogram("hub_reply_sent_seconds", "reply written -> vendor accepted",
                           buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120))


class DispatcherStage:
    inputs = (REPLIES, WATCH_ROUTED)
    outputs = (DELIVERIES, DEADLETTER)
    deadletter = DEADLETTER
    tick_s = 1.0  # replies waiting for their event's contact are failed on ticks
    # What the table forgets, and when: outcomes and intents once no crash can
    # make a reply come round again, contacts after a month.
    expiring = {OUTCOME: 7 * 86400.0, INTENT: 7 * 86400.0,
                CONTACT: recipients.CONTACT_DAYS * 86400.0}

    def __init__(self, name: str, senders: Senders, retry_scale: float,
                 failpoint: str | None = None, concurrency: int = 1,
                 reply_wait_s: float = 60.0) -> None:
        self.name, self.senders, self.retry_scale = name, senders, retry_scale
        self.ticks, self.reply_wait_s = f"{name}-ticks", reply_wait_s
        # Replies of different events go side by side (the runner keeps each
        # event's in order): a vendor call is mostly waiting.
        self.concurrency = concurrency
        kind, _, count = (failpoint or "").partition(":")
        self._kill_after = int(count) if kind == "after_send" and count.isdigit() else None

    def dedupe_key(self, record: Any) -> str | None:
        """The reply id: a reply written twice upstream is sent once. (A reply
        processed again after a crash is the same record: the outcome table
        covers that.)"""
        if record.topic != REPLIES:
            return None
        try:
            body = orjson.loads(record.value or b"")
        except orjson.JSONDecodeError:
            return None
        return str(body["reply_id"]) if isinstance(body, dict) and body.get("reply_id") else None

    def next_due(self, state: PartitionState) -> float | None:
        key = state.first_key(WAIT_DUE)
        return float(key.split("|", 1)[0]) if key else None

    async def process(self, record: Any, state: PartitionState) -> list[Output]:
        if record.topic == self.ticks:
            return self._give_up_waiting(orjson.loads(record.value)["at"], state)
        if record.topic == WATCH_ROUTED:
            return await self._contact(record, state)
        try:
            reply = Reply.from_json(record.value)
        except InvalidPayload as exc:
            DEADLETTERED.labels(self.name, "invalid_reply").inc()
            return [dead_letter(record, DEADLETTER, "invalid_reply", exc.message,
                                source="/hub/dispatcher")]
        structlog.contextvars.bind_contextvars(event_id=reply.event_id, reply_id=reply.reply_id)
        outcome = state.get(OUTCOME, reply.reply_id)
        if outcome is None:
            # Addressed acknowledgements and agent replies need nothing of it
            # (an opt-out bars only surveys and callbacks).
            needs = not addressed(reply) or reply.kind in ("survey", "callback")
            contact = state.get(CONTACT, reply.event_id) if needs else None
            if contact is None and not addressed(reply):
                self._wait(record, reply, state)
                return []
            reply = filled(reply, contact) if contact else reply
            outcome = await self._outcome(reply, state)
        return self._outputs(record, reply, outcome)

    # ---- the event's own recipient ---------------------------------------

    async def _contact(self, record: Any, state: PartitionState) -> list[Output]:
        event_id = (record.key or b"").decode(errors="replace")
        structlog.contextvars.bind_contextvars(event_id=event_id)
        if record.value is None:  # erased: forget the way to the customer
            state.delete(CONTACT, event_id)
            return self._fail_waiting(event_id, state, "the event's contact was erased")
        contact = recipients.contact_of(record.value)
        if contact is None:
            return []
        state.put(CONTACT, event_id, contact)
        waiting = state.get(WAITING, event_id)
        if not waiting:
            return []
        state.delete(WAITING, event_id)
        state.delete(WAIT_DUE, waiting["due_key"])
        outs = []
        for item in waiting["replies"]:
            parked = _parked(event_id, item)
            reply = filled(Reply.from_json(parked.value), contact)
            structlog.contextvars.bind_contextvars(reply_id=reply.reply_id)
            outcome = state.get(OUTCOME, reply.reply_id) or await self._outcome(reply, state)
            outs += self._outputs(parked, reply, outcome)
        return outs

    def _wait(self, record: Any, reply: Reply, state: PartitionState) -> None:
        """A reply without a recipient whose event's contact has not come yet."""
        waiting = state.get(WAITING, reply.event_id)
        if waiting is None:
            until = time.time() + self.reply_wait_s
            waiting = {"due_key": recipients.wait_key(until, reply.event_id), "replies": []}
            state.put(WAIT_DUE, waiting["due_key"], 1)
        log.info("reply.waiting_for_contact", wait_s=self.reply_wait_s)
        WAITED.labels("waiting").inc()
        state.put(WAITING, reply.event_id, {**waiting, "replies": [*waiting["replies"], {
            "value": record.value.decode(), "topic": record.topic,
            "partition": record.partition, "offset": record.offset}]})

    def _give_up_waiting(self, at: float, state: PartitionState) -> list[Output]:
        outs: list[Output] = []
        for key in state.keys_upto(WAIT_DUE, f"{at:017.3f}|~"):
            state.delete(WAIT_DUE, key)
            event_id = key.split("|", 1)[1]
            outs += self._fail_waiting(event_id, state, f"no recipient on the reply and no "
                                       f"routed event {event_id} within "
                                       f"{self.reply_wait_s:g} s")
        return outs

    def _fail_waiting(self, event_id: str, state: PartitionState, why: str) -> list[Output]:
        waiting = state.get(WAITING, event_id)
        if not waiting:
            return []
        state.delete(WAITING, event_id)
        state.delete(WAIT_DUE, waiting["due_key"])
        outs = []
        for item in waiting["replies"]:
            parked = _parked(event_id, item)
            reply = Reply.from_json(parked.value)
            outcome = _record(reply.channel, None, "failed", 0, error=why, reason="no_recipient")
            state.put(OUTCOME, reply.reply_id, outcome)
            WAITED.labels("no_recipient").inc()
            outs += self._outputs(parked, reply, outcome)
        return outs

    async def _outcome(self, reply: Reply, state: PartitionState) -> dict:
        intent = state.get(INTENT, reply.reply_id)
        if intent and intent.get("open"):
            log.error("reply.unconfirmed", channel=intent["channel"], attempt=intent["attempt"])
            outcome = _record(intent["channel"], intent["provider"], "failed", intent["attempt"],
                              error="unconfirmed: the dispatcher stopped during the vendor "
                                    "call; not sent again",
                              reason="delivery_unconfirmed")
        elif reply.kind in ("survey", "callback") and reply.opt_out:
            outcome = _record(reply.channel, None, "suppressed", 0, error="opt_out")
        else:
            outcome = await self._deliver(reply, state)
        state.put(OUTCOME, reply.reply_id, outcome)
        state.delete(INTENT, reply.reply_id)
        await state.flush()
        return outcome

    async def _deliver(self, reply: Reply, state: PartitionState) -> dict:
        channel = first_channel(reply)
        if channel is None:
            return _record(reply.channel, None, "failed", 0, error="no recipient on the reply "
                           "for its channel", reason="no_recipient")
        unset = self.senders.unconfigured(channel, reply)
        if unset:
            return _record(channel, self.senders.provider(channel, reply), "suppressed", 0,
                           error=unset, reason="provider_unconfigured")
        attempt = retries = 0
        while True:
            attempt += 1
            delay = 0.0
            provider = self.senders.provider(channel, reply)
            state.put(INTENT, reply.reply_id, {"open": True, "attempt": attempt,
                                               "channel": channel, "provider": provider,
                                               "t": time.time()})
            await state.flush()
            try:
                sent = await self.senders.send(channel, reply)
            except OutsideWindow as exc:
                ATTEMPTS.labels(channel, provider, "outside_window").inc()
                if not reply.phone:
                    return _failed(channel, provider, attempt, exc)
                log.info("reply.wechat_window_closed", fallback="sms")
                channel = "sms"
            except RetryLater as exc:
                ATTEMPTS.labels(channel, provider, "retry").inc()
                if retries == len(BACKOFF_S):
                    return _failed(channel, provider, attempt, exc)
                delay = BACKOFF_S[retries] * self.retry_scale
                retries += 1
                log.warning("reply.retry", provider=provider, vendor_code=str(exc.vendor_code),
                            attempt=attempt, delay_s=delay)
            except GiveUp as exc:
                ATTEMPTS.labels(channel, provider, "refused").inc()
                return _failed(channel, provider, attempt, exc)
            else:
                ATTEMPTS.labels(channel, provider, "sent").inc()
                self._failpoint()
                _observe(reply)
                log.info("reply.sent", channel=channel, provider=sent.provider, attempt=attempt)
                return _sent(channel, sent, attempt)
            # A known end to this attempt, made durable before the pause, so a
            # crash in the pause does not leave it looking unconfirmed.
            state.put(INTENT, reply.reply_id, {"open": False, "attempt": attempt,
                                               "channel": channel, "provider": provider,
                                               "t": time.time()})
            await state.flush()
            await asyncio.sleep(delay)

    def _failpoint(self) -> None:
        """Tests only: ``after_send:N`` dies right after the Nth vendor
        acceptance, before its outcome is stored: the worst instant."""
        if self._kill_after is None:
            return
        self._kill_after -= 1
        if self._kill_after <= 0:
            log.warning("failpoint.hit", failpoint="after_send")
            logging.shutdown()
            os._exit(137)

    def _outputs(self, record: Any, reply: Reply, outcome: dict) -> list[Output]:
        now = utcnow()
        delivery = {"reply_id": reply.reply_id, "event_id": reply.event_id,
                    **{k: outcome.get(k) for k in ("channel", "provider", "status", "attempts",
                                                   "provider_message_id", "error")},
                    "at": outcome["at"]}
        DELIVERED.labels(outcome.get("channel") or "", outcome.get("provider") or "",
                         outcome["status"]).inc()
        outs = [Output(DELIVERIES, reply.reply_id.encode(), orjson.dumps(delivery),
                       cloudevents.headers(id=f"{reply.reply_id}/delivery",
                                           source="/hub/dispatcher", type="hub.delivery.v1",
                                           time=now, subject=reply.event_id))]
        if outcome["status"] == "failed":
            reason = outcome.get("reason") or "delivery_failed"
            DEADLETTERED.labels(self.name, reason).inc()
            outs.append(dead_letter(record, DEADLETTER, reason, outcome.get("error") or "",
                                    source="/hub/dispatcher"))
        return outs


def _record(channel: str | None, provider: str | None, status: str, attempts: int, *,
            message_id: str | None = None, error: str | None = None,
            reason: str | None = None) -> dict:
    return {"channel": channel, "provider": provider, "status": status, "attempts": attempts,
            "provider_message_id": message_id, "error": error, "reason": reason,
            "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "t": time.time()}


def _parked(event_id: str, item: dict) -> SimpleNamespace:
    """A waiting reply as the record it came in (what a dead letter keeps)."""
    return SimpleNamespace(topic=item["topic"], partition=item["partition"],
                           offset=item["offset"], key=event_id.encode(),
                           value=item["value"].encode())


def _sent(channel: str, sent: Sent, attempts: int) -> dict:
    return _record(channel, sent.provider, "sent", attempts, message_id=sent.message_id)


def _failed(channel: str, provider: str, attempts: int, exc: DeliveryError) -> dict:
    log.error("reply.failed", provider=provider, vendor_code=str(exc.vendor_code),
              attempts=attempts)
    return _record(channel, provider, "failed", attempts, error=exc.message, reason=exc.code)


def _observe(reply: Reply) -> None:
    if not reply.at:
        return
    with contextlib.suppress(ValueError):
        written = datetime.fromisoformat(reply.at.replace("Z", "+00:00"))
        ROUTED_TO_SENT.observe(max((datetime.now(UTC) - written).total_seconds(), 0))


async def serve(settings: Settings) -> None:
    async with httpx.AsyncClient(timeout=settings.vendor_timeout_s) as http:
        stage = DispatcherStage(settings.dispatcher_id, Senders(settings, http),
                                settings.retry_scale, settings.failpoint,
                                settings.dispatcher_concurrency, settings.reply_wait_s)
        runner = Runner(stage, options(settings))
        # Webhooks to ticket systems (§11): a stage per subscriber, so one that
        # fails holds up nobody else.
        hooks = [Runner(WebhookStage(sub, http, settings.retry_scale), options(settings))
                 for sub in subscribers.parse(settings.subscribers, [t.name for t in all_topics()])]
        await runner.start()
        for hook in hooks:
            await hook.start()
        metrics_server.start("dispatcher", settings.metrics_host,
                             settings.dispatcher_metrics_port)
        sending = asyncio.create_task(runner.run())
        posting = [asyncio.create_task(h.run()) for h in hooks]
        joined = asyncio.create_task(runner.ready.wait())
        await asyncio.wait({joined, sending}, return_when=asyncio.FIRST_COMPLETED)
        if joined.done():
            log.info("dispatcher.sending", sms_provider=settings.sms_provider,
                     partitions=sorted(tp.partition for tp in runner.parts),
                     subscribers=[h.stage.sub.name for h in hooks])
        try:
            joined.cancel()
            await until_stopped([sending, *posting], [runner, *hooks])
        finally:
            log.info("dispatcher.stopped")


def run(settings: Settings) -> None:
    from hub.logs import configure

    configure(settings.log_level)
    # httpx logs each request's URL: Aliyun's carries the number and the text.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(settings))
    except (ConfigError, HubError) as exc:
        log.error("dispatcher.failed", error=str(exc))
        raise SystemExit(2) from None
