"""The ontology's HTML documentation: every term with its label and definition, offline."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, URIRef

from qikg import ontology
from qikg.cli import main
from qikg.kg.iris import QIKG
from qikg.kg.ontodoc import render_html, write_docs


@pytest.fixture(scope="module")
def page() -> str:
    return render_html()


def qikg_terms() -> list[URIRef]:
    graph = ontology.ontology_graph()
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)
    return sorted(
        {
            s
            for k in kinds
            for s in graph.subjects(RDF.type, k)
            if isinstance(s, URIRef) and str(s).startswith(str(QIKG))
        }
    )


def test_every_term_has_an_anchor_with_its_label_and_definition(page: str) -> None:
    graph = ontology.ontology_graph()
    text = html.unescape(page)
    terms = qikg_terms()
    assert len(terms) > 90
    for term in terms:
        name = str(term).removeprefix(str(QIKG))
        match = re.search(rf'<section class="term" id="{name}">(.*?)</section>', page, re.S)
        assert match, name
        section = html.unescape(match.group(1))
        assert str(graph.value(term, RDFS.label)) in section
        assert str(graph.value(term, SKOS.definition)) in section
    assert "quality issues in machine learning software systems".lower() in text.lower()


def test_nothing_is_loaded_from_another_host(page: str) -> None:
    assert "<script" not in page
    assert not re.search(r"<link[^>]+href=", page)
    assert not re.search(r"<(img|iframe|source|video|audio)\b", page)
    assert not re.search(r"@import|url\(", page)


def test_alignments_and_axioms_are_shown(page: str) -> None:
    section = re.search(r'id="DimensionReliability">(.*?)</section>', page, re.S)
    assert section and "squap:Reliability" in section.group(1)
    assert "closeMatch" in section.group(1)
    chain = re.search(r'id="saidBy">(.*?)</section>', page, re.S)
    assert chain and "property chain" in chain.group(1)
    for module in ontology.alignment_files():
        assert ontology.ALIGNMENTS_IRI + module.name.removesuffix(".ttl") in page


def test_write_docs_and_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_docs(tmp_path / "a")
    assert path == tmp_path / "a" / "index.html" and path.read_text(encoding="utf-8")
    assert main(["docs", "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "index.html").is_file()
    assert capsys.readouterr().out.strip().endswith("index.html")
