"""The landing page ``/``: what the dataset is, where it comes from, how much it holds."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, current_app, render_template

from qikg.kg.store import Store

from .linkeddata import dataset_citation, schema_org_script
from .sparql import endpoint_url
from .state import state_of

bp = Blueprint("pages", __name__)

TERMS_OF_USE = (
    "The replication package states no licence; its README asks that any use cite the paper."
)
"""The terms of use, exactly as the corpus states them."""

_PREFIXES = """\
PREFIX qikg: <https://w3id.org/qikg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

COUNT_QUERIES: dict[str, str] = {
    "interviews": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a qikg:Interview }",
    "documents": (
        "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { "
        "VALUES ?class { qikg:Transcript qikg:Coding qikg:ModeratedCoding } ?x a ?class }"
    ),
    "turns": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a qikg:Turn }",
    "coded excerpts": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a qikg:CodedExcerpt }",
    "codes": (
        "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { "
        "?x skos:inScheme ?scheme . ?scheme a qikg:Codebook }"
    ),
}
"""What the landing page counts, each with the query that counts it."""

STUDIES_QUERY = "SELECT ?study ?title WHERE { ?study a qikg:Study ; dcterms:title ?title } "
DOCUMENTS_QUERY = """SELECT ?doc ?title ?class WHERE {
  VALUES ?class { qikg:Transcript qikg:Coding qikg:ModeratedCoding }
  ?doc a ?class .
  OPTIONAL { ?doc dcterms:title ?title }
} ORDER BY ?title ?doc LIMIT 500"""

EXAMPLE_QUERY = """PREFIX qikg: <https://w3id.org/qikg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

SELECT ?code (COUNT(?excerpt) AS ?excerpts) WHERE {
  ?excerpt a qikg:CodedExcerpt ; qikg:hasCode ?c .
  ?c skos:prefLabel ?code .
}
GROUP BY ?code
ORDER BY DESC(?excerpts)
LIMIT 20"""

_KIND_LABELS = {
    "https://w3id.org/qikg/ontology#Transcript": "transcript",
    "https://w3id.org/qikg/ontology#Coding": "coding",
    "https://w3id.org/qikg/ontology#ModeratedCoding": "moderated coding",
}


@dataclass(frozen=True)
class DocumentRow:
    iri: str
    title: str
    kind: str

    @property
    def link(self) -> str | None:
        """The IRI as a link target, only for http(s) IRIs (never ``javascript:`` and the like)."""
        return self.iri if self.iri.startswith(("http://", "https://")) else None


def select(store: Store, query: str) -> list[dict[str, str]]:
    """Run a SELECT on ``store``; each row maps a variable to its value's lexical form."""
    result = store.query(_PREFIXES + query)
    data = json.loads(store.serialize_result(result, "application/sparql-results+json"))
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def counts(store: Store) -> dict[str, int]:
    """The figures shown on the landing page, counted in the store."""
    figures = {}
    for label, query in COUNT_QUERIES.items():
        rows = select(store, query)
        figures[label] = int(rows[0]["n"]) if rows else 0
    return figures


@bp.route("/", methods=["GET"])
def landing() -> str:
    store = state_of(current_app).store
    config = current_app.config
    studies = sorted({row["title"] for row in select(store, STUDIES_QUERY)})
    documents = [
        DocumentRow(row["doc"], row.get("title", row["doc"]), _KIND_LABELS.get(row["class"], ""))
        for row in select(store, DOCUMENTS_QUERY)
    ]
    return render_template(
        "index.html",
        title=config["DATASET_TITLE"],
        citation=config["DATASET_CITATION"],
        doi=config["DATASET_DOI"],
        terms=TERMS_OF_USE,
        base_iri=config["BASE_IRI"],
        counts=counts(store),
        triples=store.triple_count(),
        graphs=len(store.named_graphs()),
        studies=studies,
        documents=documents,
        endpoint=endpoint_url(),
        example_query=EXAMPLE_QUERY,
        max_rows=config["MAX_RESULT_ROWS"],
        dataset_jsonld=schema_org_script(),
        dataset_citation=dataset_citation(),
    )
