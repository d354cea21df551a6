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
PROBE_ORDER = ("phone", "email", "wechat_openid", "wechat_unionid", "vin")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def email_key(email: str | None) -> str | None:
    """Lower case, plus-addressing removed: zhao+car@x.com is zhao@x.com."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


_VIN_TYPOS = str.maketrans({"O": "0", "I": "1", "Q": "0"})  # letters a VIN never contains
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **{c: i for i, c in enumerate("ABCDEFGH", start=1)},
               **{c: i for i, c in enumerate("JKLMN", start=1)}, "P": 7, "R": 9,
               **{c: i for i, c in enumerate("STUVWXYZ", start=2)}}


def vin_key(vin: str | None) -> str | None:
    """17 characters, upper case, without spaces or dashes; the letters O, I
    and Q (which no VIN contains) read as the digits people meant."""
    if not vin:
        return None
    vin = re.sub(r"[\s\-·]", "", vin).upper().translate(_VIN_TYPOS)
    return vin if _VIN.match(vin) else None


def vin_check_digit_ok(vin: str) -> bool:
    """ISO 3779 / GB 16735 check digit (position 9). Matching does not require
    it (the TSP's VIN is authoritative, test data often lacks it); forms can
    use it to tell a typo from a real VIN."""
    key = vin_key(vin)
    if key is None:
        return False
    total = sum(_VIN_VALUES[c] * w for c, w in zip(key, _VIN_WEIGHTS, strict=True))
    return key[8] == ("X" if total % 11 == 10 else str(total % 11))


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
        "wechat_unionid": event.contact.wechat_unionid,
            "vin": vin_key(event.vehicle.vin),
        }
        best: tuple[int, int, Customer, str] | None = None
        for order, kind in enumerate(PROBE_ORDER):
            value = probes[kind]
            # A unionid is listed among a customer's WeChat ids like an openid.
            index = self._index["wechat_openid" if kind == "wechat_unionid" else kind]
            cid = index.get(value) if value else None
            if cid is None:
                continue
            customer = self._customers[cid]
            rank = (TIER_RANK[customer.tier], order)
            if best is None or rank < best[:2]:
                best = (*rank, customer, "wechat_openid" if kind == "wechat_unionid" else kind)
        if best is None:
            return CustomerMatch()
        return CustomerMatch(customer_id=best[2].customer_id, tier=best[2].tier,
                             matched_by=best[3])
