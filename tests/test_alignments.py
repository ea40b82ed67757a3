"""Alignment modules: every external term they use exists offline, nothing is imported, and
the ontology with all its alignments is consistent under HermiT."""

from __future__ import annotations

import csv
import shutil
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from qikg import ontology
from qikg.kg.iris import ONTOLOGY_IRI, QIKG

VOCAB = Path(__file__).resolve().parents[2] / "shared" / "vocab"
OURS = "https://w3id.org/qikg/"
BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))
OWL_KINDS = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
)
MODULES = [m.name for m in ontology.alignment_files()]


def module_graph(name: str) -> Graph:
    (item,) = [m for m in ontology.alignment_files() if m.name == name]
    return Graph().parse(data=item.read_text(encoding="utf-8"), format="turtle")


def all_graphs() -> dict[str, Graph]:
    graphs = {"qikg.ttl": ontology.ontology_graph()}
    graphs.update((name, module_graph(name)) for name in MODULES)
    return graphs


def external_iris(graph: Graph) -> set[str]:
    return {
        str(term)
        for triple in graph
        for term in triple
        if isinstance(term, URIRef)
        and not str(term).startswith(OURS)
        and not str(term).startswith(BUILTIN)
    }


@cache
def namespaces() -> dict[str, str]:
    """Namespace -> file of ../shared/vocab, from its SOURCES.tsv."""
    with (VOCAB / "SOURCES.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {row["namespace"].split()[0]: row["file"] for row in rows}


@cache
def vocabulary(file: str) -> Graph:
    fmt = "xml" if file.endswith(".owl") else "turtle"
    return Graph().parse(VOCAB / file, format=fmt)


def defining_file(iri: str) -> str | None:
    matches = [ns for ns in namespaces() if iri.startswith(ns)]
    return namespaces()[max(matches, key=len)] if matches else None


@pytest.fixture(scope="module")
def offline() -> None:
    if not (VOCAB / "SOURCES.tsv").is_file():
        pytest.skip(f"the shared vocabularies are not at {VOCAB}")


# ---- the modules themselves


def test_there_is_a_module_per_vocabulary_family() -> None:
    assert {"nif.ttl", "ddi.ttl", "dqv.ttl", "squap.ttl", "mls.ttl", "airo-vair.ttl"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_module_header(name: str) -> None:
    graph = module_graph(name)
    iri = URIRef(ontology.ALIGNMENTS_IRI + name.removesuffix(".ttl"))
    assert set(graph.subjects(RDF.type, OWL.Ontology)) == {iri}
    assert graph.value(iri, OWL.versionIRI) == URIRef(f"{iri}/0.2.0")
    assert isinstance(graph.value(iri, DCTERMS.license), URIRef)
    assert graph.value(iri, DCTERMS.creator) and graph.value(iri, DCTERMS.title)
    assert graph.value(iri, DCTERMS.description)


@pytest.mark.parametrize("name", ["qikg.ttl", *MODULES])
def test_nothing_is_imported(name: str) -> None:
    assert not list(all_graphs()[name].triples((None, OWL.imports, None)))


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_every_external_term_it_uses(name: str) -> None:
    """OWL 2 DL: each external IRI a module uses is declared in it with an OWL kind."""
    graph = module_graph(name)
    used = {
        t
        for s, p, o in graph
        for t in (p, o)
        if isinstance(t, URIRef) and str(t) in external_iris(graph)
    }
    used -= {URIRef(iri) for iri in ontology.allow_list()}
    undeclared = [t for t in used if not any((t, RDF.type, k) in graph for k in OWL_KINDS)]
    assert not undeclared


def test_modules_pass_the_ontology_checks() -> None:
    graph = Graph()
    graph += ontology.ontology_graph()
    graph += ontology.alignments_graph()
    for check in ontology.checks():
        assert list(graph.query(check.read_text(encoding="utf-8"))) == [], check.name


def test_mappings_are_skos_mapping_properties_or_subclass_axioms() -> None:
    """Concepts are mapped with SKOS, classes with rdfs:subClassOf; never owl:sameAs."""
    graph = ontology.alignments_graph()
    assert not list(graph.triples((None, OWL.sameAs, None)))
    assert not list(graph.triples((None, OWL.equivalentClass, None)))
    concepts = {QIKG.MLPhase, QIKG.QualityDimension}
    for s, p, _ in graph:
        if p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch):
            kinds = set(ontology.ontology_graph().objects(s, RDF.type))
            assert kinds & concepts or str(s).startswith(OURS + "cote2024/code/"), s


# ---- every external IRI exists offline


def test_every_external_iri_is_defined_in_the_shared_vocabularies(offline: None) -> None:
    allowed = ontology.allow_list()
    missing: dict[str, list[str]] = {}
    used: set[str] = set()
    for name, graph in all_graphs().items():
        for iri in sorted(external_iris(graph)):
            used.add(iri)
            if iri in allowed:
                continue
            file = defining_file(iri)
            if file is None or (URIRef(iri), None, None) not in vocabulary(file):
                missing.setdefault(name, []).append(iri)
    assert not missing
    assert len(used) > 60
    stale = set(allowed) - used
    assert not stale, "allow-list entries nothing uses"


def test_allow_list_holds_only_what_no_shared_vocabulary_could_define(offline: None) -> None:
    for iri, reason in ontology.allow_list().items():
        assert reason, iri
        assert defining_file(iri) is None, f"{iri} belongs to a shared vocabulary"


def test_declared_kinds_agree_with_the_vocabularies(offline: None) -> None:
    """Where a vocabulary gives a term an OWL kind, the modules declare it with that kind,
    or as a named individual where the vocabulary also uses the term as a concept."""
    disagreements = []
    for name in MODULES:
        graph = module_graph(name)
        for iri in external_iris(graph):
            file = defining_file(iri)
            if file is None:
                continue
            term = URIRef(iri)
            theirs = {k for k in vocabulary(file).objects(term, RDF.type) if k in OWL_KINDS}
            ours = {k for k in graph.objects(term, RDF.type) if k in OWL_KINDS}
            punned = ours == {OWL.NamedIndividual} and OWL.Class in theirs
            if theirs and ours and not ours <= theirs and not punned:
                disagreements.append((name, iri, ours, theirs))
    assert not disagreements


# ---- consistency


def test_ontology_with_all_alignments_is_consistent() -> None:
    owlready2 = pytest.importorskip("owlready2")
    java = shutil.which("java")
    if java is None:
        pytest.skip("HermiT needs Java")
    owlready2.JAVA_EXE = java
    graph = Graph()
    graph += ontology.ontology_graph()
    graph += ontology.alignments_graph()
    world = owlready2.World()
    data = graph.serialize(format="nt", encoding="utf-8")
    world.get_ontology(ONTOLOGY_IRI).load(fileobj=BytesIO(data), format="ntriples")
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
