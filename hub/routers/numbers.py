"""Numbers in customers' Chinese: amounts of money and how often something
was repaired (一万二千, 两万, 1.2万, 三千五, 修了三次, 第4次进店)."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
NUM = r"[0-9０-９.]+|[零〇一二两三四五六七八九十百千万]+"


def cn_number(text: str) -> float | None:
    """12000, 1.2万, 两万, 三千五, 十五 -> numbers; None when not a number."""
    text = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    m = re.fullmatch(r"([0-9.]+)\s*(万|千)?", text)
    if m:
        try:
            return float(m.group(1)) * (_UNITS[m.group(2)] if m.group(2) else 1)
        except ValueError:
            return None
    total, section, digit, last_unit, zero = 0, 0, 0, 1, False
    for ch in text:
        if ch in _DIGITS:
            digit, zero = _DIGITS[ch], zero or _DIGITS[ch] == 0
        elif ch in _UNITS:
            unit = last_unit = _UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section = digit = 0
            else:
                section += (digit or 1) * unit
                digit = 0
        else:
            return None
    if digit and last_unit >= 100 and not zero:  # 三千五 is 3500, 一百零五 is 105
        digit *= last_unit // 10
    return float(total + section + digit) or None


def max_amount(text: str) -> float:
    amounts = [cn_number(m.group(1)) for m in re.finditer(
        rf"(?:¥|￥|人民币)?\s*({NUM})\s*(?:多)?\s*(?:块|元|块钱|rmb|yuan)", text)]
    amounts += [cn_number(m.group(1)) for m in re.finditer(rf"[¥￥]\s*({NUM})", text)]
    return max([a for a in amounts if a] or [0])


def repairs_mentioned(text: str) -> int:
    counts = [cn_number(m.group(1)) or 0 for m in re.finditer(
        rf"(?:修了|维修了?|返修了?|进店|去了|跑了|第)\s*({NUM})\s*(?:次|趟|回)", text)]
    counts += [3 for _ in re.finditer(r"反复维修|多次维修|修了好几次|屡修不好|修了又坏", text)]
    return int(max(counts or [0]))


