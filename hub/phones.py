"""Chinese phone numbers in every spelling to E.164, with libphonenumber.

``139 0000 9999``, ``139-0000-9999``, ``8613900009999``, ``008613900009999``,
``+86 571 8888 0000``, ``0571-88880000`` and full-width digits all normalize;
what is not a valid number normalizes to ``None`` rather than to a guess.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "CN"


@lru_cache(maxsize=65536)
def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    digits = "".join(c for c in text if c.isdigit())
    if not digits:
        return None
    if text.startswith("00"):
        text = "+" + digits[2:]
    elif not text.startswith("+") and digits.startswith("86") and len(digits) in (12, 13):
        # 86 + 11-digit mobile, or 86 + area code + landline, written without a plus.
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
