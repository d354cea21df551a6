"""First classifier: weighted phrases plus weak hints, deterministic for
vehicle triggers. Rescue wins whenever its evidence is there (a stranded,
angry customer is rescued first and complains second)."""

from __future__ import annotations

from collections import defaultdict

import zhconv

from hub.event import Classification, Event
from hub.routers.lexicon import (
    CATEGORY_PHRASES,
    FLAG_FALSE_FRIENDS,
    FLAG_PHRASES,
    HINT_WEIGHT,
    IVR_HINTS,
    NEGATIONS,
    OPT_OUT_REPLIES,
    REPEAT_FAILURE_WORDS,
    RESCUE_NOW,
    RESCUE_PAST,
    TOPIC_HINTS,
    TYPE_PHRASES,
)
from hub.routers.numbers import repairs_mentioned

RESCUE_TRIGGERS = {"airbag_deployed", "ecall_auto", "ecall_manual", "bcall"}


def _prepare(event: Event) -> str:
    text = f"{event.subject or ''}\n{event.text}"
    return zhconv.convert(text, "zh-hans").lower()


def _telematics(event: Event) -> Classification | None:
    t = event.telematics
    if t is None or (t.trigger == "voice" and event.text):
        return None
    if t.trigger in RESCUE_TRIGGERS or (t.trigger == "alarm" and (t.alarm_level or 0) >= 3):
        reason = f"vehicle trigger {t.trigger}" + (
            f" level {t.alarm_level}" if t.trigger == "alarm" else "")
        return Classification(type="rescue", category="product_quality", confidence=1.0,
                              method="telematics", reasons=[reason])
    return Classification(type="repair", category="product_quality", confidence=0.9,
                          method="telematics", reasons=[f"vehicle trigger {t.trigger}"])


def flags_for(event: Event) -> list[str]:
    text = _prepare(event)
    for phrase in FLAG_FALSE_FRIENDS:
        text = text.replace(phrase, " ")
    flags = [f for f, phrases in FLAG_PHRASES.items() if any(p in text for p in phrases)]
    t = event.telematics
    if t and (t.trigger in {"airbag_deployed", "ecall_auto"} or (t.alarm_level or 0) >= 3):
        flags.append("safety")
    if event.text.strip().lower() in OPT_OUT_REPLIES:
        flags.append("opt_out")
    return sorted(set(flags))


def category_for(text: str) -> str:
    for category, phrases in CATEGORY_PHRASES.items():
        if any(p in text for p in phrases):
            return category
    return "other"


def classify(event: Event) -> Classification:
    decided = _telematics(event)
    if decided is not None:
        return decided
    if event.text.strip().lower() in OPT_OUT_REPLIES:  # "TD", "退订": never a complaint
        return Classification(type="inquiry", category="other", confidence=1.0, method="rules",
                              reasons=["opt-out reply"])
    text = _prepare(event)
    scores: dict[str, float] = defaultdict(float)
    reasons: list[str] = []
    for type_, phrases in TYPE_PHRASES.items():
        hits = [p for p in phrases if p in text]
        for negation in NEGATIONS.get(type_, ()):
            if negation in text:
                hits = [h for h in hits if h not in negation]
                reasons.append(f"negated: {negation}")
        if hits:
            scores[type_] += sum(phrases[h] for h in hits)
            reasons.append(f"{type_}: {', '.join(hits[:4])}")
    if any(n in text for n in NEGATIONS["complaint"]):
        scores["inquiry"] += 1.5  # "not a complaint, just asking"
    if repairs_mentioned(text) >= 3 and any(w in text for w in REPEAT_FAILURE_WORDS):
        scores["complaint"] += 2.5
        reasons.append("complaint: repeated repairs of the same fault")
    for key in event.context.ivr_path[-1:]:
        if key in IVR_HINTS:
            scores[IVR_HINTS[key]] += HINT_WEIGHT
            reasons.append(f"hint: IVR key {key}")
    hint = TOPIC_HINTS.get((event.context.topic_hint or "").lower())
    if hint:
        scores[hint] += HINT_WEIGHT
        reasons.append(f"hint: form topic {hint}")
    if not scores:
        return Classification(type="inquiry", category=category_for(text), confidence=0.3,
                              method="rules", reasons=["no evidence: default inquiry"])
    if scores.get("rescue") and any(p in text for p in RESCUE_PAST) and not any(
            p in text for p in RESCUE_NOW):
        scores["rescue"] /= 3  # told after the fact: a complaint or a question now
        reasons.append("rescue words about the past")
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    primary = "rescue" if scores.get("rescue", 0) >= 2 else ranked[0][0]
    secondary = [t for t, s in ranked if t != primary and s >= 1.5]
    total = sum(scores.values())
    confidence = round(min(0.99, scores[primary] / total * min(1.0, scores[primary] / 3)), 2)
    return Classification(type=primary, secondary_types=secondary, category=category_for(text),
                          confidence=max(confidence, 0.05), method="rules", reasons=reasons)
