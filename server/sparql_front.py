"""The SPARQL endpoint's WSGI front: cheap lookups answered without Flask's request handling.

A lookup the fast path proves cheap (:mod:`qikg.server.fast_path`) costs less to run than Flask
spends around it (request context, routing, hooks, response object). The front wraps the app's
WSGI callable and answers a ``GET /sparql?query=`` or a ``POST`` (form or
``application/sparql-query``, its length given) itself when the query takes the fast path. It
runs the view's own code (:func:`~qikg.server.sparql.plan_query`: the same refusals, before
anything runs) and answers what Flask would: the same status, body and headers, the same
metrics and the same access-log line. Every other request goes to Flask unchanged: another path
or method, a refusal or any error, a query for the workers, a request it has doubts about (a
body it read is handed on).

It answers nothing until Flask has handled one request (Flask accepts no new hooks after that),
and only if the app's request handling is then the one it reproduces: the hooks, routes and
signals checked by :func:`reproduces`. Another hook turns it off, never its answers wrong.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, signals
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_content_length

from . import operations, security, sparql
from .operations import metrics_of, record
from .state import state_of

__all__ = ["SparqlFront", "reproduces"]

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ROUTES = {"/sparql": "/sparql", "/sparql/": "/sparql/"}
"""The paths answered, with the route rule Flask would count them under."""
_ENDPOINTS = {"/sparql": "sparql.endpoint", "/sparql/": "sparql.endpoint_slash"}
_SIGNALS = (
    signals.request_started,
    signals.request_finished,
    signals.request_tearing_down,
    signals.appcontext_pushed,
    signals.appcontext_popped,
    signals.appcontext_tearing_down,
)


class SparqlFront:
    """The WSGI callable in front of ``app``'s own (see the module docstring)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._flask: WSGIApplication = app.wsgi_app
        self._state = state_of(app)
        self._metrics = metrics_of(app)
        self._tail = (*sparql.CORS_HEADERS, sparql.VARY, *security.SECURITY_HEADERS.items())
        self._ready: bool | None = None if _flask_own(self._flask) else False
        """``None`` until Flask has handled a request, then whether the front answers."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if self._ready and method in ("GET", "POST"):
            route = ROUTES.get(environ.get("PATH_INFO", ""))
            if route is not None:
                started = time.perf_counter()
                try:
                    answer = self._lookup(environ)
                except Exception:  # Flask answers it: the same error, status and log lines
                    answer = None
                if answer is not None:
                    body, headers = answer
                    self._metrics.path_series["fast"].inc()
                    record(
                        self._metrics,
                        method,
                        route,
                        200,
                        time.perf_counter() - started,
                        get_content_length(environ) or 0,
                        len(body),
                    )
                    self._metrics.front.inc()
                    start_response("200 OK", headers)
                    return [body]
        answered = self._flask(environ, start_response)
        if self._ready is None:
            self._ready = reproduces(self._app)
        return answered

    def _lookup(self, environ: WSGIEnvironment) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The body and headers of the answer, or ``None`` when Flask is to answer."""
        url_params = sparql.parse_urlencoded(
            environ.get("QUERY_STRING", "").encode("latin-1"), "the URL"
        )
        post = environ["REQUEST_METHOD"] == "POST"
        params = self._post_params(environ, url_params) if post else url_params
        if params is None:
            return None
        queries = [value for name, value in params if name == "query"]
        if len(queries) != 1 or any(name == "update" for name, _ in params):
            return None
        base_iri = sparql.remembered_endpoint_url(self._app, environ)
        if base_iri is None:
            return None
        state = self._state
        plan = sparql.plan_query(
            queries[0],
            params,
            sparql.requested_formats(params),
            accept=environ.get("HTTP_ACCEPT", ""),
            base_iri=base_iri,
            config=self._app.config,
            state=state,
        )
        if plan.most_rows is None:  # for the workers, and their time limit
            return None
        answer = sparql.run_plan(plan, state)
        headers = [
            ("Content-Type", sparql.content_type(answer)),
            ("Content-Length", str(len(answer.body))),
            *sparql.answer_headers(plan, answer),
            *self._tail,
        ]
        return answer.body, headers

    def _post_params(
        self, environ: WSGIEnvironment, url_params: list[tuple[str, str]]
    ) -> list[tuple[str, str]] | None:
        """The parameters of a POST (see :func:`qikg.server.sparql.post_params`), or ``None``
        when its body's length is not given or is past the limit (Flask refuses or reads it).
        The body read is put back as ``wsgi.input``: Flask reads the same bytes if it answers."""
        mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        mimetype = mimetype.lower()
        limit = sparql.body_limit(mimetype, options, url_params, self._app.config)
        length = get_content_length(environ)
        if length is None or length > limit:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        if len(body) != length:
            return None
        return sparql.post_params(mimetype, url_params, body)


def reproduces(app: Flask) -> bool:
    """Whether Flask handles ``GET /sparql`` in ``app`` exactly as the front does: its view,
    the clock, metrics, security and CORS hooks and nothing else (no other hook, preprocessor,
    teardown or request signal receiver)."""
    adapter = app.url_map.bind("localhost")
    for path, endpoint in _ENDPOINTS.items():
        try:
            if adapter.match(path, "GET") != (endpoint, {}):
                return False
        except HTTPException:  # not found, or redirected
            return False
        if app.view_functions.get(endpoint) is not sparql.endpoint:
            return False
    return (
        _hooks(app.before_request_funcs) == {None: [operations.start_clock]}
        and _hooks(app.after_request_funcs)
        == {
            None: [operations.record_response, security.add_security_headers],
            "sparql": [sparql.add_cors],
        }
        and not _hooks(app.url_value_preprocessors)
        and not _hooks(app.teardown_request_funcs)
        and not app.teardown_appcontext_funcs
        and not any(signal.receivers for signal in _SIGNALS)
    )


def _flask_own(wsgi_app: object) -> bool:
    """Whether ``wsgi_app`` is Flask's own, not a middleware that the front would bypass."""
    return getattr(wsgi_app, "__func__", None) is Flask.wsgi_app


def _hooks(registry: Mapping[str | None, list[Any]]) -> dict[str | None, list[Any]]:
    return {name: list(funcs) for name, funcs in registry.items() if funcs}
