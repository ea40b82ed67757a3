"""The landing page ``/`` (what the dataset is, where it comes from, how much it holds, its
pictures), the quote search ``/search`` and the catalogue ``/catalogue``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, current_app, render_template, request

from qikg.kg.store import Store
from qikg.queries import named_queries
from qikg.queries.params import ParameterError
from qikg.queries.run import StoreExecutor, run

from .figures import bars_svg, heatmap_svg, memo_issue_frequency, memo_issue_phase
from .linkeddata import dataset_citation, local_link, schema_org_script
from .memo import memo_for
from .page_links import in_context
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
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
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

INTERVIEWS_QUERY = """SELECT ?i ?number WHERE { ?i a qikg:Interview ; qikg:interviewNumber ?number }
ORDER BY ?number"""

MAX_SEARCH_ROWS = 50
"""The most quotes a search page lists."""

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


def select(
    store: Store, query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None
) -> list[dict[str, str]]:
    """Run a SELECT on ``store`` (variables bound to ``bindings``); each row maps a variable to
    its value's lexical form."""
    result = store.query(_PREFIXES + query, bindings=bindings)
    data = json.loads(store.serialize_result(result, "application/sparql-results+json"))
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def counts(store: Store) -> dict[str, int]:
    """The figures shown on the landing page, counted in the store."""
    figures = {}
    for label, query in COUNT_QUERIES.items():
        rows = select(store, query)
        figures[label] = int(rows[0]["n"]) if rows else 0
    return figures


def landing_figures(store: Store) -> dict[str, object]:
    """What the landing page shows of the data: its counts, lists and charts."""
    studies = sorted({row["title"] for row in select(store, STUDIES_QUERY)})
    documents = [
        DocumentRow(row["doc"], row.get("title", row["doc"]), _KIND_LABELS.get(row["class"], ""))
        for row in select(store, DOCUMENTS_QUERY)
    ]
    return {
        "counts": counts(store),
        "triples": store.triple_count(),
        "graphs": len(store.named_graphs()),
        "studies": studies,
        "documents": documents,
        "interviews": [
            (int(r["number"]), local_link(r["i"])) for r in select(store, INTERVIEWS_QUERY)
        ],
        "heatmap": heatmap_svg(memo_issue_phase(store)),
        "bars": bars_svg(memo_issue_frequency(store)),
    }


@bp.route("/", methods=["GET"])
def landing() -> str:
    state = state_of(current_app)
    config = current_app.config
    return render_template(
        "index.html",
        title=config["DATASET_TITLE"],
        citation=config["DATASET_CITATION"],
        doi=config["DATASET_DOI"],
        terms=TERMS_OF_USE,
        base_iri=config["BASE_IRI"],
        endpoint=endpoint_url(),
        example_query=EXAMPLE_QUERY,
        max_rows=config["MAX_RESULT_ROWS"],
        dataset_jsonld=schema_org_script(),
        dataset_citation=dataset_citation(),
        **memo_for(state, state.store).get("landing", landing_figures),
    )


@bp.route("/search", methods=["GET"])
def search() -> tuple[str, int]:
    """The quotes containing the words of ``q`` (the quote-search named query), at most
    :data:`MAX_SEARCH_ROWS`; an empty or unusable query is answered with what to do."""
    text = request.args.get("q", "")
    mode = request.args.get("mode", "all")
    values = {"q": text, "mode": mode}
    if request.args.get("lang"):
        values["lang"] = request.args["lang"]
    error = None
    status = 200
    rows: list[dict[str, object]] = []
    total = 0
    if not text.strip():
        error = "Type one or more words to search the quotes for."
    else:
        try:
            table = run(
                named_queries()["quote-search"], values, StoreExecutor(state_of(current_app).store)
            )
        except ParameterError as err:
            error, status = f"The search cannot run: {err}", 400
        else:
            total = len(table.rows)
            for rec in table.records()[:MAX_SEARCH_ROWS]:
                links = {
                    "excerpt_link": local_link(str(rec["excerpt"])),
                    "context_link": in_context(str(rec["turn"])),
                }
                rows.append({**rec, **links})
    return (
        render_template(
            "search.html",
            title="Search the quotes",
            q=text,
            mode=mode,
            rows=rows,
            total=total,
            error=error,
            max_rows=MAX_SEARCH_ROWS,
        ),
        status,
    )


@bp.route("/catalogue", methods=["GET"])
def catalogue() -> str:
    """The catalogue of quality issues (the HTML page of the catalogue's IRI too)."""
    from .resource_pages import catalogue_page

    return catalogue_page()
