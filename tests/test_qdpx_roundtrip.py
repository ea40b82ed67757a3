"""Graph -> qdpx -> graph: the export of the bundled example, read back by ``qikg build``.

What the format carries (docs/refi-qda.md) is compared as SPARQL projections of the two
stores; the project is validated against the schema copy in ../shared, not the bundled one.
"""

from __future__ import annotations

import uuid
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qikg.cli import main
from qikg.errors import ParseError
from qikg.kg.build import build
from qikg.kg.qdpx_export import export_qdpx
from qikg.kg.store import OxigraphStore

from .conftest import EXAMPLE, SHARED

XSD = SHARED / "refi-qda" / "Project-mrt2019.xsd"
QDA = "{urn:QDA-XML:project:1.0}"
PREFIXES = """PREFIX qikg: <https://w3id.org/qikg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
CARRIED = {
    "codes": """SELECT ?notation ?parent ?definition WHERE {
        ?c skos:inScheme/a qikg:Codebook ; skos:notation ?notation .
        OPTIONAL { ?c skos:broader/skos:notation ?parent }
        OPTIONAL { ?c skos:definition ?definition } }""",
    "documents": """SELECT ?title ?number ?coder WHERE {
        ?d qikg:ofInterview/qikg:interviewNumber ?number ; dcterms:title ?title .
        OPTIONAL { ?d qikg:codedBy|qikg:moderatedBy ?r . ?r foaf:name ?coder } }""",
    "paragraphs": """SELECT ?title ?t ?label ?role ?p ?text WHERE {
        ?turn qikg:inDocument ?d ; qikg:position ?t ; qikg:speakerLabel ?label ;
              qikg:speakerRole ?role .
        ?para qikg:inTurn ?turn ; qikg:position ?p ; qikg:text ?text .
        ?d dcterms:title ?title }""",
    "codings": """SELECT ?title ?t ?p ?notation ?coder WHERE {
        ?x qikg:excerptOf ?para ; qikg:hasCode/skos:notation ?notation ;
           prov:wasAttributedTo/foaf:name ?coder .
        ?para qikg:inTurn ?turn ; qikg:position ?p . ?turn qikg:position ?t ;
              qikg:inDocument/dcterms:title ?title }""",
    "quotes": """SELECT ?title ?t ?p ?exact WHERE {
        ?x qikg:excerptOf ?para ; qikg:hasCode ?code ; oa:hasTarget ?target .
        ?target oa:hasSource ?para ; oa:hasSelector/oa:exact ?exact .
        ?para qikg:inTurn ?turn ; qikg:position ?p . ?turn qikg:position ?t ;
              qikg:inDocument/dcterms:title ?title }""",
}


def rows(folder: Path, query: str) -> Counter[tuple[Any, ...]]:
    store = OxigraphStore.open_read_only(folder / "store")
    try:
        result = store.query(PREFIXES + query)
        names = [v.value for v in result.value.variables]  # type: ignore[union-attr]
        return Counter(
            tuple(None if r[n] is None else r[n].value for n in names)
            for r in result.value  # type: ignore[union-attr]
        )
    finally:
        store.close()


@pytest.fixture(scope="module")
def trip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The example built, exported, and the export built again."""
    root = tmp_path_factory.mktemp("qdpx")
    first = root / "first"
    build([EXAMPLE], first)
    project = root / "interview-3.qdpx"
    assert main(["export", "--format", "qdpx", str(first), str(project)]) == 0
    second = root / "second"
    assert main(["build", str(project), "--out", str(second)]) == 0
    return first, project, second


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CARRIED))
def test_round_trip_keeps_what_the_format_carries(trip: tuple[Path, Path, Path], name: str) -> None:
    first, _, second = trip
    before, after = rows(first, CARRIED[name]), rows(second, CARRIED[name])
    assert before, f"nothing to compare for {name}"
    assert after == before


@pytest.mark.slow
def test_what_the_format_cannot_carry_is_gone(trip: tuple[Path, Path, Path]) -> None:
    first, _, second = trip
    question_links = "SELECT ?x WHERE { ?x qikg:answersQuestion ?q }"
    assert rows(first, question_links) and not rows(second, question_links)
    moderated = "SELECT ?d WHERE { ?d a qikg:ModeratedCoding }"
    assert rows(first, moderated) and not rows(second, moderated)


@pytest.mark.slow
def test_export_validates_offline_and_counts_from_the_dataset(
    trip: tuple[Path, Path, Path],
) -> None:
    from lxml import etree

    if not XSD.is_file():
        pytest.skip("../shared/refi-qda is not beside the project")
    first, project, _ = trip
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    schema = etree.XMLSchema(etree.parse(str(XSD), parser))
    archive = zipfile.ZipFile(project)
    root = etree.fromstring(archive.read("project.qde"), parser)
    schema.assertValid(root)
    nquads = (first / "dataset.nq").read_text(encoding="utf-8").splitlines()
    has_code = [q for q in nquads if "<https://w3id.org/qikg/ontology#hasCode>" in q]
    assert len(root.findall(f".//{QDA}Coding")) == len(has_code)
    assert len(root.findall(f".//{QDA}PlainTextSelection")) == len({q.split()[0] for q in has_code})
    # GUIDs are UUID 5 of the IRIs: the document's, and each code's.
    (source,) = root.iter(f"{QDA}TextSource")
    document = "https://w3id.org/qikg/cote2024/interview/3/moderation-amin"
    assert source.get("guid") == str(uuid.uuid5(uuid.NAMESPACE_URL, document)).upper()
    drift = "https://w3id.org/qikg/cote2024/code/mm-drift"
    codes = {c.get("name"): c.get("guid") for c in root.iter(f"{QDA}Code")}
    assert codes["MM-drift"] == str(uuid.uuid5(uuid.NAMESPACE_URL, drift)).upper()
    # Each selection's positions pick, in the source text, the quote of its excerpt.
    member = source.get("plainTextPath").replace("internal://", "sources/")
    text = archive.read(member).decode("utf-8")
    quotes = {exact for _, _, _, exact in rows(first, CARRIED["quotes"])}
    for sel in source.iter(f"{QDA}PlainTextSelection"):
        start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        assert text[start:end] in quotes


@pytest.mark.slow
def test_export_is_deterministic_and_atomic(trip: tuple[Path, Path, Path], tmp_path: Path) -> None:
    first, project, _ = trip
    again = tmp_path / "again.qdpx"
    export_qdpx(first, again)
    assert again.read_bytes() == project.read_bytes()
    with pytest.raises(ParseError, match="not a dataset folder"):
        export_qdpx(tmp_path, tmp_path / "none.qdpx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.qdpx"]
