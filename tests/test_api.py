"""The named-query API: formats, paging, problem details, hostile values, OpenAPI, and a
schemathesis run against the app."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qikg.kg.build import build
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries
from qikg.queries.formats import to_csv
from qikg.queries.params import split_terms
from qikg.queries.run import Table, answer_columns
from qikg.server import create_app

from .conftest import EXAMPLE
from .test_reader_delve_text import separate_reading


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    out: Path = tmp_path_factory.mktemp("api") / "ds"
    build([EXAMPLE], out)
    return create_app(OxigraphStore.open_read_only(out / "store"), {"QUERY_WORKERS": 0})


@pytest.fixture
def client(app):
    return app.test_client()


def problem(response) -> dict:
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["status"] == response.status_code
    assert body["title"] and body["detail"] and body["type"] == "about:blank"
    return body


# -- formats -------------------------------------------------------------------------------------


def test_json_is_the_default_and_holds_the_answer(client):
    r = client.get("/api/evidence?code=MM-drift")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert body["query"] == "evidence"
    assert body["parameters"] == {"code": "MM-drift"}
    assert body["total"] == 10 == len(body["rows"])  # MM-drift: 10 paragraphs, counted by hand
    assert body["columns"] == list(answer_columns(named_queries()["evidence"]))
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Vary"] == "Accept"


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/csv", "text/csv"),
        ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/csv;q=0.5, application/json;q=0.9", "application/json"),
    ],
)
def test_the_accept_header_picks_the_format(client, accept, mimetype):
    r = client.get("/api/catalogue", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == mimetype


def test_the_format_parameter_overrides_accept(client):
    r = client.get("/api/catalogue?format=csv", headers={"Accept": "text/html"})
    assert r.mimetype == "text/csv"
    assert problem(client.get("/api/catalogue?format=xml"))["parameter"] == "format"
    r = client.get("/api/catalogue", headers={"Accept": "image/png"})
    assert r.status_code == 406
    problem(r)


def test_csv_is_a_download_a_spreadsheet_opens(client):
    r = client.get("/api/evidence?code=MM-drift&format=csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="evidence.csv"'
    assert r.headers["Content-Type"].startswith("text/csv; charset=utf-8")
    data = r.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # a byte-order mark: spreadsheets read UTF-8
    assert b"\r\n" in data
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0] == list(answer_columns(named_queries()["evidence"]))
    assert len(table) == 11
    _, coded = separate_reading()
    quotes = [row[table[0].index("quotes")] for row in table[1:]]
    for text, codes in coded:
        if "MM-drift" in codes:
            assert any(text in q for q in quotes)


def test_csv_cells_that_look_like_formulas_stay_text():
    data = to_csv(Table(("a", "b"), [("=SUM(A1)", -1), ("+x", 0.5), ("@y", None)]))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["'=SUM(A1)", "-1"], ["'+x", "0.5"], ["'@y", ""]]


def test_html_tables_escape_what_they_show(client):
    hostile = '<script>alert("x")</script>'
    r = client.get("/api/evidence", query_string={"label": hostile, "format": "html"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    r = client.get("/api/evidence?code=MM-drift&format=html")
    html = r.get_data(as_text=True)
    assert '<a href="https://w3id.org/qikg/cote2024/interview/3/moderation-amin/turn/' in html
    assert '<th scope="col">quotes</th>' in html


def test_the_index_lists_every_query(client):
    html = client.get("/api/").get_data(as_text=True)
    for name, q in named_queries().items():
        assert f'id="q-{name}"' in html
        assert q.summary.replace("'", "&#39;") in html


# -- paging --------------------------------------------------------------------------------------


def links(r) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', r.headers.get("Link", ""))
    }


def test_answers_are_paged_with_links_and_a_total(client):
    whole = client.get("/api/evidence?code=MM-drift").get_json()["rows"]
    seen = []
    url = "/api/evidence?code=MM-drift&per_page=3"
    pages = 0
    while url:
        r = client.get(url)
        assert r.headers["X-Total-Count"] == "10"
        body = r.get_json()
        assert (body["per_page"], body["total"]) == (3, 10)
        seen += body["rows"]
        pages += 1
        url = links(r).get("next")
    assert pages == 4
    assert seen == whole
    last = client.get("/api/evidence?code=MM-drift&per_page=3&page=4")
    assert set(links(last)) == {"first", "prev", "last"}
    assert links(last)["last"].endswith("page=4")
    beyond = client.get("/api/evidence?code=MM-drift&per_page=3&page=9")
    assert beyond.status_code == 200 and beyond.get_json()["rows"] == []


@pytest.mark.parametrize("query", ["per_page=0", "per_page=1001", "page=0", "page=x", "page=1e3"])
def test_bad_paging_is_refused(client, query):
    r = client.get(f"/api/catalogue?{query}")
    assert r.status_code == 400
    problem(r)


# -- errors and hostile values -------------------------------------------------------------------


def test_errors_are_problem_details(client):
    assert problem(client.get("/api/no-such-query"))["status"] == 404
    body = problem(client.get("/api/evidence?bogus=1"))
    assert body["parameter"] == "bogus" and "code, label, interview, document" in body["detail"]
    body = problem(client.get("/api/evidence?code=MM-drift&code=Data-low-quality"))
    assert body["parameter"] == "code"
    body = problem(client.get("/api/code-profile"))
    assert body["parameter"] == "code" and "required" in body["detail"]
    body = problem(client.get("/api/code-profile?code=No-such-code"))
    assert "no code of the codebook" in body["detail"]


HOSTILE = [
    '"',
    "'",
    "{",
    "}",
    "} UNION { ?s ?p ?o }",
    '" } UNION { ?s ?p ?o } #',
    "') || true || ('",
    "<https://evil.example/>",
    "https://w3id.org/qikg/cote2024/interview/3/moderation-amin> } UNION { ?s ?p ?o",
    "https://example.org/a>b",
    '"""',
    "\\u0022",
    "%00",
    "\x00",
    "$x",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_plain_values_or_refused(client, value):
    for name, param, extra in [
        ("evidence", "label", {}),
        ("evidence", "code", {}),
        ("evidence", "interview", {}),
        ("evidence", "document", {}),
        ("question-issues", "question", {}),
        ("quote-search", "q", {}),
        ("quote-search", "lang", {"q": "data"}),
        ("catalogue", "dimension", {}),
        ("issue-evidence", "min_interviews", {}),
    ]:
        r = client.get(f"/api/{name}", query_string={param: value, "per_page": "1000", **extra})
        assert r.status_code in (200, 400), (name, param, r.status_code)
        if r.status_code == 400:
            assert problem(r)["parameter"] == param
            continue
        rows = r.get_json()["rows"]
        if name in ("evidence", "question-issues"):
            # A value matched as a whole label or question id matches nothing here.
            assert rows == [], (name, param)
        if (name, param) == ("quote-search", "q"):
            # Every term of the value (split as the parameter's type says) is in each quote.
            terms = split_terms(value)
            assert all(all(t in r["quote"].lower() for t in terms) for r in rows)


# -- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_is_valid_and_generated_from_the_headers(client):
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)  # OpenAPI 3.1, checked by openapi-spec-validator
    assert doc["openapi"] == "3.1.0"
    queries = named_queries()
    assert set(doc["paths"]) == {f"/api/{n}" for n in queries}
    for name, q in queries.items():
        op = doc["paths"][f"/api/{name}"]["get"]
        assert op["summary"] == q.summary
        own = [p for p in op["parameters"] if "name" in p]
        assert [p["name"] for p in own] == [p.name for p in q.params]
        for p, declared in zip(own, q.params, strict=True):
            assert p["required"] == declared.required
            if declared.choices:
                assert p["schema"]["enum"] == list(declared.choices)
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert list(schema["properties"]["rows"]["items"]["properties"]) == list(answer_columns(q))
        for example in q.examples:
            body = client.get(f"/api/{name}", query_string=dict(example)).get_json()
            assert body["columns"] == list(answer_columns(q)), (name, example)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    positive = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]
    modes = [
        (schemathesis.GenerationMode.POSITIVE, positive),
        (schemathesis.GenerationMode.NEGATIVE, [not_a_server_error, content_type_conformance]),
    ]
    calls = 0

    def fuzz(operation, mode, checks) -> None:
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(checks=checks)

        run()

    for result in schema.get_all_operations():
        for mode, checks in modes:
            fuzz(result.ok(), mode, checks)
    assert calls >= 12 * 2 * 10
