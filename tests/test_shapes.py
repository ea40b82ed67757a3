"""The SHACL shapes: valid examples conform, each invalid example fails on its one shape."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, SH

from qikg import ontology
from qikg.kg.iris import QIKG

EXAMPLES = Path(__file__).resolve().parents[1] / "ontology" / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))
SHAPES = Namespace(ontology.SHAPES_IRI + "#")
OA = Namespace("http://www.w3.org/ns/oa#")
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def validate(data: Graph) -> tuple[bool, Graph]:
    """Validate one interview's data as the build does."""
    conforms, results, _ = pyshacl.validate(
        data,
        shacl_graph=ontology.shapes_graph(),
        ont_graph=ontology.ontology_graph(),
        inference="none",
        advanced=True,
    )
    assert isinstance(results, Graph)
    return bool(conforms), results


@dataclass(frozen=True)
class Expectation:
    """What an invalid example's header says must fire."""

    shape: URIRef
    path: URIRef | None


def expectation(example: Path) -> Expectation:
    header = example.read_text(encoding="utf-8").split("@prefix", 1)[0]
    shape = re.search(r"^# violates: <([^>]+)>$", header, re.M)
    path = re.search(r"^# path: <([^>]+)>$", header, re.M)
    assert shape, f"{example.name} does not start with '# violates: <shape IRI>'"
    return Expectation(URIRef(shape.group(1)), URIRef(path.group(1)) if path else None)


def shapes_with_targets() -> set[URIRef]:
    graph = ontology.shapes_graph()
    return {
        s
        for target in TARGETS
        for s in graph.subjects(target, None)
        if isinstance(s, URIRef) and str(s).startswith(str(SHAPES))
    }


# ---- examples


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.stem)
def test_valid_example_conforms(example: Path) -> None:
    conforms, results = validate(Graph().parse(example, format="turtle"))
    assert conforms, results.serialize(format="turtle")


def test_valid_examples_together_conform() -> None:
    """Several interviews validated at once raise nothing either: no shape mixes them up."""
    data = Graph()
    for example in VALID:
        data.parse(example, format="turtle")
    assert validate(data)[0]


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_on_its_shape_only(example: Path) -> None:
    expected = expectation(example)
    conforms, results = validate(Graph().parse(example, format="turtle"))
    assert not conforms
    reports = list(results.subjects(RDF.type, SH.ValidationResult))
    assert {results.value(r, SH.sourceShape) for r in reports} == {expected.shape}
    if expected.path is not None:
        assert {results.value(r, SH.resultPath) for r in reports} == {expected.path}
    severity = ontology.shapes_graph().value(expected.shape, SH.severity)
    assert {results.value(r, SH.resultSeverity) for r in reports} == {severity}


def test_every_shape_has_an_invalid_example() -> None:
    exercised = {expectation(example).shape for example in INVALID}
    assert shapes_with_targets() - exercised == set()
    assert exercised - shapes_with_targets() == set(), "an example names an unknown shape"


# ---- the shapes graph itself


def test_shapes_graph_is_valid_shacl() -> None:
    """pySHACL's meta-validation checks the shapes against the SHACL-SHACL shapes."""
    conforms, _, _ = pyshacl.validate(
        Graph().parse(VALID[0], format="turtle"),
        shacl_graph=ontology.shapes_graph(),
        ont_graph=ontology.ontology_graph(),
        inference="none",
        advanced=True,
        meta_shacl=True,
    )
    assert conforms


def test_shapes_are_documented_and_have_a_severity() -> None:
    graph = ontology.shapes_graph()
    undocumented = []
    for shape in shapes_with_targets():
        messages = [*graph.objects(shape, SH.message)]
        messages += [
            m for c in graph.objects(shape, SH.sparql) for m in graph.objects(c, SH.message)
        ]
        if not (messages and graph.value(shape, SH.name) and graph.value(shape, SH.description)):
            undocumented.append(shape)
    assert not undocumented
    severities = {s: graph.value(s, SH.severity) for s in shapes_with_targets()}
    warnings = {s for s, v in severities.items() if v == SH.Warning}
    assert warnings == {SHAPES.UncuratedCodeShape}
    assert all(v == SH.Violation for s, v in severities.items() if s not in warnings)


def declared_terms() -> set[URIRef]:
    return {s for s in ontology.ontology_graph().subjects(RDF.type, None) if isinstance(s, URIRef)}


def qikg_terms(graph: Graph) -> set[URIRef]:
    return {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(QIKG))
    }


def test_shapes_and_valid_examples_use_declared_terms_only() -> None:
    used = qikg_terms(ontology.shapes_graph())
    for example in VALID:
        used |= qikg_terms(Graph().parse(example, format="turtle"))
    assert used and used - declared_terms() == set()


# ---- speed


def one_interview(turns: int) -> Graph:
    """The moderated-coding example grown by ``turns`` turns, every fourth one coded."""
    graph = Graph().parse(EXAMPLES / "valid" / "interview-3-moderated.ttl", format="turtle")
    base = "https://w3id.org/qikg/cote2024/"
    document = URIRef(base + "interview/3/moderation-amin")
    speakers = {
        QIKG.RoleInterviewer: URIRef(base + "interview/3/interviewer/1"),
        QIKG.RoleInterviewee: URIRef(base + "interview/3/participant"),
    }
    for t in range(4, 4 + turns):
        role = QIKG.RoleInterviewer if t % 2 else QIKG.RoleInterviewee
        turn, paragraph = URIRef(f"{document}/turn/{t}"), URIRef(f"{document}/turn/{t}/1")
        text = Literal("We had a few projects where labels were missing.", lang="en")
        for node, kind, position in ((turn, QIKG.Turn, t), (paragraph, QIKG.Paragraph, 1)):
            graph.add((node, RDF.type, kind))
            graph.add((node, QIKG.inDocument, document))
            graph.add((node, QIKG.position, Literal(position, datatype=XSD.positiveInteger)))
            graph.add((node, QIKG.text, text))
            graph.add((node, QIKG.sourceLine, Literal(3 * t, datatype=XSD.positiveInteger)))
        graph.add(
            (turn, QIKG.speakerLabel, Literal("Interviewee" if t % 2 == 0 else "Interviewer 1"))
        )
        graph.add((turn, QIKG.speakerRole, role))
        graph.add((turn, QIKG.spokenBy, speakers[role]))
        graph.add((paragraph, QIKG.inTurn, turn))
        if t % 4 == 0:
            excerpt = URIRef(f"{document}/excerpt/{t}.1")
            span, selector = URIRef(f"{excerpt}/span/1"), URIRef(f"{excerpt}/span/1/quote")
            code = URIRef(base + "code/data-low-quality")
            for triple in (
                (excerpt, RDF.type, QIKG.CodedExcerpt),
                (excerpt, OA.motivatedBy, OA.classifying),
                (excerpt, QIKG.inDocument, document),
                (excerpt, QIKG.excerptOf, paragraph),
                (excerpt, QIKG.hasCode, code),
                (excerpt, OA.hasBody, code),
                (excerpt, QIKG.codeAsWritten, Literal("Data-low-quality")),
                (excerpt, QIKG.quote, text),
                (excerpt, PROV.wasAttributedTo, URIRef(base + "researcher/amin")),
                (excerpt, OA.hasTarget, span),
                (span, RDF.type, OA.SpecificResource),
                (span, OA.hasSource, paragraph),
                (span, OA.hasSelector, selector),
                (selector, RDF.type, OA.TextQuoteSelector),
                (selector, OA.exact, text),
            ):
                graph.add(triple)
    return graph


def test_one_interview_of_3000_triples_validates_in_well_under_two_seconds() -> None:
    data = one_interview(turns=170)
    assert len(data) >= 3000
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        conforms, _ = validate(data)
        timings.append(time.perf_counter() - start)
        assert conforms
    assert min(timings) < 2.0
