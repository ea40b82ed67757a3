"""The SPARQL 1.1 Protocol endpoint (queries only) at ``/sparql``.

Doors: ``GET ?query=``, ``POST`` form-encoded (``query=``) and ``POST application/sparql-query``
with the query as the body; ``default-graph-uri`` and ``named-graph-uri`` may be repeated.
``GET`` without a query answers the Service Description (Turtle, or an HTML query form for
browsers).

Answers: SELECT and ASK as SPARQL JSON, XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle,
N-Triples, JSON-LD or RDF/XML. The Accept header is read with its q-values; a ``format`` (or
``output``, ``results``) parameter overrides it.

Limits and refusals:

* a query runs at most ``QUERY_TIMEOUT_S`` seconds, then is stopped and answered with 503
  (``Retry-After``); 503 also when every query worker stayed busy that long. A query whose
  cost is proved small before it runs (:mod:`qikg.server.fast_path`, within
  ``FAST_PATH_MAX_MATCHES``) runs in the request thread instead of a worker; sent with GET or
  POST, it is answered by the WSGI front (:mod:`qikg.server.sparql_front`) with this module's
  checks, without Flask's request handling.
* at most ``MAX_RESULT_ROWS`` rows (SELECT) or triples (CONSTRUCT, DESCRIBE) are sent; every
  such answer carries ``X-Qikg-Row-Limit: <limit>``. A longer answer is cut, never silently: it
  then also carries ``X-Qikg-Truncated: true``. Page with ``ORDER BY`` and ``LIMIT``/``OFFSET``
  to get the rest. Both headers are exposed to scripts of other origins.
* a query longer than ``MAX_QUERY_BYTES`` (UTF-8) or a body over ``MAX_CONTENT_LENGTH`` is
  refused with 413.
* a query nesting brackets deeper than ``MAX_NESTING`` is refused with 400.
* the endpoint is read-only: SPARQL Update (``LOAD`` included) is refused with 403.
* nothing remote is ever fetched: ``SERVICE`` is refused (403) before the query runs, and
  ``FROM`` / ``FROM NAMED`` must name graphs of this dataset (else 400). ``default-graph-uri``
  and ``named-graph-uri`` naming graphs the dataset does not hold are taken as empty graphs, as
  the W3C protocol tests expect, and never handed to the store: the answer lists them in
  ``X-Qikg-Unknown-Graphs``.

Relative IRIs of a query without ``BASE`` are resolved against the endpoint's public URL.

Every error is plain text saying what is wrong and how to fix it. Responses allow any origin
(CORS, no credentials).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from qikg.errors import StoreError
from qikg.kg.sparql_scan import RefusedQuery, scan_query, service_refusal
from qikg.kg.store import QuerySyntaxError, ResultKind

from .conneg import (
    FORMAT_NAMES,
    FORMAT_PARAMETERS,
    GRAPH_FORMATS,
    HTML,
    OFFERS,
    ConflictingFormats,
    Format,
    UnknownFormat,
    choose_for_header,
    offered_list,
)
from .description import serialize_description, service_description
from .execute import (
    Answer,
    Datasets,
    QueryTimeout,
    UnacceptableAnswer,
    WorkersBusy,
    execute,
)
from .fast_path import fast_bound, match_counts
from .memo import memo_for
from .operations import count_query_path, count_refusal
from .querypage import DEFAULT_QUERY, editor_bundled, editor_config
from .state import ServerState, state_of

bp = Blueprint("sparql", __name__)
_URLS_KEY = "qikg.sparql.endpoint_urls"
_MAX_URLS = 64


@bp.record_once
def _memo(setup: BlueprintSetupState) -> None:
    setup.app.extensions[_URLS_KEY] = {}


ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
QUERY_CONTENT_TYPES = ("application/x-www-form-urlencoded", "application/sparql-query")
EXPOSED_HEADERS = "X-Qikg-Truncated, X-Qikg-Row-Limit, X-Qikg-Unknown-Graphs"
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
)
VARY = ("Vary", "Accept")
"""What every endpoint response says about origins and negotiation (after its own headers)."""
RETRY_AFTER_S = 5
"""What a 503 tells the client to wait: about the time a stopped worker takes to be replaced."""
_MAX_FIELDS = 1000
MAX_NESTING = 256
"""The deepest nesting of brackets a query may have: the engine's parser recurses on each level
and a few thousand levels overflow its stack, killing the process that parses."""
_KIND_WORDS = {
    ResultKind.SOLUTIONS: "a SELECT query",
    ResultKind.BOOLEAN: "an ASK query",
    ResultKind.GRAPH: "a CONSTRUCT or DESCRIBE query",
}
_FORM_KINDS = {
    "SELECT": ResultKind.SOLUTIONS,
    "ASK": ResultKind.BOOLEAN,
    "CONSTRUCT": ResultKind.GRAPH,
    "DESCRIBE": ResultKind.GRAPH,
}
_LIST_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"


@dataclass
class ProtocolError(Exception):
    """A request the endpoint will not answer: the status and a message for the client."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    refusal: str | None = None
    """Why the endpoint refused on its own policy (a label of :data:`operations.REFUSALS`)."""


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text response (used for every error of the endpoint)."""
    response = Response(message.rstrip("\n") + "\n", status=status)
    response.content_type = "text/plain; charset=utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(ProtocolError)
def _protocol_error(err: ProtocolError) -> Response:
    if err.refusal:
        count_refusal(err.refusal)
    return text_response(err.status, err.message, err.headers)


@bp.after_request
def add_cors(response: Response) -> Response:
    """Add :data:`CORS_HEADERS` and ``Vary: Accept`` to every response of the endpoint."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    # ``add`` where the header is absent (the common case): setting searches the list each time
    for name, value in CORS_HEADERS:
        if name.lower() in present:
            headers[name] = value
        else:
            headers.add(name, value)
    if "vary" not in present:
        headers.add(*VARY)
    else:
        response.vary.add(VARY[1])
    return response


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"], endpoint="endpoint")
@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"], endpoint="endpoint_slash")
def endpoint() -> Response:
    """The protocol's one resource: reads the request, then answers or explains the refusal."""
    if request.method == "OPTIONS":
        return _preflight()
    params = _request_params()
    if any(name == "update" for name, _ in params):
        raise ProtocolError(403, _READ_ONLY, refusal="update")
    queries = [value for name, value in params if name == "query"]
    formats = requested_formats(params)
    if not queries:
        has_graph_params = any(n in ("default-graph-uri", "named-graph-uri") for n, _ in params)
        if request.method != "POST" and not has_graph_params:
            return _service_description(formats)
        raise ProtocolError(
            400,
            "No query given. Send the SPARQL query as the 'query' parameter "
            "(GET /sparql?query=..., or POST with Content-Type application/x-www-form-urlencoded "
            "and query=...), or POST it as the body with Content-Type application/sparql-query.",
        )
    if len(queries) > 1:
        raise ProtocolError(
            400, f"{len(queries)} 'query' parameters given; send exactly one query per request."
        )
    return _answer(queries[0], params, formats)


# -- reading the request -------------------------------------------------------------------------

_READ_ONLY = (
    "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, "
    "MOVE, ADD) is not accepted. Send a query (SELECT, ASK, CONSTRUCT or DESCRIBE) instead."
)


def _max_query_bytes() -> int:
    return int(current_app.config["MAX_QUERY_BYTES"])


def parse_urlencoded(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Decode ``name=value&...`` strictly as UTF-8 (the protocol's encoding)."""
    try:
        text = raw.decode("utf-8")
        return parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FIELDS,
        )
    except UnicodeDecodeError as err:
        raise ProtocolError(
            400,
            f"The parameters in {where} are not valid UTF-8 ({err.reason} at byte {err.start}). "
            "Percent-encode the query as UTF-8.",
        ) from err
    except ValueError as err:
        raise ProtocolError(400, f"Cannot read the parameters in {where}: {err}.") from err


def _read_body(limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes."""
    too_big = ProtocolError(
        413,
        f"The request body is larger than this endpoint accepts ({limit} bytes). "
        f"Queries may be at most {_max_query_bytes()} bytes long.",
        refusal="too_large",
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise too_big
    return body


def _request_params() -> list[tuple[str, str]]:
    """Every protocol parameter of the request, URL and body together, in order."""
    url_params = parse_urlencoded(request.query_string, "the URL")
    if request.method != "POST":
        return url_params
    limit = body_limit(request.mimetype, request.mimetype_params, url_params, current_app.config)
    return post_params(request.mimetype, url_params, _read_body(limit))


_BOTH = "The query is given both in the URL and in the request body; send it in one place only."


def body_limit(
    mimetype: str,
    mimetype_params: Mapping[str, str],
    url_params: list[tuple[str, str]],
    config: Mapping[str, Any],
) -> int:
    """The most bytes a POST body of this type may have, once the checks that need no body
    passed; raises :class:`ProtocolError`."""
    if mimetype == "application/sparql-update":
        raise ProtocolError(403, _READ_ONLY, refusal="update")
    most = int(config["MAX_CONTENT_LENGTH"])
    if mimetype == "application/x-www-form-urlencoded":
        return most
    if mimetype == "application/sparql-query":
        charset = mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(
                415,
                f"The query body is declared as {charset}; this endpoint reads queries as UTF-8. "
                "Send Content-Type: application/sparql-query; charset=utf-8.",
            )
        if any(name == "query" for name, _ in url_params):
            raise ProtocolError(400, _BOTH)
        return min(int(config["MAX_QUERY_BYTES"]), most)
    got = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
    raise ProtocolError(
        415,
        f"A POST to the SPARQL endpoint needs Content-Type application/x-www-form-urlencoded "
        f"(with query=...) or application/sparql-query (with the query as the body); "
        f"this request has {got}.",
    )


def post_params(
    mimetype: str, url_params: list[tuple[str, str]], body: bytes
) -> list[tuple[str, str]]:
    """The protocol parameters of a POST whose type :func:`body_limit` accepted: the URL's,
    then the body's; raises :class:`ProtocolError`."""
    if mimetype == "application/x-www-form-urlencoded":
        body_params = parse_urlencoded(body, "the request body")
        if any(name == "query" for name, _ in url_params) and any(
            name == "query" for name, _ in body_params
        ):
            raise ProtocolError(400, _BOTH)
        return url_params + body_params
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(
            400,
            f"The query body is not valid UTF-8 ({err.reason} at byte {err.start}). "
            "Encode the query as UTF-8.",
        ) from err
    return [*url_params, ("query", text)]


def requested_formats(params: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The values of ``format``, ``output`` and ``results``, in order, without repeats."""
    values = [value.strip() for name, value in params if name in FORMAT_PARAMETERS]
    return tuple(dict.fromkeys(v for v in values if v))


def _pick(offers: tuple[Format, ...], accept: str, format_values: tuple[str, ...]) -> Format | None:
    try:
        return choose_for_header(offers, accept, format_values)
    except UnknownFormat as err:
        raise ProtocolError(
            400,
            f"Unknown format {str(err)!r}. Use one of {', '.join(FORMAT_NAMES)}, or a media type; "
            "or leave 'format' out and send an Accept header.",
        ) from err
    except ConflictingFormats as err:
        raise ProtocolError(
            400,
            f"The 'format' parameters ask for different formats ({err}); ask for one.",
        ) from err


def _not_acceptable(
    kind_words: str, offers: tuple[Format, ...], accept: str, format_values: tuple[str, ...]
) -> ProtocolError:
    asked = ", ".join(format_values) or accept
    return ProtocolError(
        406,
        f"Cannot answer {kind_words} in the format asked for ({asked or 'none'}). "
        f"Offered: {offered_list(offers)}. Send one of these in the Accept header or the "
        "'format' parameter.",
    )


# -- answering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryPlan:
    """A query that passed every check before running, and how it is to run and be answered."""

    query: str
    datasets: Datasets
    media_types: dict[ResultKind, str | None]
    """The media type chosen for each kind of answer (``None``: nothing acceptable)."""
    row_limit: int
    base_iri: str
    most_rows: int | None
    """The fast path's bound on rows (it then runs in the request thread), or ``None``."""
    unknown_graphs: tuple[str, ...]
    accept: str
    format_values: tuple[str, ...]


def plan_query(
    query: str,
    params: list[tuple[str, str]],
    format_values: tuple[str, ...],
    *,
    accept: str,
    base_iri: str,
    config: Mapping[str, Any],
    state: ServerState,
) -> QueryPlan:
    """Check one query of a request before anything runs: size, nesting, updates, ``SERVICE``,
    ``FROM``, the dataset and the answer's format; and prove its cost for the fast path.
    Raises :class:`ProtocolError` for a refusal. Reads nothing of the request but its arguments,
    so that the WSGI front (:mod:`qikg.server.sparql_front`) checks exactly as this view does."""
    limit = int(config["MAX_QUERY_BYTES"])
    size = len(query.encode("utf-8"))
    if size > limit:
        raise ProtocolError(
            413,
            f"The query is {size} bytes long; this endpoint accepts queries of at most {limit} "
            "bytes. Shorten it (for example, move long VALUES lists into several queries).",
            refusal="too_large",
        )
    if not query.strip():
        raise ProtocolError(400, "The 'query' parameter is empty; put a SPARQL query in it.")
    scan = scan_query(query, base=base_iri)
    if scan.depth > MAX_NESTING:
        raise ProtocolError(
            400,
            f"The query nests groups or expressions {scan.depth} deep; this endpoint reads at "
            f"most {MAX_NESTING} levels. Flatten the query (join patterns in one group, split "
            "long expressions).",
        )
    if scan.is_update:
        raise ProtocolError(403, _READ_ONLY, refusal="update")
    if scan.uses_service:
        raise ProtocolError(403, service_refusal(scan), refusal="service")
    known = _known_graphs(state, params, scan.has_dataset_clause)
    _check_from(known, scan.from_graphs + scan.from_named_graphs)
    if scan.unresolved_from:
        raise ProtocolError(
            400,
            f"Cannot resolve the FROM target {scan.unresolved_from[0]!r} to an absolute IRI. "
            "Write graph IRIs in full, as <https://...>, or declare the prefix.",
        )
    unknown: list[str] = []
    datasets = Datasets(
        default_graphs=_graph_params(params, "default-graph-uri", known, unknown),
        named_graphs=_graph_params(params, "named-graph-uri", known, unknown),
    )

    chosen: dict[ResultKind, str | None] = dict.fromkeys(OFFERS)
    form_kind = _FORM_KINDS.get(scan.form or "")
    for kind in [form_kind] if form_kind else list(OFFERS):
        fmt = _pick(OFFERS[kind], accept, format_values)
        chosen[kind] = None if fmt is None else fmt.media_type
    if form_kind is not None and chosen[form_kind] is None:
        raise _not_acceptable(_KIND_WORDS[form_kind], OFFERS[form_kind], accept, format_values)

    most_rows = fast_bound(
        memo_for(state, state.store).get("fast-path-counts", match_counts),
        scan,
        dataset_given=datasets.given,
        limit=int(config["FAST_PATH_MAX_MATCHES"]),
    )
    return QueryPlan(
        query,
        datasets,
        chosen,
        int(config["MAX_RESULT_ROWS"]),
        base_iri,
        most_rows,
        tuple(dict.fromkeys(unknown)),
        accept,
        format_values,
    )


def run_plan(plan: QueryPlan, state: ServerState) -> Answer:
    """Run a checked query: in the request thread when its cost is bounded (no worker, and no
    time limit needed), else by the app's query runner."""
    if plan.most_rows is None:
        return state.runner.run(
            plan.query,
            plan.datasets,
            media_types=plan.media_types,
            row_limit=plan.row_limit,
            base_iri=plan.base_iri,
        )
    return execute(
        state.store,
        plan.query,
        plan.datasets,
        media_types=plan.media_types,
        row_limit=plan.row_limit,
        base_iri=plan.base_iri,
        most_rows=plan.most_rows,
    )


def answer_headers(plan: QueryPlan, answer: Answer) -> list[tuple[str, str]]:
    """The headers of an answer after its Content-Type and Content-Length (the endpoint's CORS
    and the security headers follow)."""
    headers: list[tuple[str, str]] = []
    if answer.kind is not ResultKind.BOOLEAN:
        headers.append(("X-Qikg-Row-Limit", str(plan.row_limit)))
    if answer.truncated:
        headers.append(("X-Qikg-Truncated", "true"))
    if plan.unknown_graphs:
        headers.append(("X-Qikg-Unknown-Graphs", " ".join(plan.unknown_graphs)))
    return headers


def content_type(answer: Answer) -> str:
    """The Content-Type of an answer: its media type, with the charset where one is said."""
    return next(f for f in OFFERS[answer.kind] if f.media_type == answer.media_type).content_type


def _answer(query: str, params: list[tuple[str, str]], format_values: tuple[str, ...]) -> Response:
    state = state_of(current_app)
    plan = plan_query(
        query,
        params,
        format_values,
        accept=request.headers.get("Accept", ""),
        base_iri=endpoint_url(),
        config=current_app.config,
        state=state,
    )
    count_query_path("runner" if plan.most_rows is None else "fast")
    try:
        answer = run_plan(plan, state)
    except QuerySyntaxError as err:
        raise ProtocolError(400, f"{err}\nCorrect the query and send it again.") from err
    except RefusedQuery as err:
        raise ProtocolError(403, str(err), refusal="service") from err
    except UnacceptableAnswer as err:
        raise _not_acceptable(
            _KIND_WORDS[err.kind], OFFERS[err.kind], plan.accept, format_values
        ) from err
    except QueryTimeout as err:
        raise ProtocolError(
            503,
            f"The query was stopped after {err.limit_s:g} s, the time this endpoint allows one "
            f"query (QUERY_TIMEOUT_S = {err.limit_s:g}). Make it more selective (bind more of "
            "the pattern, filter earlier, add LIMIT) and send it again.",
            {"Retry-After": str(RETRY_AFTER_S)},
            refusal="timeout",
        ) from err
    except WorkersBusy as err:
        raise ProtocolError(
            503,
            f"All {err.workers} query workers stayed busy for {err.waited_s:g} s "
            f"(QUERY_TIMEOUT_S = {err.waited_s:g}); try again shortly.",
            {"Retry-After": str(RETRY_AFTER_S)},
            refusal="busy",
        ) from err
    except StoreError as err:
        # the store's message may name its folder: logged, not sent
        current_app.logger.error("query failed: %s", err)
        raise ProtocolError(
            500, "The query could not be answered (an error in the store, logged on the server)."
        ) from err

    response = Response(answer.body, status=200)
    response.content_type = content_type(answer)
    for name, value in answer_headers(plan, answer):
        response.headers[name] = value
    return response


def _known_graphs(state: ServerState, params: list[tuple[str, str]], has_from: bool) -> set[str]:
    """The store's graph names, read only when the request or the query names graphs."""
    if not has_from and not any(n in ("default-graph-uri", "named-graph-uri") for n, _ in params):
        return set()
    return set(memo_for(state, state.store).named_graphs())


def _graph_params(
    params: list[tuple[str, str]], name: str, known: set[str], unknown: list[str]
) -> tuple[str, ...] | None:
    """The graphs a protocol parameter names that the store holds; the others go to
    ``unknown`` (an empty graph: nothing is fetched). ``None`` when the parameter is absent."""
    values = [value.strip() for n, value in params if n == name]
    if not values:
        return None
    unknown.extend(v for v in values if v not in known)
    return tuple(dict.fromkeys(v for v in values if v in known))


def _check_from(known: set[str], from_iris: tuple[str, ...]) -> None:
    """Refuse ``FROM`` graphs that are not graphs of the store: they would have to be fetched."""
    missing = [iri for iri in from_iris if iri not in known]
    if missing:
        raise ProtocolError(
            400,
            f"FROM <{missing[0]}>: not a graph of this dataset, and this endpoint does not fetch "
            f"remote graphs. List the graphs with: {_LIST_GRAPHS}",
            refusal="remote_graph",
        )


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Allow"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def endpoint_url() -> str:
    """The public URL of ``/sparql``: from ``PUBLIC_URL`` if set, else from the request (built
    once per scheme, host and script root, as building a URL costs more than the lookup)."""
    url = remembered_endpoint_url(current_app, request.environ)
    if url is None:
        url = url_for("sparql.endpoint", _external=True)
        urls: dict[tuple[object, ...], str] = current_app.extensions[_URLS_KEY]
        if len(urls) >= _MAX_URLS:  # the Host header is the client's: keep the memo small
            urls.clear()
        urls[_url_key(request.environ)] = url
    return url


def remembered_endpoint_url(app: Flask, environ: Mapping[str, Any]) -> str | None:
    """:func:`endpoint_url` without a request context: ``PUBLIC_URL``, or the URL built for an
    earlier request with the same scheme, host and script root (``None`` if there was none)."""
    public = app.config.get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/") + "/sparql"
    urls: dict[tuple[object, ...], str] = app.extensions[_URLS_KEY]
    return urls.get(_url_key(environ))


def _url_key(environ: Mapping[str, Any]) -> tuple[object, ...]:
    return (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME"))


def _service_description(format_values: tuple[str, ...]) -> Response:
    offers = (*GRAPH_FORMATS, HTML)
    accept = request.headers.get("Accept", "")
    fmt = _pick(offers, accept, format_values)
    if fmt is None:
        raise _not_acceptable("the service description", offers, accept, format_values)
    state = state_of(current_app)
    store = state.store
    if fmt is HTML:
        body = render_template(
            "sparql.html",
            endpoint=endpoint_url(),
            title=current_app.config["DATASET_TITLE"],
            result_formats=[f.name for f in OFFERS[ResultKind.SOLUTIONS]],
            graph_formats=[f.name for f in GRAPH_FORMATS],
            max_rows=current_app.config["MAX_RESULT_ROWS"],
            query=DEFAULT_QUERY,
            editor=editor_bundled(current_app.static_folder),
            editor_config=editor_config(
                store,
                endpoint=endpoint_url(),
                base_iri=str(current_app.config["BASE_IRI"]),
                query=DEFAULT_QUERY,
            ),
        )
        response = Response(body, status=200)
    else:
        graph = service_description(
            endpoint_url(),
            memo_for(state, store).named_graphs(),
            triples=memo_for(state, store).triple_count(),
            title=str(current_app.config["DATASET_TITLE"]),
        )
        response = Response(serialize_description(graph, fmt), status=200)
    response.content_type = fmt.content_type
    return response
