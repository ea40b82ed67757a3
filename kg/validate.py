"""SHACL validation of one validation unit (an interview's graphs plus the codebook).

Takes graphs, returns a report; never prints. The report names, for every result, the
source file and line of the node at fault, so a researcher can find it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyshacl
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from qikg.ontology import ontology_graph, shapes_graph

from .iris import QIKG

SH = Namespace("http://www.w3.org/ns/shacl#")


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


def validate(graphs: Iterable[Graph], codebook: Graph) -> Report:
    """Validate the union of ``graphs`` with the codebook against the shapes and ontology."""
    data = Graph()
    for g in (*graphs, codebook):
        for triple in g:
            data.add(triple)
    _, results, _ = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    assert isinstance(results, Graph)
    return Report(tuple(sorted(_results(results, data), key=_order)))


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
