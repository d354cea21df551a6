"""Small text helpers shared by normalizers: language tag, whitespace."""

from __future__ import annotations

import re
import unicodedata

import zhconv

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"[ \t\u3000]+")


def detect_language(text: str | None) -> str:
    """zh-Hant when the Han text changes under conversion to simplified,
    zh-Hans for other Han text, en for Latin-only text."""
    if not text:
        return "zh-Hans"
    han = _HAN.findall(text)
    if han:
        sample = "".join(han[:400])
        return "zh-Hant" if zhconv.convert(sample, "zh-hans") != sample else "zh-Hans"
    return "en" if _LATIN.search(text) else "zh-Hans"


def clean(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()
