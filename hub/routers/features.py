"""An event as the classifier's model sees it: named, sparse features.

Concepts (hub.routers.concepts) and pairs of them carry what generalizes
("the car cannot move" and "on a road"); character uni- and bigrams of the
simplified text, and English words, carry the rest; hints (IVR key, web
dropdown, channel) are features like any other, so the model learns how little
they are worth."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import combinations

import zhconv

from hub.event import Event
from hub.routers.concepts import CONCEPTS, FALSE_FRIENDS, NOT_COMPLAINT
from hub.routers.lexicon import FLAG_FALSE_FRIENDS, TYPE_PHRASES
from hub.routers.numbers import repairs_mentioned

# The grams' total weight against one concept's 1.0: 3 by 5-fold cross-validation on
# the dev part (1 under-used the words; 2-4 scored alike).
GRAM_WEIGHT = 3.0
# Where a concept stands matters too: the opening names the trouble, the close the
# ask ("……能派人来吗", "……上次抛锚了"). 15 characters each way, by 5-fold CV on dev.
EDGE_CHARS = 15
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
# English reads by words, not letter pairs: by 5-fold CV on dev the English
# messages gained about 5 points with them (the Chinese ones moved within noise).
_WORDS = re.compile(r"[a-z]{3,}")
# ASR transcripts put a space wherever the recogniser paused ("车 还 能开"):
# between two CJK characters it means nothing, and kept it hides the phrases
# concepts and flags look for ("还能开"). The letter pairs keep the spaces.
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])[ \t\u3000]+(?=[\u3400-\u9fff])")


def joined(text: str) -> str:
    """The text with the pauses between CJK characters taken out."""
    return _CJK_GAP.sub("", text)


def prepare(event: Event) -> str:
    """Subject and text, simplified Chinese, lower case."""
    return _simplified(event.subject or "", event.text)


@lru_cache(maxsize=256)  # classify and flags_for both read each message: convert it once
def _simplified(subject: str, text: str) -> str:
    return zhconv.convert(f"{subject}\n{text}", "zh-hans").lower()


@lru_cache(maxsize=8)
def _spoken_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The phrases as they may come out of ASR too, paused between CJK characters:
    "事故 车" is the same false friend as "事故车"."""
    def spoken(phrase: str) -> str:
        parts = [re.escape(phrase[0])]
        for before, char in zip(phrase, phrase[1:], strict=False):
            cjk = "\u3400" <= before <= "\u9fff" and "\u3400" <= char <= "\u9fff"
            parts.append(("[ \t\u3000]*" if cjk else "") + re.escape(char))
        return "".join(parts)
    # Longest first, so "打不着火" is blanked whole rather than as "打不着" and a stray 火.
    return re.compile("|".join(spoken(p) for p in sorted(phrases, key=len, reverse=True)))


def without(text: str, phrases: tuple[str, ...]) -> str:
    """The text with `phrases` blanked, read across ASR pauses: words that contain
    another word without meaning it ("打不着火" holds no fire)."""
    return _spoken_pattern(phrases).sub("§", text)


def flag_text(event: Event) -> str:
    """The text the flags read: false friends (打不着火, a heated steering wheel) blanked."""
    return without(prepare(event), FLAG_FALSE_FRIENDS)


def _is_short_word(phrase: str) -> bool:
    # A short English word must be a word: "ok" is not in "look", "now" not in
    # "know", "how" not in "show". Longer ones keep their endings ("stalled").
    return len(phrase) <= 3 and phrase.isascii() and phrase.isalpha()


@lru_cache(maxsize=64)
def _short_word(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){phrase}(?![a-z])")


def contains(text: str, phrase: str) -> bool:
    """`phrase in text`, with short English words matched as whole words."""
    # Most phrases are not in the text at all: settle those with one `in`.
    return phrase in text and (not _is_short_word(phrase)
                               or _short_word(phrase).search(text) is not None)


# One alternation of literals per concept: a single C-level scan instead of hundreds
# of `in` tests (a lookbehind in the alternation would double its cost), and the
# concept's few short English words beside it.
_CONCEPT_PATTERNS = {name: (re.compile("|".join(re.escape(p) for p in phrases
                                                if not _is_short_word(p))),
                            tuple(p for p in phrases if _is_short_word(p)))
                     for name, phrases in CONCEPTS.items()}


# TYPE_PHRASES split once: plain `in` tests for most, whole-word matches for the short words.
_TYPE_LEXICON = {type_: (tuple((p, w) for p, w in phrases.items() if not _is_short_word(p)),
                         tuple((p, w) for p, w in phrases.items() if _is_short_word(p)))
                 for type_, phrases in TYPE_PHRASES.items()}


def concepts_in(text: str) -> list[str]:
    text = without(joined(text), FALSE_FRIENDS)
    return [name for name, (pattern, words) in _CONCEPT_PATTERNS.items()
            if pattern.search(text) or (words and any(contains(text, w) for w in words))]


def _grams(text: str) -> set[str]:
    text = _SPACE.sub(" ", _DIGITS.sub("0", text)).strip()
    grams = {c for c in text if not c.isspace()}
    grams.update(text[i:i + 2] for i in range(len(text) - 1) if " " not in text[i:i + 2])
    return grams


def features(event: Event, text: str | None = None) -> dict[str, float]:
    text = prepare(event) if text is None else text
    out: dict[str, float] = {}
    found = concepts_in(text)  # before the denied complaint is blanked: "not_complaint" needs it
    edges = text.strip()
    out.update((f"h:{c}", 1.0) for c in concepts_in(edges[:EDGE_CHARS]))
    out.update((f"e:{c}", 1.0) for c in concepts_in(edges[-EDGE_CHARS:]))
    text = without(text, NOT_COMPLAINT)
    grams = _grams(text)
    if grams:
        weight = GRAM_WEIGHT / math.sqrt(len(grams))  # a letter and an SMS weigh alike
        out.update((f"g:{g}", weight) for g in grams)
    words = set(_WORDS.findall(text))
    if words:
        out.update((f"w:{w}", GRAM_WEIGHT / math.sqrt(len(words))) for w in words)
    out.update((f"c:{c}", 1.0) for c in found)
    out.update((f"c:{a}+{b}", 1.0) for a, b in combinations(found, 2))
    spoken = joined(text)
    for type_, (plain, short) in _TYPE_LEXICON.items():
        score = sum(w for p, w in plain if p in spoken) + \
            sum(w for p, w in short if contains(spoken, p))
        if score:
            out[f"lex:{type_}"] = min(score, 9.0) / 3
    if repairs_mentioned(text) >= 3:
        out["repairs>=3"] = 1.0
    for key in event.context.ivr_path[-1:]:
        out[f"ivr:{key}"] = 1.0
    if event.context.topic_hint:
        out[f"topic:{event.context.topic_hint.lower()}"] = 1.0
    out[f"channel:{event.channel}"] = 1.0
    out["bias"] = 1.0
    return out
