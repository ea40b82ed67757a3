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


def checks() -> list[Traversable]:
    """The ontology's ``*-violation.rq`` checks, by name: each must select no rows."""
    return sorted(
        (item for item in CHECKS_DIR.iterdir() if item.name.endswith(".rq")),
        key=lambda item: item.name,
    )
