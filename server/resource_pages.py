"""The HTML pages of codes, interviews (:mod:`.interview_page`), coded excerpts and the catalogue.

The linked-data layer hands the HTML representation of these resources here (their RDF
representations stay as they are); every other resource keeps the generic page. Everything is
read from the store by SPARQL, and the templates escape whatever comes from transcripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app, render_template
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from qikg.kg.store import Store
from qikg.queries import named_queries
from qikg.queries.run import StoreExecutor, run

from . import code_evidence
from .citation import cite_line
from .interview_page import interview_page
from .linkeddata import local_link
from .page_links import Alternates, in_context
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
