"""``hub replay hub.deadletter`` (without ``--subscriber``): replies the
dispatcher could not deliver, written to ``hub.replies`` again once their
cause is fixed (a vendor back up, a template approved, a number corrected
upstream, a contact that came late).

Each goes back under a new, derived reply id, ``<reply_id>/replay``: the
dispatcher's dedupe and outcome table know the old id as failed, and a
derived id makes the replay itself idempotent (a dead letter whose replay is
already in ``hub.replies`` is skipped; a replay that failed again has its own
dead letter, replayed as ``…/replay/replay``). Kept back: replies recorded
``unconfirmed`` (the vendor may have sent them: a person decides) unless
asked, and replies that were not valid replies at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from aiokafka.errors import KafkaError

from hub import cloudevents
from hub.errors import BrokerUnavailable
from hub.event import utcnow
from hub.kafka.bus import Bus
from hub.kafka.security import client_kwargs
from hub.kafka.topics import DEADLETTER, REPLIES
from hub.settings import Settings
from hub.stream.records import dead_letter_value
from hub.stream.scanner import Scanner

NEVER = frozenset({"invalid_reply"})
UNCONFIRMED = "delivery_unconfirmed"


@dataclass
class Replayed:
    sent: int = 0
    skipped: int = 0
    kept: int = 0



def _reply(letter: dict) -> dict | None:
    try:
        reply = orjson.loads(dead_letter_value(letter))
    except orjson.JSONDecodeError:
        return None
    return reply if isinstance(reply, dict) and reply.get("reply_id") else None


async def replay(settings: Settings, since: datetime | None = None,
                 unconfirmed: bool = False) -> Replayed:
    scanner = Scanner(settings.bootstrap, **client_kwargs(settings))
    try:
        letters = [orjson.loads(r.value) for r in await scanner.read_topic(DEADLETTER) if r.value]
        written = {r["reply_id"] for r in (orjson.loads(v.value) for v in
                                           await scanner.read_topic(REPLIES) if v.value)
                   if isinstance(r, dict) and "reply_id" in r}
    except (KafkaError, OSError) as exc:
        raise BrokerUnavailable(f"Kafka at {settings.bootstrap} is not reachable") from exc
    finally:
        await scanner.close()
    done = Replayed()
    bus = Bus(settings)
    try:
        for letter in letters:
            if letter.get("topic") != REPLIES or letter.get("subscriber") or (
                    since is not None and datetime.fromisoformat(letter["at"]) < since):
                continue
            reply = _reply(letter)
            if reply is None or letter.get("reason") in NEVER or (
                    letter.get("reason") == UNCONFIRMED and not unconfirmed):
                done.kept += 1
                continue
            again = {**reply, "reply_id": f"{reply['reply_id']}/replay"}
            if again["reply_id"] in written:
                done.skipped += 1
                continue
            await bus.publish(REPLIES, str(reply.get("event_id") or ""), orjson.dumps(again),
                              cloudevents.headers(id=again["reply_id"], source="/hub/replay",
                                                  type="hub.reply.v1", time=utcnow()))
            written.add(again["reply_id"])
            done.sent += 1
    finally:
        await bus.close()
    return done
