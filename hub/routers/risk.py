"""Risk level 1-5 from the seed documents' nine dimensions, where the event
carries data for them: type and fault severity (safety systems, vehicle
alarms), third parties (media, lawyers, 12315/consumer association,
regulators), customer type, time of year (1.5 months before to 10 days after
15 March), vehicle life (a new car), days in repair, number of repairs for
the same fault (3+ is the classic precursor of a major complaint), warranty
disputes, and money (over ¥10,000 is a major complaint). ``factors`` says
which counted. Level >= 4 makes the event ``major`` (pipeline)."""

from __future__ import annotations

import re
from datetime import date, timedelta, timezone

import zhconv

from hub.event import Classification, CustomerMatch, Event, Risk
from hub.routers.numbers import NUM, cn_number, max_amount, repairs_mentioned

CHINA = timezone(timedelta(hours=8))
def _days_in_repair(text: str) -> int:
    days = []
    pattern = rf"(?:修了|等了|放在店里|在店里|趴了|停了)\s*({NUM})\s*(多)?\s*(天|周|个月|月)"
    for m in re.finditer(pattern, text):
        n = cn_number(m.group(1)) or 0
        days.append(n * {"天": 1, "周": 7, "个月": 30, "月": 30}[m.group(3)])
    if re.search(r"(修了|等了)(一个多月|个把月|大半个月)", text):
        days.append(30)
    return int(max(days or [0]))


def _new_vehicle(text: str) -> bool:
    m = re.search(rf"(?:刚买|刚提车?|提车|买了|新车)\s*(?:才|不到|刚)?\s*({NUM})?\s*(个月|天|周)",
                  text)
    if m:
        n = cn_number(m.group(1) or "1") or 1
        return n * {"个月": 30, "天": 1, "周": 7}[m.group(2)] <= 183
    return bool(re.search(r"新车|刚提的车|刚买的车", text))


def march_15_window(day: date) -> bool:
    """About 1.5 months before to 10 days after consumer-rights day."""
    peak = date(day.year, 3, 15)
    return peak - timedelta(days=45) <= day <= peak + timedelta(days=10)


def assess(event: Event, customer: CustomerMatch, classification: Classification,
           flags: list[str], same_fault_before: int = 0) -> Risk:
    """``same_fault_before``: the customer's (or vehicle's) earlier contacts
    about the same fault, from the history: this one makes one more."""
    text = zhconv.convert(f"{event.subject or ''} {event.text}", "zh-hans").lower()
    factors: dict[str, object] = {"type": classification.type}
    level = {"complaint": 2, "rescue": 3}.get(classification.type, 1)
    floor = 1
    t = event.telematics
    if t and t.trigger == "airbag_deployed":
        floor, factors["fault"] = 5, "airbag deployed"
    elif t and (t.alarm_level or 0) >= 3:
        floor, factors["fault"] = 4, f"GB/T 32960 alarm level {t.alarm_level}"
    elif "safety" in flags:
        level, factors["fault"] = max(level + 1, 3), "safety-critical system"
    third = [f for f in ("media", "legal", "regulator") if f in flags]
    if third:
        level, floor, factors["third_party"] = level + 1, max(floor, 4), third
    amount = max_amount(text)
    if amount > 10_000:
        floor, factors["amount_cny"] = max(floor, 4), amount
    repairs = max(repairs_mentioned(text), same_fault_before + 1 if same_fault_before else 0)
    if repairs >= 3:
        level, factors["repairs"] = level + 1, repairs
    days = _days_in_repair(text)
    if days >= 15:
        level, factors["days_in_repair"] = level + 1, days
    if _new_vehicle(text):
        level, factors["vehicle_life"] = level + 1, "new vehicle"
    if re.search(r"过保|出保|保修期外|不给保修|拒绝保修|三包", text):
        level, factors["warranty"] = level + 1, "warranty dispute"
    if classification.type == "complaint" and march_15_window(
            event.received_at.astimezone(CHINA).date()):
        level, factors["period"] = level + 1, "15 March window"
    if customer.tier in ("vip", "fleet"):
        level += 1
        factors["customer_type"] = customer.tier
    return Risk(level=max(floor, min(5, level)), factors=factors)
