"""What the people running the service need: ``/healthz``, ``/metrics`` and access logs.

``/healthz`` answers 200 with a small JSON body when the store answers a query, 503 otherwise
(for load balancers and process managers). ``/metrics`` is the Prometheus text exposition of
the app's own registry (one :class:`~prometheus_client.CollectorRegistry` per app, in
``app.extensions``): requests by route rule (never the raw path, so that the number of series
stays bounded), method and status; their durations; and the queries the endpoint stopped or
refused. Each request is logged on one line of the ``qikg.access`` logger: method, route rule,
status, duration and sizes; never the query string, the body or the answer, which may hold
transcript text.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .state import state_of

__all__ = [
    "QUERY_PATHS",
    "REFUSALS",
    "Metrics",
    "configure_logging",
    "count_query_path",
    "count_refusal",
    "install",
    "metrics_of",
    "record",
]

EXTENSION_KEY = "qikg.operations"
REFUSALS = ("too_large", "update", "service", "remote_graph", "busy")
"""Why the SPARQL endpoint refuses a query on its own policy: longer than allowed (413), an
update (``LOAD`` and the like), a ``SERVICE`` call, a ``FROM`` naming a graph it does not hold,
every query worker busy (503). Query timeouts are counted apart."""
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
"""Seconds; up to beyond the default query time limit (30 s)."""
QUERY_PATHS = ("fast", "runner")
"""Where the SPARQL endpoint ran a query: in the request thread, its cost proved small
(:mod:`qikg.server.fast_path`), or by the app's query runner."""
UNMATCHED = "(unmatched)"
"""The route label of requests for a URL no route answers (404, 405)."""
HEALTH_QUERY = "ASK { ?s ?p ?o }"

access_log = logging.getLogger("qikg.access")
bp = Blueprint("operations", __name__)


@dataclass(frozen=True)
class Metrics:
    """The app's metrics, in its own registry."""

    registry: CollectorRegistry
    requests: Counter
    duration: Histogram
    timeouts: Counter
    refusals: Counter
    paths: Counter
    front: Counter
    """Requests the SPARQL endpoint's WSGI front answered itself (:mod:`.sparql_front`)."""

    _series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = field(
        default_factory=dict, compare=False
    )
    path_series: dict[str, Counter] = field(default_factory=dict, compare=False)
    """The series of :attr:`paths` by label, made once."""
    """The labelled series already made (labelling checks and copies its values each time)."""

    def series(self, route: str, method: str, status: int) -> tuple[Counter, Histogram]:
        """The request counter and duration histogram of a route rule, method and status."""
        key = (route, method, status)
        found = self._series.get(key)
        if found is None:
            found = (
                self.requests.labels(route=route, method=method, status=status),
                self.duration.labels(route=route, method=method),
            )
            self._series[key] = found
        return found

    @classmethod
    def new(cls) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        metrics = cls(
            registry,
            Counter(
                "qikg_http_requests",
                "HTTP requests answered, by route rule, method and status.",
                ("route", "method", "status"),
                registry=registry,
            ),
            Histogram(
                "qikg_http_request_duration_seconds",
                "Time from reading a request to its response, by route rule and method.",
                ("route", "method"),
                buckets=DURATION_BUCKETS,
                registry=registry,
            ),
            Counter(
                "qikg_sparql_timeouts",
                "SPARQL queries stopped at the time limit (QUERY_TIMEOUT_S), answered with 503.",
                registry=registry,
            ),
            Counter(
                "qikg_sparql_refusals",
                "SPARQL requests refused by the endpoint's policy, by reason.",
                ("reason",),
                registry=registry,
            ),
            Counter(
                "qikg_sparql_queries",
                "SPARQL queries run, by where: in the request thread (a query of provably small "
                "cost, fast path) or by the query runner (workers with the time limit).",
                ("path",),
                registry=registry,
            ),
            Counter(
                "qikg_sparql_front_answers",
                "SPARQL lookups answered by the endpoint's WSGI front, without Flask's request "
                "handling (the same answers as Flask's, with less work per request).",
                registry=registry,
            ),
        )
        for reason in REFUSALS:
            metrics.refusals.labels(reason=reason)
        for path in QUERY_PATHS:
            metrics.path_series[path] = metrics.paths.labels(path=path)
        return metrics


def metrics_of(app: Flask) -> Metrics:
    """The metrics :func:`install` gave ``app``."""
    metrics = app.extensions[EXTENSION_KEY]
    assert isinstance(metrics, Metrics)
    return metrics


def install(app: Flask) -> None:
    """Give ``app`` its metrics, access log and the ``/healthz`` and ``/metrics`` routes."""
    app.extensions[EXTENSION_KEY] = Metrics.new()
    app.before_request(start_clock)
    app.after_request(record_response)
    app.register_blueprint(bp)


def count_refusal(reason: str) -> None:
    """Count a query the endpoint refused (a reason of :data:`REFUSALS`) or stopped
    (``timeout``), in the current app's metrics."""
    metrics = metrics_of(current_app)
    if reason == "timeout":
        metrics.timeouts.inc()
    else:
        metrics.refusals.labels(reason=reason).inc()


def count_query_path(path: str) -> None:
    """Count a query the endpoint ran, by where it ran (a label of :data:`QUERY_PATHS`)."""
    metrics_of(current_app).path_series[path].inc()


def start_clock() -> None:
    """Note when Flask began the request (before its view), for its duration."""
    g.qikg_started = time.perf_counter()


def record_response(response: Response) -> Response:
    """Count and log the request Flask answers (see :func:`record`)."""
    started = g.get("qikg_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    record(
        metrics_of(current_app),
        request.method,
        route,
        response.status_code,
        seconds,
        request.content_length or 0,
        response.content_length,  # None for a streamed body
    )
    return response


def record(
    metrics: Metrics,
    method: str,
    route: str,
    status: int,
    seconds: float,
    size_in: int,
    size_out: int | None,
) -> None:
    """Count one answered request and write its access-log line (``size_out`` ``None``: not
    known, a streamed body)."""
    count, duration = metrics.series(route, method, status)
    count.inc()
    duration.observe(seconds)
    access_log.info(
        "%s %s %d %.1fms in=%d out=%s",
        method,
        route,
        status,
        seconds * 1000,
        size_in,
        "-" if size_out is None else size_out,
    )


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    """200 when the store answers a query, 503 (with the reason) when it does not."""
    state = state_of(current_app)
    try:
        state.store.query(HEALTH_QUERY)
    except Exception as err:  # any failure of the store means: not healthy
        body = {"status": "unavailable", "reason": f"the store does not answer: {err}"}
        response = jsonify(body)
        response.status_code = 503
    else:
        response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics", methods=["GET"])
def metrics() -> Response:
    """The Prometheus text exposition of the app's metrics."""
    response = Response(generate_latest(metrics_of(current_app).registry), status=200)
    response.content_type = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response


def configure_logging(level: int = logging.INFO) -> None:
    """Send the service's log lines (``qikg.*``, access log included) to standard error, one
    line each with the time, unless the process has configured logging itself."""
    logger = logging.getLogger("qikg")
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
