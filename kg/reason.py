"""OWL reasoning with HermiT (through owlready2): consistency and inferences, as a report.

Reasoning runs on small units: the ontology (with the alignment modules), the study's shared
graphs (study, codebook, catalogue) and ONE interview's graphs at a time, since HermiT's cost
grows fast with the number of individuals. Only class memberships and links between nodes are
reasoned over: literal values and the text selectors of excerpt targets are dropped first (the
SHACL shapes check those), which keeps a unit to a few hundred individuals.

Nothing here prints; :func:`reason_dataset` and :func:`reason_graphs` return a
:class:`ReasoningReport`.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef

from qikg import ontology
from qikg.errors import QikgError

from .iris import ONTOLOGY_IRI, QIKG

OA = Namespace("http://www.w3.org/ns/oa#")
SKOS_CORE = "http://www.w3.org/2004/02/skos/core#"
INFERENCES_IRI = "http://inferrences/"
"""Where owlready2 puts what the reasoner inferred (its spelling)."""
_TARGET_LINKS = (OA.hasTarget, OA.hasSource, OA.hasSelector)
_TARGET_KINDS = (OA.SpecificResource, OA.TextQuoteSelector, OA.TextPositionSelector)
_INTERVIEW_GRAPH = re.compile(r"^(?P<root>.+)/interview/(?P<n>[1-9][0-9]*)(/.*)?$")
_BUILTIN = ("http://www.w3.org/2002/07/owl#", str(RDF), str(RDFS))


class ReasonerUnavailable(QikgError):
    """HermiT cannot run: no Java, or Java failed to start the reasoner."""

    exit_code = 6


@dataclass(frozen=True, order=True)
class Inference:
    """One inferred triple about an individual: a class membership or a link."""

    subject: str
    predicate: str
    object: str


@dataclass
class ReasoningReport:
    """What the reasoner found over every unit of a dataset."""

    consistent: bool
    units: list[str]
    inconsistent_units: list[str] = field(default_factory=list)
    individuals: int = 0
    seconds: float = 0.0
    inferences: list[Inference] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def memberships(self) -> dict[str, int]:
        """Inferred class memberships, counted by class IRI."""
        counts = Counter(i.object for i in self.inferences if i.predicate == str(RDF.type))
        return dict(sorted(counts.items()))

    @property
    def links(self) -> dict[str, int]:
        """Inferred links between individuals, counted by property IRI."""
        counts = Counter(i.predicate for i in self.inferences if i.predicate != str(RDF.type))
        return dict(sorted(counts.items()))

    def notable(self) -> list[str]:
        """The inferences a researcher reads: evidence classes and links, and mappings."""
        lines = []
        # Class memberships first (what each excerpt is evidence of), then links.
        for i in sorted(self.inferences, key=lambda i: (i.predicate != str(RDF.type), i)):
            term = i.object if i.predicate == str(RDF.type) else i.predicate
            if term.startswith(str(QIKG)) or term.startswith(SKOS_CORE):
                verb = "is a" if i.predicate == str(RDF.type) else self.label(i.predicate)
                obj = self.label(i.object)
                lines.append(f"{_short(i.subject)} {verb} {obj}")
        return lines

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or _short(iri)


def _short(iri: str) -> str:
    """The last two path segments of a data IRI, or the local name of a term."""
    if "#" in iri:
        return iri.rsplit("#", 1)[1]
    parts = iri.rstrip("/").split("/")
    return "/".join(parts[-3:]) if "excerpt" in parts else "/".join(parts[-2:])


def java_executable(java: str | os.PathLike[str] | None = None) -> str:
    """The Java program HermiT will run under; raise if there is none."""
    path = str(java) if java is not None else shutil.which("java")
    if not path or not Path(path).is_file() or not os.access(path, os.X_OK):
        where = f"at {path}" if path else "on the PATH"
        raise ReasonerUnavailable(
            f"the HermiT reasoner needs Java (17 or later), and no Java was found {where}; "
            "install a Java runtime (for example: apt-get install default-jre-headless)"
        )
    return path


def reasoning_graph(*graphs: Graph, alignments: bool = True) -> Graph:
    """The ontology (and alignment modules) with the given data, pruned for the reasoner."""
    merged = Graph()
    merged += ontology.ontology_graph()
    if alignments:
        merged += ontology.alignments_graph()
    for graph in graphs:
        targets = {s for kind in _TARGET_KINDS for s in graph.subjects(RDF.type, kind)}
        for s, p, o in graph:
            if isinstance(o, Literal) or p in _TARGET_LINKS or s in targets:
                continue
            merged.add((s, p, o))
    return merged


def _labels(graph: Graph) -> dict[str, str]:
    return {
        str(s): str(o)
        for s, o in graph.subject_objects(RDFS.label)
        if isinstance(s, URIRef) and isinstance(o, Literal) and o.language in (None, "en")
    }


def hermit(graph: Graph, *, java: str, property_values: bool = True) -> tuple[bool, set[Inference]]:
    """Run HermiT over one graph in a fresh owlready2 world: consistent?, and what it inferred.

    ``property_values`` also infers links between individuals (property chains), which
    roughly doubles the time.
    """
    import owlready2

    owlready2.JAVA_EXE = java
    world = owlready2.World()
    data = graph.serialize(format="nt", encoding="utf-8")
    world.get_ontology(ONTOLOGY_IRI).load(fileobj=BytesIO(data), format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=property_values, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False, set()
    except owlready2.OwlReadyJavaError as exc:
        raise ReasonerUnavailable(f"Java could not run the HermiT reasoner: {exc}") from None
    except OSError as exc:
        raise ReasonerUnavailable(f"Java could not be started ({java}): {exc}") from None
    inferred: set[Inference] = set()
    for s, p, o in world.get_ontology(INFERENCES_IRI).get_triples():
        if not (isinstance(o, int) and s > 0 and o > 0):
            continue
        subject, predicate, obj = (world._unabbreviate(x) for x in (s, p, o))
        if subject.startswith(str(QIKG)) or obj.startswith(_BUILTIN):
            continue  # class-level inferences and owl:Thing-like types
        if predicate == str(RDFS.subClassOf):
            continue
        inferred.add(Inference(subject, predicate, obj))
    world.close()
    return True, inferred


def reason_graphs(
    units: dict[str, list[Graph]],
    shared: Iterable[Graph] = (),
    *,
    java: str | os.PathLike[str] | None = None,
    alignments: bool = True,
    property_values: bool = True,
) -> ReasoningReport:
    """Reason over each unit (a name and its graphs) merged with the shared graphs."""
    exe = java_executable(java)
    shared = list(shared)
    start = time.perf_counter()
    report = ReasoningReport(consistent=True, units=sorted(units))
    found: set[Inference] = set()
    for name in report.units:
        graph = reasoning_graph(*shared, *units[name], alignments=alignments)
        report.labels.update(_labels(graph))
        report.individuals += len(
            {s for s in graph.subjects() if not str(s).startswith(ONTOLOGY_IRI)}
        )
        consistent, inferred = hermit(graph, java=exe, property_values=property_values)
        if not consistent:
            report.consistent = False
            report.inconsistent_units.append(name)
        found |= inferred
    report.inferences = sorted(found)
    report.seconds = time.perf_counter() - start
    return report


def units_of(dataset: Dataset) -> tuple[dict[str, list[Graph]], list[Graph]]:
    """Split a dataset's named graphs into one unit per interview and the shared graphs."""
    units: dict[str, list[Graph]] = {}
    shared: list[Graph] = []
    for graph in dataset.graphs():
        name = str(graph.identifier)
        if not len(graph) or name == str(dataset.default_graph.identifier):
            continue
        match = _INTERVIEW_GRAPH.match(name)
        if match:
            units.setdefault(f"{match['root']}/interview/{match['n']}", []).append(graph)
        else:
            shared.append(graph)
    return units, shared


def load_dataset(folder: Path) -> Dataset:
    """The dataset written by ``qikg build`` into ``folder``."""
    from .build import DATASET_NQ

    path = folder / DATASET_NQ
    if not path.is_file():
        raise QikgError(
            f"{folder} holds no built dataset ({DATASET_NQ} is missing): run qikg build"
        )
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    return dataset


def reason_dataset(
    folder: Path,
    *,
    java: str | os.PathLike[str] | None = None,
    alignments: bool = True,
    property_values: bool = True,
    interviews: Iterable[int] | None = None,
) -> ReasoningReport:
    """Reason over the dataset built in ``folder``, one interview at a time."""
    java_executable(java)  # fail before parsing anything
    units, shared = units_of(load_dataset(folder))
    if interviews is not None:
        wanted = {str(n) for n in interviews}
        units = {k: v for k, v in units.items() if k.rsplit("/", 1)[1] in wanted}
    return reason_graphs(
        units, shared, java=java, alignments=alignments, property_values=property_values
    )
