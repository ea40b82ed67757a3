"""The W3C SPARQL 1.1 Protocol tests, run from their manifest against the app.

Every entry of ``../shared/w3c/sparql11-protocol/manifest.ttl`` is one test case here: the
manifest gives each HTTP request (method, path under ``/sparql/``, headers, body and its
encoding), the expected status class, format and boolean, and the data files with the graph names
they are loaded under (``ut:graphData``). The cases run twice: in-process over a store holding the
test's own graphs, and through query worker processes over an on-disk store holding all of them.

27 of the 34 pass. The 7 others cannot pass on a read-only endpoint, and are marked as expected
failures (strict: should one pass, the suite says so): the 6 tests whose first request is a SPARQL
Update that must succeed, and ``update_base_uri``, which checks the base IRI by first writing a
triple with an update.

The 3 Service Description tests (``sparql11-service-description``) give only a name each; what
they check is written out here.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node
from werkzeug.test import TestResponse

from qikg.kg.store import OxigraphStore
from qikg.server import close_app, create_app

from .conftest import SHARED

W3C = SHARED / "w3c"
PROTOCOL_MANIFEST = W3C / "sparql11-protocol" / "manifest.ttl"
SD_MANIFEST = W3C / "sparql11-service-description" / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RESULTS = "{http://www.w3.org/2005/sparql-results#}"

_UPDATE = (
    "its first request is a SPARQL Update that must succeed; this endpoint is read-only and "
    "refuses every update with 403"
)
EXPECTED_FAILURES: dict[str, str] = {
    "update_dataset_default_graph": _UPDATE,
    "update_dataset_default_graphs": _UPDATE,
    "update_dataset_named_graphs": _UPDATE,
    "update_dataset_full": _UPDATE,
    "update_post_form": _UPDATE,
    "update_post_direct": _UPDATE,
    "update_base_uri": (
        "it checks the service's base IRI by first writing a triple with CLEAR and INSERT DATA, "
        "which this read-only endpoint refuses with 403"
    ),
}
"""The tests a read-only endpoint cannot pass, each with the reason (keyed by local name)."""

# What mf:expectedFormat allows, as the manifest's test names spell out.
FORMATS = {
    "boolean": {"application/sparql-results+xml", "application/sparql-results+json"},
    "tabular": {
        "application/sparql-results+xml",
        "application/sparql-results+json",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml"},
}
STATUS_CLASSES = {HTS.StatusCode2xx: 2, HTS.StatusCode3xx: 3, HTS.StatusCode4xx: 4}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status_classes: frozenset[int]
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graph_data: tuple[tuple[str, Path], ...]
    requests: tuple[Request, ...] = field(default=())


def _items(g: Graph, head: Node | None) -> list[Node]:
    return [] if head is None else list(Collection(g, head))


def _one(g: Graph, subject: Node, predicate: URIRef) -> Any:
    value = g.value(subject, predicate)
    return None if value is None else value.toPython()


def read_manifest(path: Path = PROTOCOL_MANIFEST) -> list[ProtocolTest]:
    """Every entry of the protocol manifest, in manifest order."""
    g = Graph().parse(path, format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in _items(g, g.value(manifest, MF.entries)):
        assert isinstance(entry, URIRef)
        graph_data = []
        for data in g.objects(entry, UT.graphData):
            file = g.value(data, UT.graph)
            assert isinstance(file, URIRef) and file.startswith("file:")
            graph_data.append((str(g.value(data, RDFS.label)), Path(urlsplit(file).path)))
        requests = []
        action = g.value(entry, MF.action)
        for req in _items(g, g.value(action, HT.requests)):
            headers = {
                str(g.value(h, HT.fieldName)).lower(): str(g.value(h, HT.fieldValue))
                for h in _items(g, g.value(req, HT.headers))
            }
            body_node = g.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding.lower())
            resp = g.value(req, HT.resp)
            requests.append(
                Request(
                    method=str(g.value(req, HT.methodName)),
                    path=str(g.value(req, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    status_classes=frozenset(
                        STATUS_CLASSES[s]  # type: ignore[index]
                        for s in g.objects(resp, MF.expectedStatus)
                    ),
                    expected_format=_one(g, resp, MF.expectedFormat),
                    expected_boolean=_one(g, resp, MF.expectedBoolean),
                )
            )
        tests.append(
            ProtocolTest(
                name=entry.split("#")[-1],
                title=str(g.value(entry, MF.name)),
                graph_data=tuple(sorted(graph_data)),
                requests=tuple(requests),
            )
        )
    return tests


def _answer_boolean(response: TestResponse) -> bool:
    if response.mimetype == "application/sparql-results+json":
        value = json.loads(response.data)["boolean"]
        assert isinstance(value, bool)
        return value
    text = ET.fromstring(response.data).findtext(f"{RESULTS}boolean")
    assert text in ("true", "false")
    return text == "true"


def failures(app: Flask, test: ProtocolTest) -> list[str]:
    """Run the test's requests in order; what went wrong (nothing when it passes)."""
    client = app.test_client()
    for number, req in enumerate(test.requests, 1):
        headers = dict(req.headers)
        content_type = headers.pop("content-type", None)
        response = client.open(
            req.path,
            method=req.method,
            headers=headers,
            data=req.body,
            content_type=content_type,
        )
        where = f"request {number} ({req.method} {req.path[:60]})"
        if response.status_code // 100 not in req.status_classes:
            return [f"{where}: status {response.status_code}: {response.text.strip()[:200]}"]
        if response.status_code >= 400 and not response.text.strip():
            return [f"{where}: {response.status_code} without a message"]
        if req.expected_format and response.mimetype not in FORMATS[req.expected_format]:
            return [f"{where}: {response.mimetype} is not a {req.expected_format} format"]
        if req.expected_boolean is not None and _answer_boolean(response) != req.expected_boolean:
            return [f"{where}: answered {not req.expected_boolean}"]
    return []


TESTS = read_manifest() if PROTOCOL_MANIFEST.is_file() else []


def _store_with(
    graph_data: tuple[tuple[str, Path], ...], path: Path | None = None
) -> OxigraphStore:
    store = OxigraphStore(path)
    for name, file in graph_data:
        store.load_file(file, graph=name)
    return store


@pytest.fixture(scope="module")
def pooled_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app running queries in a worker process, over every graph the manifest names."""
    every_graph = tuple(sorted({pair for test in TESTS for pair in test.graph_data}))
    folder = tmp_path_factory.mktemp("w3c") / "store"
    _store_with(every_graph, folder).close()
    app = create_app(OxigraphStore.open_read_only(folder), {"QUERY_WORKERS": 1})
    yield app
    close_app(app)


def _case(test: ProtocolTest) -> Any:
    reason = EXPECTED_FAILURES.get(test.name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(test, id=test.name, marks=marks)


@pytest.mark.parametrize("test", [_case(t) for t in TESTS])
def test_protocol_in_process(test: ProtocolTest) -> None:
    app = create_app(_store_with(test.graph_data), {"QUERY_WORKERS": 0})
    assert failures(app, test) == [], test.title


@pytest.mark.parametrize("test", [_case(t) for t in TESTS])
def test_protocol_through_query_workers(pooled_app: Flask, test: ProtocolTest) -> None:
    assert failures(pooled_app, test) == [], test.title


def test_the_tally_is_27_of_34() -> None:
    assert len(TESTS) == 34, "the manifest should hold 34 protocol tests"
    names = [t.name for t in TESTS]
    assert set(EXPECTED_FAILURES) <= set(names)
    passed = []
    for test in TESTS:
        app = create_app(_store_with(test.graph_data), {"QUERY_WORKERS": 0})
        if not failures(app, test):
            passed.append(test.name)
    assert len(passed) == 27
    assert set(names) - set(passed) == set(EXPECTED_FAILURES)
    # Every test that cannot pass does fail on its update, and nothing else is an update.
    assert {n for n in names if n.startswith("update_")} == set(EXPECTED_FAILURES)


def test_the_manifest_is_read_completely() -> None:
    by_name = {t.name: t for t in TESTS}
    full = by_name["query_dataset_full"]
    assert [name.rsplit("/", 1)[1] for name, _ in full.graph_data] == [
        "data1.rdf",
        "data2.rdf",
        "data3.rdf",
    ]
    assert all(file.is_file() for _, file in full.graph_data)
    assert by_name["bad_query_non_utf8"].requests[0].body == "ASK {}".encode("utf-16")
    assert len(by_name["update_base_uri"].requests) == 2
    assert all(t.requests and t.requests[0].path.startswith("/sparql/") for t in TESTS)


# -- the service description tests -------------------------------------------------------------

SD_CHECKS = {
    "returns-rdf": "a GET on the endpoint, without a query, answers RDF",
    "has-endpoint-triple": "the description has sd:endpoint <the endpoint's URL>",
    "conforms-to-schema": "an sd:Service with its endpoint, languages and formats as IRIs",
}


def _sd_names() -> list[str]:
    if not SD_MANIFEST.is_file():
        return []
    g = Graph().parse(SD_MANIFEST, format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    return [str(e).split("#")[-1] for e in _items(g, g.value(manifest, MF.entries))]


@pytest.mark.parametrize("name", _sd_names())
def test_service_description(tmp_path: Path, name: str) -> None:
    assert name in SD_CHECKS
    app = create_app(_store_with(()), {"QUERY_WORKERS": 0})
    response = app.test_client().get("/sparql/", headers={"Accept": "text/turtle, */*;q=0.1"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    g = Graph().parse(data=response.data, format="turtle")
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    if name == "has-endpoint-triple":
        assert (service, SD.endpoint, URIRef("http://localhost/sparql")) in g
    if name == "conforms-to-schema":
        assert all(isinstance(e, URIRef) for e in g.objects(service, SD.endpoint))
        languages = set(g.objects(service, SD.supportedLanguage))
        assert languages and languages <= {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
        formats = list(g.objects(service, SD.resultFormat))
        assert formats and all(isinstance(f, URIRef) for f in formats)
        dataset = g.value(service, SD.defaultDataset)
        assert (dataset, RDF.type, SD.Dataset) in g
