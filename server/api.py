"""The named-query API: ``/api/<name>`` for each query of ``queries/``, described by OpenAPI.

Each query's parameters arrive in the query string and are checked and bound as terms by
:mod:`qikg.queries.params` (never written into query text). Answers are JSON, CSV (a download)
or an HTML table, chosen by ``format`` or else by the ``Accept`` header, and paged with
``page`` and ``per_page``. Errors are problem details (RFC 9457).

Named queries run through the endpoint's query runner (:class:`RunnerExecutor`), under the same
time limit and in the same worker processes as any SPARQL query: a value is at most 200
characters and binds one term, but even a fixed query must not hold the server longer than the
limit. A query stopped at the limit, or finding every worker busy, is answered with 503.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for

from qikg.errors import QikgError, StoreError
from qikg.kg.store import ResultKind
from qikg.queries import RESERVED, NamedQuery, named_queries
from qikg.queries.formats import CSV_MEDIA_TYPE, to_csv, to_json
from qikg.queries.params import MAX_INTEGER, ParameterError
from qikg.queries.run import Rows, Table, run, with_values

from .execute import Datasets, QueryRunner, QueryTimeout, WorkersBusy
from .openapi import DEFAULT_PER_PAGE, FORMATS, MAX_PER_PAGE, openapi_document
from .sparql import RETRY_AFTER_S
from .state import state_of

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api")

PROBLEM = "application/problem+json"
_DIGITS = re.compile(r"[0-9]{1,10}")
_MEDIA = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
ROW_LIMIT = 1_000_000
"""The most rows a named query may give before paging: far above any answer over the study,
a guard against an answer that would not fit in memory."""
_SOLUTIONS_JSON = "application/sparql-results+json"


@dataclass(frozen=True)
class RunnerExecutor:
    """Runs named queries through the endpoint's runner: the values are written into a
    ``VALUES`` block (:func:`qikg.queries.run.with_values`) and the answer read back from
    SPARQL JSON."""

    runner: QueryRunner

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Rows:
        answer = self.runner.run(
            with_values(sparql, bindings),
            Datasets(),
            media_types={ResultKind.SOLUTIONS: _SOLUTIONS_JSON},
            row_limit=ROW_LIMIT,
        )
        if answer.truncated:
            raise StoreError(f"the answer has more than {ROW_LIMIT} rows")
        solutions = ox.parse_query_results(answer.body, ox.QueryResultsFormat.JSON)
        if not isinstance(solutions, ox.QuerySolutions):
            raise StoreError("a named query must be a SELECT query")
        variables = tuple(v.value for v in solutions.variables)
        return Rows(variables, [tuple(row[v] for v in variables) for row in solutions])


class ApiProblem(Exception):
    """An error answered as problem details."""

    def __init__(self, status: int, title: str, detail: str, parameter: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.parameter = parameter


def _problem(err: ApiProblem) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": err.title,
        "status": err.status,
        "detail": err.detail,
        "instance": request.path,
    }
    if err.parameter:
        body["parameter"] = err.parameter
    response = Response(json.dumps(body, ensure_ascii=False), err.status, mimetype=PROBLEM)
    if err.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return _cors(response)


bp.register_error_handler(ApiProblem, _problem)


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Link, X-Total-Count"
    return response


def _single(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiProblem(
            400, "Parameter given twice", f"{name!r} is given {len(values)} times", name
        )
    return values[0] if values else None


def _integer(name: str, default: int, low: int, high: int) -> int:
    text = _single(name)
    if text is None or text == "":
        return default
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise ApiProblem(
            400, "Bad parameter", f"{name!r} must be an integer from {low} to {high}", name
        )
    return int(text)


def _format() -> str:
    given = _single("format")
    if given:
        if given not in FORMATS:
            raise ApiProblem(
                400, "Bad parameter", f"format must be one of {', '.join(FORMATS)}", "format"
            )
        return given
    offers = ["application/json", "text/csv", "text/html"]
    if not request.headers.get("Accept"):
        return "json"
    best = request.accept_mimetypes.best_match(offers)
    if best is None:
        raise ApiProblem(
            406,
            "Not acceptable",
            "this API answers application/json, text/csv or text/html "
            "(or use format=json, csv or html)",
        )
    return next(k for k, v in _MEDIA.items() if v == best)


def _query(name: str) -> NamedQuery:
    query = named_queries().get(name)
    if query is None:
        raise ApiProblem(
            404,
            "Not found",
            f"there is no named query {name!r}; the list is at {url_for('api.index')}",
        )
    return query


def _pages(page: int, last: int) -> dict[str, int]:
    """The page numbers of the first, previous, next and last pages, where they exist."""
    pages = {"first": 1}
    if page > 1:
        pages["prev"] = min(page - 1, last)
    if page < last:
        pages["next"] = page + 1
    pages["last"] = last
    return pages


def _page_url(name: str, number: int, fmt: str | None = None) -> str:
    """This request's URL at page ``number`` (and in format ``fmt`` when given)."""
    drop = {"page", "format"} if fmt else {"page"}
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in drop]
    pairs.append(("page", str(number)))
    if fmt:
        pairs.append(("format", fmt))
    return f"{url_for('api.answer', name=name)}?{urlencode(pairs)}"


@bp.route("/", methods=["GET"], endpoint="index")
def index() -> Response:
    """The named queries, with their parameters and an example call each."""
    queries = named_queries()
    examples = {
        name: [
            url_for("api.answer", name=name) + ("?" + urlencode(list(ex)) if ex else "")
            for ex in (q.examples or ((),))
        ]
        for name, q in queries.items()
    }
    html = render_template(
        "api_index.html", title="Named queries", queries=queries, examples=examples
    )
    return _cors(Response(html, mimetype="text/html"))


@bp.route("/openapi.json", methods=["GET"], endpoint="openapi")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    # Imported here: query worker processes import this package too, and need no version.
    from qikg import __version__

    document = openapi_document(named_queries(), __version__)
    return _cors(Response(json.dumps(document, indent=1), mimetype="application/json"))


@bp.route("/<name>", methods=["GET"], endpoint="answer")
def answer(name: str) -> Response:
    """Run the named query ``name`` with the request's parameters; one page of the answer."""
    query = _query(name)
    fmt = _format()
    page = _integer("page", 1, 1, MAX_INTEGER)
    per_page = _integer("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    values: dict[str, str] = {}
    for key in request.args:
        if key in RESERVED:
            continue
        value = _single(key)
        if value is not None:
            values[key] = value
    try:
        table = run(query, values, RunnerExecutor(state_of(current_app).runner))
    except ParameterError as err:
        raise ApiProblem(400, "Bad parameter", str(err), err.param) from None
    except (QueryTimeout, WorkersBusy) as err:
        raise ApiProblem(
            503,
            "Query stopped",
            f"the query {name!r} did not finish within the time this service allows one query "
            f"({err}); try again shortly",
        ) from None
    except QikgError as err:
        current_app.logger.error("named query %s failed: %s", name, err)
        raise ApiProblem(500, "Query failed", f"the query {name!r} failed") from None
    total = len(table.rows)
    last = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    shown = Table(table.columns, table.rows[start : start + per_page], table.notes)
    if fmt == "csv":
        response = Response(to_csv(shown), mimetype="text/csv")
        response.headers["Content-Type"] = CSV_MEDIA_TYPE
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    elif fmt == "html":
        html = render_template(
            "api_table.html",
            title=f"{name}: {query.summary}",
            query=query,
            table=shown,
            values=values,
            total=total,
            page=page,
            last=last,
            per_page=per_page,
            start=start,
            links={rel: _page_url(name, n, "html") for rel, n in _pages(page, last).items()},
        )
        response = Response(html, mimetype="text/html")
    else:
        meta = {
            "query": name,
            "parameters": values,
            "total": total,
            "page": page,
            "per_page": per_page,
        }
        response = Response(to_json(shown, meta), mimetype="application/json")
    response.headers["Link"] = ", ".join(
        f'<{_page_url(name, n)}>; rel="{rel}"' for rel, n in _pages(page, last).items()
    )
    response.headers["X-Total-Count"] = str(total)
    response.headers["Vary"] = "Accept"
    return _cors(response)
