"""The qikg ontology, its SHACL shapes and the checks that hold its conventions.

The files ship inside the package and are found through :mod:`importlib.resources`, so
they work from a source tree, an editable install or a wheel alike.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from rdflib import Graph

SHAPES_IRI = "https://w3id.org/qikg/shapes"
"""The IRI of the shapes graph; shape IRIs live in ``SHAPES_IRI + "#"``."""

_PACKAGE = files(__name__)
ONTOLOGY_FILE: Traversable = _PACKAGE / "qikg.ttl"
SHAPES_FILE: Traversable = _PACKAGE / "shapes.ttl"
CHECKS_DIR: Traversable = _PACKAGE / "checks"
ALIGNMENTS_DIR: Traversable = _PACKAGE / "alignments"
ALLOW_LIST_FILE: Traversable = ALIGNMENTS_DIR / "allow-list.txt"
ALIGNMENTS_IRI = "https://w3id.org/qikg/ontology/alignments/"
"""Each alignment module's IRI is this followed by the module's file name without ``.ttl``."""


def _parse(resource: Traversable) -> Graph:
    graph = Graph()
    graph.parse(data=resource.read_text(encoding="utf-8"), format="turtle")
    return graph


@cache
def ontology_graph() -> Graph:
    """The ontology, parsed once and shared: copy it before adding triples."""
    return _parse(ONTOLOGY_FILE)


@cache
def shapes_graph() -> Graph:
    """The SHACL shapes, parsed once and shared: copy them before adding triples."""
    return _parse(SHAPES_FILE)


def alignment_files() -> list[Traversable]:
    """The alignment modules (one per external vocabulary family), by name."""
    return sorted(
        (item for item in ALIGNMENTS_DIR.iterdir() if item.name.endswith(".ttl")),
        key=lambda item: item.name,
    )


@cache
def alignments_graph() -> Graph:
    """All alignment modules merged, parsed once and shared: copy before adding triples."""
    graph = Graph()
    for item in alignment_files():
        graph.parse(data=item.read_text(encoding="utf-8"), format="turtle")
    return graph


def allow_list() -> dict[str, str]:
    """External IRIs allowed without a defining file in the shared vocabularies, with why."""
    allowed: dict[str, str] = {}
    for line in ALLOW_LIST_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            iri, _, reason = line.partition("\t")
            allowed[iri.strip()] = reason.strip()
    return allowed


def checks() -> list[Traversable]:
    """The ontology's ``*-violation.rq`` checks, by name: each must select no rows."""
    return sorted(
        (item for item in CHECKS_DIR.iterdir() if item.name.endswith(".rq")),
        key=lambda item: item.name,
    )
