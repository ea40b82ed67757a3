"""Running the service: ``/healthz``, ``/metrics`` (Prometheus text) and the access log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from qikg.errors import StoreError
from qikg.kg.store import OxigraphStore, ReadOnlyOpener
from qikg.server import close_app, create_app
from qikg.server.state import state_of
from qikg.server.workers import WorkerPool

from .test_store import QIKG, make_store
from .test_timeouts import LIMIT_S, SLOW, build_store

JSON = "application/sparql-results+json"


def samples(client: FlaskClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples of ``/metrics``, parsed with prometheus_client's own parser."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=" in response.content_type
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def sparql(client: FlaskClient, query: str, **headers: str) -> int:
    return client.get(
        "/sparql?" + urlencode({"query": query}), headers={"Accept": JSON, **headers}
    ).status_code


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(make_store(tmp_path), {"MAX_QUERY_BYTES": 200})


def test_healthz_says_whether_the_store_answers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"

    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("the store folder was removed")

    monkeypatch.setattr(state_of(app).store, "query", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert "the store folder was removed" in response.json["reason"]


def test_metrics_count_requests_by_route_rule_and_refusals_by_reason(app: Flask) -> None:
    client = app.test_client()
    turn = "SELECT ?t WHERE { ?t a <https://w3id.org/qikg/ontology#Turn> }"
    assert [sparql(client, turn) for _ in range(3)] == [200, 200, 200]
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/no/other/page").status_code == 404
    refused = {
        "service": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "update": "LOAD <http://example.org/data.ttl>",
        "remote_graph": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
        "too_large": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300,
    }
    statuses = {reason: sparql(client, query) for reason, query in refused.items()}
    assert statuses == {"service": 403, "update": 403, "remote_graph": 400, "too_large": 413}
    # A body over MAX_CONTENT_LENGTH (3 x 200 + 4,096 bytes), refused before it is read.
    big_body = client.post("/sparql", data={"query": "x" * 6000}, headers={"Accept": JSON})
    assert big_body.status_code == 413

    found = samples(client)
    requests = "qikg_http_requests_total"
    assert value(found, requests, route="/sparql", method="GET", status="200") == 3
    assert value(found, requests, route="/sparql", method="GET", status="403") == 2
    assert value(found, requests, route="/sparql", method="POST", status="413") == 1
    # Paths are not labels: the two unknown pages share the catch-all route's series.
    assert not any("/no/" in dict(labels).get("route", "") for _, labels in found)
    not_found = [
        v for (name, ls), v in found.items() if name == requests and ("status", "404") in ls
    ]
    assert sum(not_found) == 2
    refusals = "qikg_sparql_refusals_total"
    assert value(found, refusals, reason="service") == 1
    assert value(found, refusals, reason="update") == 1
    assert value(found, refusals, reason="remote_graph") == 1
    assert value(found, refusals, reason="too_large") == 2
    assert value(found, refusals, reason="busy") == 0
    assert value(found, "qikg_sparql_timeouts_total") == 0
    duration = "qikg_http_request_duration_seconds_count"
    assert value(found, duration, route="/sparql", method="GET") == 7
    assert (
        value(
            found, duration.replace("_count", "_bucket"), route="/sparql", method="GET", le="+Inf"
        )
        == 7
    )
    assert value(found, duration.replace("_count", "_sum"), route="/sparql", method="GET") > 0


def test_the_access_log_has_one_line_per_request_without_query_or_answer(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qikg.access")
    client = app.test_client()
    query = (
        "SELECT ?text WHERE { ?t <https://w3id.org/qikg/ontology#text> ?text "
        'FILTER(CONTAINS(?text, "alpha")) }'
    )
    body = urlencode({"query": query})
    response = client.get("/sparql?" + urlencode({"query": query}), headers={"Accept": JSON})
    assert response.status_code == 200 and b"t1 alpha" in response.data
    response = client.post(
        "/sparql",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "text/csv"},
    )
    assert response.status_code == 200 and b"t1 alpha" in response.data
    lines = [r.getMessage() for r in caplog.records if r.name == "qikg.access"]
    assert len(lines) == 2
    get_line, post_line = lines
    assert get_line.startswith("GET /sparql 200 ") and f"out={len(response.data)}" not in get_line
    assert post_line.startswith("POST /sparql 200 ")
    assert f"in={len(body)}" in post_line
    assert f"out={len(response.data)}" in post_line
    for line in lines:
        assert "alpha" not in line and "SELECT" not in line and "query" not in line


@pytest.fixture(scope="module")
def pool_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app whose queries run in one worker process, stopped after ``LIMIT_S``; no spare
    worker, so that a second query finds the pool busy."""
    path = build_store(tmp_path_factory.mktemp("operations") / "a")
    pool = WorkerPool(ReadOnlyOpener(path), workers=1, timeout_s=LIMIT_S, spare=False)
    app = create_app(OxigraphStore.open_read_only(path), runner=pool)
    yield app
    close_app(app)


def test_timeouts_and_busy_workers_are_counted(pool_app: Flask) -> None:
    statuses: list[int] = []
    slow = threading.Thread(target=lambda: statuses.append(sparql(pool_app.test_client(), SLOW)))
    slow.start()
    time.sleep(0.1)
    # The one worker is busy with the slow query until it is stopped: this one gives up (a
    # variable subject keeps it off the fast path, which would answer it in the request thread).
    busy = sparql(pool_app.test_client(), f"SELECT ?t WHERE {{ ?t <{QIKG}text> ?text }} LIMIT 1")
    slow.join()
    assert (statuses, busy) == ([503], 503)
    found = samples(pool_app.test_client())
    assert value(found, "qikg_sparql_timeouts_total") == 1
    assert value(found, "qikg_sparql_refusals_total", reason="busy") == 1
    assert (
        value(found, "qikg_http_requests_total", route="/sparql", method="GET", status="503") == 2
    )
