"""The ontology: its terms, its conventions, its reuse of W3C vocabularies, its consistency."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, VANN

from qikg import ontology
from qikg.kg.iris import ONTOLOGY_IRI, QIKG

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
VOCAB = SHARED / "vocab"
EXAMPLES = REPO / "ontology" / "examples"

OA = Namespace("http://www.w3.org/ns/oa#")
STUDY = "https://w3id.org/qikg/cote2024"

# The vocabularies the ontology may reuse, with the file in ../shared/vocab defining each.
EXTERNAL = {
    "http://www.w3.org/ns/oa#": "oa.ttl",
    "http://www.w3.org/ns/prov#": "prov-o.ttl",
    "http://www.w3.org/2004/02/skos/core#": "skos.ttl",
    "http://purl.org/dc/terms/": "dcterms.ttl",
    "http://xmlns.com/foaf/0.1/": "foaf.ttl",
    "http://purl.org/vocab/vann/": "vann.ttl",
}
OWL_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

# The terms the graph builder emits (docs/data-shape.md), by the kind each must have.
CLASSES = [
    "Study",
    "Interview",
    "Document",
    "Transcript",
    "Coding",
    "ModeratedCoding",
    "Turn",
    "Paragraph",
    "Participant",
    "Interviewer",
    "Coder",
    "SpeakerRole",
    "CodedExcerpt",
    "Code",
    "QualityIssue",
    "Mitigation",
    "CodeFamily",
    "GenericMitigation",
    "DataCollectionTechnique",
    "PositiveFinding",
    "CodingNote",
    "UncuratedCode",
    "Codebook",
    "MLPhase",
    "QualityDimension",
    "InterviewGuide",
    "GuideQuestion",
    "QuestionWording",
    "Catalogue",
    "CatalogueIssue",
    "QualityIssueEvidence",
    "MitigationEvidence",
    "MaintenanceEvidence",
    "ReliabilityEvidence",
    "IntervieweeEvidence",
]
OBJECT_PROPERTIES = [
    "partOfStudy",
    "ofInterview",
    "interviewee",
    "interviewer",
    "inDocument",
    "inTurn",
    "speakerRole",
    "spokenBy",
    "hasCode",
    "answersQuestion",
    "excerptOf",
    "codeFamily",
    "addresses",
    "mlPhase",
    "qualityDimension",
    "inGuide",
    "usesGuide",
    "usesCodebook",
    "codedBy",
    "moderatedBy",
    "inDimension",
    "hasWording",
    "evidenceOfPhase",
    "evidenceOfDimension",
    "saidBy",
    "discussesCode",
]
DATATYPE_PROPERTIES = [
    "interviewNumber",
    "position",
    "text",
    "speakerLabel",
    "sourceLine",
    "sourcePage",
    "sourceFile",
    "sourceFormat",
    "quote",
    "codeAsWritten",
    "questionIdAsWritten",
    "delveTranscriptId",
    "printedOn",
    "questionText",
]
ROLES = ["RoleInterviewer", "RoleInterviewee", "RoleUnknown"]
PHASES = [
    "PhaseDataCollection",
    "PhaseDataPreparation",
    "PhaseModelTraining",
    "PhaseModelEvaluation",
    "PhaseModelDeployment",
    "PhaseModelMaintenance",
    "PhaseCrossCutting",
]
DIMENSIONS = [
    "DimensionEvaluability",
    "DimensionExplainability",
    "DimensionDebuggability",
    "DimensionEfficiency",
    "DimensionMaintainability",
    "DimensionReliability",
]
CURATED_KINDS = [
    "QualityIssue",
    "Mitigation",
    "CodeFamily",
    "GenericMitigation",
    "DataCollectionTechnique",
    "PositiveFinding",
    "CodingNote",
]


def ontology_copy() -> Graph:
    """A private copy of the shared ontology graph, safe to change."""
    graph = Graph()
    graph += ontology.ontology_graph()
    return graph


def run_check(graph: Graph, name: str) -> list[object]:
    (check,) = [c for c in ontology.checks() if c.name == name]
    return list(graph.query(check.read_text(encoding="utf-8")))


# ---- the module


def test_module_exposes_files_and_cached_graphs() -> None:
    assert ontology.ONTOLOGY_FILE.is_file()
    assert ontology.SHAPES_FILE.is_file()
    assert ontology.ontology_graph() is ontology.ontology_graph()
    assert ontology.shapes_graph() is ontology.shapes_graph()
    assert (URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology) in ontology.ontology_graph()
    names = [c.name for c in ontology.checks()]
    assert names == sorted(names)
    assert names and all(n.endswith("-violation.rq") for n in names)


# ---- header and terms


def test_header() -> None:
    graph = ontology.ontology_graph()
    onto = URIRef(ONTOLOGY_IRI)
    assert graph.value(onto, OWL.versionIRI) == URIRef(ONTOLOGY_IRI + "/0.2.0")
    assert graph.value(onto, OWL.versionInfo) == Literal("0.2.0")
    assert graph.value(onto, DCTERMS.license) == URIRef("https://spdx.org/licenses/MIT")
    assert graph.value(onto, DCTERMS.creator) == Literal("The qikg authors")
    assert graph.value(onto, VANN.preferredNamespacePrefix) == Literal("qikg")
    assert str(graph.value(onto, VANN.preferredNamespaceUri)) == str(QIKG)
    description = str(graph.value(onto, DCTERMS.description))
    assert "10.1007/s10664-024-10536-7" in description and "Côté" in description
    created = graph.value(onto, DCTERMS.created)
    assert isinstance(created, Literal) and created.datatype == XSD.date
    assert isinstance(created.toPython(), date)
    assert not list(graph.objects(onto, OWL.imports)), (
        "external ontologies are declared, not imported"
    )


@pytest.mark.parametrize(
    ("names", "kind"),
    [
        (CLASSES, OWL.Class),
        (OBJECT_PROPERTIES, OWL.ObjectProperty),
        (DATATYPE_PROPERTIES, OWL.DatatypeProperty),
        (
            ROLES + PHASES + DIMENSIONS + ["MLPhaseScheme", "QualityDimensionScheme"],
            OWL.NamedIndividual,
        ),
    ],
)
def test_terms_of_the_data_are_declared(names: list[str], kind: URIRef) -> None:
    graph = ontology.ontology_graph()
    missing = [n for n in names if (QIKG[n], RDF.type, kind) not in graph]
    assert not missing


def test_every_qikg_term_in_the_data_shape_is_declared() -> None:
    shape_doc = (REPO / "docs" / "data-shape.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\bqikg:([A-Za-z]+)", shape_doc))
    graph = ontology.ontology_graph()
    declared = {str(s).removeprefix(str(QIKG)) for s in graph.subjects(RDF.type, None)}
    assert used and not used - declared


@pytest.mark.parametrize(
    ("term", "parent"),
    [
        (QIKG.Study, PROV.Activity),
        (QIKG.Interview, PROV.Activity),
        (QIKG.Document, PROV.Entity),
        (QIKG.Turn, PROV.Entity),
        (QIKG.Paragraph, PROV.Entity),
        (QIKG.Participant, PROV.Person),
        (QIKG.Interviewer, PROV.Person),
        (QIKG.Coder, PROV.Person),
        (QIKG.Transcript, QIKG.Document),
        (QIKG.Coding, QIKG.Document),
        (QIKG.ModeratedCoding, QIKG.Document),
        (QIKG.CodedExcerpt, OA.Annotation),
        (QIKG.Code, SKOS.Concept),
        (QIKG.Codebook, SKOS.ConceptScheme),
        (QIKG.MLPhase, SKOS.Concept),
        (QIKG.QualityDimension, SKOS.Concept),
        (QIKG.CatalogueIssue, SKOS.Concept),
        (QIKG.Catalogue, SKOS.ConceptScheme),
        *[(QIKG[kind], QIKG.Code) for kind in [*CURATED_KINDS, "UncuratedCode"]],
    ],
)
def test_class_hierarchy_reuses_w3c_vocabularies(term: URIRef, parent: URIRef) -> None:
    assert (term, RDFS.subClassOf, parent) in ontology.ontology_graph()


@pytest.mark.parametrize(
    ("term", "parent"),
    [
        (QIKG.codeFamily, SKOS.broader),
        (QIKG.codedBy, PROV.wasAttributedTo),
        (QIKG.moderatedBy, PROV.wasAttributedTo),
        (QIKG.spokenBy, PROV.wasAttributedTo),
        (QIKG.interviewee, PROV.wasAssociatedWith),
        (QIKG.interviewer, PROV.wasAssociatedWith),
        (QIKG.hasCode, OA.hasBody),
        (QIKG.inDimension, SKOS.broader),
    ],
)
def test_property_hierarchy_reuses_w3c_vocabularies(term: URIRef, parent: URIRef) -> None:
    assert (term, RDFS.subPropertyOf, parent) in ontology.ontology_graph()


def disjoint_sets(graph: Graph) -> list[set[URIRef]]:
    sets = []
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = graph.value(axiom, OWL.members)
        assert members is not None
        sets.append({m for m in graph.items(members) if isinstance(m, URIRef)})
    for a, b in graph.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            sets.append({a, b})
    return sets


@pytest.mark.parametrize(
    "classes",
    [
        {QIKG[k] for k in CURATED_KINDS},
        {QIKG.Transcript, QIKG.Coding, QIKG.ModeratedCoding},
        {QIKG.Turn, QIKG.Paragraph, QIKG.Document},
        {
            QIKG.Code,
            QIKG.MLPhase,
            QIKG.QualityDimension,
            QIKG.GuideQuestion,
            QIKG.CatalogueIssue,
            QIKG.QuestionWording,
        },
    ],
)
def test_disjoint_classes(classes: set[URIRef]) -> None:
    assert classes in disjoint_sets(ontology.ontology_graph())


def test_uncurated_code_is_disjoint_from_nothing() -> None:
    assert not [s for s in disjoint_sets(ontology.ontology_graph()) if QIKG.UncuratedCode in s]


def test_named_individuals() -> None:
    graph = ontology.ontology_graph()
    for role in ROLES:
        assert (QIKG[role], RDF.type, QIKG.SpeakerRole) in graph
    assert (QIKG.MLPhaseScheme, RDF.type, SKOS.ConceptScheme) in graph
    for phase in PHASES:
        assert (QIKG[phase], RDF.type, QIKG.MLPhase) in graph
        assert (QIKG[phase], SKOS.inScheme, QIKG.MLPhaseScheme) in graph
        assert graph.value(QIKG[phase], SKOS.prefLabel) is not None
    # Every phase, dimension or role in the ontology is one of these: none is missing.
    assert set(graph.subjects(RDF.type, QIKG.MLPhase)) == {QIKG[p] for p in PHASES}
    assert set(graph.subjects(RDF.type, QIKG.SpeakerRole)) == {QIKG[r] for r in ROLES}
    assert set(graph.subjects(RDF.type, QIKG.QualityDimension)) == {QIKG[d] for d in DIMENSIONS}


@pytest.mark.parametrize("name", PHASES + DIMENSIONS)
def test_phases_and_dimensions_are_skos_concepts_with_definitions(name: str) -> None:
    graph = ontology.ontology_graph()
    scheme = QIKG.MLPhaseScheme if name.startswith("Phase") else QIKG.QualityDimensionScheme
    assert (QIKG[name], SKOS.inScheme, scheme) in graph
    assert (QIKG[name], SKOS.topConceptOf, scheme) in graph
    (label,) = graph.objects(QIKG[name], SKOS.prefLabel)
    (definition,) = graph.objects(QIKG[name], SKOS.definition)
    assert isinstance(label, Literal) and label.language == "en"
    assert isinstance(definition, Literal) and definition.language == "en"
    assert str(definition).endswith(".")


def test_dimensions_are_those_of_the_catalogue() -> None:
    """The six dimensions of kg/data/dimensions.csv, named Dimension + their label."""
    from qikg.kg.catalogue import load_catalogue

    dimensions, _ = load_catalogue()
    graph = ontology.ontology_graph()
    for dimension in dimensions:
        node = QIKG["Dimension" + dimension.label]
        assert (node, RDF.type, QIKG.QualityDimension) in graph
        assert str(graph.value(node, SKOS.prefLabel)) == dimension.label.lower()


# ---- the *-violation.rq checks


@pytest.mark.parametrize("name", [c.name for c in ontology.checks()])
def test_check_finds_nothing(name: str) -> None:
    assert run_check(ontology.ontology_graph(), name) == []


def _drop(s: URIRef, p: URIRef) -> Callable[[Graph], object]:
    return lambda g: g.remove((s, p, None))


# One planted defect per check: each check must report it, so that a check that cannot
# fail (a typo in a prefix, say) does not pass unnoticed.
DEFECTS: dict[str, Callable[[Graph], object]] = {
    "term-label-violation.rq": _drop(QIKG.Turn, RDFS.label),
    "term-definition-violation.rq": _drop(QIKG.text, SKOS.definition),
    "term-defined-by-violation.rq": _drop(QIKG.RoleUnknown, RDFS.isDefinedBy),
    "undeclared-term-violation.rq": lambda g: g.add((QIKG.Turn, RDFS.subClassOf, QIKG.Utterance)),
    "external-declaration-violation.rq": lambda g: g.add(
        (QIKG.Interview, RDFS.subClassOf, PROV.Communication)
    ),
    "header-violation.rq": _drop(URIRef(ONTOLOGY_IRI), OWL.versionIRI),
    "header-values-violation.rq": lambda g: g.set(
        (URIRef(ONTOLOGY_IRI), DCTERMS.modified, Literal("2001-01-01", datatype=XSD.date))
    ),
    "concept-scheme-violation.rq": _drop(QIKG.PhaseModelTraining, SKOS.inScheme),
    "ontology-header-violation.rq": lambda g: g.add(
        (URIRef(ontology.ALIGNMENTS_IRI + "headless"), RDF.type, OWL.Ontology)
    ),
    "data-term-undefined-violation.rq": lambda g: g.add(
        (URIRef(STUDY + "/interview/3"), QIKG.heldOn, Literal("2022-05-01"))
    ),
    "data-iri-pattern-violation.rq": lambda g: g.add((URIRef(STUDY), RDF.type, QIKG.Study)).add(
        (URIRef(STUDY + "/interview/03"), RDF.type, QIKG.Interview)
    ),
}


def test_every_check_has_a_planted_defect() -> None:
    assert sorted(DEFECTS) == [c.name for c in ontology.checks()]


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_check_reports_a_planted_defect(name: str) -> None:
    graph = ontology_copy()
    DEFECTS[name](graph)
    assert run_check(graph, name)


# ---- the checks over a built dataset


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The bundled example built, with the ontology and alignment modules, in one store."""
    import pyoxigraph as ox

    from qikg.kg.build import build, example_inputs

    out = tmp_path_factory.mktemp("example") / "dataset"
    build(example_inputs(), out)
    store = ox.Store()
    store.load(path=out / "dataset.nq", format=ox.RdfFormat.N_QUADS)
    for graph in (ontology.ontology_graph(), ontology.alignments_graph()):
        store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def store_check(store: object, name: str) -> list[object]:
    (check,) = [c for c in ontology.checks() if c.name == name]
    return list(store.query(check.read_text(encoding="utf-8"), use_default_graph_as_union=True))  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", [c.name for c in ontology.checks()])
def test_check_finds_nothing_in_the_built_example(example_store: object, name: str) -> None:
    assert store_check(example_store, name) == []


@pytest.mark.parametrize(
    ("name", "triple"),
    [
        (
            "data-iri-pattern-violation.rq",
            f"<{STUDY}/interview/3/moderation-amin/turn/007> a <{QIKG}Turn> .",
        ),
        (
            "data-iri-pattern-violation.rq",
            f"<{STUDY}/interview/3/Moderation-Amin> a <{QIKG}ModeratedCoding> .",
        ),
        ("data-term-undefined-violation.rq", f'<{STUDY}/interview/3> <{QIKG}heldOn> "May" .'),
        ("data-term-undefined-violation.rq", f"<{STUDY}/interview/3> a <{QIKG}Conversation> ."),
        ("concept-scheme-violation.rq", f"<{STUDY}/code/unlisted> a <{QIKG}QualityIssue> ."),
    ],
)
def test_check_reports_a_defect_planted_in_the_built_example(
    example_store: object, name: str, triple: str
) -> None:
    import pyoxigraph as ox

    store: ox.Store = example_store  # type: ignore[assignment]
    planted = list(ox.parse(triple.encode(), format=ox.RdfFormat.TURTLE))
    store.extend(planted)
    try:
        assert store_check(store, name)
    finally:
        for quad in planted:
            store.remove(quad)


# ---- external vocabularies (offline copies in ../shared/vocab)


@pytest.fixture(scope="module")
def vocabularies() -> dict[str, Graph]:
    if not VOCAB.is_dir():
        pytest.skip(f"the shared vocabularies are not at {VOCAB}")
    return {ns: Graph().parse(VOCAB / name, format="turtle") for ns, name in EXTERNAL.items()}


def external_terms(graph: Graph) -> dict[URIRef, str]:
    """Every IRI of a reused vocabulary that the graph mentions, with its namespace."""
    found = {}
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef):
                for ns in EXTERNAL:
                    if str(term).startswith(ns):
                        found[term] = ns
    return found


def test_external_terms_exist_in_their_vocabularies(vocabularies: dict[str, Graph]) -> None:
    terms = external_terms(ontology.ontology_graph())
    assert len(terms) > 30
    unknown = [t for t, ns in terms.items() if (t, None, None) not in vocabularies[ns]]
    assert not unknown


def test_external_declarations_agree_with_their_vocabularies(
    vocabularies: dict[str, Graph],
) -> None:
    """Where a vocabulary gives its term an OWL kind, the ontology declares the same one."""
    graph = ontology.ontology_graph()
    disagreements = []
    for term, ns in external_terms(graph).items():
        theirs = {k for k in vocabularies[ns].objects(term, RDF.type) if k in OWL_KINDS}
        ours = {k for k in graph.objects(term, RDF.type) if k in OWL_KINDS}
        if theirs and ours and not ours <= theirs:
            disagreements.append((term, ours, theirs))
    assert not disagreements


# ---- reasoning (owlready2 + HermiT)


def hermit(graph: Graph) -> list[object]:
    """Run HermiT over the graph in a fresh owlready2 world; the unsatisfiable classes."""
    owlready2 = pytest.importorskip("owlready2")
    world = owlready2.World()
    data = graph.serialize(format="nt", encoding="utf-8")
    world.get_ontology(ONTOLOGY_IRI).load(fileobj=BytesIO(data), format="ntriples")
    owlready2.sync_reasoner(world, infer_property_values=False, debug=0)
    return list(world.inconsistent_classes())


def test_ontology_and_valid_examples_are_consistent() -> None:
    graph = ontology_copy()
    for example in sorted((EXAMPLES / "valid").glob("*.ttl")):
        graph.parse(example, format="turtle")
    assert hermit(graph) == []


def test_reasoner_rejects_a_code_of_two_curated_kinds() -> None:
    owlready2 = pytest.importorskip("owlready2")
    graph = ontology_copy()
    code = URIRef("https://w3id.org/qikg/cote2024/code/data-low-quality")
    graph.add((code, RDF.type, QIKG.QualityIssue))
    graph.add((code, RDF.type, QIKG.Mitigation))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit(graph)
