"""Pictures drawn on the server: pure functions from numbers to SVG markup.

Each picture is an inline ``<svg>`` with a ``<title>`` and a ``<desc>`` (its text alternative,
named by ``aria-labelledby``), every label escaped, and its numbers printed in it or given in a
``<title>`` per mark. Fills come from a sequential single-hue ramp (ColorBrewer "Blues"), which
stays ordered for colour-blind readers; the text on each fill is black or white, whichever
contrasts more (WCAG 2 contrast ratio, at least 4.5:1 on every step of the ramp).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

RAMP = (
    "#f7fbff",
    "#deebf7",
    "#c6dbef",
    "#9ecae1",
    "#6baed6",
    "#4292c6",
    "#2171b5",
    "#08519c",
    "#08306b",
)
"""Light to dark; the first is for zero."""
DARK_TEXT = "#111111"
LIGHT_TEXT = "#ffffff"
MARK = "#08519c"
"""The fill of bars and strip marks (7.9:1 against white)."""


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (WCAG 2)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    return DARK_TEXT if contrast(fill, DARK_TEXT) >= contrast(fill, LIGHT_TEXT) else LIGHT_TEXT


def fill_for(count: int, maximum: int) -> str:
    """The ramp's colour for ``count`` out of ``maximum`` (the lightest for zero)."""
    if count <= 0 or maximum <= 0:
        return RAMP[0]
    step = 1 + round((len(RAMP) - 2) * (count - 1) / max(maximum - 1, 1))
    return RAMP[min(step, len(RAMP) - 1)]


def _head(ident: str, title: str, desc: str, width: int, height: int, role: str = "img") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(ident)}" class="chart" '
        f'role="{role}" aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<title id="{escape(ident)}-title">{escape(title)}</title>'
        f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>'
    )


@dataclass(frozen=True)
class Matrix:
    """Counts by row and column, with the rows' and columns' labels in display order."""

    rows: Sequence[str]
    columns: Sequence[str]
    counts: Mapping[tuple[str, str], int]
    row_labels: Mapping[str, str]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)

    @property
    def maximum(self) -> int:
        return max(self.counts.values(), default=0)


CELL_W = 56
CELL_H = 22
LABEL_W = 290
HEAD_H = 110


def heatmap(matrix: Matrix, *, ident: str, title: str, desc: str) -> str:
    """A grid of ``matrix``: one cell per row and column, its count printed in it."""
    width = LABEL_W + CELL_W * len(matrix.columns) + HEAD_H
    height = HEAD_H + CELL_H * len(matrix.rows) + 10
    parts = [_head(ident, title, desc, width, height)]
    for j, column in enumerate(matrix.columns):
        x = LABEL_W + CELL_W * j + CELL_W // 2
        parts.append(
            f'<text class="col-label" x="{x}" y="{HEAD_H - 6}" '
            f'transform="rotate(-45 {x} {HEAD_H - 6})" fill="currentColor">{escape(column)}</text>'
        )
    top = matrix.maximum
    for i, row in enumerate(matrix.rows):
        y = HEAD_H + CELL_H * i
        label = matrix.row_labels.get(row, row)
        parts.append(
            f'<text class="row-label" x="{LABEL_W - 6}" y="{y + CELL_H - 6}" '
            f'text-anchor="end" fill="currentColor">{escape(label)}</text>'
        )
        for j, column in enumerate(matrix.columns):
            n = matrix.count(row, column)
            fill = fill_for(n, top)
            x = LABEL_W + CELL_W * j
            parts.append(
                f'<g class="cell" data-row="{escape(row)}" data-column="{escape(column)}" '
                f'data-count="{n}"><title>{escape(label)}, {escape(column)}: {n}</title>'
                f'<rect x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}" '
                f'fill="{fill}"/>'
                f'<text x="{x + (CELL_W - 2) // 2}" y="{y + CELL_H - 7}" text-anchor="middle" '
                f'fill="{text_on(fill)}">{n}</text></g>'
            )
    parts.append("</svg>")
    return "".join(parts)


BAR_H = 20
BAR_MAX_W = 300


def bars(items: Sequence[tuple[str, int]], *, ident: str, title: str, desc: str, unit: str) -> str:
    """Horizontal bars, one per (label, value), the value printed after each bar."""
    width = LABEL_W + BAR_MAX_W + 60
    height = BAR_H * len(items) + 10
    top = max((v for _, v in items), default=0)
    parts = [_head(ident, title, desc, width, height)]
    for i, (label, value) in enumerate(items):
        y = BAR_H * i + 4
        length = round(BAR_MAX_W * value / top) if top else 0
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)}: {value} {escape(unit)}</title>"
            f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 8}" text-anchor="end" '
            f'fill="currentColor">{escape(label)}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{length}" height="{BAR_H - 4}" fill="{MARK}"/>'
            f'<text x="{LABEL_W + length + 4}" y="{y + BAR_H - 8}" '
            f'fill="currentColor">{value}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


STRIP_W = 760
STRIP_H = 44


def strip(
    turns: int, marks: Sequence[tuple[int, str]], *, ident: str, title: str, desc: str
) -> str:
    """An interview's turns 1..``turns`` along a line, a mark at each coded turn.

    ``marks`` holds (turn position, the codes applied in it, as text).
    """
    parts = [_head(ident, title, desc, STRIP_W, STRIP_H)]
    left, right = 10, STRIP_W - 10
    parts.append(
        f'<line x1="{left}" y1="{STRIP_H // 2}" x2="{right}" y2="{STRIP_H // 2}" '
        f'stroke="currentColor" stroke-width="1"/>'
    )
    span = max(turns - 1, 1)
    for position, codes in marks:
        x = left + (right - left) * (position - 1) / span
        parts.append(
            f'<rect class="mark" data-turn="{position}" x="{x - 2:.1f}" y="6" width="4" '
            f'height="{STRIP_H - 12}" fill="{MARK}"><title>Turn {position}: '
            f"{escape(codes)}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)
