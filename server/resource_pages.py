"""The HTML pages of codes, interviews, coded excerpts and the catalogue.

The linked-data layer hands the HTML representation of these resources here (their RDF
representations stay as they are); every other resource keeps the generic page. Everything is
read from the store by SPARQL, and the templates escape whatever comes from transcripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app, render_template, request
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from qikg.kg.store import Store
from qikg.queries import named_queries
from qikg.queries.run import StoreExecutor, run

from . import code_evidence
from .charts import strip
from .citation import cite_line
from .linkeddata import local_link
from .pages import select
from .state import state_of

QIKG = "https://w3id.org/qikg/ontology#"
CODE_KINDS = {
    QIKG + kind
    for kind in (
        "QualityIssue",
        "Mitigation",
        "GenericMitigation",
        "CodeFamily",
        "DataCollectionTechnique",
        "PositiveFinding",
        "CodingNote",
        "UncuratedCode",
    )
}

PARTICIPANT_ROLES = """SELECT ?number ?role WHERE {
  ?i qikg:interviewNumber ?number ; qikg:interviewee ?p .
  ?p qikg:profileValue ?v . ?v qikg:profileField "role" ; qikg:profileText ?role .
}"""


def _store() -> Store:
    return state_of(current_app).store


def participant_roles(store: Store) -> dict[int, str]:
    """Each interview's participant role as the participants' profiles state it."""
    return {int(r["number"]): r["role"] for r in select(store, PARTICIPANT_ROLES)}


def in_context(turn_iri: str) -> str | None:
    """The interview page showing ``turn_iri``'s document, scrolled to the turn."""
    document, _, position = turn_iri.rpartition("/turn/")
    interview, _, slug = document.rpartition("/")
    link = local_link(interview)
    if link is None or not position:
        return None
    return f"{link}.html?document={slug}#turn-{position}"


@dataclass(frozen=True)
class Quote:
    text: str
    excerpt: str
    excerpt_link: str | None
    context_link: str | None
    interview: int
    speaker: str
    role: str
    question: str
    question_text: str
    coder: str
    cite: str


def _quote(rec: Mapping[str, str], roles: dict[int, str]) -> Quote:
    interview = int(rec["number"])
    excerpt = rec["excerpt"]
    return Quote(
        text=rec["quote"],
        excerpt=excerpt,
        excerpt_link=local_link(excerpt),
        context_link=in_context(rec["turn"]),
        interview=interview,
        speaker=rec["speaker"],
        role=rec["role"],
        question=rec["question"],
        question_text=rec["question_text"],
        coder=f"{rec.get('coder', 'unknown')} ({rec['coding']})",
        cite=cite_line(
            current_app.config,
            label=rec["speaker"],
            role=rec["role"],
            interview=interview,
            participant_role=roles.get(interview),
            permalink=excerpt,
        ),
    )


Alternates = list[tuple[str, str, str]]
"""The other representations of a resource: (label, link, media type)."""


def code_page(iri: str, alternates: Alternates) -> str:
    """A code: its definition, family, kind, phases and mappings, and every quote behind it."""
    store = _store()
    rows = [
        (
            f["field"],
            f["value"],
            f.get("value_label"),
            local_link(f["value"]) if f["value"].startswith("http") else None,
        )
        for f in code_evidence.facts(store, iri)
    ]
    notation = next((value for name, value, _, _ in rows if name == "notation"), iri)
    label = next((value for name, value, _, _ in rows if name == "label"), notation)
    roles = participant_roles(store)
    quotes = [_quote(rec, roles) for rec in code_evidence.evidence(store, iri)]
    return render_template(
        "code.html",
        title=f"{label} ({notation})",
        iri=iri,
        rows=rows,
        quotes=quotes,
        alternates=alternates,
    )


EXCERPT = """SELECT ?e ?quote ?turn ?tp ?pp ?speaker ?role ?number ?doc ?docTitle ?coder
       ?code ?notation ?label WHERE {
  ?e qikg:quote ?quote ; qikg:excerptOf ?para ; qikg:inDocument ?doc .
  ?para qikg:inTurn ?turn ; qikg:position ?pp .
  ?turn qikg:position ?tp ; qikg:speakerLabel ?speaker ; qikg:speakerRole ?roleNode .
  BIND(LCASE(STRAFTER(STR(?roleNode), "#Role")) AS ?role)
  ?doc qikg:ofInterview ?i ; dcterms:title ?docTitle .
  ?i qikg:interviewNumber ?number .
  OPTIONAL { ?e prov:wasAttributedTo/foaf:name ?coder }
  OPTIONAL { ?e qikg:hasCode ?code . ?code skos:notation ?notation ; skos:prefLabel ?label }
} ORDER BY ?notation"""


def excerpt_page(iri: str, alternates: Alternates) -> str | None:
    """One coded excerpt: its words, codes, where it was said, its permalink and citation."""
    store = _store()
    found = select(
        store,
        EXCERPT,
        {"e": ox.NamedNode(iri)},
    )
    if not found:
        return None
    first = found[0]
    number = int(first["number"])
    codes = [(r["notation"], r["label"], local_link(r["code"])) for r in found if r.get("notation")]
    cite = cite_line(
        current_app.config,
        label=first["speaker"],
        role=first["role"],
        interview=number,
        participant_role=participant_roles(store).get(number),
        permalink=iri,
    )
    return render_template(
        "excerpt.html",
        title=f"Excerpt {first['tp']}.{first['pp']} of {first['docTitle']}",
        iri=iri,
        quote=first["quote"],
        speaker=first["speaker"],
        role=first["role"],
        number=number,
        document=first["docTitle"],
        coder=first.get("coder", ""),
        context_link=in_context(first["turn"]),
        codes=codes,
        cite=cite,
        alternates=alternates,
    )


# -- the interview page ---------------------------------------------------------------------

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
    store = _store()
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


# -- the catalogue --------------------------------------------------------------------------

MAPPINGS = """SELECT ?issue ?code ?notation ?match WHERE {
  ?code ?m ?issue ; skos:notation ?notation . ?issue a qikg:CatalogueIssue .
  VALUES (?m ?match) { (skos:exactMatch "exact") (skos:closeMatch "close")
    (skos:narrowMatch "narrow") (skos:broadMatch "broad") (skos:relatedMatch "related") }
} ORDER BY ?notation"""


@dataclass
class Issue:
    id: str
    label: str
    iri: str
    link: str | None
    phases: str
    paragraphs: int
    interviews: int
    codes: list[tuple[str, str, str | None]] = field(default_factory=list)


def catalogue_page(alternates: Alternates | None = None) -> str:
    """The catalogued issues by quality dimension, with counts and links to their codes."""
    store = _store()
    records = run(named_queries()["catalogue"], {}, StoreExecutor(store)).records()
    mapped: dict[str, list[tuple[str, str, str | None]]] = {}
    for r in select(store, MAPPINGS):
        mapped.setdefault(r["issue"], []).append((r["notation"], r["match"], local_link(r["code"])))
    dimensions: dict[str, list[Issue]] = {}
    for rec in records:
        iri = str(rec["issue"])
        dimensions.setdefault(str(rec["quality_dimension"]), []).append(
            Issue(
                str(rec["id"]),
                str(rec["issue_label"]),
                iri,
                local_link(iri),
                str(rec["phases"] or ""),
                int(rec["paragraphs"] or 0),
                int(rec["interviews"] or 0),
                mapped.get(iri, []),
            )
        )
    total = sum(len(v) for v in dimensions.values())
    return render_template(
        "catalogue.html",
        title="Catalogue of quality issues",
        dimensions=dimensions,
        total=total,
        alternates=alternates or [],
    )


def rich_page(
    graph: Graph, iri: str, alternates: list[tuple[str, str, str]]
) -> tuple[str, int] | None:
    """The page of ``iri`` if it is a code, an interview, a coded excerpt or the catalogue."""
    subject = URIRef(iri)
    types = {str(t) for t in graph.objects(subject, RDF.type)}
    if types & CODE_KINDS:
        return code_page(iri, alternates), 200
    if QIKG + "Interview" in types:
        return interview_page(iri, alternates)
    if QIKG + "CodedExcerpt" in types:
        page = excerpt_page(iri, alternates)
        if page is not None:
            return page, 200
    if QIKG + "Catalogue" in types:
        return catalogue_page(alternates), 200
    return None
