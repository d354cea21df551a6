"""First risk rating (1-5) from the dimensions an event carries at intake:
fault severity (safety systems, vehicle alarms), third parties (media, legal,
regulator), customer type, and the message type. Level >= 4 is ``major``."""

from __future__ import annotations

from hub.event import Classification, CustomerMatch, Event, Risk


def assess(event: Event, customer: CustomerMatch, classification: Classification,
           flags: list[str]) -> Risk:
    factors: dict[str, object] = {}
    level = {"complaint": 2, "rescue": 3}.get(classification.type, 1)
    factors["type"] = classification.type
    t = event.telematics
    if t and t.trigger == "airbag_deployed":
        level, factors["fault"] = 5, "airbag deployed"
    elif t and (t.alarm_level or 0) >= 3:
        level, factors["fault"] = max(level, 4), f"GB/T 32960 alarm level {t.alarm_level}"
    elif "safety" in flags:
        level, factors["fault"] = max(level + 1, 3), "safety-critical system"
    third = [f for f in ("media", "legal", "regulator") if f in flags]
    if third:
        level, factors["third_party"] = max(level + 1, 4), third
    if customer.tier in ("vip", "fleet"):
        level += 1
        factors["customer_type"] = customer.tier
    return Risk(level=max(1, min(5, level)), factors=factors)
