"""The category of a message (contract §6), for the ticket system's
statistics: decided after the type, because the same words mean different
things in a repair request and in a complaint ("换完就响" is the workshop's
work in a complaint, a fault in a repair request)."""

from __future__ import annotations

from hub.routers.concepts import CONCEPTS
from hub.routers.lexicon import CATEGORY_PHRASES, OUTSIDE_CAUSES

# First match wins, in the order a complaint centre files a case: what the
# workshop did, then what is missing, then buying, cover, charging, people.
COMPLAINT_ORDER = ("repair_quality", "parts", "sales", "warranty", "charging", "service")
INQUIRY_ORDER = ("sales", "warranty", "charging", "parts", "service")
_FAULT_WORDS = (*CONCEPTS["fault"], *CONCEPTS["immobile"], *CONCEPTS["safety_system"], "质量")


def _has(text: str, category: str) -> bool:
    return any(p in text for p in CATEGORY_PHRASES[category])


def category_for(text: str, type_: str) -> str:
    """`text` is prepared (simplified, lower case); `type_` the decided type."""
    if type_ in ("repair", "rescue"):
        if _has(text, "charging"):
            return "charging"
        if any(p in text for p in OUTSIDE_CAUSES):
            return "other"
        return "product_quality"
    for category in COMPLAINT_ORDER if type_ == "complaint" else INQUIRY_ORDER:
        if _has(text, category):
            return category
    if any(p in text for p in _FAULT_WORDS):
        return "product_quality"
    return "other"
