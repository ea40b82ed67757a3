"""Running one query: the single place where the endpoint executes SPARQL.

:func:`execute` takes plain values and returns plain bytes (query text and dataset in, the
serialised answer and its media type out), so it runs the same in the web server's process
(:class:`InProcessRunner`) and in a killable worker process
(:class:`qikg.server.workers.WorkerPool`).
Both runners have the shape of :class:`QueryRunner`; the endpoint only knows that shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from qikg.kg.sparql_scan import check_no_service
from qikg.kg.store import ResultKind, Store, limit_result


@dataclass(frozen=True)
class Datasets:
    """The RDF dataset named by a request (``default-graph-uri``, ``named-graph-uri``).

    ``None`` for both means the request names no dataset: the store's union default graph, or
    the query's own ``FROM`` clauses. An empty tuple is an empty graph list.
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None

    @property
    def given(self) -> bool:
        return self.default_graphs is not None or self.named_graphs is not None


@dataclass(frozen=True)
class Answer:
    """A serialised answer and what the response needs to say about it."""

    body: bytes
    kind: ResultKind
    media_type: str
    truncated: bool = False


class UnacceptableAnswer(Exception):
    """The query answers with a kind of result the request accepts no format for."""

    def __init__(self, kind: ResultKind) -> None:
        super().__init__(kind.value)
        self.kind = kind


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped; its worker was replaced."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"stopped after {limit_s:g} s")
        self.limit_s = limit_s


class WorkersBusy(Exception):
    """No query worker became free in time to take the query."""

    def __init__(self, workers: int, waited_s: float) -> None:
        super().__init__(f"{workers} worker(s) busy for {waited_s:g} s")
        self.workers = workers
        self.waited_s = waited_s


def execute(
    store: Store,
    query: str,
    datasets: Datasets,
    *,
    media_types: Mapping[ResultKind, str | None],
    row_limit: int,
    base_iri: str | None = None,
    most_rows: int | None = None,
) -> Answer:
    """Run ``query`` on ``store`` and write its answer in the media type chosen for its kind.

    ``base_iri`` resolves the query's relative IRIs when it declares no ``BASE``.
    ``most_rows``, when known before the query runs (:mod:`qikg.server.fast_path`), bounds the
    answer's rows: within ``row_limit``, the answer is written directly, without the cap's pass.
    The query is first checked for ``SERVICE`` (:func:`qikg.kg.sparql_scan.check_no_service`).
    SELECT answers keep at most ``row_limit`` rows and CONSTRUCT/DESCRIBE answers at most
    ``row_limit`` triples; ``Answer.truncated`` says when more were dropped.
    Raises :class:`~qikg.kg.sparql_scan.RefusedQuery`, the store's errors (syntax, evaluation)
    and :class:`UnacceptableAnswer`.
    """
    check_no_service(query)
    result = store.query(
        query,
        default_graphs=None if datasets.default_graphs is None else list(datasets.default_graphs),
        named_graphs=None if datasets.named_graphs is None else list(datasets.named_graphs),
        base_iri=base_iri,
    )
    media_type = media_types.get(result.kind)
    if media_type is None:
        raise UnacceptableAnswer(result.kind)
    if most_rows is None or most_rows > row_limit:
        result = limit_result(result, row_limit)
    body = store.serialize_result(result, media_type)
    return Answer(body, result.kind, media_type, result.truncated)


class QueryRunner(Protocol):
    """Runs queries for the endpoint: in-process, or in worker processes with a time limit.

    ``timeout_s`` is the enforced limit, ``None`` when queries cannot be stopped.
    """

    @property
    def timeout_s(self) -> float | None: ...

    def run(
        self,
        query: str,
        datasets: Datasets,
        *,
        media_types: Mapping[ResultKind, str | None],
        row_limit: int,
        base_iri: str | None = None,
    ) -> Answer:
        """Run one query (see :func:`execute`); may also raise :class:`QueryTimeout` and
        :class:`WorkersBusy`."""
        ...

    def close(self) -> None:
        """Release what the runner holds (worker processes)."""
        ...


class InProcessRunner:
    """Runs each query in the calling thread, on the app's own store: no time limit."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def timeout_s(self) -> float | None:
        return None

    def run(
        self,
        query: str,
        datasets: Datasets,
        *,
        media_types: Mapping[ResultKind, str | None],
        row_limit: int,
        base_iri: str | None = None,
    ) -> Answer:
        return execute(
            self.store,
            query,
            datasets,
            media_types=media_types,
            row_limit=row_limit,
            base_iri=base_iri,
        )

    def close(self) -> None:
        """Nothing to release."""
