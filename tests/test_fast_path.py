"""The SPARQL endpoint's fast path: which queries run in the request thread, with what bound,
and that they answer exactly as the query runner does.

The store here is written by hand: one hub with 150 ``ex:p`` links, so that the counts below are
known without running the code under test.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest
from flask import Flask

from qikg.errors import ConfigError
from qikg.kg.sparql_scan import scan_query
from qikg.kg.store import OxigraphStore
from qikg.server import create_app
from qikg.server.fast_path import RDF_TYPE, MatchCounts, Pattern, basic_patterns, match_bound

from . import test_operations
from .test_operations import samples, value
from .test_timeouts import LOOKUP, SLOW

EX = "http://ex/"
HUB = f"<{EX}hub>"
LINKS = 150
"""The hub's ``ex:p`` objects (``ex:o1`` to ``ex:o150``), in graph ``ex:g1``."""
TRIG = (
    f"<{EX}g1> {{\n"
    + "".join(f"  {HUB} <{EX}p> <{EX}o{i}> .\n" for i in range(1, LINKS + 1))
    + f'  <{EX}o1> <{EX}label> "one" .\n}}\n'
    + f'<{EX}g2> {{ {HUB} <{EX}label> "Hub"@en . {HUB} a <{EX}Thing> . }}\n'
)
JSON = "application/sparql-results+json"
CHEAP = f"SELECT ?label WHERE {{ {HUB} <{EX}label> ?label }}"
CARTESIAN = f"SELECT * WHERE {{ {HUB} <{EX}p> ?a . {HUB} <{EX}p> ?b }}"
"""Of the accepted shape, but 150 x 150 matches: past the bound."""
UNPROVABLE = {
    "property path": f"SELECT ?l WHERE {{ {HUB} <{EX}p>/<{EX}label> ?l }}",
    "FILTER": f'SELECT ?o WHERE {{ {HUB} <{EX}p> ?o FILTER(REGEX(STR(?o), "o1")) }}',
    "variable subject": f"SELECT ?s WHERE {{ ?s <{EX}p> <{EX}o1> }}",
    "OPTIONAL": f"SELECT * WHERE {{ {HUB} <{EX}label> ?l OPTIONAL {{ ?l ?p ?o }} }}",
}
EXPENSIVE = {"cartesian product over the fan-out": CARTESIAN, **UNPROVABLE}


def parse(query: str) -> tuple[Pattern, ...] | None:
    return basic_patterns(scan_query(query).tokens)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    path = tmp_path_factory.mktemp("fast") / "hub.trig"
    path.write_text(TRIG, encoding="utf-8")
    store = OxigraphStore()
    store.load_dataset(path)
    return store


@pytest.mark.parametrize(
    ("query", "patterns"),
    [
        (CHEAP, (Pattern(f"{EX}hub", f"{EX}label", None),)),
        (
            f"PREFIX ex: <{EX}>\nASK WHERE {{ ex:hub a ex:Thing ; ex:p ex:o2, ?x . }}",
            (
                Pattern(f"{EX}hub", RDF_TYPE, f"{EX}Thing"),
                Pattern(f"{EX}hub", f"{EX}p", f"{EX}o2"),
                Pattern(f"{EX}hub", f"{EX}p", None),
            ),
        ),
        (
            f'select distinct * {{ {HUB} ?p "Hub"@en . <{EX}o1> ?q "one"^^<{EX}t> }} LIMIT 5',
            (Pattern(f"{EX}hub", None, None), Pattern(f"{EX}o1", None, None)),
        ),
    ],
)
def test_the_recogniser_reads_constant_subject_patterns(
    query: str, patterns: tuple[Pattern, ...]
) -> None:
    assert parse(query) == patterns


@pytest.mark.parametrize(
    "query",
    [
        *UNPROVABLE.values(),
        f"SELECT * WHERE {{ {HUB} <{EX}p>* ?o }}",
        f"SELECT * WHERE {{ {HUB} <{EX}p>? ?o }}",
        f"SELECT * WHERE {{ {HUB} ^<{EX}p> ?o }}",
        f"SELECT * WHERE {{ {HUB} <{EX}p>|<{EX}q> ?o }}",
        f"SELECT * WHERE {{ {HUB} <{EX}p> ?o }} ORDER BY ?o",
        f"SELECT (COUNT(*) AS ?n) WHERE {{ {HUB} <{EX}p> ?o }}",
        f"SELECT ?o WHERE {{ {HUB} <{EX}p> ?o }} GROUP BY ?o",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ {HUB} <{EX}p> ?o }} }} }}",
        f"SELECT * WHERE {{ SERVICE <{EX}sparql> {{ {HUB} <{EX}p> ?o }} }}",
        f"SELECT * WHERE {{ GRAPH ?g {{ {HUB} <{EX}p> ?o }} }}",
        f"SELECT * WHERE {{ {HUB} <{EX}p> ?o . VALUES ?o {{ <{EX}o1> }} }}",
        f"SELECT * WHERE {{ {HUB} <{EX}p> ?o }} UNION {{ ?s ?p ?o }}",
        f"SELECT * FROM <{EX}g1> WHERE {{ {HUB} <{EX}p> ?o }}",
        f"CONSTRUCT WHERE {{ {HUB} <{EX}p> ?o }}",
        f"DESCRIBE {HUB}",
        "SELECT * WHERE { [] ?p ?o }",
        "SELECT * WHERE { _:b ?p ?o }",
        "SELECT * WHERE { <relative> ?p ?o }",
        "SELECT * WHERE { ex:hub ?p ?o }",  # undeclared prefix
        f"PREFIX FILTERex: <{EX}>\nSELECT * WHERE {{ FILTERex:hub ?p ?o }}",
        f"SELECT * WHERE {{ {HUB} ?p ?o . }} LIMIT ?x",
        "SELECT * WHERE { }",
    ],
)
def test_the_recogniser_refuses_every_other_shape(query: str) -> None:
    assert parse(query) is None


def test_the_bound_multiplies_counts_and_stops_past_the_limit(store: OxigraphStore) -> None:
    one = parse(f"SELECT * WHERE {{ {HUB} <{EX}p> ?a }}")
    two = parse(CARTESIAN)
    none_then_one = parse(f"SELECT * WHERE {{ <{EX}absent> <{EX}p> ?a . {HUB} <{EX}p> ?b }}")
    assert one and two and none_then_one
    assert match_bound(store, one, 10_000) == LINKS
    assert match_bound(store, two, 10_000) is None  # 22,500 > 10,000
    assert match_bound(store, two, LINKS * LINKS) == LINKS * LINKS
    # a pattern without matches counts as 1: the other one may still be evaluated in full
    assert match_bound(store, none_then_one, 10_000) == LINKS
    assert match_bound(store, one, LINKS - 1) is None


def _paths(app: Flask) -> tuple[float, float]:
    found = samples(app.test_client())
    return (
        value(found, "qikg_sparql_queries_total", path="fast"),
        value(found, "qikg_sparql_queries_total", path="runner"),
    )


def _get(
    app: Flask, query: str, accept: str = JSON, **params: str
) -> tuple[int, bytes, dict[str, str]]:
    response = app.test_client().get(
        "/sparql?" + urlencode({"query": query, **params}), headers={"Accept": accept}
    )
    headers = {k: v for k, v in response.headers.items() if k.startswith("X-Qikg")}
    return response.status_code, response.data, headers


def test_a_cheap_query_takes_the_fast_path_and_others_do_not(store: OxigraphStore) -> None:
    app = create_app(store, {"QUERY_WORKERS": 0})
    assert _paths(app) == (0, 0)
    status, body, _ = _get(app, CHEAP)
    assert status == 200 and b'"Hub"' in body
    assert _paths(app) == (1, 0)
    for what, query in EXPENSIVE.items():
        before = _paths(app)
        assert _get(app, query)[0] == 200, what
        assert _paths(app) == (before[0], before[1] + 1), what
    # naming a dataset, or turning the fast path off, sends the cheap query to the runner too
    _get(app, CHEAP, **{"default-graph-uri": f"{EX}g2"})
    off = create_app(store, {"QUERY_WORKERS": 0, "FAST_PATH_MAX_MATCHES": 0})
    _get(off, CHEAP)
    assert _paths(app) == (1, len(EXPENSIVE) + 1) and _paths(off) == (0, 1)


@pytest.mark.parametrize(
    "accept",
    [JSON, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
def test_answers_are_the_same_on_both_paths(store: OxigraphStore, accept: str) -> None:
    fast = create_app(store, {"QUERY_WORKERS": 0, "MAX_RESULT_ROWS": 100})
    runner = create_app(
        store, {"QUERY_WORKERS": 0, "MAX_RESULT_ROWS": 100, "FAST_PATH_MAX_MATCHES": 0}
    )
    queries = [
        CHEAP,
        f"ASK {{ {HUB} a <{EX}Thing> }}",
        f"SELECT ?o WHERE {{ {HUB} <{EX}p> ?o ; a <{EX}Thing> }}",  # 150 rows: capped at 100
        f"SELECT * WHERE {{ {HUB} <{EX}p> <{EX}o1> , <{EX}o151> }}",  # no row
    ]
    for query in queries:
        assert _get(fast, query, accept) == _get(runner, query, accept)
    assert _paths(fast) == (len(queries), 0) and _paths(runner) == (0, len(queries))
    status, body, headers = _get(fast, queries[2], "text/csv")
    assert status == 200 and len(body.splitlines()) == 1 + 100
    assert headers == {"X-Qikg-Row-Limit": "100", "X-Qikg-Truncated": "true"}


def test_the_setting_is_checked(store: OxigraphStore) -> None:
    for bad in (-1, 1.5, "10", True):
        with pytest.raises(ConfigError, match="FAST_PATH_MAX_MATCHES"):
            create_app(store, {"QUERY_WORKERS": 0, "FAST_PATH_MAX_MATCHES": bad})


pool_app = test_operations.pool_app
"""An app with one query worker stopped after ``LIMIT_S``, no spare."""


def test_the_fast_path_answers_while_the_worker_is_busy(pool_app: Flask) -> None:
    statuses: list[int] = []
    started = threading.Event()

    def slow() -> None:
        started.set()
        statuses.append(_get(pool_app, SLOW)[0])

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait()
    time.sleep(0.1)  # the slow query reaches the worker
    # the lookup does not wait for the worker, which is busy until the slow query is stopped
    status, body, _ = _get(pool_app, LOOKUP)
    thread.join()
    assert status == 200 and b"t1 alpha" in body
    assert statuses == [503]  # the time limit still holds on the worker path
    assert _paths(pool_app) == (1, 1)


def test_counts_are_remembered_with_their_limit(store: OxigraphStore) -> None:
    calls: list[tuple[str, str | None, str | None, int]] = []

    class Counting:
        def count_matches(self, s: str, p: str | None, o: str | None, at_most: int) -> int:
            calls.append((s, p, o, at_most))
            return store.count_matches(s, p, o, at_most)

    counts = MatchCounts(Counting())
    assert counts.count_matches(f"{EX}hub", f"{EX}p", None, 10_001) == LINKS
    assert counts.count_matches(f"{EX}hub", f"{EX}p", None, 10_001) == LINKS
    assert counts.count_matches(f"{EX}hub", f"{EX}p", None, 10) == 10  # counting stops there
    assert len(calls) == 2
