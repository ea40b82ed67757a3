"""Named queries: their headers, their parameters bound as values, and their answers checked
against counts made another way (the parsed documents and the curated tables, in Python)."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from qikg.kg.build import build
from qikg.kg.store import OxigraphStore
from qikg.queries import (
    MAX_TERMS,
    NamedQuery,
    NamedQueryError,
    bound_variables,
    named_queries,
    parse,
)
from qikg.queries import _projection as projection
from qikg.queries.params import ParameterError, bind, regex_escape, split_terms
from qikg.queries.run import Rows, StoreExecutor, Table, _rows, answer_columns, run, with_values

from . import study_model as sm
from .conftest import EXAMPLE, ROOT
from .test_reader_delve_text import separate_reading

XSD = "http://www.w3.org/2001/XMLSchema#"

ISSUE_QUESTIONS = {
    "issue-evidence",
    "evidence",
    "phase-issue-matrix",
    "code-cooccurrence",
    "mitigations",
    "catalogue",
    "interview-profile",
    "question-issues",
    "coder-agreement",
    "quote-search",
    "off-phase-issues",
    "code-profile",
}
"""One named query per question of the issue that asked for them."""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> OxigraphStore:
    out: Path = tmp_path_factory.mktemp("nq") / "ds"
    build([EXAMPLE], out)
    return OxigraphStore.open_read_only(out / "store")


def answer(store: OxigraphStore, name: str, **params: str) -> Table:
    return run(named_queries()[name], params, StoreExecutor(store))


def rows(store: OxigraphStore, name: str, **params: str) -> list[dict]:
    return answer(store, name, **params).records()


def issue_codes() -> set[str]:
    with (ROOT / "kg" / "data" / "codebook.csv").open(encoding="utf-8") as f:
        return {row["notation"] for row in csv.DictReader(f) if row["kind"] == "issue"}


@pytest.mark.parametrize("name", sorted(ISSUE_QUESTIONS))
def test_every_question_of_the_issue_has_a_documented_query(name):
    query = named_queries()[name]
    assert query.summary and query.description
    assert query.examples, "each query shows at least one example call"
    for p in query.params:
        assert p.description, f"{name}: parameter {p.name} is not described"
        assert p.example is not None, f"{name}: parameter {p.name} has no example"


def test_every_named_query_has_a_summary():
    queries = named_queries()
    assert "issue-evidence" in queries
    assert all(q.summary for q in queries.values())


# -- headers ------------------------------------------------------------------------------------

HEADER = """#+ summary: Something
#+ description: Counts
#+   things.
#+ tags: a, b
#+ param: code code required example=MM-drift The code.
#+ param: n integer default=2 min=1 max=9 example=3 How many
#+   at least.
#+ param: kind enum(issue|any) default=issue example=any Which kind.
#+ param: label string example="Data drift" A label with "quotes".
#+ param: q text example=x Words.
#+ example: code=MM-drift&n=3
#+ computed: agreement
SELECT ?x ?code WHERE { ?x ?p ?code }
"""


def test_header_parameters_are_read():
    q = parse("t", HEADER)
    assert q.summary == "Something"
    assert q.description == "Counts things."
    assert q.tags == ("a", "b")
    assert q.computed == "agreement"
    code, n, kind, label, _ = q.params
    assert (code.name, code.type, code.required, code.example) == ("code", "code", True, "MM-drift")
    assert (n.type, n.default, n.minimum, n.maximum, n.example) == ("integer", "2", 1, 9, "3")
    assert n.description == "How many at least."
    assert (kind.type, kind.choices, kind.default) == ("enum", ("issue", "any"), "issue")
    assert kind.type_label == "enum(issue|any)"
    assert label.example == "Data drift"
    assert label.description == 'A label with "quotes".'
    assert q.examples == ((("code", "MM-drift"), ("n", "3")),)
    assert bound_variables(q) >= {"code", "n", "kind", "label", "q_1", "q_re_1", "q_terms"}
    assert "q" not in bound_variables(q)  # text is bound as its terms
    assert q.columns == ("x",)  # ?code is a parameter's variable


@pytest.mark.parametrize(
    "line",
    [
        "#+ param: code",  # no type
        "#+ param: code color The code.",  # unknown type
        "#+ param: page integer Reserved by the API.",
        "#+ param: 1x string Not a variable name.",
        "#+ param: k enum() No choices.",
        "#+ param: k enum(a|b) default=c Default not a choice.",
        "#+ param: k integer min=x Not a number.",
        "#+ param: k string colour=red Unknown option.",
        "#+ param: k string required default=a Required with a default.",
        "#+ example: nope=1",
        "#+ summary: twice",
    ],
)
def test_malformed_headers_are_refused(line):
    with pytest.raises(NamedQueryError):
        parse("t", "#+ summary: S\n#+ param: code code The code.\n" + line + "\nSELECT * {}")


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_bound_variable_is_projected(name):
    # The embedded engine binds a variable only if the query projects it.
    query = named_queries()[name]
    assert bound_variables(query) <= set(projection(query.sparql))


def _sub_queries(text: str) -> list[str]:
    """The text of each sub-query: from the brace before an inner SELECT to its match."""
    out = []
    start = text.find("SELECT") + 1
    while (i := text.find("SELECT", start)) != -1:
        open_at = text.rindex("{", 0, i)
        depth = 0
        for j in range(open_at, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                out.append(text[open_at : j + 1])
                break
        start = i + 1
    return out


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_parameters_are_read_in_the_outer_group_only(name):
    # BOUND() of a bound variable is folded to false by the engine, and a VALUES block sent to
    # a remote endpoint is not seen inside sub-queries: the queries rely on neither.
    query = named_queries()[name]
    for var in bound_variables(query):
        assert f"BOUND(?{var})" not in query.sparql
        for sub in _sub_queries(query.sparql):
            assert not re.search(rf"\?{var}\b", sub), f"{name}: ?{var} is read in a sub-query"


# -- parameters ---------------------------------------------------------------------------------


def _query(header: str) -> NamedQuery:
    return parse("t", "#+ summary: S\n" + header + "\nSELECT * WHERE { ?s ?p ?o }\n")


def no_codes(_: str) -> ox.NamedNode | None:
    return None


def test_values_are_typed():
    q = _query(
        "#+ param: n integer default=2 min=1 max=9 N.\n"
        "#+ param: lang language L.\n"
        "#+ param: kind enum(issue|any) default=issue K.\n"
        "#+ param: doc iri D.\n"
        "#+ param: s string S."
    )
    got = bind(q, {"lang": "FR-ca", "doc": "https://example.org/a?b=c#d", "s": "a b"}, no_codes)
    assert got["n"] == ox.Literal("2", datatype=ox.NamedNode(XSD + "integer"))
    assert got["lang"] == ox.Literal("fr-ca")
    assert got["kind"] == ox.Literal("issue")
    assert got["doc"] == ox.NamedNode("https://example.org/a?b=c#d")
    assert got["s"] == ox.Literal("a b")
    assert bind(q, {"s": ""}, no_codes).keys() == {"n", "kind"}  # empty means not given


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n": "0"}, "between 1 and 9"),
        ({"n": "10"}, "between 1 and 9"),
        ({"n": "3.5"}, "integer"),
        ({"n": "3 } UNION {"}, "integer"),
        ({"n": "٣"}, "integer"),
        ({"lang": "en US"}, "language tag"),
        ({"lang": '"en"'}, "language tag"),
        ({"kind": "all"}, "one of"),
        ({"doc": "https://example.org/a> <b"}, r"http\(s\) IRI"),
        ({"doc": "javascript:alert(1)"}, r"http\(s\) IRI"),
        ({"doc": "https://exa mple.org/"}, r"http\(s\) IRI"),
        ({"doc": "https://example.org/{x}"}, r"http\(s\) IRI"),
        ({"s": "a\\u0022b"}, "backslash"),
        ({"s": "a\nb"}, "control"),
        ({"s": "x" * 201}, "longer than 200"),
        ({"nope": "1"}, "no parameter 'nope'"),
        ({"code": "Not-a-code"}, "no code of the codebook"),
    ],
)
def test_values_that_do_not_fit_are_refused(values, message):
    q = _query(
        "#+ param: n integer default=2 min=1 max=9 N.\n"
        "#+ param: lang language L.\n"
        "#+ param: kind enum(issue|any) default=issue K.\n"
        "#+ param: doc iri D.\n"
        "#+ param: s string S.\n"
        "#+ param: code code C."
    )
    with pytest.raises(ParameterError, match=message):
        bind(q, values, no_codes)


def test_required_parameters_are_required():
    q = _query("#+ param: code code required C.")
    with pytest.raises(ParameterError, match="required"):
        bind(q, {}, no_codes)


def test_search_text_becomes_terms():
    assert split_terms('Data  DRIFT, "drift" (données)!') == ["data", "drift", "données"]
    q = _query("#+ param: q text Q.")
    got = bind(q, {"q": "a.b c+d*"}, no_codes)
    assert got["q_terms"].value == "2"
    assert (got["q_1"].value, got["q_re_1"].value) == ("a.b", "a\\.b")
    assert (got["q_2"].value, got["q_re_2"].value) == ("c+d", "c\\+d")  # end "*" trimmed
    with pytest.raises(ParameterError, match="no word"):
        bind(q, {"q": ' " } { '}, no_codes)
    with pytest.raises(ParameterError, match=f"at most {MAX_TERMS}"):
        bind(q, {"q": "a b c d e f g"}, no_codes)


@settings(max_examples=200, deadline=None)
@given(
    term=st.text(alphabet="ab.+*?()|[]{}^$#&-~ é", min_size=1, max_size=6),
    text=st.text(alphabet="ab.+*?()|[]{}^$#&-~ é", max_size=30),
)
def test_escaped_terms_match_only_themselves_in_the_engine(term, text):
    store = ox.Store()
    query = "SELECT ?out ?t ?p WHERE { BIND(REPLACE(?t, ?p, '') AS ?out) }"
    got = store.query(
        query,
        substitutions={
            ox.Variable("t"): ox.Literal(text),
            ox.Variable("p"): ox.Literal(regex_escape(term)),
        },
    )
    assert [s["out"].value for s in got] == [text.replace(term, "")]


def test_store_bindings_are_values_not_query_text(store):
    hostile = '"} UNION { ?s ?p ?o } #'
    result = store.query(
        'SELECT ?x WHERE { FILTER(STR(?x) = "") }', bindings={"x": ox.Literal(hostile)}
    )
    assert [s["x"].value for s in result.value] == []  # the filter saw the value itself
    result = store.query("SELECT ?x WHERE { }", bindings={"x": ox.Literal(hostile)})
    assert [s["x"].value for s in result.value] == [hostile]


# -- both ways of binding give the same answers -------------------------------------------------


class ValuesExecutor:
    """What the endpoint executor sends (a VALUES block), run on the local store."""

    def __init__(self, store: OxigraphStore) -> None:
        self.store = store
        self.texts: list[str] = []

    def select(self, sparql, bindings) -> Rows:
        text = with_values(sparql, bindings)
        self.texts.append(text)
        value = self.store.query(text).value
        assert isinstance(value, ox.QuerySolutions)
        return _rows(value)


def examples() -> list[tuple[str, dict[str, str]]]:
    return [
        (name, dict(example))
        for name, q in sorted(named_queries().items())
        for example in q.examples
    ]


@pytest.mark.parametrize(("name", "params"), examples())
def test_examples_run_and_answer_the_declared_columns(store, name, params):
    query = named_queries()[name]
    local = run(query, params, StoreExecutor(store))
    assert local.columns == answer_columns(query)
    remote = run(query, params, ValuesExecutor(store))
    assert Counter(remote.rows) == Counter(local.rows)


def test_the_first_example_of_each_query_answers_on_the_bundled_example(store):
    for name, q in named_queries().items():
        table = run(q, dict(q.examples[0]), StoreExecutor(store))
        if name == "coder-agreement":
            assert table.rows == []  # one coding of Interview 3 only: nothing to compare
        else:
            assert table.rows, name


HOSTILE = ['"} UNION { ?s ?p ?o } #', "x' || true || '", ">", "{}", "${x}", '"""', "' } ; DROP"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_plain_values_or_refused(store, value):
    # A label that is not a code's label matches nothing, whatever its characters.
    assert rows(store, "evidence", label=value) == []
    with pytest.raises(ParameterError):
        rows(store, "evidence", code=value)
    with pytest.raises(ParameterError):
        rows(store, "evidence", interview=value)
    with pytest.raises(ParameterError):
        rows(store, "evidence", document=f"https://example.org/{value}")
    # In a VALUES block the value stays one literal.
    text = with_values("SELECT ?v WHERE { }", {"v": ox.Literal(value)})
    assert [s["v"].value for s in store.query(text).value] == [value]


def test_a_search_for_query_syntax_searches_for_words(store):
    got = rows(store, "quote-search", q="} UNION { ?s ?p ?o", mode="any")
    # Terms after trimming punctuation: union, s, p, o; every quote with an "s" matches.
    assert got
    assert all("s" in r["quote"].lower() or "p" in r["quote"].lower() for r in got)


# -- answers on the bundled example, checked against a separate reading ------------------------


def test_issue_evidence_matches_an_independent_count(store):
    _, coded = separate_reading()
    issues = issue_codes()
    expected = Counter(c for _, codes in coded for c in codes if c in issues)
    quotes: dict[str, list[str]] = {}
    for text, codes in coded:
        for c in codes:
            quotes.setdefault(c, []).append(text)
    got = rows(store, "issue-evidence")
    assert {r["notation"]: int(r["excerpts"]) for r in got} == dict(expected)
    assert all(r["interviews"] == 1 for r in got)
    for r in got:
        for text in quotes[r["notation"]]:
            assert text in r["quotes"]
    # Hand-counted in the example: MM-drift is applied after 10 paragraphs.
    assert next(r for r in got if r["notation"] == "MM-drift")["excerpts"] == 10
    # Families, mitigations and notes are not quality issues.
    notations = {r["notation"] for r in got}
    assert not notations & {
        "Data-issues",
        "Model-Evaluation-issues [ME]",
        "Data-low-quantity-fix",
        "how-to-evaluate-model",
    }
    assert rows(store, "issue-evidence", min_interviews="2") == []


def test_issue_evidence_is_ranked(store):
    got = rows(store, "issue-evidence")
    keys = [(-r["interviews"], -r["excerpts"], r["notation"]) for r in got]
    assert keys == sorted(keys)


def test_evidence_of_one_issue_in_the_example(store):
    _, coded = separate_reading()
    expected = [text for text, codes in coded if "MM-drift" in codes]
    got = rows(store, "evidence", code="mm-DRIFT")  # any case
    assert len(got) == 10 == len(expected)
    # The reader joins a paragraph split by a page break, which the separate reading keeps apart.
    for text in expected:
        assert any(text in r["quotes"] for r in got), text
    assert {r["coder"] for r in got} == {"Amin"}
    assert {r["coding"] for r in got} == {"moderated"}
    assert all(r["turn"].endswith(f"/turn/{r['turn_no']}") for r in got)
    assert rows(store, "evidence", label="data DRIFT") == got
    assert rows(store, "evidence", code="MM-drift", interview="4") == []


def test_code_profile_reads_the_codebook_and_the_alignment_modules(store, tmp_path):
    row = sm.codebook()["MM-drift"]
    got = {(r["field"], str(r["value"])) for r in rows(store, "code-profile", code="MM-drift")}
    assert ("label", row["label"]) in got
    assert ("definition", row["definition"]) in got
    assert ("kind", "quality issue") in got
    assert ("ml phase", row["phases"]) in got
    assert ("close match", "https://w3id.org/qikg/cote2024/catalogue/I6.1") in got
    assert ("paragraphs", "10") in got
    # Loaded beside the data, the VAIR alignment module's mappings show up too.
    vair = ROOT / "ontology" / "alignments" / "cote2024-vair.ttl"
    mapped = Graph().parse(vair)
    code = URIRef("https://w3id.org/qikg/cote2024/code/mm-drift")
    expected = {
        (p.split("#")[1], str(o))
        for p, o in mapped.predicate_objects(code)
        if str(p).startswith(str(SKOS))
    }
    assert expected
    memory = OxigraphStore()
    memory.load_dataset(Path(store.path).parent / "dataset.nq")
    memory.load_file(vair)
    got = {
        (r["field"].replace(" match", "Match"), str(r["value"]))
        for r in rows(memory, "code-profile", code="MM-drift")
    }
    assert expected <= got


def test_catalogue_lists_the_18_issues_of_the_table(store):
    dims = {r["id"]: r["label"] for r in sm._rows("dimensions.csv")}
    got = rows(store, "catalogue")
    assert [(r["id"], r["quality_dimension"]) for r in got] == [
        (r["id"], dims[r["dimension"]]) for r in sm.catalogue()
    ]
    assert len(got) == 18
    assert [r["id"] for r in rows(store, "catalogue", dimension="Reliability")] == [
        "I6.1",
        "I6.2",
        "I6.3",
    ]


# -- answers on the whole corpus ----------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(request) -> OxigraphStore:
    return OxigraphStore.open_read_only(sm.corpus_dataset(request) / "store")


@pytest.fixture(scope="module")
def docs() -> tuple[sm.Doc, ...]:
    sm.need_corpus()
    return sm.corpus_docs()


@pytest.fixture(scope="module")
def evidence(docs) -> list[sm.Doc]:
    return sm.evidence_docs(docs)


@pytest.mark.slow
def test_the_independent_reading_agrees_with_the_corpus_readme(docs):
    moderated_3 = next(d for d in docs if d.interview == 3 and d.kind == "moderation")
    assert sum(1 for p in moderated_3.paras if p.codes or p.questions) == 103
    two_coders = sorted(
        n
        for n in {d.interview for d in docs}
        if sum(1 for d in docs if d.interview == n and d.kind == "coding" and d.has_codes) == 2
    )
    assert two_coders == [2, 7, 12, 19]
    assert len(docs) == 51
    assert sum(1 for d in docs if any(p.codes or p.questions for p in d.paras)) == 24


@pytest.mark.slow
def test_issue_ranking_on_the_corpus(corpus, evidence):
    units = sm.units_by_code(evidence)
    expected = {
        c: (len({u[0] for u in us}), len(us)) for c, us in units.items() if sm.kind(c) == "issue"
    }
    got = rows(corpus, "issue-evidence")
    assert {r["notation"]: (r["interviews"], r["excerpts"]) for r in got} == expected
    keys = [(-r["interviews"], -r["excerpts"], r["notation"]) for r in got]
    assert keys == sorted(keys)
    assert {r["notation"] for r in rows(corpus, "issue-evidence", min_interviews="5")} == {
        c for c, (n, _) in expected.items() if n >= 5
    }


@pytest.mark.slow
def test_evidence_of_one_issue_on_the_corpus(corpus, evidence):
    expected = {
        (d.interview, p.turn, p.pos, d.person, p.role)
        for d in evidence
        for p in d.paras
        if "MM-drift" in p.codes
    }
    got = rows(corpus, "evidence", code="MM-drift")
    assert {
        (r["interview_no"], r["turn_no"], r["paragraph_no"], r["coder"], r["speaker_role"])
        for r in got
    } == expected
    assert len(got) == len(expected)
    # The guide question: the id applied at or before the paragraph in the same coding.
    for d in evidence:
        current = sm.question_in_effect(d)
        for r in got:
            if r["interview_no"] == d.interview and r["coder"] == d.person:
                ids = current.get((r["turn_no"], r["paragraph_no"]), [])
                assert sorted((r["question"] or "").split()) == sorted(set(ids))


@pytest.mark.slow
@pytest.mark.parametrize("by", ["code", "question"])
def test_phase_issue_matrix_on_the_corpus(corpus, evidence, by):
    cells: dict[tuple[str, str], set[sm.Unit]] = defaultdict(set)
    for d in evidence:
        current = sm.question_in_effect(d)
        for p in d.paras:
            for c in p.codes:
                if sm.kind(c) != "issue":
                    continue
                if by == "code":
                    phases = sm.phases(c) or ["unassigned"]
                else:
                    qs = current.get((p.turn, p.pos), [])
                    phases = [sm.questions().get(q, {}).get("phase") or "unassigned" for q in qs]
                    phases = phases or ["unassigned"]
                for ph in phases:
                    cells[(ph, c)].add((d.interview, p.turn, p.pos))
    expected = {k: (len(v), len({u[0] for u in v})) for k, v in cells.items()}
    got = rows(corpus, "phase-issue-matrix", by=by)
    assert {
        (r["phase"], r["notation"]): (r["paragraphs"], r["interviews"]) for r in got
    } == expected


@pytest.mark.slow
def test_code_cooccurrence_on_the_corpus(corpus, evidence):
    pairs: dict[tuple[str, str], set[sm.Unit]] = defaultdict(set)
    for d in evidence:
        for p in d.paras:
            for a in p.codes:
                for b in p.codes:
                    if a < b:
                        pairs[(a, b)].add((d.interview, p.turn, p.pos))
    got = rows(corpus, "code-cooccurrence", kind="any")
    assert {(r["code_a"], r["code_b"]): r["paragraphs"] for r in got} == {
        k: len(v) for k, v in pairs.items()
    }
    issues_only = rows(corpus, "code-cooccurrence", min_paragraphs="2")
    assert {(r["code_a"], r["code_b"]) for r in issues_only} == {
        k
        for k, v in pairs.items()
        if len(v) >= 2 and sm.kind(k[0]) == "issue" and sm.kind(k[1]) == "issue"
    }


@pytest.mark.slow
def test_mitigations_on_the_corpus(corpus, evidence):
    units = sm.units_by_code(evidence)
    expected = {}
    for notation, row in sm.codebook().items():
        if row["kind"] in ("mitigation", "generic-mitigation"):
            issue = row["addresses"] or None
            expected[(notation, issue)] = (
                len(units.get(notation, ())),
                len(units.get(issue, ())) if issue else 0,
            )
    got = rows(corpus, "mitigations")
    assert {
        (r["mitigation"], r["issue"]): (r["mitigation_paragraphs"], r["issue_paragraphs"])
        for r in got
    } == expected


@pytest.mark.slow
def test_catalogue_on_the_corpus(corpus, evidence):
    units = sm.units_by_code(evidence)
    supporting: dict[str, set[str]] = defaultdict(set)
    for notation, row in sm.codebook().items():
        if row["match"] in ("exactMatch", "closeMatch", "narrowMatch", "broadMatch"):
            for issue in row["catalogue"].split():
                supporting[issue].add(notation)
    got = {r["id"]: r for r in rows(corpus, "catalogue")}
    assert set(got) == {r["id"] for r in sm.catalogue()}
    for issue, r in got.items():
        codes = {c.split(" (")[0] for c in (r["codes"] or "").split(") ") if c}
        assert codes == supporting[issue], issue
        covered = set().union(*(units.get(c, set()) for c in supporting[issue]))
        assert r["paragraphs"] == len(covered), issue
        assert r["interviews"] == len({u[0] for u in covered}), issue


@pytest.mark.slow
@pytest.mark.parametrize("number", [3, 12])
def test_interview_profile_on_the_corpus(corpus, evidence, number):
    mine = [d for d in evidence if d.interview == number]
    codes: dict[str, set[tuple[int, int]]] = defaultdict(set)
    questions: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for d in mine:
        for p in d.paras:
            for c in p.codes:
                codes[c].add((p.turn, p.pos))
            for q in p.questions:
                questions[q].add((p.turn, p.pos))
    got = rows(corpus, "interview-profile", interview=str(number))
    by_section: dict[str, dict[str, object]] = defaultdict(dict)
    for r in got:
        by_section[r["section"]][r["item"]] = r
    assert {k: r["paragraphs"] for k, r in by_section["issue"].items()} == {
        c: len(v) for c, v in codes.items() if sm.kind(c) == "issue"
    }
    assert {k: r["paragraphs"] for k, r in by_section["question"].items()} == {
        q: len(v) for q, v in questions.items()
    }
    profile = {
        r["field"]: r["value"]
        for r in sm._rows("participants.csv")
        if r["interview"] == str(number)
    }
    assert {k: r["text"] for k, r in by_section["profile"].items()} == profile


@pytest.mark.slow
def test_question_issues_on_the_corpus(corpus, evidence):
    cells: dict[tuple[str, str], set[sm.Unit]] = defaultdict(set)
    for d in evidence:
        current = sm.question_in_effect(d)
        for p in d.paras:
            for c in p.codes:
                if sm.kind(c) == "issue":
                    for q in current.get((p.turn, p.pos), []):
                        cells[(q, c)].add((d.interview, p.turn, p.pos))
    got = rows(corpus, "question-issues")
    assert {(r["question_id"], r["notation"]): r["paragraphs"] for r in got} == {
        k: len(v) for k, v in cells.items()
    }
    assert {r["interviews"] for r in got} <= {1, 2, 3, 4, 5}
    one = rows(corpus, "question-issues", question="q1")
    assert {r["notation"] for r in one} == {c for q, c in cells if q == "Q1"}


def place(row: dict) -> tuple[int, int, int]:
    """(interview, turn, paragraph) of a row with a turn and an excerpt IRI."""
    turn = int(row["turn"].rsplit("/", 1)[1])
    paragraph = int(row["excerpt"].rsplit(".", 1)[1])
    return (row["interview_no"], turn, paragraph)


@pytest.mark.slow
def test_off_phase_issues_on_the_corpus(corpus, evidence):
    expected = set()
    for d in evidence:
        current = sm.question_in_effect(d)
        for p in d.paras:
            for c in p.codes:
                own = sm.phases(c)
                if sm.kind(c) != "issue" or not own or "cross-cutting" in own:
                    continue
                for q in current.get((p.turn, p.pos), []):
                    phase = sm.questions().get(q, {}).get("phase")
                    if phase and phase != "cross-cutting" and phase not in own:
                        expected.add((d.interview, p.turn, p.pos, q, c))
    got = rows(corpus, "off-phase-issues")
    keys = {
        (
            r["interview_no"],
            int(r["turn"].rsplit("/", 1)[1]),
            int(r["excerpt"].rsplit(".", 1)[1]),
            r["question_id"],
            r["notation"],
        )
        for r in got
    }
    assert keys == expected
    assert expected, "the corpus has issues raised under another phase's question"


@pytest.mark.slow
def test_quote_search_on_the_corpus(corpus, evidence):
    def found(terms: list[str], language: str | None = None, mode: str = "all") -> set[tuple]:
        out = set()
        for d in evidence:
            if language and d.language != language:
                continue
            for p in d.paras:
                for quote in p.quotes:
                    hits = [t for t in terms if t in quote.lower()]
                    if (len(hits) == len(terms)) if mode == "all" else hits:
                        out.add((d.interview, p.turn, p.pos))
        return out

    def keys(got: list[dict]) -> set[tuple]:
        return {
            (
                r["interview_no"],
                int(r["turn"].rsplit("/", 1)[1]),
                int(r["excerpt"].rsplit(".", 1)[1]),
            )
            for r in got
        }

    got = rows(corpus, "quote-search", q="Data QUALITY")
    assert keys(got) == found(["data", "quality"])
    ranks = [(-r["matched_terms"], -r["occurrences"]) for r in got]
    assert ranks == sorted(ranks)
    assert keys(rows(corpus, "quote-search", q="drift model", mode="any")) == found(
        ["drift", "model"], mode="any"
    )
    french = rows(corpus, "quote-search", q="données", lang="fr")
    assert french and {r["interview_no"] for r in french} == {2}
    assert keys(french) == found(["données"], "fr")
    assert rows(corpus, "quote-search", q="données", lang="de") == []


@pytest.mark.slow
def test_code_profile_counts_on_the_corpus(corpus, evidence):
    units = sm.units_by_code(evidence)["MM-drift"]
    got = {r["field"]: r["value"] for r in rows(corpus, "code-profile", code="MM-drift")}
    assert got["paragraphs"] == len(units)
    assert got["interviews"] == len({u[0] for u in units})
    addressed_by = {
        r["value_label"]
        for r in rows(corpus, "code-profile", code="MM-drift")
        if r["field"] == "addressed by"
    }
    assert addressed_by == {n for n, row in sm.codebook().items() if row["addresses"] == "MM-drift"}


@pytest.mark.slow
def test_both_ways_of_binding_agree_on_the_corpus(corpus):
    for name, params in examples():
        query = named_queries()[name]
        local = run(query, params, StoreExecutor(corpus))
        remote = run(query, params, ValuesExecutor(corpus))
        assert Counter(remote.rows) == Counter(local.rows), (name, params)


def test_json_of_a_table_round_trips():
    from qikg.queries.formats import to_json
    from qikg.queries.run import parse_json_table

    table = Table(("a", "b"), [(1, "x"), (None, 2.5)], ("note",))
    assert parse_json_table(to_json(table)) == table
    assert json.loads(to_json(table, {"query": "q"}))["query"] == "q"
