"""The store layer: loading, dataset semantics, serialising results, the row limit, the scanner."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

from qikg.errors import StoreError
from qikg.kg.sparql_scan import RefusedQuery, check_no_service
from qikg.kg.store import (
    OxigraphStore,
    QuerySyntaxError,
    ReadOnlyOpener,
    ResultKind,
    Store,
    StoreOpener,
    limit_result,
    scan_query,
)

S = "https://w3id.org/qikg/cote2024"
QIKG = "https://w3id.org/qikg/ontology#"
STUDY_GRAPH = f"{S}/graph"
INTERVIEW_1_GRAPH = f"{S}/interview/1/graph"
INTERVIEW_2_GRAPH = f"{S}/interview/2/graph"
TRANSCRIPT_GRAPH = f"{S}/interview/1/transcript/graph"
CODING_GRAPH = f"{S}/interview/1/coding-amin/graph"
MODERATION_GRAPH = f"{S}/interview/2/moderation-amin/graph"
CODEBOOK_GRAPH = f"{S}/codebook/graph"
GRAPHS = sorted(
    [
        STUDY_GRAPH,
        INTERVIEW_1_GRAPH,
        INTERVIEW_2_GRAPH,
        TRANSCRIPT_GRAPH,
        CODING_GRAPH,
        MODERATION_GRAPH,
        CODEBOOK_GRAPH,
    ]
)

# A small dataset written by hand in the shape of docs/data-shape.md. Known figures:
# 2 interviews, 3 documents, 6 turns (3 + 2 + 1), 3 coded excerpts, 3 codes, 7 named graphs.
FIXTURE_TRIG = f"""\
@prefix qikg: <{QIKG}> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<{STUDY_GRAPH}> {{
  <{S}> a qikg:Study ;
    dcterms:title "Quality issues in <script>alert('study')</script> systems"@en .
}}

<{INTERVIEW_1_GRAPH}> {{
  <{S}/interview/1> a qikg:Interview ; rdfs:label "Interview 1"@en ;
    qikg:interviewNumber "1"^^xsd:positiveInteger .
}}

<{INTERVIEW_2_GRAPH}> {{
  <{S}/interview/2> a qikg:Interview ; rdfs:label "Interview 2"@en ;
    qikg:interviewNumber "2"^^xsd:positiveInteger .
}}

<{TRANSCRIPT_GRAPH}> {{
  <{S}/interview/1/transcript> a qikg:Transcript ; dcterms:title "Interview 1 - transcript" ;
    qikg:ofInterview <{S}/interview/1> .
  <{S}/interview/1/transcript/turn/1> a qikg:Turn ; qikg:position 1 ;
    qikg:inDocument <{S}/interview/1/transcript> ; qikg:text "t1 alpha"@en .
  <{S}/interview/1/transcript/turn/2> a qikg:Turn ; qikg:position 2 ;
    qikg:inDocument <{S}/interview/1/transcript> ; qikg:text "t1 beta"@en .
  <{S}/interview/1/transcript/turn/3> a qikg:Turn ; qikg:position 3 ;
    qikg:inDocument <{S}/interview/1/transcript> ; qikg:text "t1 gamma"@en .
}}

<{CODING_GRAPH}> {{
  <{S}/interview/1/coding-amin> a qikg:Coding ;
    dcterms:title "Interview 1 <script>alert('planted')</script>" ;
    qikg:ofInterview <{S}/interview/1> .
  <{S}/interview/1/coding-amin/turn/1> a qikg:Turn ; qikg:position 1 ;
    qikg:inDocument <{S}/interview/1/coding-amin> ; qikg:text "c1 delta"@en .
  <{S}/interview/1/coding-amin/turn/2> a qikg:Turn ; qikg:position 2 ;
    qikg:inDocument <{S}/interview/1/coding-amin> ;
    qikg:text "c1 \\"quoted\\", with comma\\nand a second line"@en .
  <{S}/interview/1/coding-amin/excerpt/1.1> a qikg:CodedExcerpt ;
    qikg:inDocument <{S}/interview/1/coding-amin> ; qikg:hasCode <{S}/code/data-low-quality> .
  <{S}/interview/1/coding-amin/excerpt/2.1> a qikg:CodedExcerpt ;
    qikg:inDocument <{S}/interview/1/coding-amin> ; qikg:hasCode <{S}/code/data-issues> .
}}

<{MODERATION_GRAPH}> {{
  <{S}/interview/2/moderation-amin> a qikg:ModeratedCoding ;
    dcterms:title "Interview 2 - Amin" ; qikg:ofInterview <{S}/interview/2> .
  <{S}/interview/2/moderation-amin/turn/1> a qikg:Turn ; qikg:position 1 ;
    qikg:inDocument <{S}/interview/2/moderation-amin> ; qikg:text "m2 epsilon"@en .
  <{S}/interview/2/moderation-amin/excerpt/1.1> a qikg:CodedExcerpt ;
    qikg:inDocument <{S}/interview/2/moderation-amin> ;
    qikg:hasCode <{S}/code/data-low-quality> .
}}

<{CODEBOOK_GRAPH}> {{
  <{S}/codebook> a qikg:Codebook ; skos:prefLabel "Codebook of study cote2024"@en .
  <{S}/code/data-issues> a qikg:CodeFamily ; skos:inScheme <{S}/codebook> ;
    skos:notation "Data-issues" ; skos:prefLabel "Data issues"@en .
  <{S}/code/data-low-quality> a qikg:QualityIssue ; skos:inScheme <{S}/codebook> ;
    skos:notation "Data-low-quality" ; skos:prefLabel "Data low quality"@en .
  <{S}/code/data-low-quantity> a qikg:QualityIssue ; skos:inScheme <{S}/codebook> ;
    skos:notation "Data-low-quantity" ; skos:prefLabel "Data low quantity"@en .
}}
"""

TURN_TEXTS = {
    "t1 alpha",
    "t1 beta",
    "t1 gamma",
    "c1 delta",
    'c1 "quoted", with comma\nand a second line',
    "m2 epsilon",
}
TRANSCRIPT_TEXTS = {"t1 alpha", "t1 beta", "t1 gamma"}
CODING_TEXTS = {"c1 delta", 'c1 "quoted", with comma\nand a second line'}
# Counted by hand from FIXTURE_TRIG, graph by graph: 2 + 3 + 3 + 15 + 17 + 10 + 14 statements.
FIXTURE_STATEMENTS = 64

TEXTS_QUERY = f"SELECT ?text WHERE {{ ?turn <{QIKG}text> ?text }}"


def make_store(tmp_path: Path, store: OxigraphStore | None = None) -> OxigraphStore:
    """An in-memory store (``store`` if given) loaded with the fixture through ``load_dataset``."""
    path = tmp_path / "fixture.trig"
    path.write_text(FIXTURE_TRIG, encoding="utf-8")
    store = store if store is not None else OxigraphStore()
    store.load_dataset(path)
    return store


def texts(store: Store, query: str = TEXTS_QUERY, **datasets: list[str]) -> list[str]:
    result = store.query(query, **datasets)
    data = json.loads(store.serialize_result(result, "application/sparql-results+json"))
    return [row["text"]["value"] for row in data["results"]["bindings"] if "text" in row]


@pytest.fixture
def store(tmp_path: Path) -> OxigraphStore:
    return make_store(tmp_path)


# -- loading -----------------------------------------------------------------------------------


def test_load_dataset_keeps_graph_names_and_counts(store: OxigraphStore) -> None:
    assert isinstance(store, Store)
    assert store.named_graphs() == GRAPHS
    assert store.triple_count() == FIXTURE_STATEMENTS


def test_load_file_puts_triples_in_the_given_graph(tmp_path: Path) -> None:
    ttl = tmp_path / "extra.ttl"
    ttl.write_text('<http://ex/a> <http://ex/p> "x" .\n', encoding="utf-8")
    store = OxigraphStore()
    store.load_file(ttl, graph="http://ex/g")
    store.load_file(ttl)  # into the default graph
    assert store.named_graphs() == ["http://ex/g"]
    assert store.triple_count() == 2
    rows = texts(store, "SELECT ?text WHERE { GRAPH <http://ex/g> { ?s ?p ?text } }")
    assert rows == ["x"]


def test_load_dataset_refuses_triple_formats_and_bad_files(tmp_path: Path) -> None:
    ttl = tmp_path / "graph.ttl"
    ttl.write_text("<http://ex/a> <http://ex/p> 1 .\n", encoding="utf-8")
    store = OxigraphStore()
    with pytest.raises(StoreError, match="load_file"):
        store.load_dataset(ttl)
    broken = tmp_path / "broken.trig"
    broken.write_text("<http://ex/g> { <http://ex/a> <http://ex/p> ", encoding="utf-8")
    with pytest.raises(StoreError, match=r"broken\.trig"):
        store.load_dataset(broken)
    with pytest.raises(StoreError, match="extension"):
        store.load_file(tmp_path / "no-extension")
    with pytest.raises(StoreError, match="not a valid graph IRI"):
        store.load_file(ttl, graph="not an iri")


def test_on_disk_store_reopens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "fixture.trig"
    path.write_text(FIXTURE_TRIG, encoding="utf-8")
    writable = OxigraphStore(tmp_path / "db")
    writable.load_dataset(path)
    writable.close()
    with pytest.raises(StoreError, match="closed"):
        writable.triple_count()

    store = OxigraphStore.open_read_only(tmp_path / "db")
    assert store.read_only
    assert store.triple_count() == FIXTURE_STATEMENTS
    assert set(texts(store)) == TURN_TEXTS
    with pytest.raises(StoreError, match="read-only"):
        store.load_dataset(path)


def test_a_store_on_disk_can_be_reopened_by_a_worker(tmp_path: Path) -> None:
    assert OxigraphStore().reopener() is None  # in memory: no other process can open it
    path = tmp_path / "fixture.trig"
    path.write_text(FIXTURE_TRIG, encoding="utf-8")
    writable = OxigraphStore(tmp_path / "db")
    writable.load_dataset(path)
    opener = writable.reopener()
    assert opener == ReadOnlyOpener(tmp_path / "db")
    assert isinstance(opener, StoreOpener) and not opener.needs_network
    # Read-only, beside the process that still has it open for writing.
    reopened = opener()
    assert reopened.read_only and reopened.triple_count() == FIXTURE_STATEMENTS
    assert OxigraphStore.open_read_only(tmp_path / "db").reopener() == opener
    writable.close()


def test_open_read_only_reports_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="read-only"):
        OxigraphStore.open_read_only(tmp_path / "nothing-here")


# -- dataset semantics ---------------------------------------------------------------------------


def test_default_graph_is_the_union_of_all_graphs(store: OxigraphStore) -> None:
    rows = texts(store)
    assert sorted(rows) == sorted(TURN_TEXTS)  # each triple once: it sits in one graph


def test_default_graphs_are_used_exactly(store: OxigraphStore) -> None:
    assert set(texts(store, default_graphs=[TRANSCRIPT_GRAPH])) == TRANSCRIPT_TEXTS
    both = texts(store, default_graphs=[TRANSCRIPT_GRAPH, CODING_GRAPH])
    assert set(both) == TRANSCRIPT_TEXTS | CODING_TEXTS
    # Naming only the default graph leaves no named graph to query with GRAPH.
    in_graphs = f"SELECT ?text WHERE {{ GRAPH ?g {{ ?t <{QIKG}text> ?text }} }}"
    assert texts(store, in_graphs, default_graphs=[TRANSCRIPT_GRAPH]) == []


def test_named_graphs_are_used_exactly(store: OxigraphStore) -> None:
    # Only named graphs given: the default graph is empty.
    assert texts(store, named_graphs=[CODING_GRAPH]) == []
    in_graphs = f"SELECT ?text WHERE {{ GRAPH ?g {{ ?t <{QIKG}text> ?text }} }}"
    assert set(texts(store, in_graphs, named_graphs=[CODING_GRAPH])) == CODING_TEXTS
    assert set(texts(store, in_graphs)) == TURN_TEXTS  # no dataset named: every graph


def test_the_querys_own_from_clauses_are_honoured(store: OxigraphStore) -> None:
    q = f"SELECT ?text FROM <{CODING_GRAPH}> WHERE {{ ?t <{QIKG}text> ?text }}"
    assert set(texts(store, q)) == CODING_TEXTS
    q = f"SELECT ?text FROM NAMED <{CODING_GRAPH}> WHERE {{ ?t <{QIKG}text> ?text }}"
    assert texts(store, q) == []
    # The request's dataset overrides the query's.
    q = f"SELECT ?text FROM <{CODING_GRAPH}> WHERE {{ ?t <{QIKG}text> ?text }}"
    assert set(texts(store, q, default_graphs=[TRANSCRIPT_GRAPH])) == TRANSCRIPT_TEXTS


def test_syntax_errors_carry_the_parsers_message(store: OxigraphStore) -> None:
    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        store.query("SELECT ?x WHERE { ?x ")


# -- results -------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_results_serialise_in_every_format(store: OxigraphStore) -> None:
    def ser(query: str, media_type: str) -> bytes:
        return store.serialize_result(store.query(query), media_type)

    data = json.loads(ser(TEXTS_QUERY, "application/sparql-results+json"))
    assert {b["text"]["value"] for b in data["results"]["bindings"]} == TURN_TEXTS

    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(ser(TEXTS_QUERY, "application/sparql-results+xml"))
    assert {e.text for e in root.iterfind(".//r:literal", ns)} == TURN_TEXTS

    rows = list(csv.DictReader(io.StringIO(ser(TEXTS_QUERY, "text/csv").decode())))
    assert {r["text"] for r in rows} == TURN_TEXTS

    tsv = ser(TEXTS_QUERY, "text/tab-separated-values; charset=utf-8").decode()
    assert tsv.splitlines()[0] == "?text"
    assert '"t1 alpha"@en' in tsv.splitlines()

    ask = ser(f"ASK {{ <{S}/interview/2> a <{QIKG}Interview> }}", "application/json")
    assert json.loads(ask) == {"head": {}, "boolean": True}

    construct = f"CONSTRUCT {{ ?t <{QIKG}text> ?text }} WHERE {{ ?t <{QIKG}text> ?text }}"
    for media_type, rdflib_format in [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ]:
        g = Graph().parse(data=ser(construct, media_type), format=rdflib_format)
        assert {str(o) for o in g.objects()} == TURN_TEXTS, media_type
        assert (
            URIRef(f"{S}/interview/1/transcript/turn/1"),
            URIRef(f"{QIKG}text"),
            Literal("t1 alpha", lang="en"),
        ) in g


def test_serialising_in_an_unknown_type_is_a_store_error(store: OxigraphStore) -> None:
    with pytest.raises(StoreError, match="text/turtle"):
        store.serialize_result(store.query(TEXTS_QUERY), "text/turtle")
    with pytest.raises(StoreError, match="text/csv"):
        store.serialize_result(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "text/csv")


def test_limit_result_cuts_rows_and_says_so(store: OxigraphStore) -> None:
    cut = limit_result(store.query(TEXTS_QUERY), 4)
    assert cut.kind is ResultKind.SOLUTIONS and cut.truncated
    data = json.loads(store.serialize_result(cut, "application/sparql-results+json"))
    assert data["head"]["vars"] == ["text"]
    rows = [b["text"]["value"] for b in data["results"]["bindings"]]
    assert len(rows) == 4 and set(rows) <= TURN_TEXTS

    exact = limit_result(store.query(TEXTS_QUERY), len(TURN_TEXTS))
    assert not exact.truncated
    data = json.loads(store.serialize_result(exact, "application/sparql-results+json"))
    assert {b["text"]["value"] for b in data["results"]["bindings"]} == TURN_TEXTS

    empty = limit_result(store.query("SELECT ?x WHERE { ?x a <http://ex/None> }"), 0)
    assert not empty.truncated

    ask = limit_result(store.query("ASK { ?s ?p ?o }"), 0)
    assert ask.kind is ResultKind.BOOLEAN and not ask.truncated


def test_limit_result_cuts_triples(store: OxigraphStore) -> None:
    construct = f"CONSTRUCT {{ ?t <{QIKG}text> ?text }} WHERE {{ ?t <{QIKG}text> ?text }}"
    cut = limit_result(store.query(construct), 2)
    assert cut.truncated
    g = Graph().parse(data=store.serialize_result(cut, "text/turtle"), format="turtle")
    assert len(g) == 2
    whole = limit_result(store.query(construct), 100)
    assert not whole.truncated
    g = Graph().parse(data=store.serialize_result(whole, "application/n-triples"), format="nt")
    assert len(g) == len(TURN_TEXTS)


def test_limit_result_keeps_every_kind_of_term(store: OxigraphStore) -> None:
    query = """SELECT ?iri ?blank ?typed ?lang ?unbound WHERE {
      BIND(<http://ex/a> AS ?iri) BIND(BNODE() AS ?blank)
      BIND("7"^^<http://www.w3.org/2001/XMLSchema#integer> AS ?typed)
      BIND("tab\\there"@en-GB AS ?lang)
    }"""
    data = json.loads(
        store.serialize_result(limit_result(store.query(query), 5), "application/json")
    )
    (row,) = data["results"]["bindings"]
    assert row["iri"] == {"type": "uri", "value": "http://ex/a"}
    assert row["blank"]["type"] == "bnode"
    assert row["typed"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert row["lang"] == {"type": "literal", "value": "tab\there", "xml:lang": "en-gb"}
    assert "unbound" not in row
    assert data["head"]["vars"] == ["iri", "blank", "typed", "lang", "unbound"]


# -- the scanner ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { SeRvIcE ?endpoint { ?s ?p ?o } }",
        "# a comment\nSELECT * WHERE { ?a ?b ?c FILTER(?a<?b) SERVICE<http://x/>{} }",
        'SELECT * WHERE { ?s ?p "x" . SERVICE <http://x/> { } }',
        "PREFIX ex: <http://ex/>\nSELECT * WHERE { ex:a ex:b ?c . SERVICE ex:endpoint { } }",
        "SELECT * WHERE { SERVICE\t# between\n\tSILENT # and again\n <http://x/> { } }",
        # The engine reads a keyword with no boundary after it: each of these is a SERVICE call.
        "PREFIX r: <http://x/> SELECT * WHERE { SERVICEr:x { ?s ?p ?o } }",
        "PREFIX r: <http://x/> SELECT * WHERE { serviceSILENTr:x { } }",
        "PREFIX r: <http://x/> SELECT * WHERE { ?s ?p trueSERVICEr:x { } }",
        "SELECT * WHERE { ?s ?p 1e3SERVICE <http://x/> { } }",
    ],
)
def test_scanner_finds_service(query: str) -> None:
    assert scan_query(query).uses_service
    with pytest.raises(RefusedQuery, match="SERVICE"):
        check_no_service(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/> {}" }',
        "SELECT * WHERE { ?s ?p '''a\n'SERVICE'\n''' }",
        'SELECT * WHERE { ?s ?p "say \\"SERVICE\\"" }',
        "SELECT ?service WHERE { ?service ?p ?o }",
        "PREFIX service: <http://ex/>\nSELECT * WHERE { ?s service:x ?o ; <http://x/SERVICE> ?o2 }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/>",
        'SELECT * WHERE { ?s ?p "x"@service }',
        "SELECT * WHERE { _:service ?p ?o }",
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>\n"
        "SELECT ?e WHERE { ?s a sd:Service ; sd:endpoint ?e }",
        "SELECT * WHERE { ?s a <http://schema.org/Service> }",
    ],
)
def test_scanner_ignores_service_in_strings_iris_names_and_comments(query: str) -> None:
    assert not scan_query(query).uses_service
    check_no_service(query)  # the grammar agrees: no SERVICE pattern


@pytest.mark.parametrize(
    "query",
    [
        # A '<' operator and a '#' the tokenizer takes for an IRI and its fragment: the engine
        # reads a comment, then a SERVICE call on the next line.
        "PREFIX r: <http://x/> SELECT*WHERE{?a?b?c.FILTER(?c<?b)SERVICE r:x#>\n{?s?p?o}}",
        "PREFIX r: <http://x/> SELECT*WHERE{?a?b?c.FILTER(?c<?b)SERVICE#>\nr:x{?s?p?o}}",
        # The prefix 'service' followed by ':' is the keyword where a pattern starts.
        "PREFIX : <http://x/> SELECT * WHERE { service:x { } }",
        "PREFIX : <http://x/> SELECT * WHERE { SERVICE:x { } }",
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://x/> { } } }",
        "SELECT * WHERE { ?s ?p ?o MINUS { { SERVICE ?x { } } UNION { } } }",
    ],
)
def test_the_grammar_check_finds_what_the_tokenizer_cannot(query: str) -> None:
    with pytest.raises(RefusedQuery, match="SERVICE"):
        check_no_service(query)


def test_a_query_mentioning_service_that_cannot_be_read_is_refused() -> None:
    with pytest.raises(RefusedQuery, match="could not read it"):
        check_no_service("SELECT * WHERE { ?s ?p ?o . # service\n ")
    check_no_service("SELECT * WHERE { ?s ?p ?o . ")  # no 'service': left to the engine


_SPACES = st.sampled_from([" ", "\t", "\n", "  ", " # note\n", "#x\r\n", "\n#\n\t"])
_TARGETS = st.sampled_from(["<http://127.0.0.1:1/>", "?endpoint", "ex:e", ":e", "$v"])


@settings(max_examples=150, deadline=None)
@given(
    case=st.lists(st.booleans(), min_size=7, max_size=7),
    before=_SPACES,
    after=_SPACES,
    silent=st.booleans(),
    target=_TARGETS,
    wrapper=st.sampled_from(
        [
            "{ %s }",
            "{ ?s ?p ?o . %s }",
            "{ ?s ?p ?o %s }",
            "{ OPTIONAL { %s } }",
            "{ FILTER NOT EXISTS { %s } }",
            "{ { } UNION { %s } }",
            "{ GRAPH ?g { %s } }",
            "{ BIND(1 AS ?x) %s }",
        ]
    ),
)
def test_every_spelling_of_service_is_refused(
    case: list[bool], before: str, after: str, silent: bool, target: str, wrapper: str
) -> None:
    keyword = "".join(c.upper() if up else c for c, up in zip("service", case, strict=True))
    middle = f"{before}SILENT{after}" if silent else before
    pattern = f"{keyword}{middle}{target}{after}{{ ?a ?b ?c }}"
    query = "PREFIX ex: <http://ex/>\nPREFIX : <http://ex/>\nSELECT * WHERE " + (wrapper % pattern)
    with pytest.raises(RefusedQuery):
        check_no_service(query)


def test_scanner_reads_form_update_and_dataset_clause() -> None:
    scan = scan_query(
        "BASE <http://ex/base/>\nPREFIX g: <http://ex/g/>\n"
        "# FROM <http://not/this>\n"
        "construct { ?s ?p ?o } FROM <a> FROM NAMED g:two FROM <http://ex/abs> "
        "WHERE { ?s ?p ?o }"
    )
    assert scan.form == "CONSTRUCT" and not scan.is_update
    assert scan.from_graphs == ("http://ex/base/a", "http://ex/abs")
    assert scan.from_named_graphs == ("http://ex/g/two",)
    assert scan.has_dataset_clause
    assert scan_query("ASK {}").form == "ASK"
    assert scan_query("PREFIX : <http://x/> DESCRIBE :a").form == "DESCRIBE"
    assert not scan_query("SELECT * { ?s ?p ?o }").has_dataset_clause
    assert scan_query("SELECT * FROM nope:g { }").unresolved_from == ("nope:g",)
    assert scan_query("SELECT * FROM <relative> { }").unresolved_from == ("<relative>",)
    for update in [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX ex: <http://ex/> delete where { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:1/data.ttl>",
        "load silent <http://127.0.0.1:1/data.ttl> INTO GRAPH <http://g>",
        "DROP ALL",
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ]:
        assert scan_query(update).is_update, update
        assert scan_query(update).form is None
