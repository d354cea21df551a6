"""Who is writing: customer records from ``hub.customers`` (contract §7),
indexed by every contact point, matched against an event's contacts and VIN."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hub.event import CustomerMatch, Event
from hub.phones import to_e164

TIER_RANK = {"vip": 0, "fleet": 1, "ordinary": 2}
MATCH_ORDER = ("phone", "email", "wechat_openid", "vin")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def email_key(email: str | None) -> str | None:
    """Lower case, plus-addressing removed: zhao+car@x.com is zhao@x.com."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def vin_key(vin: str | None) -> str | None:
    if not vin:
        return None
    vin = vin.strip().upper()
    return vin if _VIN.match(vin) else None


@dataclass
class Customer:
    customer_id: str
    tier: str
    keys: dict[str, set[str]] = field(default_factory=dict)


def customer_keys(record: dict[str, Any]) -> dict[str, set[str]]:
    return {
        "phone": {p for p in (to_e164(str(x)) for x in record.get("phones") or []) if p},
        "email": {e for e in (email_key(x) for x in record.get("emails") or []) if e},
        "wechat_openid": {str(o) for o in record.get("wechat_openids") or [] if o},
        "vin": {v for v in (vin_key(x) for x in record.get("vins") or []) if v},
    }


class CustomerDirectory:
    """In-memory projection of the compacted ``hub.customers`` topic.
    Updates replace a customer's keys; a tombstone or ``deleted`` removes them."""

    def __init__(self) -> None:
        self._customers: dict[str, Customer] = {}
        self._index: dict[str, dict[str, str]] = {k: {} for k in MATCH_ORDER}

    def __len__(self) -> int:
        return len(self._customers)

    def apply(self, customer_id: str, record: dict[str, Any] | None) -> None:
        self._remove(customer_id)
        if record is None or record.get("deleted"):
            return
        tier = record.get("tier") if record.get("tier") in TIER_RANK else "ordinary"
        customer = Customer(customer_id, tier, customer_keys(record))
        self._customers[customer_id] = customer
        for kind, values in customer.keys.items():
            for value in values:
                self._index[kind][value] = customer_id

    def _remove(self, customer_id: str) -> None:
        old = self._customers.pop(customer_id, None)
        if old is None:
            return
        for kind, values in old.keys.items():
            for value in values:
                if self._index[kind].get(value) == customer_id:
                    del self._index[kind][value]

    def resolve(self, event: Event) -> CustomerMatch:
        """Every contact point is tried; the best tier wins, because a fleet
        vehicle driven by an ordinary caller is still the fleet's case."""
        probes = {
            "phone": event.contact.phone,
            "email": email_key(event.contact.email),
            "wechat_openid": event.contact.wechat_openid,
            "vin": vin_key(event.vehicle.vin),
        }
        best: tuple[int, int, Customer, str] | None = None
        for order, kind in enumerate(MATCH_ORDER):
            value = probes[kind]
            cid = self._index[kind].get(value) if value else None
            if cid is None:
                continue
            customer = self._customers[cid]
            rank = (TIER_RANK[customer.tier], order)
            if best is None or rank < best[:2]:
                best = (*rank, customer, kind)
        if best is None:
            return CustomerMatch()
        return CustomerMatch(customer_id=best[2].customer_id, tier=best[2].tier,
                             matched_by=best[3])
