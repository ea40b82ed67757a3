"""The web service: a Flask app over a store, built by :func:`create_app`.

The app only reads its store. Configuration keys (defaults in :data:`DEFAULT_CONFIG`):

``BASE_IRI``          the base of the data IRIs (``https://w3id.org/qikg/``)
``PUBLIC_URL``        the public URL of the service root; ``None`` derives it from each request
``QUERY_TIMEOUT_S``   the time allowed to one query, in seconds (30). A query still running then is
                      stopped (its worker process is killed and replaced) and answered with 503.
``QUERY_WORKERS``     how many worker processes run queries (:mod:`qikg.server.workers`).
                      ``None`` (the default): 2 when the store can be opened by another process
                      (on disk), else queries run in the web server's own threads; ``0``: always
                      in-process, **with no time limit** (stores in memory, tests); ``n``: exactly
                      n workers (a ``ConfigError`` for a store in memory)
``FAST_PATH_MAX_MATCHES`` a SELECT or ASK made of constant-subject triple patterns whose match
                      counts multiply to at most this runs in the request thread, without a
                      worker (:mod:`qikg.server.fast_path`; 10,000; ``0`` sends every query to
                      the workers)
``SPARQL_FRONT``      answer cheap ``/sparql`` lookups (GET, POST) in a WSGI front before Flask
                      (:mod:`qikg.server.sparql_front`; the same answers, less work; ``True``)
``MAX_QUERY_BYTES``   the longest query accepted, in UTF-8 bytes (100,000; longer gets 413)
``MAX_CONTENT_LENGTH`` the largest request body, in bytes (``None``: 3 x ``MAX_QUERY_BYTES`` +
                      4,096, room for a percent-encoded query; larger gets 413)
``MAX_RESULT_ROWS``   the most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) sent (10,000; a
                      longer answer is cut and flagged with ``X-Qikg-Truncated: true``)
``DATASET_TITLE``     the dataset's title on the landing page and in the service description
``DATASET_CITATION``  the paper the data comes from, as a reference
``DATASET_DOI``       that paper's DOI (linked from the landing page)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge

from qikg.errors import ConfigError
from qikg.kg.store import Store

from . import api, figures, linkeddata, operations, pages, security, sparql
from .execute import InProcessRunner, QueryRunner
from .fast_path import DEFAULT_MAX_MATCHES
from .sparql_front import SparqlFront
from .state import EXTENSION_KEY, ServerState, state_of
from .workers import WorkerPool

__all__ = ["DEFAULT_CONFIG", "close_app", "create_app"]

log = logging.getLogger("qikg.server")

DEFAULT_QUERY_WORKERS = 2
"""Worker processes started when ``QUERY_WORKERS`` is ``None`` and the store is on disk."""
FORM_OVERHEAD_BYTES = 4096

DEFAULT_CONFIG: dict[str, Any] = {
    "BASE_IRI": "https://w3id.org/qikg/",
    "PUBLIC_URL": None,
    "QUERY_TIMEOUT_S": 30,
    "QUERY_WORKERS": None,
    "FAST_PATH_MAX_MATCHES": DEFAULT_MAX_MATCHES,
    "SPARQL_FRONT": True,
    "MAX_QUERY_BYTES": 100_000,
    "MAX_CONTENT_LENGTH": None,
    "MAX_RESULT_ROWS": 10_000,
    "DATASET_TITLE": "Quality issues in machine learning software systems: the coded interviews",
    "DATASET_CITATION": (
        "Côté, P.-O., Nikanjam, A., Bouchoucha, R., Basta, I., Abidi, M., & Khomh, F. (2024). "
        "Quality issues in machine learning software systems. "
        "Empirical Software Engineering, 29(6)."
    ),
    "DATASET_DOI": "10.1007/s10664-024-10536-7",
}

_POSITIVE_NUMBERS = ("QUERY_TIMEOUT_S", "MAX_QUERY_BYTES", "MAX_RESULT_ROWS")


def create_app(
    store: Store, config: Mapping[str, Any] | None = None, *, runner: QueryRunner | None = None
) -> Flask:
    """Build the app over ``store`` with ``config`` laid over :data:`DEFAULT_CONFIG`.

    Query workers (``QUERY_WORKERS``) are started here, before the first request; stop them
    with :func:`close_app`. A ``runner`` given by the caller is used instead (and not started).
    """
    app = Flask(__name__)
    app.config.update(DEFAULT_CONFIG)
    if config:
        app.config.update(config)
    _check_config(app.config)
    if app.config["MAX_CONTENT_LENGTH"] is None:
        app.config["MAX_CONTENT_LENGTH"] = 3 * app.config["MAX_QUERY_BYTES"] + FORM_OVERHEAD_BYTES
    app.jinja_env.autoescape = True
    if runner is None:
        runner = _make_runner(store, app.config)
    app.extensions[EXTENSION_KEY] = ServerState(store, runner)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(figures.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(linkeddata.bp)
    operations.install(app)
    app.register_error_handler(MethodNotAllowed, _method_not_allowed)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    security.install(app)
    if app.config["SPARQL_FRONT"]:
        app.wsgi_app = SparqlFront(app)  # type: ignore[method-assign]
    return app


def close_app(app: Flask) -> None:
    """Stop the app's query workers (if it runs any)."""
    state_of(app).close()


def _make_runner(store: Store, config: Mapping[str, Any]) -> QueryRunner:
    workers = config["QUERY_WORKERS"]
    if workers == 0:
        return InProcessRunner(store)
    opener = store.reopener()
    if opener is None:
        if workers is not None:
            raise ConfigError(
                f"QUERY_WORKERS = {workers}, but worker processes cannot open a store held in "
                "memory: open the store from a folder, or set QUERY_WORKERS to 0 (no time limit)"
            )
        log.warning(
            "the store is in memory: queries run in-process, and QUERY_TIMEOUT_S is not enforced"
        )
        return InProcessRunner(store)
    return WorkerPool(
        opener,
        workers=DEFAULT_QUERY_WORKERS if workers is None else int(workers),
        timeout_s=float(config["QUERY_TIMEOUT_S"]),
    )


def _check_config(config: Mapping[str, Any]) -> None:
    for key in _POSITIVE_NUMBERS:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{key} must be a positive number, not {value!r}")
    workers = config["QUERY_WORKERS"]
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 0
    ):
        raise ConfigError(f"QUERY_WORKERS must be None, 0 or a positive number, not {workers!r}")
    fast = config["FAST_PATH_MAX_MATCHES"]
    if isinstance(fast, bool) or not isinstance(fast, int) or fast < 0:
        raise ConfigError(
            f"FAST_PATH_MAX_MATCHES must be 0 (off) or a positive number, not {fast!r}"
        )
    if not isinstance(config["SPARQL_FRONT"], bool):
        raise ConfigError(f"SPARQL_FRONT must be True or False, not {config['SPARQL_FRONT']!r}")
    length = config["MAX_CONTENT_LENGTH"]
    if length is not None and (isinstance(length, bool) or not isinstance(length, int)):
        raise ConfigError(f"MAX_CONTENT_LENGTH must be a number of bytes or None, not {length!r}")
    public = config["PUBLIC_URL"]
    if public is not None and not (
        isinstance(public, str) and public.startswith(("http://", "https://"))
    ):
        raise ConfigError(f"PUBLIC_URL must be an http(s) URL or None, not {public!r}")
    base = config["BASE_IRI"]
    if not (isinstance(base, str) and base.startswith(("http://", "https://"))):
        raise ConfigError(f"BASE_IRI must be an http(s) IRI, not {base!r}")


def _method_not_allowed(err: MethodNotAllowed) -> Response:
    allowed = ", ".join(err.valid_methods or ())
    message = f"{request.method} is not allowed on {request.path}; use {allowed or 'another URL'}."
    if request.path.startswith("/sparql"):
        message += (
            " The SPARQL endpoint answers queries sent with GET or POST; it takes no updates."
        )
    response = sparql.text_response(405, message)
    if err.valid_methods:
        response.headers["Allow"] = allowed
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _too_large(err: RequestEntityTooLarge) -> Response:
    from flask import current_app

    limit = current_app.config["MAX_CONTENT_LENGTH"]
    operations.count_refusal("too_large")
    response = sparql.text_response(
        413,
        f"The request body is larger than this service accepts ({limit} bytes). "
        f"SPARQL queries may be at most {current_app.config['MAX_QUERY_BYTES']} bytes long.",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
