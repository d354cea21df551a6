"""Inline SVG charts for the report page: no script, no external asset, so
the page is one file that any browser (or a mail client) shows as it is.
Two shapes cover the report: horizontal bars for counts by label, columns
for a rate per day."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from unicodedata import east_asian_width

FONT = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif"
COLOURS = ("#2f6fb0", "#e07b39", "#3a9a5b", "#b8453c", "#7a5cb0", "#8a6d3b", "#c2569e",
           "#5f7f8f")


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" '
            f'font-size="13"><title>{escape(title)}</title>'
            f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>'
            + "".join(body) + "</svg>")


def text_width(text: str, size: int = 13) -> float:
    """About how wide a label is drawn: CJK characters take a full em,
    Latin ones a little over half."""
    return sum(size if east_asian_width(c) in "WF" else size * 0.6 for c in text)


def bars(title: str, items: list[tuple[str, float]],
         fmt: Callable[[float], str] = lambda v: f"{v:g}") -> str:
    """One horizontal bar per label, longest for the largest value."""
    label_w = int(max((text_width(label) for label, _ in items), default=0)) + 16
    bar_w, row_h, top = 360, 26, 32
    top_value = max((v for _, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = max(value / top_value * bar_w, 1 if value else 0)
        body.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{COLOURS[i % len(COLOURS)]}" data-value="{value:g}"/>'
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 17}">'
            f'{escape(fmt(value))}</text>')
    if not items:
        body.append(f'<text x="0" y="{top + 17}" fill="#777">无数据 (no data)</text>')
    height = top + max(len(items), 1) * row_h + 8
    return _svg(label_w + bar_w + 90, height, title, body)


def rate_columns(title: str, items: list[tuple[str, float]]) -> str:
    """One column per label on a 0-100 % axis, its percentage above it."""
    left, top, plot_h, col_w = 44, 36, 180, 46
    body = []
    for pct in (0, 50, 100):
        y = top + plot_h - pct / 100 * plot_h
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + col_w * len(items) + 8}" '
                    f'y2="{y:.1f}" stroke="#ccc"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="#555">{pct}%</text>')
    for i, (label, rate) in enumerate(items):
        h = rate * plot_h
        x = left + 8 + i * col_w
        body.append(
            f'<rect class="bar" x="{x}" y="{top + plot_h - h:.1f}" width="{col_w - 12}" '
            f'height="{h:.1f}" fill="{COLOURS[0]}" data-value="{rate:.4f}"/>'
            f'<text class="value" x="{x + (col_w - 12) / 2}" y="{top + plot_h - h - 5:.1f}" '
            f'text-anchor="middle">{rate * 100:.0f}%</text>'
            f'<text x="{x + (col_w - 12) / 2}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text>')
    if not items:
        body.append(f'<text x="{left + 8}" y="{top + plot_h / 2}" fill="#777">'
                    '无数据 (no data)</text>')
    return _svg(max(left + col_w * len(items) + 24, 320), top + plot_h + 28, title, body)
