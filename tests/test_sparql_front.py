"""The SPARQL endpoint's WSGI front answers exactly as Flask alone: every request below goes to
an app with the front and to one without (``SPARQL_FRONT`` off), over the same store.

Which requests the front answers itself is written by hand below (``fast``): a GET or POST
lookup of one of the fast path's shapes (constant subjects) that the endpoint answers with 200.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from rdflib import Graph
from rdflib.compare import isomorphic
from werkzeug.test import TestResponse

from qikg.kg.store import OxigraphStore
from qikg.server import create_app
from qikg.server.operations import metrics_of
from qikg.server.sparql_front import reproduces

from .test_operations import samples
from .test_store import INTERVIEW_1_GRAPH, QIKG, S, make_store

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
JSON = "application/sparql-results+json"
LOOKUP = f"SELECT ?label WHERE {{ <{S}/interview/1> <{RDFS_LABEL}> ?label }}"
TURN_1 = f"<{S}/interview/1/transcript/turn/1>"
ROW_LIMIT = 3
"""Turn 1 has 4 statements in the fixture (type, position, document, text): one more than this."""
MAX_QUERY_BYTES = 400
FRONT_COUNTER = "qikg_sparql_front_answers_total"
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"


@dataclass(frozen=True)
class Case:
    query: list[tuple[str, str]] = field(default_factory=list)
    accept: str | None = JSON
    method: str = "GET"
    path: str = "/sparql"
    body: str | bytes | None = None
    content_type: str | None = None
    fast: bool = False
    """Answered by the front itself."""
    status: int = 200


def q(query: str, **more: str) -> list[tuple[str, str]]:
    return [("query", query), *more.items()]


CASES = {
    "lookup as JSON": Case(q(LOOKUP), fast=True),
    "lookup as XML": Case(q(LOOKUP), accept="application/sparql-results+xml", fast=True),
    "lookup as CSV": Case(q(LOOKUP), accept="text/csv", fast=True),
    "lookup as TSV": Case(q(LOOKUP), accept="text/tab-separated-values", fast=True),
    "q-values": Case(q(LOOKUP), accept=f"{JSON};q=0.2, text/csv;q=0.9, */*;q=0.1", fast=True),
    "format parameter over Accept": Case(q(LOOKUP, format="tsv"), fast=True),
    "SPARQLWrapper's output and results": Case(
        q(LOOKUP, output="xml", results="xml"), accept=None, fast=True
    ),
    "no Accept header": Case(q(LOOKUP), accept=None, fast=True),
    "ASK (no row limit header)": Case(
        q(f"ASK {{ <{S}/interview/1> a <{QIKG}Interview> }}"), fast=True
    ),
    "prefixes, a non-ASCII literal, the trailing slash": Case(
        q(
            f"PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            f'SELECT * WHERE {{ <{S}/interview/1> rdfs:label "Entrevue n° 1"@fr }}'
        ),
        path="/sparql/",
        fast=True,
    ),
    "two patterns and LIMIT": Case(
        q(f"SELECT * WHERE {{ {TURN_1} a ?class ; <{QIKG}text> ?text }} LIMIT 1"), fast=True
    ),
    "cut at the row limit": Case(q(f"SELECT * WHERE {{ {TURN_1} ?p ?o }}"), fast=True),
    "text with markup in an answer": Case(
        q(f"SELECT ?t WHERE {{ <{S}/interview/1/coding-amin> ?p ?t }}"),
        accept="application/sparql-results+xml",
        fast=True,
    ),
    "a variable subject: the runner": Case(q(f"SELECT ?i WHERE {{ ?i a <{QIKG}Interview> }}")),
    "FROM a graph of the store": Case(
        q(f"SELECT ?l FROM <{INTERVIEW_1_GRAPH}> WHERE {{ <{S}/interview/1> <{RDFS_LABEL}> ?l }}")
    ),
    "default-graph-uri": Case(q(LOOKUP, **{"default-graph-uri": INTERVIEW_1_GRAPH})),
    "an update": Case(q("INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }"), status=403),
    "the update parameter": Case([("update", "CLEAR ALL")], status=403),
    "LOAD": Case(q("LOAD <http://example.org/data.ttl>"), status=403),
    "SERVICE": Case(
        q(
            f"SELECT * WHERE {{ <{S}/interview/1> ?p ?o "
            "SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
        ),
        status=403,
    ),
    "FROM a remote graph": Case(
        q(f"SELECT ?l FROM <http://example.org/g> WHERE {{ <{S}/interview/1> <{RDFS_LABEL}> ?l }}"),
        status=400,
    ),
    "unknown format": Case(q(LOOKUP, format="nonsense"), status=400),
    "two queries": Case([("query", LOOKUP), ("query", LOOKUP)], status=400),
    "empty query": Case(q(" "), status=400),
    "too long": Case(q(LOOKUP + " #" + "x" * MAX_QUERY_BYTES), status=413),
    "the fast shape, but the engine's syntax error": Case(
        q(LOOKUP + " LIMIT 1 LIMIT 2"), status=400
    ),
    "HTML asked for with a query": Case(q(LOOKUP), accept="text/html", status=406),
    "the query form for browsers": Case(accept="text/html,application/xhtml+xml"),
    "the service description": Case(accept="text/turtle"),
    "HEAD": Case(q(LOOKUP), method="HEAD"),
    "OPTIONS": Case(q(LOOKUP), method="OPTIONS", status=204),
    "POST form": Case(body=urlencode(q(LOOKUP)), content_type=FORM, method="POST", fast=True),
    "POST form, format in the URL": Case(
        [("format", "csv")], body=urlencode(q(LOOKUP)), content_type=FORM, method="POST", fast=True
    ),
    "POST query": Case(body=LOOKUP, content_type=QUERY, method="POST", fast=True),
    "POST query, charset=UTF-8": Case(
        body=LOOKUP, content_type=QUERY + "; charset=UTF-8", method="POST", fast=True
    ),
    "POST form, a query for the runner (the body read twice)": Case(
        body=urlencode(q(f"SELECT ?i WHERE {{ ?i a <{QIKG}Interview> }}")),
        content_type=FORM,
        method="POST",
    ),
    "POST form, the query in the URL and the body": Case(
        q(LOOKUP), body=urlencode(q(LOOKUP)), content_type=FORM, method="POST", status=400
    ),
    "POST query, the query in the URL too": Case(
        q(LOOKUP), body=LOOKUP, content_type=QUERY, method="POST", status=400
    ),
    "POST query in UTF-16": Case(
        body=LOOKUP.encode("utf-16"),
        content_type=QUERY + "; charset=utf-16",
        method="POST",
        status=415,
    ),
    "POST query, not UTF-8": Case(
        body=LOOKUP.encode("latin-1") + b" # \xe9", content_type=QUERY, method="POST", status=400
    ),
    "POST form past MAX_CONTENT_LENGTH": Case(
        body=urlencode(q(LOOKUP + " #" + "x" * 6000)),
        content_type=FORM,
        method="POST",
        status=413,
    ),
    "POST update": Case(
        body="CLEAR ALL", content_type="application/sparql-update", method="POST", status=403
    ),
    "POST without Content-Type": Case(body=LOOKUP, method="POST", status=415),
    "another path": Case(q(LOOKUP), path="/sparql/more", status=404),
    "DELETE": Case(q(LOOKUP), method="DELETE", status=405),
}


def send(app: Flask, case: Case) -> TestResponse:
    headers = {"Accept": case.accept} if case.accept is not None else {}
    raw = urlencode(case.query)
    return app.test_client().open(
        case.path + ("?" + raw if raw else ""),
        method=case.method,
        headers=headers,
        data=case.body,
        content_type=case.content_type,
    )


def make_apps(tmp_path: Path) -> tuple[Flask, Flask]:
    """An app with the front and one without, over one store, each past its first request
    (after which the front may answer)."""
    store = make_store(tmp_path, OxigraphStore())
    config = {"QUERY_WORKERS": 0, "MAX_RESULT_ROWS": ROW_LIMIT, "MAX_QUERY_BYTES": MAX_QUERY_BYTES}
    apps = create_app(store, config), create_app(store, {**config, "SPARQL_FRONT": False})
    for app in apps:
        assert send(app, CASES["the service description"]).status_code == 200
    return apps


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Flask]]:
    yield make_apps(tmp_path_factory.mktemp("front"))


def answered_by_front(app: Flask) -> float:
    return metrics_of(app).registry.get_sample_value(FRONT_COUNTER) or 0.0


@pytest.mark.parametrize("name", list(CASES))
def test_the_front_answers_as_flask_alone(apps: tuple[Flask, Flask], name: str) -> None:
    front, flask_alone = apps
    case = CASES[name]
    before = answered_by_front(front)
    through_front, through_flask = send(front, case), send(flask_alone, case)
    assert through_flask.status_code == case.status, through_flask.text
    assert through_front.status_code == through_flask.status_code
    assert list(through_front.headers.items()) == list(through_flask.headers.items())
    if through_flask.mimetype == "text/turtle":  # the description's blank nodes, in any order
        assert isomorphic(
            Graph().parse(data=through_front.data, format="turtle"),
            Graph().parse(data=through_flask.data, format="turtle"),
        )
    else:
        assert through_front.data == through_flask.data
    assert answered_by_front(front) - before == (1 if case.fast else 0)
    assert answered_by_front(flask_alone) == 0


def test_answers_of_the_front_are_complete(apps: tuple[Flask, Flask]) -> None:
    """What the comparison cannot show by itself: the front's answers are the right ones."""
    front, _ = apps
    response = send(front, CASES["lookup as CSV"])
    assert response.data == b"label\r\nInterview 1\r\n"
    assert response.headers["X-Qikg-Row-Limit"] == str(ROW_LIMIT)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    cut = send(front, CASES["cut at the row limit"])
    assert len(cut.json["results"]["bindings"]) == ROW_LIMIT
    assert cut.headers["X-Qikg-Truncated"] == "true"
    markup = send(front, CASES["text with markup in an answer"])
    assert b"&lt;script&gt;" in markup.data and b"<script>" not in markup.data


def _duration_free(line: str) -> str:
    return re.sub(r" \d+\.\dms ", " _ms ", line)


def _counted(sample: str) -> bool:
    """Samples that do not depend on time (creation times, durations) or on the front."""
    if sample.endswith("_created") or sample.startswith("qikg_sparql_front_answers"):
        return False
    return sample.endswith("_count") or not sample.startswith("qikg_http_request_duration")


def test_metrics_and_access_log_are_flasks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qikg.access")
    lines: list[list[str]] = []
    found = []
    for app in make_apps(tmp_path):
        caplog.clear()
        for case in CASES.values():
            send(app, case)
        lines.append([_duration_free(r.getMessage()) for r in caplog.records])
        found.append({key: v for key, v in samples(app.test_client()).items() if _counted(key[0])})
    assert len(lines[0]) == len(CASES)
    assert lines[0] == lines[1]
    assert found[0] == found[1]
    assert ("qikg_sparql_queries_total", frozenset({("path", "fast")})) in found[0]


def test_the_front_stands_aside_for_hooks_it_does_not_know(tmp_path: Path) -> None:
    front, _ = make_apps(tmp_path)
    assert reproduces(front)
    (tmp_path / "other").mkdir()
    other = create_app(make_store(tmp_path / "other"), {"QUERY_WORKERS": 0})
    seen: list[str] = []
    other.before_request(lambda: seen.append("hook"))
    assert not reproduces(other)
    for _ in range(3):
        assert send(other, CASES["lookup as JSON"]).status_code == 200
    assert seen == ["hook"] * 3
    assert answered_by_front(other) == 0
