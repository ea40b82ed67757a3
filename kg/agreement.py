"""Agreement between the two coders of an interview: Cohen's kappa at paragraph level.

Pure functions over plain values; the named query ``coder-agreement`` feeds them the
paragraphs and codes of each coding of the interviews that two coders coded.

* **Units.** A unit is a paragraph, taken from the two coders' documents of one interview. The
  documents are aligned by (turn, paragraph) position when both have exactly the same positions;
  otherwise by their normalised text (:func:`align`), and the table's ``alignment`` column and
  notes say so. Paragraphs left without a partner are not units.
* **Per code.** For each code either coder applied in the interview, the 2x2 table over the units
  (``both``, ``only_a``, ``only_b``, ``neither``) and Cohen's kappa
  ``(p_o - p_e) / (1 - p_e)`` with ``p_o = (both + neither) / n`` and
  ``p_e = ((both + only_a)(both + only_b) + (only_b + neither)(only_a + neither)) / n^2``.
  Kappa is undefined (None) when ``p_e`` is 1.
* **Overall.** The pooled kappa: the per-code tables summed, then the same formula.
* **What moderation kept.** For each coder, the share of their (unit, code) pairs that the
  moderated coding of the interview also has (the moderated document aligned to the coder's in
  the same way); None when the moderated coding carries no codes or is missing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGREEMENT_COLUMNS",
    "ALL_CODES",
    "Coding",
    "Counts",
    "agreement_rows",
    "align",
    "cohen_kappa",
    "counts",
    "normalise",
]

Key = tuple[int, int]
"""A paragraph's position: (turn, paragraph within the turn), both 1-based."""
ALL_CODES = "(all codes)"
"""The ``code`` of the row that pools every code of an interview."""
AGREEMENT_COLUMNS = (
    "interview_no",
    "code",
    "coder_a",
    "coder_b",
    "paragraphs",
    "both",
    "only_a",
    "only_b",
    "neither",
    "kappa",
    "moderator",
    "kept_a",
    "kept_b",
    "alignment",
)
"""The columns of :func:`agreement_table`."""


@dataclass
class Coding:
    """One coded document of an interview: who made it, its paragraphs and their codes."""

    person: str
    kind: str  # "coding" or "moderation"
    texts: dict[Key, str] = field(default_factory=dict)
    codes: dict[Key, set[str]] = field(default_factory=dict)

    @property
    def pairs(self) -> set[tuple[Key, str]]:
        """Every (paragraph, code) this coding applies."""
        return {(k, c) for k, codes in self.codes.items() for c in codes}


@dataclass(frozen=True)
class Counts:
    """A 2x2 table of two coders' decisions over the same units."""

    both: int = 0
    only_a: int = 0
    only_b: int = 0
    neither: int = 0

    @property
    def n(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.both + other.both,
            self.only_a + other.only_a,
            self.only_b + other.only_b,
            self.neither + other.neither,
        )


def cohen_kappa(t: Counts) -> float | None:
    """Cohen's kappa of a 2x2 table; None where it is undefined (no units, or p_e = 1)."""
    n = t.n
    if n == 0:
        return None
    p_o = (t.both + t.neither) / n
    p_e = (
        (t.both + t.only_a) * (t.both + t.only_b) + (t.only_b + t.neither) * (t.only_a + t.neither)
    ) / (n * n)
    if p_e >= 1:
        return None
    return (p_o - p_e) / (1 - p_e)


def counts(
    units: Iterable[Key], a: Mapping[Key, set[str]], b: Mapping[Key, set[str]], code: str
) -> Counts:
    """The 2x2 table of ``code`` over ``units``; ``b`` is keyed by the same units."""
    both = only_a = only_b = neither = 0
    for unit in units:
        in_a = code in a.get(unit, ())
        in_b = code in b.get(unit, ())
        if in_a and in_b:
            both += 1
        elif in_a:
            only_a += 1
        elif in_b:
            only_b += 1
        else:
            neither += 1
    return Counts(both, only_a, only_b, neither)


def normalise(text: str) -> str:
    """Paragraph text for comparison: case, accents, punctuation and spacing folded."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\W_]+", " ", folded).strip()


def align(first: Coding, second: Coding) -> tuple[dict[Key, Key], str, int]:
    """Pair ``first``'s paragraphs with ``second``'s.

    Returns the pairs, the method (``position`` when both documents have the same paragraph
    positions, else ``text``) and how many paired paragraphs differ in normalised text.
    """
    if set(first.texts) == set(second.texts):
        pairs = {k: k for k in first.texts}
        method = "position"
    else:
        a_keys = sorted(first.texts)
        b_keys = sorted(second.texts)
        matcher = difflib.SequenceMatcher(
            None,
            [normalise(first.texts[k]) for k in a_keys],
            [normalise(second.texts[k]) for k in b_keys],
            autojunk=False,
        )
        pairs = {}
        for block in matcher.get_matching_blocks():
            for i in range(block.size):
                pairs[a_keys[block.a + i]] = b_keys[block.b + i]
        method = "text"
    differing = sum(
        1 for k, v in pairs.items() if normalise(first.texts[k]) != normalise(second.texts[v])
    )
    return pairs, method, differing


def _codings(records: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, Coding]]:
    """Group the query's rows: interview number, then document, then paragraphs and codes."""
    out: dict[int, dict[str, Coding]] = {}
    for r in records:
        docs = out.setdefault(int(r["interview_no"]), {})
        doc = docs.get(str(r["document"]))
        if doc is None:
            doc = docs[str(r["document"])] = Coding(str(r["person"]), str(r["kind"]))
        key = (int(r["turn"]), int(r["paragraph"]))
        doc.texts[key] = str(r["text"])
        if r.get("notation"):
            doc.codes.setdefault(key, set()).add(str(r["notation"]))
    return out


def _kept(
    coder: Coding, to_moderation: dict[Key, Key], moderation: Coding | None, code: str | None
) -> float | None:
    """The share of ``coder``'s (paragraph, code) pairs, of one code or all, that moderation has."""
    if moderation is None or not moderation.codes:
        return None
    mine = {(k, c) for k, c in coder.pairs if code is None or c == code}
    if not mine:
        return None
    kept = sum(
        1 for k, c in mine if k in to_moderation and c in moderation.codes.get(to_moderation[k], ())
    )
    return kept / len(mine)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _interview(number: int, docs: Mapping[str, Coding]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows and notes of one interview (see :func:`agreement_rows`)."""
    coders = sorted(
        (d for d in docs.values() if d.kind == "coding" and d.codes), key=lambda d: d.person
    )
    if len(coders) != 2:
        return [], [f"Interview {number}: {len(coders)} coders' codings carry codes; skipped"]
    a, b = coders
    pairs, method, differing = align(a, b)
    note = f"Interview {number}: {a.person} and {b.person} aligned by {method}"
    note += f", {len(pairs)} paragraphs"
    if differing:
        note += f" ({differing} differ in wording)"
    left_out = len(a.texts) + len(b.texts) - 2 * len(pairs)
    if left_out:
        note += f"; {left_out} paragraph(s) without a partner left out"
    notes = [note]
    moderations = [d for d in docs.values() if d.kind == "moderation"]
    moderation = moderations[0] if len(moderations) == 1 else None
    to_mod_a: dict[Key, Key] = {}
    to_mod_b: dict[Key, Key] = {}
    if moderation is None:
        notes.append(f"Interview {number}: no single moderated coding")
    else:
        to_mod_a, method_a, _ = align(a, moderation)
        to_mod_b, method_b, _ = align(b, moderation)
        if not moderation.codes:
            notes.append(
                f"Interview {number}: the moderated coding ({moderation.person}) has no codes"
            )
        elif "text" in (method_a, method_b):
            notes.append(f"Interview {number}: the moderated coding aligned by text")
    units = sorted(pairs)
    b_by_unit = {k: b.codes.get(v, set()) for k, v in pairs.items()}
    codes = sorted({c for _, c in a.pairs} | {c for _, c in b.pairs})
    tables = {code: counts(units, a.codes, b_by_unit, code) for code in codes}
    rows = []
    for code, table in [(ALL_CODES, sum(tables.values(), Counts())), *tables.items()]:
        which = None if code == ALL_CODES else code
        rows.append(
            {
                "interview_no": number,
                "code": code,
                "coder_a": a.person,
                "coder_b": b.person,
                "paragraphs": table.n,
                "both": table.both,
                "only_a": table.only_a,
                "only_b": table.only_b,
                "neither": table.neither,
                "kappa": _round(cohen_kappa(table)),
                "moderator": None if moderation is None else moderation.person,
                "kept_a": _round(_kept(a, to_mod_a, moderation, which)),
                "kept_b": _round(_kept(b, to_mod_b, moderation, which)),
                "alignment": method,
            }
        )
    return rows, notes


def agreement_rows(
    records: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Kappa per code and pooled, and what moderation kept, for each two-coder interview.

    ``records`` hold ``interview_no``, ``document``, ``kind`` (coding or moderation),
    ``person``, ``turn``, ``paragraph``, ``text`` and ``notation`` (empty for a paragraph
    without codes). Returns the rows (see :data:`AGREEMENT_COLUMNS`), pooled row first in
    each interview, and notes on how each interview was aligned.
    """
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for number, docs in sorted(_codings(records).items()):
        more_rows, more_notes = _interview(number, docs)
        rows += more_rows
        notes += more_notes
    return rows, notes
