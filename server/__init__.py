"""The web service: a Flask app over a store, built by :func:`create_app`.

The app only reads its store. Configuration keys (defaults in :data:`DEFAULT_CONFIG`):

``BASE_IRI``          the base of the data IRIs (``https://w3id.org/qikg/``)
``PUBLIC_URL``        the public URL of the service root; ``None`` derives it from each request
``QUERY_TIMEOUT_S``   the time allowed to one query, in seconds (30); enforced once queries run in
                      killable worker processes (:func:`qikg.server.execute.execute` is the
                      single entry point they will use); queries run in-process until then
``MAX_QUERY_BYTES``   the longest query accepted, in UTF-8 bytes (100,000; longer gets 413)
``MAX_RESULT_ROWS``   the most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) sent (10,000; a
                      longer answer is cut and flagged with ``X-Qikg-Truncated: true``)
``DATASET_TITLE``     the dataset's title on the landing page and in the service description
``DATASET_CITATION``  the paper the data comes from, as a reference
``DATASET_DOI``       that paper's DOI (linked from the landing page)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed

from qikg.errors import ConfigError
from qikg.kg.store import Store

from . import pages, sparql
from .state import EXTENSION_KEY, ServerState

__all__ = ["DEFAULT_CONFIG", "create_app"]

DEFAULT_CONFIG: dict[str, Any] = {
    "BASE_IRI": "https://w3id.org/qikg/",
    "PUBLIC_URL": None,
    "QUERY_TIMEOUT_S": 30,
    "MAX_QUERY_BYTES": 100_000,
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


def create_app(store: Store, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app over ``store`` with ``config`` laid over :data:`DEFAULT_CONFIG`."""
    app = Flask(__name__)
    app.config.update(DEFAULT_CONFIG)
    if config:
        app.config.update(config)
    _check_config(app.config)
    app.jinja_env.autoescape = True
    app.extensions[EXTENSION_KEY] = ServerState(store=store)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_error_handler(MethodNotAllowed, _method_not_allowed)
    return app


def _check_config(config: Mapping[str, Any]) -> None:
    for key in _POSITIVE_NUMBERS:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{key} must be a positive number, not {value!r}")
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
