"""The customer records and the cases an identifier leads to, read from the
compacted ``hub.customers`` and ``hub.cases`` (their current view: a key
already tombstoned is gone).

A case is the customer's when the router matched it to one of the customer
records found, or when it matched no one and came from one of that
customer's contact points or vehicles (its ``history_keys``: the hub knew
the phone before the customer record). A case matched to another customer
stays: a fleet's vehicle driven by this person is the fleet's case."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from hub.erase.identifier import Identifier
from hub.errors import BrokerUnavailable
from hub.kafka.topics import CASES, CUSTOMERS, ERASURES
from hub.phones import to_e164
from hub.report.stats import latest
from hub.routers.identity import customer_keys, email_key, vin_key
from hub.stream.scanner import Scanner


@dataclass
class Found:
    customers: dict[str, dict] = field(default_factory=dict)  # customer_id -> record
    cases: list[str] = field(default_factory=list)            # event ids

    def __bool__(self) -> bool:
        return bool(self.customers or self.cases)


def _history_key(key: str) -> str:
    """A case's history key as the identity index spells it (``c:`` keys hold
    a customer id, a phone, an e-mail or an openid as the event had them)."""
    kind, _, value = key.partition(":")
    if kind == "v":
        return f"v:{vin_key(value) or value}"
    if "@" in value:
        return f"c:{email_key(value) or value}"
    return f"c:{to_e164(value) or value}" if value.startswith("+") else key


def wanted_keys(ident: Identifier, customers: dict[str, dict]) -> set[str]:
    """Every history key that is this person's: the identifier, and each
    contact point and vehicle of the customer records found."""
    keys = {f"v:{ident.value}" if ident.kind == "vin" else f"c:{ident.value}"}
    for record in customers.values():
        for kind, values in customer_keys(record).items():
            keys |= {f"v:{v}" if kind == "vin" else f"c:{v}" for v in values}
    return keys


def match(ident: Identifier, customers: dict[str, dict], cases: dict[str, dict]) -> Found:
    mine = {cid: record for cid, record in customers.items()
            if ident.value in customer_keys(record).get(ident.kind, set())}
    keys = wanted_keys(ident, mine)
    found = []
    for event_id, case in cases.items():
        owner = (case.get("customer") or {}).get("customer_id")
        if owner in mine or (owner is None and keys & {
                _history_key(k) for k in case.get("history_keys") or []}):
            found.append(event_id)
    return Found(mine, sorted(found))


@dataclass
class Current:
    customers: dict[str, dict]  # customer_id -> record, tombstoned ones gone
    cases: dict[str, dict]      # event_id -> case
    erasures: list              # the records of hub-erasures (hub.erase.audit)


async def read_current(bootstrap: str, **client: object) -> Current:
    """The current customer records and cases, and the erasure log. One read
    of all three: each read waits out a fetch on its emptiest partition."""
    scanner = Scanner(bootstrap, request_timeout_ms=10_000, **client)
    try:
        tps = [TopicPartition(t, p) for t in (CUSTOMERS, CASES, ERASURES)
               for p in await scanner.partitions(t)]
        records = await scanner.read_from(await scanner.start_offsets(tps))
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot read {CUSTOMERS}, {CASES} and {ERASURES} at "
                                f"{bootstrap} ({exc}): is the hub's broker up, and were "
                                "its topics created (`hub topics create`)?") from exc
    except OSError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {bootstrap}: {exc}") from exc
    finally:
        await asyncio.sleep(0.2)  # see hub.report.source: the fetcher must settle
        await scanner.close()
    ordered = sorted(records, key=lambda r: (r.topic, r.partition, r.offset))
    return Current(latest((r.key, r.value) for r in ordered if r.topic == CUSTOMERS),
                   latest((r.key, r.value) for r in ordered if r.topic == CASES),
                   [r for r in ordered if r.topic == ERASURES])
