"""What the classifier cannot honestly decide goes to people, not to P1.

The rescue bias (classify.py) lets rescue win at a low probability. That is
the right trade for a message someone wrote, and the wrong one for a message
with nothing in it: an empty call record or a web form full of injection junk
came out as P1 rescue, paging the rescue desk for noise. So, before risk and
routing: vehicle triggers and opt-outs stay as they are (deterministic); a
message with no words and no hint, or with words that are not language, is
re-read as an inquiry for the triage queue; a decision the model makes with
low confidence keeps its type and goes to the triage queue too, except
rescue, which is never held back (rescue recall must not drop)."""

from __future__ import annotations

import re

from hub.event import Classification, Event

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]{2,}")
# Markup, code and injection probes carry English-looking words that are not
# a customer's: taken out before the words are counted.
_NOISE = re.compile(
    r"<[^>]{0,200}>|&[a-z]+;|\$\{[^}]*\}|\{\{[^}]*\}\}|https?://\S+|\b(?:select|union|insert|"
    r"drop|table|from|where|or|and|script|alert|onerror|img|src|javascript|eval|exec|null|"
    r"sleep|benchmark|waitfor|delay|passwd|etc|bin|sh|cmd|xp_cmdshell|document|cookie|window|"
    r"location|iframe|svg|onload|char|concat|version|information_schema)\b",
    re.IGNORECASE)


def unreadable(event: Event) -> str | None:
    """Why a message cannot be read, or None when it can."""
    text = f"{event.subject or ''} {event.text}".strip()
    hinted = event.context.ivr_path or event.context.topic_hint
    if not text:
        if hinted:
            return None  # the customer pressed a key or chose a topic: that is words enough
        return "no words, only attachments" if event.attachments else "empty message"
    clean = _NOISE.sub(" ", text)
    cjk, words = len(_CJK.findall(clean)), len(_WORD.findall(clean))
    if cjk >= 2 or words >= 2:
        return None
    if clean == text and (cjk or words or any(c.isdigit() for c in text)):
        return None  # a one-word reply: 好, ok, or "1" to a survey
    return "no readable words"


def triage(event: Event, classification: Classification,
           min_confidence: float) -> tuple[Classification, str | None]:
    """The classification to route by, and the triage reason if it goes to triage."""
    if classification.method == "telematics" or "opt-out reply" in classification.reasons:
        return classification, None
    reason = unreadable(event)
    if reason:
        return Classification(type="inquiry", category="other", confidence=0.0,
                              method="triage", reasons=[reason]), reason
    if classification.type != "rescue" and classification.confidence < min_confidence:
        reason = (f"low confidence: {classification.type} at "
                  f"{classification.confidence:.2f} < {min_confidence}")
        # The reason travels with the event: the triage desk reads why it is there.
        return classification.model_copy(
            update={"reasons": [*classification.reasons, reason]}), reason
    return classification, None
