"""The page of an interview: its participant's profile, a coding strip, and one of its
documents with coded spans marked, chosen by the ``document`` parameter."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app, render_template, request

from qikg.kg.store import Store

from .charts import strip
from .linkeddata import local_link
from .page_links import Alternates, in_context
from .pages import select
from .state import state_of

QIKG = "https://w3id.org/qikg/ontology#"

DOCUMENTS = """SELECT ?i ?doc ?title ?class WHERE {
  ?doc qikg:ofInterview ?i ; a ?class .
  VALUES ?class { qikg:ModeratedCoding qikg:Coding qikg:Transcript }
  OPTIONAL { ?doc dcterms:title ?title }
} ORDER BY ?doc"""

CODED = """SELECT ?doc (COUNT(DISTINCT ?p) AS ?n) WHERE {
  ?e qikg:inDocument ?doc ; qikg:hasCode ?c ; qikg:excerptOf ?p .
} GROUP BY ?doc"""

PARAGRAPHS = """SELECT ?doc ?para ?tp ?speaker ?role ?pp ?text WHERE {
  ?para qikg:inDocument ?doc ; qikg:inTurn ?turn ; qikg:position ?pp ; qikg:text ?text .
  ?turn qikg:position ?tp ; qikg:speakerLabel ?speaker ; qikg:speakerRole ?roleNode .
  BIND(LCASE(STRAFTER(STR(?roleNode), "#Role")) AS ?role)
} ORDER BY ?tp ?pp"""

EXCERPTS = """SELECT ?doc ?e ?para ?quote WHERE {
  ?e qikg:inDocument ?doc ; qikg:excerptOf ?para ; qikg:quote ?quote .
}"""

CODES = """SELECT ?doc ?e ?notation ?code WHERE {
  ?e qikg:inDocument ?doc ; qikg:hasCode ?code . ?code skos:notation ?notation .
} ORDER BY ?notation"""

SPANS = """SELECT ?doc ?e ?exact WHERE {
  ?e qikg:inDocument ?doc ; oa:hasTarget/oa:hasSelector ?s .
  ?s a oa:TextQuoteSelector ; oa:exact ?exact .
}"""

PROFILE = """SELECT ?i ?field ?text ?turn WHERE {
  ?i qikg:interviewee ?p . ?p qikg:profileValue ?v .
  ?v qikg:profileField ?field ; qikg:profileText ?text .
  OPTIONAL { ?v qikg:evidence ?turn }
} ORDER BY ?v"""


@dataclass
class Paragraph:
    position: int
    segments: list[tuple[str, bool]]
    excerpt_link: str | None = None
    codes: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Turn:
    position: int
    speaker: str
    role: str
    paragraphs: list[Paragraph] = field(default_factory=list)

    @property
    def coded(self) -> bool:
        return any(p.codes for p in self.paragraphs)


def segments(text: str, spans: list[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) at the first place each span occurs; the whole
    text is highlighted when no span is found in it (the paragraph is the coded unit)."""
    marks: list[tuple[int, int]] = []
    for span in spans:
        at = text.find(span) if span else -1
        if at >= 0 and not any(a < at + len(span) and at < b for a, b in marks):
            marks.append((at, at + len(span)))
    if not marks:
        return [(text, True)]
    out: list[tuple[str, bool]] = []
    last = 0
    for a, b in sorted(marks):
        if a > last:
            out.append((text[last:a], False))
        out.append((text[a:b], True))
        last = b
    if last < len(text):
        out.append((text[last:], False))
    return out


@dataclass(frozen=True)
class Document:
    iri: str
    slug: str
    title: str
    kind: str
    coded: int


_KINDS = {
    QIKG + "ModeratedCoding": "moderated coding",
    QIKG + "Coding": "coding",
    QIKG + "Transcript": "transcript",
}


_ORDER = ("moderated coding", "coding", "transcript")


def documents(store: Store, interview: str) -> list[Document]:
    """The interview's documents: moderated codings first, then codings, then transcripts."""
    found = []
    for r in select(store, DOCUMENTS, {"i": ox.NamedNode(interview)}):
        coded = select(store, CODED, {"doc": ox.NamedNode(r["doc"])})
        found.append(
            Document(
                r["doc"],
                r["doc"].rsplit("/", 1)[-1],
                r.get("title", r["doc"]),
                _KINDS[r["class"]],
                int(coded[0]["n"]) if coded else 0,
            )
        )
    return sorted(found, key=lambda d: (_ORDER.index(d.kind), d.slug))


def turns_of(store: Store, document: str) -> list[Turn]:
    """The document's turns and paragraphs, coded spans and codes attached."""
    node = {"doc": ox.NamedNode(document)}
    codes: dict[str, list[tuple[str, str | None]]] = {}
    for r in select(store, CODES, node):
        codes.setdefault(r["e"], []).append((r["notation"], local_link(r["code"])))
    spans: dict[str, list[str]] = {}
    for r in select(store, SPANS, node):
        spans.setdefault(r["e"], []).append(r["exact"])
    excerpts = {r["para"]: (r["e"], r["quote"]) for r in select(store, EXCERPTS, node)}
    turns: dict[int, Turn] = {}
    for r in select(store, PARAGRAPHS, node):
        tp = int(r["tp"])
        turn = turns.setdefault(tp, Turn(tp, r["speaker"], r["role"]))
        excerpt, quote = excerpts.get(r["para"], ("", ""))
        if excerpt and codes.get(excerpt):
            marked = spans.get(excerpt) or [quote]
            para = Paragraph(int(r["pp"]), segments(r["text"], marked), local_link(excerpt))
            para.codes = codes[excerpt]
        else:
            para = Paragraph(int(r["pp"]), [(r["text"], False)])
        turn.paragraphs.append(para)
    return [turns[k] for k in sorted(turns)]


def interview_page(iri: str, alternates: Alternates) -> tuple[str, int]:
    """An interview: its participant's profile, a coding strip, and a document's transcript
    with coded spans marked, the document chosen by the ``document`` parameter."""
    store = state_of(current_app).store
    docs = documents(store, iri)
    number = iri.rstrip("/").rsplit("/", 1)[-1]
    wanted = request.args.get("document", "").strip()
    status = 200
    error = None
    chosen = next((d for d in docs if d.slug == wanted), None) if wanted else None
    if wanted and chosen is None:
        status = 400
        error = (
            f"The document parameter {wanted!r} names no document of interview {number}; "
            f"choose one of: {', '.join(d.slug for d in docs)}."
        )
    if chosen is None and docs:
        coded = [d for d in docs if d.coded]
        chosen = coded[0] if coded else docs[0]
    turns = turns_of(store, chosen.iri) if chosen else []
    marks = [
        (t.position, " ".join(n for p in t.paragraphs for n, _ in p.codes))
        for t in turns
        if t.coded
    ]
    picture = strip(
        len(turns),
        marks,
        ident="coding-strip",
        title=f"Coded turns of {chosen.title if chosen else 'the interview'}",
        desc=(
            f"The {len(turns)} turns of the document along a line, first on the left; "
            f"a mark at each of the {len(marks)} turns with coded paragraphs. The coded turns "
            "are listed with their codes below the picture."
        ),
    )
    profile = [
        (r["field"], r["text"], in_context(r["turn"]) if r.get("turn") else None)
        for r in select(store, PROFILE, {"i": ox.NamedNode(iri)})
    ]
    shown = {"docs": docs, "chosen": chosen, "turns": turns, "marks": marks, "strip": picture}
    page = render_template(
        "interview.html",
        title=f"Interview {number}",
        iri=iri,
        alternates=alternates,
        error=error,
        profile=profile,
        **shown,
    )
    return page, status
