"""The remote store: any SPARQL 1.1 server, reached over the standard protocols only.

* Queries are POSTed to the server's query URL (SPARQL 1.1 Protocol). The dataset a caller or a
  query's ``FROM`` names is sent as ``default-graph-uri`` / ``named-graph-uri``; variable
  bindings are written into the text as ``VALUES`` (:func:`qikg.kg.sparql_bind.bind_values`).
  Answers are parsed as they arrive (SPARQL JSON, XML or TSV results; N-Triples, Turtle, RDF/XML
  or JSON-LD graphs) into pyoxigraph's own results, so the rest of qikg handles them exactly as
  the embedded store's.
* A dataset is loaded graph by graph, each graph replaced whole: with the Graph Store HTTP
  Protocol (``PUT``), or with SPARQL Update (``DROP SILENT GRAPH`` then ``INSERT DATA``, one
  request per graph) for a server without it. Every file is read before anything is sent.
* The server must show the union of its graphs as the default graph, as the embedded store does
  (:meth:`RemoteStore.check_union_default_graph` tells).

HTTP goes through the standard library's urllib: one request at a time per call, a timeout on
every request, basic authentication from the URL's user information; nothing more is needed.
"""

from __future__ import annotations

import base64
import io
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from qikg.errors import ConfigError, QikgError, StoreError

from .sparql_bind import bind_values
from .sparql_scan import scan_query
from .store import (
    QueryResult,
    QuerySyntaxError,
    ResultKind,
    Term,
    _named_node,
    _rdf_format_of,
    serialize_result,
)

__all__ = ["LoadReport", "RemoteOpener", "RemoteStore", "SparqlService", "load_release"]

_RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
_GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
_RESULTS_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "text/tab-separated-values;q=0.8"
)
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
_QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)
_NO_GRAPH = "urn:qikg:no-graph"
"""Sent as the only default graph when a request names an empty dataset (the protocol has no
other way to say so); no store holds a graph of that name."""
_DETAIL_BYTES = 2000


def _check_url(url: str, what: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{what} {url!r} is not an http(s) URL; give one such as http://localhost:7878"
        )
    return url


@dataclass(frozen=True)
class SparqlService:
    """Where a SPARQL server answers: the query URL, and for loading, the Graph Store URL or
    the update URL (``None`` where the server has none). ``timeout_s`` bounds every request.

    User information in a URL (``http://user:secret@host/…``) is sent as basic authentication
    and never shown in messages.
    """

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    timeout_s: float = 30.0
    authorization: str | None = field(default=None, repr=False)

    @classmethod
    def from_base(
        cls,
        base: str,
        *,
        query: str | None = None,
        update: str | None = None,
        graph_store: str | None = None,
        timeout_s: float = 30.0,
    ) -> SparqlService:
        """The URLs below ``base`` that Oxigraph answers on (``/query``, ``/update``,
        ``/store``), each replaced by the one given; ``"none"`` leaves that one out."""
        root = _check_url(base, "--store").rstrip("/")
        chosen: dict[str, str | None] = {}
        for name, given, path in (
            ("query", query, "/query"),
            ("update", update, "/update"),
            ("graph store", graph_store, "/store"),
        ):
            if given is None:
                chosen[name] = root + path
            elif given.lower() == "none":
                chosen[name] = None
            else:
                chosen[name] = _check_url(given, f"the {name} URL")
        query_url = chosen["query"]
        if query_url is None:
            raise ConfigError("the query URL cannot be left out: queries need it")
        if timeout_s <= 0:
            raise ConfigError(f"the request timeout must be positive, not {timeout_s!r}")
        credentials = urllib.parse.urlsplit(base)
        authorization = None
        if credentials.username is not None:
            pair = f"{urllib.parse.unquote(credentials.username)}:"
            pair += urllib.parse.unquote(credentials.password or "")
            authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        return cls(
            query_url=_strip_credentials(query_url) or query_url,
            update_url=_strip_credentials(chosen["update"]),
            graph_store_url=_strip_credentials(chosen["graph store"]),
            timeout_s=timeout_s,
            authorization=authorization,
        )


def _strip_credentials(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


@dataclass(frozen=True)
class RemoteOpener:
    """Opens the same remote store in a query worker process (which then needs the network)."""

    service: SparqlService

    @property
    def needs_network(self) -> bool:
        return True

    def __call__(self) -> RemoteStore:
        return RemoteStore(self.service)


class _Body(io.RawIOBase):
    """An HTTP answer read as it arrives; the connection is closed at its end or on close."""

    def __init__(self, response: HTTPResponse, url: str) -> None:
        super().__init__()
        self._response = response
        self._url = url

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            n = self._response.readinto(buffer)
        except OSError as err:
            self._response.close()
            raise OSError(f"reading the answer of {self._url} failed: {err}") from err
        if n == 0:
            self._response.close()  # the connection goes as soon as the answer is read
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


class RemoteStore:
    """A :class:`~qikg.kg.store.Store` over a SPARQL 1.1 server (see the module docstring)."""

    def __init__(self, service: SparqlService) -> None:
        self.service = service

    def close(self) -> None:
        """Nothing is held between requests."""

    # -- HTTP ----------------------------------------------------------------------------------

    def _send(
        self,
        url: str,
        *,
        method: str,
        body: bytes,
        content_type: str,
        accept: str | None = None,
        query_error: bool = False,
    ) -> HTTPResponse:
        headers = {"Content-Type": content_type, "User-Agent": "qikg"}
        if accept:
            headers["Accept"] = accept
        if self.service.authorization:
            headers["Authorization"] = self.service.authorization
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            return cast(
                HTTPResponse, urllib.request.urlopen(request, timeout=self.service.timeout_s)
            )
        except urllib.error.HTTPError as err:
            with err:
                detail = err.read(_DETAIL_BYTES).decode("utf-8", "replace").strip()
            said = f"{err.code} {err.reason}" + (f": {detail}" if detail else "")
            if query_error and err.code == 400:
                raise QuerySyntaxError(
                    f"the SPARQL server at {url} refused the query: {said}"
                ) from None
            raise StoreError(f"the SPARQL server at {url} answered {said}") from None
        except TimeoutError:
            raise StoreError(
                f"the SPARQL server at {url} did not answer within {self.service.timeout_s:g} s"
            ) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise StoreError(
                f"cannot reach the SPARQL server at {url}: {reason} (is it running, and is the "
                "URL right?)"
            ) from None

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
        """Send a query to the server; the answer is read as the caller iterates over it.

        Only queries are sent: the text of an update is refused here, before any request.
        """
        scan = scan_query(sparql, base=base_iri)
        if scan.is_update:
            raise StoreError("a SPARQL update cannot be sent as a query; the store is read here")
        text = sparql
        if bindings:
            try:
                text = bind_values(text, bindings)
            except QikgError as err:
                raise StoreError(f"the query failed: {err}") from err
        if base_iri is not None:
            text = f"BASE <{_named_node(base_iri).value}>\n{text}"
        params = [("query", text)]
        own_dataset = scan.has_dataset_clause and not scan.unresolved_from
        if default_graphs is None and named_graphs is None and own_dataset:
            # a server showing the union as its default graph may ignore FROM (Oxigraph does)
            default_graphs = list(scan.from_graphs)
            named_graphs = list(scan.from_named_graphs)
        if default_graphs is not None or named_graphs is not None:
            defaults = default_graphs or ([] if named_graphs else [_NO_GRAPH])
            params += [("default-graph-uri", g) for g in defaults]
            params += [("named-graph-uri", g) for g in named_graphs or []]
        if scan.form in ("CONSTRUCT", "DESCRIBE"):
            accept = _GRAPH_ACCEPT
        elif scan.form in ("SELECT", "ASK"):
            accept = _RESULTS_ACCEPT
        else:
            accept = f"{_RESULTS_ACCEPT}, {_GRAPH_ACCEPT}"
        url = self.service.query_url
        response = self._send(
            url,
            method="POST",
            body=urllib.parse.urlencode(params).encode("utf-8"),
            content_type="application/x-www-form-urlencoded",
            accept=accept,
            query_error=True,
        )
        return _read_answer(response, url)

    def serialize_result(self, result: QueryResult, media_type: str) -> bytes:
        """Write a result in ``media_type``, as the embedded store does."""
        return serialize_result(result, media_type)

    def _select(self, sparql: str) -> list[ox.QuerySolution]:
        result = self.query(sparql)
        if not isinstance(result.value, ox.QuerySolutions):
            raise StoreError(f"{self.service.query_url} did not answer a SELECT query with rows")
        try:
            return list(result.value)
        except (OSError, SyntaxError, ValueError) as err:
            raise StoreError(f"the answer of {self.service.query_url} is broken: {err}") from err

    def named_graphs(self) -> list[str]:
        """The IRIs of the server's non-empty named graphs, sorted."""
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(
            row["g"].value
            for row in rows
            if isinstance(row["g"], ox.NamedNode)  # type: ignore[index]
        )

    def triple_count(self) -> int:
        """The number of statements the default graph (the union of all graphs) shows."""
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        try:
            return int(rows[0]["n"].value)  # type: ignore[index]
        except (IndexError, KeyError, TypeError, ValueError) as err:
            raise StoreError(f"{self.service.query_url} did not count the statements") from err

    def check_union_default_graph(self) -> None:
        """Raise :class:`StoreError` unless a statement of a named graph shows in the default
        graph (a server with no named graph passes)."""
        rows = self._select(
            "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(!isBlank(?s) && !isBlank(?o)) } LIMIT 1"
        )
        if not rows:
            return
        row = rows[0]
        ask = f"ASK {{ {row['s']} {row['p']} {row['o']} }}"
        if not bool(self.query(ask).value):
            raise StoreError(
                f"the SPARQL server at {self.service.query_url} does not show its named graphs "
                "in the default graph: queries would find nothing. Make the default graph the "
                "union of all graphs (oxigraph serve --union-default-graph; Fuseki: "
                "tdb2:unionDefaultGraph true; see the README, 'Running on a SPARQL server')"
            )

    def reopener(self) -> RemoteOpener:
        """The same server, opened again in another process."""
        return RemoteOpener(self.service)

    # -- loading -------------------------------------------------------------------------------

    def load_dataset(self, path: str | os.PathLike[str]) -> None:
        """Replace each graph a TriG or N-Quads file holds with its content there."""
        fmt = _rdf_format_of(path)
        if fmt not in _QUAD_FORMATS:
            raise StoreError(
                f"{path}: load_dataset takes TriG (.trig) or N-Quads (.nq) files; "
                "load a triples file with load_file(path, graph)"
            )
        self.load_graphs(_graphs_of(path, fmt, None), source=str(path))

    def load_file(self, path: str | os.PathLike[str], graph: str | None = None) -> None:
        """Replace ``graph`` (the default graph if ``None``) with the triples of one RDF file;
        the graphs a quad file names are replaced with theirs."""
        if graph is not None:
            _named_node(graph)
        self.load_graphs(_graphs_of(path, _rdf_format_of(path), graph), source=str(path))

    def load_graphs(self, graphs: Mapping[str | None, bytes], *, source: str) -> None:
        """Replace each graph (``None``: the default graph) with its N-Triples."""
        for done, (graph, ntriples) in enumerate(graphs.items()):
            try:
                self._replace_graph(graph, ntriples)
            except StoreError as err:
                raise StoreError(
                    f"{source}: {err} ({done} of {len(graphs)} graphs were replaced before; "
                    "load again once the server is fixed)"
                ) from None

    def _replace_graph(self, graph: str | None, ntriples: bytes) -> None:
        if self.service.graph_store_url is not None:
            target = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
            sep = "&" if "?" in self.service.graph_store_url else "?"
            self._send(
                f"{self.service.graph_store_url}{sep}{target}",
                method="PUT",
                body=ntriples,
                content_type="application/n-triples",
            ).close()
        elif self.service.update_url is not None:
            data = ntriples.decode("utf-8")
            if graph is None:
                update = f"DROP SILENT DEFAULT ;\nINSERT DATA {{\n{data}}}"
            else:
                update = (
                    f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{data}}} }}"
                )
            self._send(
                self.service.update_url,
                method="POST",
                body=update.encode("utf-8"),
                content_type="application/sparql-update",
            ).close()
        else:
            raise StoreError(
                f"the SPARQL server at {self.service.query_url} has no Graph Store or update "
                "URL to load into; give one"
            )


# -- answers -----------------------------------------------------------------------------------


def _media_type(response: HTTPResponse) -> str:
    return (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


def _read_answer(response: HTTPResponse, url: str) -> QueryResult:
    """Wrap a query's answer, read lazily, in pyoxigraph's result objects."""
    media_type = _media_type(response)
    body = cast(IO[bytes], io.BufferedReader(_Body(response, url)))
    try:
        if media_type in _RESULTS_FORMATS:
            value = ox.parse_query_results(body, _RESULTS_FORMATS[media_type])
            if isinstance(value, ox.QueryBoolean):
                body.close()
                return QueryResult(ResultKind.BOOLEAN, value)
            return QueryResult(ResultKind.SOLUTIONS, value)
        if media_type in _GRAPH_FORMATS:
            quads = ox.parse(body, _GRAPH_FORMATS[media_type])
            return QueryResult(ResultKind.GRAPH, _triples(quads))
    except (OSError, SyntaxError, ValueError) as err:
        body.close()
        raise StoreError(f"{url} answered with a broken {media_type} document: {err}") from err
    body.close()
    raise StoreError(
        f"{url} answered with {media_type or 'no media type'}, which is neither SPARQL results "
        "nor RDF: is this the query URL of a SPARQL server?"
    )


def _triples(quads: Iterator[ox.Quad]) -> Iterator[ox.Triple]:
    for quad in quads:
        yield quad.triple


# -- files -------------------------------------------------------------------------------------


def _graphs_of(
    path: str | os.PathLike[str], fmt: ox.RdfFormat, default: str | None
) -> dict[str | None, bytes]:
    """Read a whole RDF file into N-Triples per graph (its default graph's triples go into
    ``default``); raises :class:`StoreError` naming the file and the place of a syntax error."""
    lines: dict[str | None, list[str]] = {}
    try:
        for quad in ox.parse(path=os.fspath(path), format=fmt):
            graph = quad.graph_name
            name = graph.value if isinstance(graph, ox.NamedNode) else default
            lines.setdefault(name, []).append(f"{quad.triple} .\n")
    except SyntaxError as err:
        raise StoreError(f"{path}: cannot load: {err}") from err
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: cannot read: {err}") from err
    return {graph: "".join(text).encode("utf-8") for graph, text in lines.items()}


# -- a built release -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_release` put on the server: graphs replaced, statements sent."""

    graphs: int
    statements: int


def load_release(folder: Path, service: SparqlService) -> LoadReport:
    """Replace, on the server, each graph of the dataset ``qikg build`` wrote into ``folder``
    with its content there; other graphs of the server are left alone.

    The server's own count of each graph is checked against what was sent afterwards.
    """
    from .build import DATASET_NQ

    path = folder / DATASET_NQ
    if not path.is_file():
        raise StoreError(
            f"{folder}: no {DATASET_NQ} in this folder; build the dataset first with "
            f"'qikg build INPUT... --out {folder}'"
        )
    graphs = _graphs_of(path, ox.RdfFormat.N_QUADS, None)
    store = RemoteStore(service)
    store.load_graphs(graphs, source=str(path))
    sent = {g: body.count(b"\n") for g, body in graphs.items() if g is not None}
    if sent:
        names = " ".join(f"<{g}>" for g in sent)
        rows = store._select(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        held = {row["g"].value: int(row["n"].value) for row in rows}  # type: ignore[index]
        wrong = [g for g, n in sent.items() if held.get(g, 0) != n]
        if wrong:
            raise StoreError(
                f"{service.query_url}: after loading, graph {wrong[0]} holds "
                f"{held.get(wrong[0], 0)} statements, not the {sent[wrong[0]]} sent"
            )
    return LoadReport(len(graphs), sum(body.count(b"\n") for body in graphs.values()))
