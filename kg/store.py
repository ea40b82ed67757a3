"""The triple store: one small interface and its embedded implementation over pyoxigraph.

Everything above this module (the build command, the named-query API, the SPARQL endpoint) talks
to a :class:`Store`; only this module knows that Oxigraph runs underneath.

Dataset semantics of :meth:`Store.query`:

* when neither the caller nor the query names a dataset, the default graph is the union of all
  graphs of the store. A triple stored in two graphs would come back twice; the knowledge graph
  puts each triple in exactly one graph, so it does not happen here.
* ``default_graphs`` / ``named_graphs`` (the SPARQL protocol's ``default-graph-uri`` and
  ``named-graph-uri``) are used exactly as given, and override the query's own ``FROM``.
* a query's own ``FROM`` / ``FROM NAMED`` clauses are honoured (pyoxigraph's union mode would
  otherwise ignore them). They are only ever resolved against graphs of the store.

A store can also say how to open itself again in another process (:meth:`Store.reopener`): the
endpoint runs queries in worker processes that it can stop when a query runs too long.
The query scanner (:func:`scan_query`) lives in :mod:`qikg.kg.sparql_scan`.
"""

from __future__ import annotations

import enum
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import IO, Protocol, cast, runtime_checkable

import pyoxigraph as ox

from qikg.errors import StoreError

from .sparql_scan import QueryScan, has_dataset_clause, scan_query

__all__ = [
    "GRAPH_MEDIA_TYPES",
    "PREFIXES",
    "RESULTS_MEDIA_TYPES",
    "OxigraphStore",
    "QueryResult",
    "QueryScan",
    "QuerySyntaxError",
    "ReadOnlyOpener",
    "ResultKind",
    "Store",
    "StoreOpener",
    "limit_result",
    "scan_query",
    "serialize_result",
]

PREFIXES: dict[str, str] = {
    "qikg": "https://w3id.org/qikg/ontology#",
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
"""Prefixes written into Turtle and RDF/XML answers."""

RESULTS_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
"""Media types :func:`serialize_result` writes SELECT and ASK answers in."""

GRAPH_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/xml": ox.RdfFormat.RDF_XML,
}
"""Media types :func:`serialize_result` writes CONSTRUCT and DESCRIBE answers in."""

_QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)

Term = ox.NamedNode | ox.Literal
"""A value a query variable can be bound to (:meth:`Store.query`'s ``bindings``)."""


class QuerySyntaxError(StoreError):
    """The query is not valid SPARQL 1.1; carries the parser's message."""


class ResultKind(enum.Enum):
    """What a query answers: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""

    SOLUTIONS = "solutions"
    BOOLEAN = "boolean"
    GRAPH = "graph"


@dataclass(frozen=True)
class QueryResult:
    """The answer to one query: its kind and pyoxigraph's own (lazy) result object.

    ``truncated`` is set by :func:`limit_result` when rows beyond the limit were dropped.
    """

    kind: ResultKind
    value: ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]
    truncated: bool = False


@runtime_checkable
class Store(Protocol):
    """What the rest of qikg may ask of a triple store."""

    def load_dataset(self, path: str | os.PathLike[str]) -> None:
        """Bulk-load a TriG or N-Quads file; each quad keeps its graph name."""
        ...

    def load_file(self, path: str | os.PathLike[str], graph: str | None = None) -> None:
        """Load one RDF file; its triples go into ``graph`` (the default graph if ``None``)."""
        ...

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query (see the module docstring for the dataset rules).

        ``base_iri`` resolves relative IRIs of a query that declares no ``BASE`` (the SPARQL
        protocol lets a service choose one: the endpoint uses its own URL).
        ``bindings`` binds variables (by name, without ``?``) to terms when the query runs;
        the values are never written into the query text. The engine requires each bound
        variable to be projected by the query.
        """
        ...

    def serialize_result(self, result: QueryResult, media_type: str) -> bytes:
        """Write a result in the given media type."""
        ...

    def named_graphs(self) -> list[str]:
        """The IRIs of the store's named graphs, sorted."""
        ...

    def triple_count(self) -> int:
        """The number of statements (quads) in the store."""
        ...

    def reopener(self) -> StoreOpener | None:
        """How another process opens this same store for reading, or ``None`` if it cannot
        (a store in memory)."""
        ...


@runtime_checkable
class StoreOpener(Protocol):
    """A picklable callable that opens a store, for worker processes.

    ``needs_network`` is false when the store is local: the worker may then forbid itself any
    network access before opening it.
    """

    @property
    def needs_network(self) -> bool: ...

    def __call__(self) -> Store: ...


@dataclass(frozen=True)
class ReadOnlyOpener:
    """Opens the on-disk Oxigraph store at ``path`` read-only."""

    path: Path

    @property
    def needs_network(self) -> bool:
        return False

    def __call__(self) -> OxigraphStore:
        return OxigraphStore.open_read_only(self.path)


class OxigraphStore:
    """The embedded store: pyoxigraph on disk (``path``) or in memory (no path)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        try:
            self._store: ox.Store | None = ox.Store(None if path is None else os.fspath(path))
        except OSError as err:
            raise StoreError(f"cannot open the store at {path}: {err}") from err
        self._read_only = False
        self.path = None if path is None else Path(path)

    @classmethod
    def open_read_only(cls, path: str | os.PathLike[str]) -> OxigraphStore:
        """Open an on-disk store for reading only (several processes may do so at once)."""
        try:
            native = ox.Store.read_only(os.fspath(path))
        except OSError as err:
            raise StoreError(
                f"cannot open the store at {path} read-only: {err} "
                "(build it first, or check the path)"
            ) from err
        self = cls.__new__(cls)
        self._store = native
        self._read_only = True
        self.path = Path(path)
        return self

    @property
    def read_only(self) -> bool:
        return self._read_only

    def close(self) -> None:
        """Write everything to disk and release the store; using it afterwards is an error."""
        if self._store is not None and not self._read_only:
            try:
                self._store.flush()
            except OSError as err:
                raise StoreError(f"cannot write the store at {self.path}: {err}") from err
        self._store = None

    def _native(self) -> ox.Store:
        if self._store is None:
            raise StoreError("the store has been closed")
        return self._store

    # -- loading -------------------------------------------------------------------------------

    def _check_writable(self) -> ox.Store:
        if self._read_only:
            raise StoreError(f"the store at {self.path} was opened read-only; it cannot be loaded")
        return self._native()

    def load_dataset(self, path: str | os.PathLike[str]) -> None:
        """Bulk-load a TriG (``.trig``) or N-Quads (``.nq``) file; graph names are kept.

        Bulk loading is fast but not transactional: after a failure, part of the file may be in
        the store, so load into a fresh store and discard it on error.
        """
        native = self._check_writable()
        fmt = _rdf_format_of(path)
        if fmt not in _QUAD_FORMATS:
            raise StoreError(
                f"{path}: load_dataset takes TriG (.trig) or N-Quads (.nq) files; "
                "load a triples file with load_file(path, graph)"
            )
        try:
            if fmt == ox.RdfFormat.N_QUADS and not _has_blank_nodes(path):
                _bulk_load_in_parts(native, path)
            else:
                native.bulk_load(path=os.fspath(path), format=fmt)
        except (OSError, SyntaxError, ValueError) as err:
            raise StoreError(f"{path}: cannot load: {err}") from err

    def load_file(self, path: str | os.PathLike[str], graph: str | None = None) -> None:
        """Load one RDF file (format from its extension) into ``graph``.

        Quad formats keep their own graph names; ``graph`` then only receives the triples the
        file puts in its default graph.
        """
        native = self._check_writable()
        fmt = _rdf_format_of(path)
        target: ox.NamedNode | ox.DefaultGraph = (
            ox.DefaultGraph() if graph is None else _named_node(graph)
        )
        try:
            native.load(path=os.fspath(path), format=fmt, to_graph=target)
        except (OSError, SyntaxError, ValueError) as err:
            raise StoreError(f"{path}: cannot load: {err}") from err

    # -- reading -------------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query; raises :class:`QuerySyntaxError` or :class:`StoreError`."""
        native = self._native()
        try:
            subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None = (
                {ox.Variable(k): v for k, v in bindings.items()} if bindings else None
            )
            if default_graphs is not None or named_graphs is not None:
                value = native.query(
                    sparql,
                    base_iri=base_iri,
                    default_graph=[_named_node(g) for g in default_graphs or []],
                    named_graphs=[_named_node(g) for g in named_graphs or []],
                    substitutions=subs,
                )
            elif has_dataset_clause(sparql, base=base_iri):
                value = native.query(sparql, base_iri=base_iri, substitutions=subs)
            else:
                value = native.query(
                    sparql, base_iri=base_iri, use_default_graph_as_union=True, substitutions=subs
                )
        except SyntaxError as err:
            raise QuerySyntaxError(f"SPARQL syntax error: {err}") from err
        except (OSError, ValueError, RuntimeError) as err:
            raise StoreError(f"the query failed: {err}") from err
        return _wrap(value)

    def count_matches(
        self, subject: str, predicate: str | None, obj: str | None, at_most: int
    ) -> int:
        """How many quads (in any graph) match a pattern of IRIs, ``None`` matching any term;
        counting stops at ``at_most``. Raises ``ValueError`` for an invalid IRI."""
        quads = self._native().quads_for_pattern(
            ox.NamedNode(subject),
            None if predicate is None else ox.NamedNode(predicate),
            None if obj is None else ox.NamedNode(obj),
            None,
        )
        return sum(1 for _ in itertools.islice(quads, at_most))

    def serialize_result(self, result: QueryResult, media_type: str) -> bytes:
        """Write a result in ``media_type`` with pyoxigraph's own serialisers."""
        return serialize_result(result, media_type)

    def named_graphs(self) -> list[str]:
        """The IRIs of the store's named graphs, sorted (blank-node graph names left out)."""
        try:
            return sorted(
                g.value for g in self._native().named_graphs() if isinstance(g, ox.NamedNode)
            )
        except OSError as err:
            raise StoreError(f"cannot list the named graphs: {err}") from err

    def triple_count(self) -> int:
        """The number of quads; each triple of the knowledge graph sits in exactly one graph."""
        try:
            return len(self._native())
        except OSError as err:
            raise StoreError(f"cannot count the statements: {err}") from err

    def reopener(self) -> ReadOnlyOpener | None:
        """A read-only opener of the same folder; ``None`` for a store in memory."""
        return None if self.path is None else ReadOnlyOpener(self.path)


# -- results -----------------------------------------------------------------------------------


def _wrap(value: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> QueryResult:
    if isinstance(value, ox.QuerySolutions):
        return QueryResult(ResultKind.SOLUTIONS, value)
    if isinstance(value, ox.QueryBoolean):
        return QueryResult(ResultKind.BOOLEAN, value)
    return QueryResult(ResultKind.GRAPH, value)


def _base_media_type(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def serialize_result(result: QueryResult, media_type: str) -> bytes:
    """Write a result in ``media_type``: one of :data:`RESULTS_MEDIA_TYPES` for rows and booleans,
    of :data:`GRAPH_MEDIA_TYPES` for triples.

    Rows and triples go straight from pyoxigraph's iterators to its serialisers; no row is ever
    turned into Python terms of another library.
    """
    base = _base_media_type(media_type)
    try:
        if result.kind is ResultKind.GRAPH:
            rdf_format = GRAPH_MEDIA_TYPES.get(base)
            if rdf_format is None:
                raise StoreError(f"CONSTRUCT and DESCRIBE answers cannot be written as {base}")
            prefixes = (
                PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
            )
            assert not isinstance(result.value, ox.QuerySolutions | ox.QueryBoolean)
            out = ox.serialize(result.value, format=rdf_format, prefixes=prefixes)
        else:
            results_format = RESULTS_MEDIA_TYPES.get(base)
            if results_format is None:
                raise StoreError(f"SELECT and ASK answers cannot be written as {base}")
            assert isinstance(result.value, ox.QuerySolutions | ox.QueryBoolean)
            out = result.value.serialize(format=results_format)
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        raise StoreError(f"the query failed while its answer was written: {err}") from err
    assert out is not None  # no output stream given: pyoxigraph returns the bytes
    return out


class _RowLimitReached(Exception):
    """Raised inside a serialiser's output stream to stop it once enough lines are written."""


class _LineCappedBuffer(io.RawIOBase):
    """A byte sink that stops the writer once more than ``max_lines`` lines have arrived."""

    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.data = bytearray()
        self.lines = 0
        self.max_lines = max_lines
        self.full = False

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(b)
        self.data += chunk
        self.lines += chunk.count(b"\n")
        if self.lines > self.max_lines:
            self.full = True
            raise _RowLimitReached
        return len(chunk)

    def first_lines(self, n: int) -> bytes:
        """The first ``n`` complete lines written."""
        end = -1
        for _ in range(n):
            end = self.data.index(b"\n", end + 1)
        return bytes(self.data[: end + 1])


def _capped_lines(write: Callable[[IO[bytes]], object], max_lines: int) -> tuple[bytes, bool]:
    """Run ``write(sink)`` into a line-capped sink; return at most ``max_lines`` lines and
    whether more were on their way."""
    sink = _LineCappedBuffer(max_lines)
    try:
        write(cast(IO[bytes], sink))
    except _RowLimitReached:
        pass
    except OSError:
        if not sink.full:
            raise
    if sink.full:
        return sink.first_lines(max_lines), True
    return bytes(sink.data), False


def limit_result(result: QueryResult, max_rows: int) -> QueryResult:
    """Keep at most ``max_rows`` rows (SELECT) or triples (CONSTRUCT, DESCRIBE).

    Evaluation stops as soon as one row more than the limit has been produced, so a huge answer
    never sits in memory. The rows pass through SPARQL TSV (for rows) or N-Triples (for triples),
    both of which put exactly one row or triple on a line and lose nothing, and come back as
    pyoxigraph results. The returned result says whether anything was dropped.
    """
    if max_rows < 0:
        raise ValueError("max_rows must be zero or more")
    if result.kind is ResultKind.BOOLEAN:
        return result
    value = result.value
    try:
        if isinstance(value, ox.QuerySolutions):
            solutions = value
            body, truncated = _capped_lines(
                lambda sink: solutions.serialize(sink, ox.QueryResultsFormat.TSV),
                max_rows + 1,  # the header line, then the rows
            )
            limited = ox.parse_query_results(body, ox.QueryResultsFormat.TSV)
            return replace(result, value=limited, truncated=truncated)
        assert not isinstance(value, ox.QueryBoolean)
        triples = value
        body, truncated = _capped_lines(
            lambda sink: ox.serialize(triples, sink, ox.RdfFormat.N_TRIPLES), max_rows
        )
        parsed: Iterator[ox.Triple] = ox.parse(body, ox.RdfFormat.N_TRIPLES)
        return replace(result, value=parsed, truncated=truncated)
    except (OSError, ValueError, SyntaxError, RuntimeError) as err:
        raise StoreError(f"the query failed while its answer was read: {err}") from err


# -- helpers -----------------------------------------------------------------------------------


def _rdf_format_of(path: str | os.PathLike[str]) -> ox.RdfFormat:
    suffix = Path(path).suffix.lstrip(".").lower()
    fmt = ox.RdfFormat.from_extension(suffix) if suffix else None
    if fmt is None:
        raise StoreError(
            f"{path}: cannot tell the RDF format from the extension "
            "(use .ttl, .nt, .trig, .nq, .rdf, .jsonld or .n3)"
        )
    return fmt


def _named_node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as err:
        raise StoreError(f"not a valid graph IRI: {iri!r} ({err})") from err


BULK_LINES = 250_000
"""N-Quads lines bulk-loaded at once. pyoxigraph's bulk loader holds up to about 2 GB per thread
of one input in memory (2.45 million quads took 1.6 GiB): a large file goes in parts of this
many lines, each its own input, so the memory stays that of one part."""


def _bulk_load_in_parts(native: ox.Store, path: str | os.PathLike[str]) -> None:
    """Bulk-load an N-Quads file ``BULK_LINES`` lines at a time; a syntax error names the line
    of the file, not of the part."""
    first = 1
    with open(path, "rb") as f:
        while part := b"".join(islice(f, BULK_LINES)):
            try:
                native.bulk_load(part, format=ox.RdfFormat.N_QUADS)
            except SyntaxError as err:
                raise SyntaxError(_shift_lines(str(err), first - 1)) from err
            first += BULK_LINES


def _shift_lines(message: str, shift: int) -> str:
    return re.sub(r"\bline (\d+)", lambda m: f"line {int(m[1]) + shift}", message)


def _has_blank_nodes(path: str | os.PathLike[str]) -> bool:
    """Whether the file may hold a blank node (``_:`` anywhere): each input of a bulk load has
    blank nodes of its own, so a file with any is loaded in one piece."""
    last = b""
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            if b"_:" in last + block[:1] or b"_:" in block:
                return True
            last = block[-1:]
    return False
