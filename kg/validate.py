"""SHACL validation of one validation unit (an interview's graphs plus the codebook).

Takes graphs, returns a report; never prints. The report names, for every result, the
source file and line of the node at fault, so a researcher can find it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pyshacl
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from qikg.ontology import ontology_graph, shapes_graph

from .iris import QIKG

SH = Namespace("http://www.w3.org/ns/shacl#")
ONTOLOGY_CONTEXT = URIRef("urn:qikg:validation:ontology")
"""The context the ontology is put in while a store's union is validated."""


@dataclass(frozen=True)
class Result:
    """One SHACL result, located in its source file where the data says where."""

    severity: str
    focus: str
    path: str
    message: str
    shape: str
    value: str
    file: str | None
    line: int | None
    page: int | None

    def __str__(self) -> str:
        where = self.file or "codebook or study description"
        if self.page is not None:
            where += f", page {self.page}"
        if self.line is not None:
            where += f", line {self.line}"
        value = f" (value {self.value})" if self.value else ""
        path = f" at {self.path}" if self.path else ""
        node = f"node {self.focus}{path}; shape {self.shape}"
        return f"{self.severity}: {where}: {self.message}{value} [{node}]"


@dataclass(frozen=True)
class Report:
    """What validation found; ``conforms`` is False only for violations, not warnings."""

    results: tuple[Result, ...]

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def text(self) -> str:
        return "\n".join(str(r) for r in self.results)


@dataclass(frozen=True)
class SparqlShape:
    """A shape whose constraint is a SPARQL query, to run once over a whole store."""

    shape: str
    severity: str
    message: str
    query: str
    """SELECT over every focus node of the shape's target class, bound to ``?this``."""


def validate(graphs: Iterable[Graph], codebook: Graph, *, sparql: bool = True) -> Report:
    """Validate the union of ``graphs`` with the codebook against the shapes and ontology.

    With ``sparql=False`` the SPARQL-based shapes are left out: the build runs them once on
    the assembled store (:func:`sparql_shapes`) instead of once per interview. Graphs that are
    the only contexts of one store (:class:`~qikg.kg.graph.Builder` given a ``store``) are
    validated in place, as that store's union; others are copied into one graph first.
    """
    parts = [*graphs, codebook]
    shacl = shapes_graph() if sparql else core_shapes()
    store = parts[0].store
    own = {g.identifier for g in parts}
    shared = all(g.store is store for g in parts) and store.context_aware
    if shared and {c.identifier for c in store.contexts()} <= own:
        return _validate_union(Dataset(store, default_union=True), shacl)
    data = Graph()
    for g in (*parts, ontology_graph()):
        for triple in g:
            data.add(triple)
    return _run(data, shacl)


def _validate_union(data: Dataset, shacl: Graph) -> Report:
    """Validate a store's union with the ontology added for the run, as a context of its own."""
    ontology = data.graph(ONTOLOGY_CONTEXT)
    for triple in ontology_graph():
        ontology.add(triple)
    try:
        return _run(data, shacl)
    finally:
        data.remove_graph(ontology)


def _run(data: Graph, shacl: Graph) -> Report:
    _, results, _ = pyshacl.validate(
        data,
        shacl_graph=shacl,
        inference="none",
        advanced=False,
        allow_warnings=True,
        inplace=True,
    )
    assert isinstance(results, Graph)
    return Report(tuple(sorted(_results(results, data), key=_order)))


def _sparql_shape_nodes(shapes: Graph) -> set[Node]:
    """The shapes with a SPARQL constraint and every blank node below them."""
    found: set[Node] = set(shapes.subjects(SH.sparql, None))
    todo = [o for s in list(found) for o in shapes.objects(s, None)]
    while todo:
        node = todo.pop()
        if isinstance(node, URIRef | Literal) or node in found:
            continue
        found.add(node)
        todo.extend(shapes.objects(node, None))
    return found


@cache
def core_shapes() -> Graph:
    """The shapes without the SPARQL-based ones (those run on the store)."""
    shapes = shapes_graph()
    left_out = _sparql_shape_nodes(shapes)
    core = Graph()
    for triple in shapes:
        if triple[0] not in left_out:
            core.add(triple)
    return core


@cache
def sparql_shapes() -> tuple[SparqlShape, ...]:
    """The SPARQL-based shapes as queries over all focus nodes of their target class."""
    shapes = shapes_graph()
    found = []
    for shape in sorted(set(shapes.subjects(SH.sparql, None)), key=str):
        declared = "".join(
            f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
            for d in shapes.objects(None, SH.declare)
        )
        targets = list(shapes.objects(shape, SH.targetClass))
        for constraint in shapes.objects(shape, SH.sparql):
            text = str(shapes.value(constraint, SH.select)).replace("$this", "?this")
            # PREFIX lines of the query go first, outside the subquery that wraps it
            own = re.findall(r"^\s*PREFIX[^\n]*\n", text, re.M | re.I)
            select = re.sub(r"^\s*PREFIX[^\n]*\n", "", text, flags=re.M | re.I)
            prefixes = declared + "".join(line.strip() + "\n" for line in own)
            message = shapes.value(constraint, SH.message) or shapes.value(shape, SH.message)
            severity = shapes.value(shape, SH.severity) or SH.Violation
            for target in targets:
                found.append(
                    SparqlShape(
                        shape=str(shape),
                        severity=str(severity).rsplit("#", 1)[-1],
                        message=str(message or "constraint not met"),
                        query=f"{prefixes}SELECT * WHERE {{ ?this a <{target}> . {{ {select} }} }}",
                    )
                )
    return tuple(found)


def _order(r: Result) -> tuple[str, int, int, str]:
    return (r.file or "", r.page or 0, r.line or 0, r.message)


def _results(results: Graph, data: Graph) -> Iterable[Result]:
    for node in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(node, SH.focusNode)
        severity = results.value(node, SH.resultSeverity)
        value = results.value(node, SH.value)
        # SPARQL constraints focus on the interview and name the node at fault as the value.
        file, line, page = locate(data, value) if isinstance(value, URIRef) else (None, None, None)
        if file is None:
            file, line, page = locate(data, focus)
        messages = sorted(str(m) for m in results.objects(node, SH.resultMessage))
        yield Result(
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            focus=str(focus),
            path=_short(results.value(node, SH.resultPath)),
            message="; ".join(messages) or "constraint not met",
            shape=_short(results.value(node, SH.sourceShape)),
            value=_short(value),
            file=file,
            line=line,
            page=page,
        )


def _short(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        text = str(node)
        return "qikg:" + text[len(str(QIKG)) :] if text.startswith(str(QIKG)) else text
    if isinstance(node, Literal):
        return repr(str(node))[:80]
    return "(blank node)"


def locate(data: Graph, node: Node | None) -> tuple[str | None, int | None, int | None]:
    """Source file, line and page of a node: its own, or those of what it belongs to."""
    seen: set[Node] = set()
    line = page = None
    while node is not None and node not in seen:
        seen.add(node)
        if line is None and (v := data.value(node, QIKG.sourceLine)) is not None:
            line = int(str(v))
        if page is None and (v := data.value(node, QIKG.sourcePage)) is not None:
            page = int(str(v))
        if (f := data.value(node, QIKG.sourceFile)) is not None:
            return str(f), line, page
        node = next(
            (
                data.value(node, p)
                for p in (QIKG.excerptOf, QIKG.inTurn, QIKG.inDocument, QIKG.hasSource)
                if data.value(node, p) is not None
            ),
            _owner(data, node),
        )
    return None, line, page


def _owner(data: Graph, node: Node) -> Node | None:
    """The excerpt or target that points at a selector or target, for blank-free IRIs."""
    for p in (
        URIRef("http://www.w3.org/ns/oa#hasSelector"),
        URIRef("http://www.w3.org/ns/oa#hasTarget"),
    ):
        owner = data.value(None, p, node)
        if owner is not None:
            return owner
    return None
