"""Writing a named query's answer: JSON, CSV a spreadsheet opens, and a plain-text table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from .run import Cell, Table

__all__ = ["CSV_MEDIA_TYPE", "JSON_MEDIA_TYPE", "to_csv", "to_json", "to_text"]

JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"
TEXT_WIDTH = 60
"""The widest cell of a plain-text table; longer text is cut and ends with an ellipsis."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(table: Table, meta: Mapping[str, Any] | None = None) -> bytes:
    """The answer as a JSON object: ``meta`` fields, then ``columns``, ``rows`` (objects by
    column name), and ``notes``."""
    doc: dict[str, Any] = dict(meta or {})
    doc["columns"] = list(table.columns)
    doc["rows"] = table.records()
    doc["notes"] = list(table.notes)
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    # A text starting like a formula would be run by a spreadsheet: a quote mark keeps it text.
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(table: Table, *, bom: bool = True) -> bytes:
    """RFC 4180 CSV in UTF-8, a header row, CRLF line ends; with a byte-order mark unless
    ``bom`` is false (spreadsheets need it to read the accents). Text that a spreadsheet would
    take for a formula starts with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def _text_cell(value: Cell) -> str:
    if value is None:
        return ""
    text = " ".join(value.split()) if isinstance(value, str) else _csv_cell(value)
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "\u2026"


def to_text(table: Table) -> str:
    """A plain-text table for a terminal: columns aligned, long text cut, notes after it."""
    cells = [[_text_cell(v) for v in row] for row in table.rows]
    widths = [len(c) for c in table.columns]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.append(f"({len(table.rows)} row{'s' if len(table.rows) != 1 else ''})")
    lines += [f"note: {n}" for n in table.notes]
    return "\n".join(lines)
