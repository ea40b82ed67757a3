"""Reasoning with HermiT over the bundled example: consistency, named inferences, errors.

The catalogue links (code to catalogued issue to dimension) are added here by hand from the
curated tables, as docs/data-shape.md says the graph builder emits them, so that these tests
do not depend on the builder's wiring. Which excerpts to expect is read off the example file
itself, not off the reasoner's output.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from qikg.cli import main
from qikg.kg.build import build, example_inputs
from qikg.kg.catalogue import load_catalogue, load_code_texts
from qikg.kg.iris import QIKG, Iris
from qikg.kg.reason import (
    Inference,
    ReasonerUnavailable,
    ReasoningReport,
    reason_graphs,
    units_of,
)

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")

IRIS = Iris()
S = IRIS.root
VAIR_MITIGATION = "https://w3id.org/vair#MitigationMeasure"
SPEAKERS = {"Interviewer 1", "Interviewer 2", "Interviewee", "Unknown Speaker"}
TYPE = str(RDF.type)


def catalogue_graph() -> Graph:
    """Catalogue issues in their dimensions, and the codes' mappings to them."""
    g = Graph(identifier=URIRef(f"{S}/catalogue/graph"))
    dimensions, issues = load_catalogue()
    label = {d.id: d.label for d in dimensions}
    scheme = URIRef(f"{S}/catalogue")
    g.add((scheme, RDF.type, QIKG.Catalogue))
    for issue in issues:
        node = URIRef(f"{S}/catalogue/{issue.id}")
        g.add((node, RDF.type, QIKG.CatalogueIssue))
        g.add((node, SKOS.inScheme, scheme))
        g.add((node, QIKG.inDimension, QIKG["Dimension" + label[issue.dimension]]))
    for text in load_code_texts().values():
        for issue_id in text.catalogue:
            assert text.match is not None
            g.add((IRIS.code(text.notation), SKOS[text.match], URIRef(f"{S}/catalogue/{issue_id}")))
    return g


@dataclass(frozen=True)
class Coded:
    """A coded paragraph as the example file shows it: speaker, words and codes."""

    speaker: str
    text: str
    codes: tuple[str, ...]


def coded_paragraphs() -> list[Coded]:
    """Read the Delve text export directly: blocks, speakers, paragraphs and their codes."""
    (path,) = example_inputs()
    blocks = [b.strip() for b in re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))]
    out: list[Coded] = []
    speaker, paragraph, codes = "", "", []
    for block in blocks[2:]:
        is_code = bool(re.fullmatch(r"[^\s]+( \[[A-Z]+\])?", block)) and (
            "-" in block or block.startswith("Q")
        )
        if is_code:
            codes.append(block)
            continue
        if paragraph and codes:
            out.append(Coded(speaker, paragraph, tuple(codes)))
        codes = []
        if block in SPEAKERS:
            speaker, paragraph = block, ""
        else:
            paragraph = block
    return out


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    out = tmp_path_factory.mktemp("reason") / "dataset"
    build(example_inputs(), out)
    dataset = Dataset(default_union=True)
    dataset.parse(out / "dataset.nq", format="nquads")
    return dataset


@pytest.fixture(scope="module")
def report(example: Dataset) -> ReasoningReport:
    units, shared = units_of(example)
    return reason_graphs(units, [*shared, catalogue_graph()])


def excerpt_quoting(dataset: Dataset, text: str) -> str:
    """The excerpt of the built example whose quote is ``text``."""
    found = {
        str(s)
        for s, o in dataset.subject_objects(QIKG.quote)
        if isinstance(o, Literal) and " ".join(str(o).split()) == " ".join(text.split())
    }
    assert len(found) == 1, text[:60]
    return found.pop()


def first(codes: str, speaker: str) -> Coded:
    return next(c for c in coded_paragraphs() if codes in c.codes and c.speaker == speaker)


# ---- consistency and the inferences a researcher reads


def test_the_example_is_consistent(report: ReasoningReport) -> None:
    assert report.consistent and not report.inconsistent_units
    assert report.units == [f"{S}/interview/3"]


def test_a_drift_excerpt_is_maintenance_and_reliability_evidence(
    example: Dataset, report: ReasoningReport
) -> None:
    """MM-drift concerns maintenance (codebook) and is close to I6.1, a reliability issue."""
    drift = excerpt_quoting(example, first("MM-drift", "Interviewee").text)
    for cls in ("MaintenanceEvidence", "ReliabilityEvidence", "QualityIssueEvidence"):
        assert Inference(drift, TYPE, str(QIKG[cls])) in report.inferences, cls
    assert Inference(drift, str(QIKG.evidenceOfPhase), str(QIKG.PhaseModelMaintenance)) in (
        report.inferences
    )
    assert Inference(drift, str(QIKG.evidenceOfDimension), str(QIKG.DimensionReliability)) in (
        report.inferences
    )


def test_who_says_it_decides_interviewee_evidence(
    example: Dataset, report: ReasoningReport
) -> None:
    said = excerpt_quoting(example, first("MM-drift", "Interviewee").text)
    asked = excerpt_quoting(example, first("MM-drift", "Interviewer 1").text)
    interviewee = str(QIKG.IntervieweeEvidence)
    assert Inference(said, TYPE, interviewee) in report.inferences
    assert Inference(asked, TYPE, interviewee) not in report.inferences
    assert Inference(asked, TYPE, str(QIKG.MaintenanceEvidence)) in report.inferences
    assert Inference(said, str(QIKG.saidBy), str(IRIS.participant(3))) in report.inferences


def test_a_narrow_match_gives_a_dimension_and_a_related_match_does_not(
    example: Dataset, report: ReasoningReport
) -> None:
    """QM-efficiency narrowMatch I4.x (efficiency); QM-scalability-issues only relatedMatch."""
    efficiency = excerpt_quoting(example, first("QM-efficiency", "Interviewee").text)
    dims = {
        i.object
        for i in report.inferences
        if i.subject == efficiency and i.predicate == str(QIKG.evidenceOfDimension)
    }
    assert dims == {str(QIKG.DimensionEfficiency)}
    scalability = next(
        c
        for c in coded_paragraphs()
        if "QM-scalability-issues" in c.codes and "MM-drift" not in c.codes
    )
    x = excerpt_quoting(example, scalability.text)
    assert not [i for i in report.inferences if i.subject == x and "Dimension" in i.object]


def test_mitigations_and_interviews(example: Dataset, report: ReasoningReport) -> None:
    fix = excerpt_quoting(example, first("Data-low-quantity-fix", "Interviewee").text)
    assert Inference(fix, TYPE, str(QIKG.MitigationEvidence)) in report.inferences
    code = str(IRIS.code("Data-low-quantity-fix"))
    assert Inference(code, str(SKOS.broadMatch), VAIR_MITIGATION) in report.inferences
    interview = str(IRIS.interview(3))
    assert Inference(interview, str(QIKG.discussesCode), str(IRIS.code("MM-drift"))) in (
        report.inferences
    )


def test_counts_and_readable_lines(report: ReasoningReport) -> None:
    drift_paragraphs = [c for c in coded_paragraphs() if "MM-drift" in c.codes]
    assert report.memberships[str(QIKG.MaintenanceEvidence)] == len(drift_paragraphs) == 10
    assert report.links[str(QIKG.saidBy)] > 0
    lines = report.notable()
    assert any("is a maintenance evidence" in line for line in lines)
    assert report.label(str(QIKG.ReliabilityEvidence)) == "reliability evidence"


# ---- contradictions are found


def test_a_document_of_two_kinds_is_inconsistent(example: Dataset) -> None:
    units, shared = units_of(example)
    (name,) = units
    contradiction = Graph()
    document = URIRef(f"{S}/interview/3/moderation-amin")
    assert (document, RDF.type, QIKG.ModeratedCoding) in example
    contradiction.add((document, RDF.type, QIKG.Transcript))
    report = reason_graphs(
        {name: [*units[name], contradiction]}, shared, property_values=False, alignments=False
    )
    assert not report.consistent and report.inconsistent_units == [name]


def test_a_mitigation_of_a_family_is_inconsistent() -> None:
    """qikg:addresses ranges over quality issues, disjoint from code families."""
    g = Graph()
    fix, family = IRIS.code("Data-issues-fix"), IRIS.code("Data-issues")
    g.add((fix, RDF.type, QIKG.Mitigation))
    g.add((family, RDF.type, QIKG.CodeFamily))
    g.add((fix, QIKG.addresses, family))
    report = reason_graphs({"unit": [g]}, property_values=False, alignments=False)
    assert not report.consistent


# ---- without Java


def test_missing_java_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReasonerUnavailable, match="needs Java"):
        reason_graphs({"unit": [Graph()]}, java=tmp_path / "no-java")


def test_cli_reports_missing_java(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["reason", str(tmp_path), "--java", str(tmp_path / "no-java")])
    assert code == ReasonerUnavailable.exit_code
    err = capsys.readouterr().err
    assert "needs Java" in err and "Traceback" not in err


def test_cli_prints_the_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    excerpt = f"{S}/interview/3/moderation-amin/excerpt/51.1"
    stub = ReasoningReport(
        consistent=True,
        units=[f"{S}/interview/3"],
        individuals=5,
        inferences=[Inference(excerpt, TYPE, str(QIKG.MaintenanceEvidence))],
        labels={str(QIKG.MaintenanceEvidence): "maintenance evidence"},
    )
    monkeypatch.setattr("qikg.kg.reason.reason_dataset", lambda *a, **k: stub)
    assert main(["reason", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("consistent: 1 interview(s)")
    assert "excerpt/51.1 is a maintenance evidence" in out
