"""Running a named query: bind its parameters, run it on a store or an endpoint, make a table.

Two executors run the SPARQL:

* :class:`StoreExecutor` over a :class:`~qikg.kg.store.Store` binds the values with the
  engine's own variable substitution; the query text is left as written.
* :class:`EndpointExecutor` sends the query to a SPARQL endpoint over the SPARQL 1.1 Protocol.
  The protocol has no way to bind variables, so the checked terms are written as N-Triples
  terms into a ``VALUES`` block placed first in the query's outer ``WHERE`` group
  (:func:`with_values`). Each value has passed :mod:`qikg.queries.params` first (IRIs without
  ``<>"{}|\\^`` or spaces, no backslashes or control characters in any value), and is
  serialised by pyoxigraph, so a value can only ever be one term.

Named queries are written so that both give the same answer: parameters are read in the outer
group (filters, ``COALESCE``), never inside sub-queries, and every variable a call may bind is
projected (the embedded engine requires it). Those variables are dropped from the answer.

A query whose header names a ``computed`` step has its rows handed to that Python step
(:data:`COMPUTED`), whose table is the answer.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import pyoxigraph as ox

from qikg.errors import QikgError, StoreError
from qikg.kg.agreement import AGREEMENT_COLUMNS, agreement_rows
from qikg.kg.store import ResultKind, Store

from . import NamedQuery, bound_variables
from .params import Bindings, bind

__all__ = [
    "COMPUTED",
    "Cell",
    "EndpointExecutor",
    "Executor",
    "Rows",
    "StoreExecutor",
    "Table",
    "answer_columns",
    "run",
    "with_values",
]

Cell = str | int | float | bool | None
"""A value of an answer: text, IRI (as text), number, boolean or nothing (unbound)."""

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {
    XSD + t
    for t in [
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
}
_FLOAT_TYPES = {XSD + "decimal", XSD + "double", XSD + "float"}

CODE_LOOKUP = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?written ?code WHERE {
  ?code skos:inScheme ?scheme .
  ?scheme a qikg:Codebook .
  { ?code skos:notation ?name } UNION { ?code skos:altLabel ?name }
  FILTER(LCASE(STR(?name)) = LCASE(?written))
  BIND(IF(STR(?name) = ?written, 0, 1) AS ?rank)
}
ORDER BY ?rank ?code
LIMIT 1"""
"""Finds the code a notation names: exact spelling first, then any case or spelling variant."""


@dataclass(frozen=True)
class Rows:
    """What an executor returns: the variables and, per row, a term or None for each."""

    variables: tuple[str, ...]
    rows: list[tuple[ox.NamedNode | ox.Literal | ox.BlankNode | None, ...]]


class Executor(Protocol):
    """Runs a SELECT query with variables bound to terms."""

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Rows: ...


@dataclass(frozen=True)
class StoreExecutor:
    """Runs queries on a store, binding values with the engine's substitution."""

    store: Store

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Rows:
        result = self.store.query(sparql, bindings=dict(bindings))
        if result.kind is not ResultKind.SOLUTIONS or not isinstance(
            result.value, ox.QuerySolutions
        ):
            raise StoreError("a named query must be a SELECT query")
        return _rows(result.value)


@dataclass(frozen=True)
class EndpointExecutor:
    """Runs queries on a SPARQL endpoint (SPARQL 1.1 Protocol, POST), values in ``VALUES``."""

    url: str
    timeout_s: float = 60.0

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Rows:
        text = with_values(sparql, bindings)
        body = urllib.parse.urlencode({"query": text}).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
                "User-Agent": "qikg-query",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                data = response.read()
        except urllib.error.HTTPError as err:
            detail = err.read(2000).decode("utf-8", "replace").strip()
            raise StoreError(f"{self.url} answered {err.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as err:
            raise StoreError(f"cannot reach the endpoint {self.url}: {err}") from None
        try:
            parsed = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as err:
            raise StoreError(f"{self.url} did not answer with SPARQL JSON results: {err}") from None
        if not isinstance(parsed, ox.QuerySolutions):
            raise StoreError(f"{self.url} answered a boolean to a SELECT query")
        return _rows(parsed)


def _rows(solutions: ox.QuerySolutions) -> Rows:
    variables = tuple(v.value for v in solutions.variables)
    rows = [tuple(solution[v] for v in variables) for solution in solutions]
    return Rows(variables, rows)  # type: ignore[arg-type]


# -- VALUES for endpoints --------------------------------------------------------------------

_SKIP = re.compile(
    r"""\#[^\n\r]*
      | '''(?:[^'\\]|\\.|'(?!''))*''' | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '(?:[^'\\\n\r]|\\.)*' | "(?:[^"\\\n\r]|\\.)*"
      | <[^<>"{}|^`\\\x00-\x20]*>
      | (?P<brace>\{)""",
    re.VERBOSE,
)


def with_values(sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with a one-row ``VALUES`` block of the bindings first in its outer group.

    The outer group's ``{`` is the first brace outside comments, strings and IRIs (a SELECT's
    projection holds none in the named queries). Terms are pyoxigraph's N-Triples forms.
    """
    if not bindings:
        return sparql
    for m in _SKIP.finditer(sparql):
        if m.group("brace"):
            names = " ".join(f"?{name}" for name in bindings)
            terms = " ".join(str(term) for term in bindings.values())
            block = f"\n  VALUES ({names}) {{ ({terms}) }}\n"
            return sparql[: m.end()] + block + sparql[m.end() :]
    raise QikgError("the query has no group pattern to bind values in")


# -- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """An answer: column names, rows of plain values, and notes on how it was made."""

    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    notes: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, Cell]]:
        """The rows as dictionaries by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def cell(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> Cell:
    """A term as a plain value: numbers and booleans typed, everything else its text."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    datatype = term.datatype.value
    try:
        if datatype in _INTEGER_TYPES:
            return int(term.value)
        if datatype in _FLOAT_TYPES:
            number = (
                float(Decimal(term.value)) if datatype.endswith("decimal") else float(term.value)
            )
            return number if number == number and abs(number) != float("inf") else term.value
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    except ValueError:
        return term.value
    return term.value


ComputedStep = Callable[[Sequence[str], list[dict[str, Cell]]], Table]


def _agreement(columns: Sequence[str], records: list[dict[str, Cell]]) -> Table:
    rows, notes = agreement_rows(records)
    return Table(
        AGREEMENT_COLUMNS, [tuple(r[c] for c in AGREEMENT_COLUMNS) for r in rows], tuple(notes)
    )


COMPUTED: dict[str, tuple[ComputedStep, tuple[str, ...]]] = {
    "agreement": (_agreement, AGREEMENT_COLUMNS)
}
"""Python steps a query header may name with ``#+ computed:``, with the columns they answer."""


def answer_columns(query: NamedQuery) -> tuple[str, ...]:
    """The columns of ``query``'s answer: its projection, or its computed step's columns."""
    if query.computed is None:
        return query.columns
    return COMPUTED[query.computed][1]


def resolver(executor: Executor) -> Callable[[str], ox.NamedNode | None]:
    """Looks code notations up with ``executor`` (:data:`CODE_LOOKUP`)."""

    def resolve(written: str) -> ox.NamedNode | None:
        found = executor.select(CODE_LOOKUP, {"written": ox.Literal(written)})
        for row in found.rows:
            code = row[found.variables.index("code")]
            if isinstance(code, ox.NamedNode):
                return code
        return None

    return resolve


def run(query: NamedQuery, values: Mapping[str, str], executor: Executor) -> Table:
    """Answer ``query`` with the given parameter values (text, as a caller sends them).

    Raises :class:`~qikg.queries.params.ParameterError` for values that do not fit, and the
    executor's errors.
    """
    bindings: Bindings = bind(query, values, resolver(executor))
    found = executor.select(query.sparql, bindings)
    hidden = bound_variables(query)
    keep = [i for i, v in enumerate(found.variables) if v not in hidden]
    columns = tuple(found.variables[i] for i in keep)
    rows = [tuple(cell(row[i]) for i in keep) for row in found.rows]
    table = Table(columns, rows)
    if query.computed is None:
        return table
    if query.computed not in COMPUTED:
        raise QikgError(f"{query.name}: unknown computed step {query.computed!r}")
    return COMPUTED[query.computed][0](columns, table.records())


def parse_json_table(data: bytes) -> Table:
    """A table written by :func:`qikg.queries.formats.to_json` (for clients and tests)."""
    doc = json.loads(data)
    columns = tuple(doc["columns"])
    rows = [tuple(r.get(c) for c in columns) for r in doc["rows"]]
    return Table(columns, rows, tuple(doc.get("notes", ())))
