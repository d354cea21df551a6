"""``hub tail TOPIC...``: one readable line per event, personal data masked and
terminal control characters escaped (customer text is not trusted to drive the
operator's terminal). When the broker stays unreachable longer than a timeout,
tail stops with one message and a non-zero exit instead of retrying forever."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from collections.abc import Callable

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from hub.cloudevents import as_dict
from hub.errors import BrokerUnavailable
from hub.pii import mask_text

# C0 and C1 controls and DEL (ESC starts colour and cursor sequences), line and
# paragraph separators, and the bidi marks, embeddings, overrides and isolates
# that can make a line read in another order than it was written.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character shown as its escape, e.g. ``\\x1b``."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def describe(topic: str, headers: dict[str, str], value: bytes | None) -> str:
    return printable(_describe(topic, headers, value))


def _describe(topic: str, headers: dict[str, str], value: bytes | None) -> str:
    try:
        body = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        body = None
    ce = f"{headers.get('ce_time', '-')} {topic} {headers.get('ce_type', '-')}"
    if not isinstance(body, dict):
        return f"{ce} {(value or b'')[:80]!r}"
    parts = [ce, body.get("event_id") or headers.get("ce_id", "")]
    if "route" in body:
        r, c, k = body["route"], body.get("classification", {}), body.get("customer", {})
        parts += [f"{k.get('tier')}/{c.get('type')}", r.get("priority"), f"queue={r.get('queue')}",
                  f"risk={body.get('risk', {}).get('level')}",
                  f"flags={','.join(body.get('flags', [])) or '-'}"]
    if "channel" in body:
        parts.append(f"channel={body['channel']}")
    if "reason" in body:
        parts.append(f"reason={body['reason']}")
    if isinstance(body.get("refused"), dict):  # hub.raw: kept for `hub replay hub.raw`
        parts.append(f"refused={body['refused'].get('code')} {body.get('path', '')}")
    text = (body.get("text") or body.get("error") or "").replace("\n", " ")
    if text:
        parts.append(f"“{mask_text(text[:60])}”")
    return " ".join(str(p) for p in parts if p)


async def tail(bootstrap: str, topics: list[str], from_beginning: bool,
               out: Callable[[str], None] = print, limit: int | None = None,
               broker_timeout: float = 10.0,
               warn: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> None:
    """Print each record of ``topics``; raise BrokerUnavailable once the broker has not
    answered for ``broker_timeout`` seconds."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest" if from_beginning else "latest")
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}") from exc
    tasks = [asyncio.create_task(_print(consumer, out, limit)),
             asyncio.create_task(_watch(consumer, bootstrap, broker_timeout, warn))]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # the watch's BrokerUnavailable, or the print loop's end
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _stop(consumer)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        # After a lost broker, aiokafka's fetcher awaits a retry it has just
        # cancelled and lets that CancelledError out of stop(); only a
        # cancellation of tail itself goes on.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


async def _print(consumer: AIOKafkaConsumer, out: Callable[[str], None],
                 limit: int | None) -> None:
    seen = 0
    async for record in consumer:
        out(describe(record.topic, as_dict(record.headers), record.value))
        seen += 1
        if limit is not None and seen >= limit:
            return


async def _watch(consumer: AIOKafkaConsumer, bootstrap: str, patience: float,
                 warn: Callable[[str], None]) -> None:
    # The consumer retries a lost broker forever and says so only in its log, so
    # ask for metadata (any broker answering will do) every few seconds.
    every = min(2.0, patience / 3)
    answered, waiting = time.monotonic(), False
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.wait_for(consumer.topics(), every)
        except (KafkaError, TimeoutError):
            gone = time.monotonic() - answered
            if gone > patience:
                raise BrokerUnavailable(
                    f"Kafka at {bootstrap} has not answered for more than {patience:g} s; "
                    "stopped (is the hub running?)") from None
            if not waiting:
                warn(f"Kafka at {bootstrap} does not answer; waiting up to {patience:g} s")
                waiting = True
        else:
            if waiting:
                warn(f"Kafka at {bootstrap} answers again")
            answered, waiting = time.monotonic(), False


def run(bootstrap: str, topics: list[str], from_beginning: bool,
        broker_timeout: float = 10.0) -> None:
    # aiokafka logs every failed reconnect (dozens a second once the broker is
    # gone); tail reports the outage itself, once.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        # Flushed per line: `hub tail ... | grep` shows each event as it comes.
        asyncio.run(tail(bootstrap, topics, from_beginning, lambda line: print(line, flush=True),
                         broker_timeout=broker_timeout))
    except KeyboardInterrupt:
        pass
