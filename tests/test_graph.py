"""From model objects to RDF: IRIs, named graphs, counts, code kinds."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from qikg.kg.codebook import default_codebook
from qikg.kg.graph import Builder
from qikg.kg.iris import QIKG, Iris
from qikg.kg.model import DocumentKind
from qikg.kg.readers import delve_text
from qikg.kg.study import default_study

from .conftest import EXAMPLE

S = "https://w3id.org/qikg/cote2024"
DOC = f"{S}/interview/3/moderation-amin"


def make_graphs(base: str = "https://w3id.org/qikg/", study_id: str = "cote2024") -> list[Graph]:
    doc = delve_text.read(EXAMPLE.read_bytes(), EXAMPLE.name)
    doc = replace(doc, kind=DocumentKind.MODERATION)
    study = replace(default_study(), id=study_id)
    return Builder(Iris(base, study_id), study, default_codebook()).graphs([doc])


@pytest.fixture(scope="module")
def graphs() -> list[Graph]:
    return make_graphs()


@pytest.fixture(scope="module")
def merged(graphs) -> Graph:
    g = Graph()
    for part in graphs:
        g += part
    return g


def test_graph_names(graphs):
    names = [str(g.identifier) for g in graphs]
    assert names == [f"{S}/graph", f"{S}/codebook/graph", f"{S}/interview/3/graph", f"{DOC}/graph"]


def test_no_triple_is_in_two_graphs(graphs):
    total = sum(len(g) for g in graphs)
    union = set().union(*(set(g) for g in graphs))
    assert total == len(union)


def test_same_input_same_graph_and_iris(graphs):
    again = make_graphs()
    for a, b in zip(graphs, again, strict=True):
        assert a.identifier == b.identifier
        assert isomorphic(a, b)
        assert {t for t in a if not any(isinstance(x, Literal) for x in t)} == {
            t for t in b if not any(isinstance(x, Literal) for x in t)
        }


def test_iris_follow_the_documented_pattern(merged):
    subjects = {str(s) for s in merged.subjects() if isinstance(s, URIRef)}
    assert f"{DOC}/turn/1" in subjects
    assert f"{DOC}/turn/152" in subjects
    assert f"{DOC}/turn/153" not in subjects
    assert f"{S}/code/mm-drift" in subjects
    assert f"{S}/code/model-evaluation-issues-me" in subjects
    assert f"{S}/question/Q5.3" in subjects
    assert f"{S}/interview/3/participant" in subjects
    assert f"{S}/interview/3/interviewer/2" in subjects
    assert all(s.startswith("https://w3id.org/qikg/cote2024") for s in subjects)


def test_base_iri_and_study_scope_are_configurable():
    other = make_graphs("https://example.org/data/", "pilot")
    subjects = {str(s) for g in other for s in g.subjects()}
    assert all(s.startswith("https://example.org/data/pilot") for s in subjects)
    first = {str(s) for g in make_graphs() for s in g.subjects()}
    assert not subjects & first


def test_counts(merged):
    turns = set(merged.subjects(RDF.type, QIKG.Turn))
    excerpts = set(merged.subjects(RDF.type, QIKG.CodedExcerpt))
    assert len(turns) == 152  # speaker blocks (corpus README)
    assert len(excerpts) == 103  # coded paragraphs (corpus README)
    codes = set(merged.objects(None, QIKG.hasCode))
    questions = set(merged.objects(None, QIKG.answersQuestion))
    assert len(codes) == 18
    assert len(questions) == 22
    assert len(list(merged.triples((None, QIKG.hasCode, None)))) == 48
    assert len(list(merged.triples((None, QIKG.answersQuestion, None)))) == 104


def test_turns_in_order_with_role_and_text(merged):
    first = URIRef(f"{DOC}/turn/1")
    assert merged.value(first, QIKG.speakerLabel) == Literal("Interviewer 2")
    assert merged.value(first, QIKG.speakerRole) == QIKG.RoleInterviewer
    assert merged.value(first, QIKG.spokenBy) == URIRef(f"{S}/interview/3/interviewer/2")
    assert merged.value(first, QIKG.text) == Literal("So you can go ahead.", lang="en")
    second = URIRef(f"{DOC}/turn/3")
    assert merged.value(second, QIKG.speakerRole) == QIKG.RoleInterviewee
    assert merged.value(second, QIKG.spokenBy) == URIRef(f"{S}/interview/3/participant")


def test_question_ids_are_questions_not_codes(merged):
    q = URIRef(f"{S}/question/Q5.3")
    assert (q, RDF.type, QIKG.GuideQuestion) in merged
    assert not any(str(c).endswith("/question/Q5.3") for c in merged.objects(None, QIKG.hasCode))
    assert merged.value(q, SKOS.notation) == Literal("Q5.3")


def test_families_and_mitigations_are_typed(merged):
    family = URIRef(f"{S}/code/model-evaluation-issues-me")
    fix = URIRef(f"{S}/code/data-low-quantity-fix")
    assert (family, RDF.type, QIKG.CodeFamily) in merged
    assert (fix, RDF.type, QIKG.Mitigation) in merged
    assert merged.value(fix, QIKG.addresses) == URIRef(f"{S}/code/data-low-quantity")
    drift = URIRef(f"{S}/code/mm-drift")
    assert (drift, RDF.type, QIKG.QualityIssue) in merged
    assert merged.value(drift, QIKG.mlPhase) == QIKG.PhaseModelMaintenance


def test_excerpt_links_codes_question_and_quote(merged):
    # Block at line 128 of the example: a paragraph coded Data-low-quality, Data-wrong-format, Q1.
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("And again, it's a high level view")
    )
    assert lines[start + 2 : start + 7] == ["Data-low-quality", "", "Data-wrong-format", "", "Q1"]
    x = next(
        s
        for s in merged.subjects(RDF.type, QIKG.CodedExcerpt)
        if str(merged.value(s, QIKG.quote)).startswith("And again, it's a high level view")
    )
    assert set(merged.objects(x, QIKG.hasCode)) == {
        URIRef(f"{S}/code/data-low-quality"),
        URIRef(f"{S}/code/data-wrong-format"),
    }
    assert set(merged.objects(x, QIKG.answersQuestion)) == {URIRef(f"{S}/question/Q1")}
    assert merged.value(x, URIRef("http://www.w3.org/ns/prov#wasAttributedTo")) == URIRef(
        f"{S}/researcher/amin"
    )
