"""Running one query: the single place where the endpoint executes SPARQL.

:func:`execute` takes plain values and returns plain bytes, so it can run in a separate worker
process (for time limits) without changing its callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qikg.kg.store import ResultKind, Store, limit_result


@dataclass(frozen=True)
class Datasets:
    """The RDF dataset named by a request (``default-graph-uri``, ``named-graph-uri``).

    ``None`` for both means the request names no dataset: the store's union default graph, or
    the query's own ``FROM`` clauses.
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


def execute(
    store: Store,
    query: str,
    datasets: Datasets,
    *,
    media_types: Mapping[ResultKind, str | None],
    row_limit: int,
) -> Answer:
    """Run ``query`` on ``store`` and write its answer in the media type chosen for its kind.

    SELECT answers keep at most ``row_limit`` rows and CONSTRUCT/DESCRIBE answers at most
    ``row_limit`` triples; ``Answer.truncated`` says when more were dropped.
    Raises the store's errors (syntax, evaluation) and :class:`UnacceptableAnswer`.
    """
    result = store.query(
        query,
        default_graphs=None if datasets.default_graphs is None else list(datasets.default_graphs),
        named_graphs=None if datasets.named_graphs is None else list(datasets.named_graphs),
    )
    media_type = media_types.get(result.kind)
    if media_type is None:
        raise UnacceptableAnswer(result.kind)
    result = limit_result(result, row_limit)
    body = store.serialize_result(result, media_type)
    return Answer(body, result.kind, media_type, result.truncated)
