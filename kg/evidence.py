"""Evidence in the canonical text: redaction of speech and anchoring of quotes.

Both work on model objects: redaction returns a new document whose texts (and span offsets)
follow the policy's replacements; anchoring finds each quote of a coded document in the
interview's plain transcript (itself redacted the same way), see :mod:`qikg.kg.anchor`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from .anchor import Anchor, anchor_all
from .audit import Policy, redact
from .model import Document, Paragraph, Span

SpanKey = tuple[int, int, int]
"""(turn, paragraph, span), all 1-based; span 1 is the whole paragraph when it has no spans."""


@dataclass(frozen=True)
class Redacted:
    """A document after redaction, and the replacements made in it."""

    document: Document
    replacements: tuple[tuple[str, str], ...]


def redact_text(text: str, policy: Policy) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with the policy's replacements, and the (original, replacement) pairs."""
    return redact(text, policy)


def _redact_paragraph(para: Paragraph, policy: Policy) -> tuple[Paragraph, list[tuple[str, str]]]:
    cuts = sorted({0, len(para.text), *(x for s in para.spans for x in (s.start, s.end))})
    pieces: list[str] = []
    pairs: list[tuple[str, str]] = []
    moved: dict[int, int] = {}
    length = 0
    for a, b in pairwise(cuts):
        moved[a] = length
        new, found = redact(para.text[a:b], policy)
        pieces.append(new)
        pairs.extend(found)
        length += len(new)
    moved[len(para.text)] = length
    if not pairs:
        return para, []
    text = "".join(pieces)
    spans = tuple(
        Span(moved[s.start], moved[s.end], text[moved[s.start] : moved[s.end]]) for s in para.spans
    )
    return replace(para, text=text, spans=spans), pairs


def redact_document(doc: Document, policy: Policy) -> Redacted:
    """Apply the policy's replacements to every paragraph (and span) of ``doc``."""
    pairs: list[tuple[str, str]] = []
    turns = []
    for turn in doc.turns:
        paras = []
        for para in turn.paragraphs:
            new, found = _redact_paragraph(para, policy)
            paras.append(new)
            pairs.extend(found)
        turns.append(replace(turn, paragraphs=tuple(paras)))
    if not pairs:
        return Redacted(doc, ())
    return Redacted(replace(doc, turns=tuple(turns)), tuple(pairs))


def quotes(doc: Document) -> list[tuple[SpanKey, str]]:
    """The evidence of a coded document in order: each span, or each whole coded paragraph."""
    out: list[tuple[SpanKey, str]] = []
    for t, turn in enumerate(doc.turns, 1):
        for p, para in enumerate(turn.paragraphs, 1):
            if not para.coded:
                continue
            if para.spans:
                out.extend(((t, p, k), s.text) for k, s in enumerate(para.spans, 1))
            else:
                out.append(((t, p, 1), para.text))
    return out


def anchor_document(doc: Document, canonical: str) -> dict[SpanKey, Anchor | None]:
    """Anchor every quote of ``doc`` in ``canonical``; None where a quote cannot be found."""
    found = quotes(doc)
    anchors = anchor_all([q for _, q in found], canonical)
    return {key: a for (key, _), a in zip(found, anchors, strict=True)}
