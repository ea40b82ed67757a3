"""The checks that span documents and graphs, run as SPARQL on the built store.

SHACL validates each interview with the codebook (``validate``) against its core shapes. The
shapes whose constraint is a SPARQL query (a turn's speaker against the interview's people,
parts in one document, coders of excerpts, the interview's IRI, offsets in order) run here
instead, once over the whole store rather than once per interview, with the same messages.
So do the checks that relate one interview's graphs to another's, to the codebook graph or
to the study graph: a code or question missing from the codebook, an anchor in another
interview's transcript, an IRI described in two graphs, a participant of two interviews, a
researcher, guide or study the study graph does not describe. Each check is a query in
``ontology/crosschecks`` that returns no rows on good data; its first line gives the
message. Rows become SHACL-style results, so failures read like the per-interview ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files

import pyoxigraph as ox

from qikg.errors import ShapesError

from .store import Store
from .validate import Report, Result, sparql_shapes

CHECKS = files("qikg.ontology") / "crosschecks"
SHAPE_PREFIX = "qikgcheck:"
"""How a result names the check that found it (the query's file name without ``.rq``)."""


@dataclass(frozen=True)
class Check:
    """One cross-document check: its name, the message template and the query."""

    name: str
    message: str
    query: str


def checks() -> list[Check]:
    """The cross-document checks shipped with the package, by name."""
    found = []
    for item in sorted(CHECKS.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".rq"):
            continue
        text = item.read_text(encoding="utf-8")
        m = re.match(r"# message: (.+)\n", text)
        if m is None:
            raise ShapesError(f"{item.name}: the first line must be '# message: ...'")
        found.append(Check(item.name.removesuffix(".rq"), m.group(1), text))
    return found


LOCATE = """
PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?node ?file ?line ?page WHERE {
    ?node (qikg:excerptOf|qikg:inTurn|qikg:inDocument)* ?document .
    ?document qikg:sourceFile ?file .
    OPTIONAL { ?node qikg:sourceLine ?line }
    OPTIONAL { ?node qikg:sourcePage ?page }
} LIMIT 1
"""


def crosscheck(store: Store) -> Report:
    """Run the SPARQL-based shapes and every cross-document check on ``store``.

    Each row of a check is a violation; a shape's rows are results of its severity, located
    in the source file of the node at fault (the value, else the focus node).
    """
    results = []
    for shape in sparql_shapes():
        for values in _solutions(store, shape.query):
            node = values.get("value") or values.get("this", "")
            file, line, page = _locate(store, node)
            results.append(
                Result(
                    severity=shape.severity,
                    focus=values.get("this", ""),
                    path="",
                    message=_fill(shape.message, values),
                    shape=shape.shape,
                    value=values.get("value", ""),
                    file=file,
                    line=line,
                    page=page,
                )
            )
    for check in checks():
        for values in _solutions(store, check.query):
            results.append(
                Result(
                    severity="Violation",
                    focus=values.get("focus", ""),
                    path="",
                    message=_fill(check.message, values),
                    shape=SHAPE_PREFIX + check.name,
                    value=values.get("value", ""),
                    file=values.get("file") or None,
                    line=None,
                    page=None,
                )
            )
    return Report(tuple(sorted(results, key=lambda r: (r.file or "", r.shape, r.focus))))


def _solutions(store: Store, query: str) -> Iterator[dict[str, str]]:
    """Each row of a SELECT on ``store``: every variable's value as text (empty when unbound)."""
    answer = store.query(query).value
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    for row in answer:
        yield {n: _text(row[n]) for n in names}


def _locate(store: Store, node: str) -> tuple[str | None, int | None, int | None]:
    """Source file, line and page of ``node``: its own, or those of what it belongs to."""
    if not node.startswith(("http://", "https://")):
        return None, None, None
    answer = store.query(LOCATE, bindings={"node": ox.NamedNode(node)}).value
    assert isinstance(answer, ox.QuerySolutions)
    for row in answer:
        line, page = _text(row["line"]), _text(row["page"])
        return _text(row["file"]), int(line) if line else None, int(page) if page else None
    return None, None, None


def _fill(template: str, values: dict[str, str]) -> str:
    """The message with each ``{?name}`` replaced by the row's value (``?`` when unbound)."""
    return re.sub(r"\{\?(\w+)\}", lambda m: values.get(m.group(1)) or "?", template)


def _text(term: object) -> str:
    return str(getattr(term, "value", "")) if term is not None else ""
