"""The SPARQL 1.1 Protocol endpoint, through Flask's test client over the hand-written fixture."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from werkzeug.test import TestResponse

from qikg.errors import ConfigError
from qikg.server import close_app, create_app
from qikg.server.execute import Answer, Datasets, InProcessRunner, QueryTimeout, WorkersBusy
from qikg.server.state import state_of

from .test_store import (
    CODING_GRAPH,
    CODING_TEXTS,
    GRAPHS,
    QIKG,
    TRANSCRIPT_GRAPH,
    TRANSCRIPT_TEXTS,
    TURN_TEXTS,
    S,
    make_store,
)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RESULTS_NS = {"r": "http://www.w3.org/2005/sparql-results#"}

TEXTS = f"SELECT ?text WHERE {{ ?turn <{QIKG}text> ?text }}"
TEXTS_IN_GRAPHS = f"SELECT ?g ?text WHERE {{ GRAPH ?g {{ ?turn <{QIKG}text> ?text }} }}"
ASK_TRUE = f"ASK {{ <{S}/interview/2> a <{QIKG}Interview> }}"
ASK_FALSE = f"ASK {{ <{S}/interview/9> a <{QIKG}Interview> }}"
CONSTRUCT = f"CONSTRUCT {{ ?t <{QIKG}text> ?text }} WHERE {{ ?t <{QIKG}text> ?text }}"
DESCRIBE = f"DESCRIBE <{S}/interview/2>"
TURN_1 = URIRef(f"{S}/interview/1/transcript/turn/1")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(make_store(tmp_path))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def json_texts(response: TestResponse) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/sparql-results+json"
    data = json.loads(response.data)
    return [b["text"]["value"] for b in data["results"]["bindings"]]


def get(client: FlaskClient, query: str, **kwargs: Any) -> TestResponse:
    params: dict[str, Any] = {"query": query, **kwargs.pop("params", {})}
    return client.get("/sparql", query_string=params, **kwargs)


# -- the three doors -----------------------------------------------------------------------------


def test_get_with_query(client: FlaskClient) -> None:
    assert sorted(json_texts(get(client, TEXTS))) == sorted(TURN_TEXTS)


def test_trailing_slash_is_the_same_endpoint(client: FlaskClient) -> None:
    response = client.get("/sparql/", query_string={"query": TEXTS})
    assert sorted(json_texts(response)) == sorted(TURN_TEXTS)


def test_post_form_encoded(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"query": TEXTS})
    assert sorted(json_texts(response)) == sorted(TURN_TEXTS)


def test_post_direct_body_with_graph_in_url(client: FlaskClient) -> None:
    response = client.post(
        "/sparql?default-graph-uri=" + quote(TRANSCRIPT_GRAPH, safe=""),
        data=TEXTS.encode(),
        content_type="application/sparql-query",
    )
    assert set(json_texts(response)) == TRANSCRIPT_TEXTS


def test_head_answers_like_get_without_body(client: FlaskClient) -> None:
    response = client.head("/sparql", query_string={"query": TEXTS})
    assert response.status_code == 200 and response.data == b""


# -- every format, parsed back -------------------------------------------------------------------


def test_select_as_json(client: FlaskClient) -> None:
    response = get(client, TEXTS, headers={"Accept": "application/sparql-results+json"})
    data = json.loads(response.data)
    assert data["head"]["vars"] == ["text"]
    literal = next(
        b["text"] for b in data["results"]["bindings"] if b["text"]["value"] == "t1 alpha"
    )
    assert literal == {"type": "literal", "value": "t1 alpha", "xml:lang": "en"}


def test_select_as_xml(client: FlaskClient) -> None:
    response = get(client, TEXTS, headers={"Accept": "application/sparql-results+xml"})
    assert response.mimetype == "application/sparql-results+xml"
    root = ET.fromstring(response.data)
    assert [v.get("name") for v in root.iterfind("r:head/r:variable", RESULTS_NS)] == ["text"]
    literals = root.findall(".//r:binding[@name='text']/r:literal", RESULTS_NS)
    assert {e.text for e in literals} == TURN_TEXTS
    assert {e.get("{http://www.w3.org/XML/1998/namespace}lang") for e in literals} == {"en"}


def test_select_as_csv(client: FlaskClient) -> None:
    response = get(client, TEXTS, headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert {row["text"] for row in rows} == TURN_TEXTS  # commas, quotes and newlines survive


def test_select_as_tsv(client: FlaskClient) -> None:
    response = get(client, TEXTS, headers={"Accept": "text/tab-separated-values"})
    assert response.mimetype == "text/tab-separated-values"
    text = io.StringIO(response.data.decode("utf-8"))
    rows = list(csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == ["?text"]
    assert len(rows) == 1 + len(TURN_TEXTS)
    assert ['"t1 alpha"@en'] in rows


def test_ask_in_each_results_format(client: FlaskClient) -> None:
    assert json.loads(get(client, ASK_TRUE).data) == {"head": {}, "boolean": True}
    assert json.loads(get(client, ASK_FALSE).data)["boolean"] is False
    xml = get(client, ASK_TRUE, headers={"Accept": "application/sparql-results+xml"}).data
    assert ET.fromstring(xml).findtext("r:boolean", namespaces=RESULTS_NS) == "true"
    assert get(client, ASK_FALSE, params={"format": "csv"}).data.strip() == b"false"
    assert get(client, ASK_TRUE, params={"format": "tsv"}).data.strip() == b"true"


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("media_type", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_in_each_graph_format(
    client: FlaskClient, media_type: str, rdflib_format: str
) -> None:
    response = get(client, CONSTRUCT, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.mimetype == media_type
    if media_type == "application/ld+json":
        assert b"@context" not in response.data  # nothing for a client to fetch
    g = Graph().parse(data=response.data, format=rdflib_format)
    assert len(g) == len(TURN_TEXTS)
    assert (TURN_1, URIRef(f"{QIKG}text"), Literal("t1 alpha", lang="en")) in g


def test_describe_as_turtle(client: FlaskClient) -> None:
    response = get(client, DESCRIBE, headers={"Accept": "text/turtle"})
    g = Graph().parse(data=response.data, format="turtle")
    assert (URIRef(f"{S}/interview/2"), None, Literal("Interview 2", lang="en")) in g


# -- content negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        (
            "text/csv;q=0.5, application/sparql-results+xml;q=0.9, */*;q=0.1",
            "application/sparql-results+xml",
        ),
        (
            "application/sparql-results+json;q=0.2, text/tab-separated-values",
            "text/tab-separated-values",
        ),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/sparql-results+xml",
        ),
        ("application/json", "application/sparql-results+json"),
        ("text/*", "text/csv"),
    ],
)
def test_select_conneg_with_q_values(client: FlaskClient, accept: str, expected: str) -> None:
    response = get(client, TEXTS, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "text/turtle"),
        ("application/rdf+xml;q=0.4, application/n-triples;q=0.8", "application/n-triples"),
        ("application/sparql-results+json, application/ld+json;q=0.1", "application/ld+json"),
    ],
)
def test_construct_conneg_with_q_values(client: FlaskClient, accept: str, expected: str) -> None:
    response = get(client, CONSTRUCT, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected


def test_nothing_acceptable_is_406_listing_the_offers(client: FlaskClient) -> None:
    response = get(client, TEXTS, headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert response.mimetype == "text/plain"
    for offered in ("application/sparql-results+json", "application/sparql-results+xml"):
        assert offered in response.text
    assert "text/csv" in response.text and "text/tab-separated-values" in response.text

    response = get(client, CONSTRUCT, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 406
    assert "text/turtle" in response.text and "application/ld+json" in response.text

    response = get(client, TEXTS, params={"format": "turtle"})
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("query", "fmt", "expected"),
    [
        (TEXTS, "csv", "text/csv"),
        (TEXTS, "tsv", "text/tab-separated-values"),
        (TEXTS, "xml", "application/sparql-results+xml"),
        (TEXTS, "application/sparql-results+xml", "application/sparql-results+xml"),
        (CONSTRUCT, "ntriples", "application/n-triples"),
        (CONSTRUCT, "jsonld", "application/ld+json"),
        (CONSTRUCT, "rdfxml", "application/rdf+xml"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "turtle", "text/turtle"),
    ],
)
def test_format_parameter_overrides_accept(
    client: FlaskClient, query: str, fmt: str, expected: str
) -> None:
    response = get(client, query, params={"format": fmt}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert response.mimetype == expected
    response = get(client, query, params={"output": fmt})
    assert response.mimetype == expected


@pytest.mark.parametrize(
    ("query", "values", "expected"),
    [
        # What SPARQLWrapper sends: its name in format, output and results, sometimes with the
        # media type as a second value of each.
        (TEXTS, ["tsv", "text/tab-separated-values"], "text/tab-separated-values"),
        (TEXTS, ["json"], "application/sparql-results+json"),
        (CONSTRUCT, ["rdf+xml", "application/rdf+xml"], "application/rdf+xml"),
        (CONSTRUCT, ["json-ld", "application/ld+json"], "application/ld+json"),
        (CONSTRUCT, ["n3"], "text/turtle"),
        (CONSTRUCT, ["xml"], "application/rdf+xml"),
        (ASK_TRUE, ["csv"], "text/csv"),
    ],
)
def test_format_parameters_as_sparqlwrapper_sends_them(
    client: FlaskClient, query: str, values: list[str], expected: str
) -> None:
    params = [("query", query)] + [
        (name, value) for name in ("format", "output", "results") for value in values
    ]
    response = client.get("/sparql", query_string=params, headers={"Accept": "*/*"})
    assert response.status_code == 200, response.text
    assert response.mimetype == expected


def test_format_parameters_naming_different_formats_are_400(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string=[("query", TEXTS), ("format", "json"), ("output", "csv")]
    )
    assert response.status_code == 400
    assert "different formats" in response.text and "text/csv" in response.text
    # Values that only differ for the other kind of answer do not conflict.
    response = client.get(
        "/sparql", query_string=[("query", TEXTS), ("format", "json"), ("format", "turtle")]
    )
    assert response.mimetype == "application/sparql-results+json"


def test_unknown_format_name_is_400(client: FlaskClient) -> None:
    response = get(client, TEXTS, params={"format": "yaml"})
    assert response.status_code == 400
    assert "yaml" in response.text and "turtle" in response.text


# -- datasets ------------------------------------------------------------------------------------


def test_union_default_graph_without_a_dataset(client: FlaskClient) -> None:
    assert sorted(json_texts(get(client, TEXTS))) == sorted(TURN_TEXTS)


def test_default_graph_uri(client: FlaskClient) -> None:
    response = get(client, TEXTS, params={"default-graph-uri": TRANSCRIPT_GRAPH})
    assert set(json_texts(response)) == TRANSCRIPT_TEXTS
    response = client.get(
        "/sparql",
        query_string=[
            ("query", TEXTS),
            ("default-graph-uri", TRANSCRIPT_GRAPH),
            ("default-graph-uri", CODING_GRAPH),
        ],
    )
    assert set(json_texts(response)) == TRANSCRIPT_TEXTS | CODING_TEXTS


def test_named_graph_uri(client: FlaskClient) -> None:
    # Only named graphs: the default graph is empty, GRAPH sees only those named.
    assert json_texts(get(client, TEXTS, params={"named-graph-uri": CODING_GRAPH})) == []
    response = get(client, TEXTS_IN_GRAPHS, params={"named-graph-uri": CODING_GRAPH})
    data = json.loads(response.data)
    assert {b["g"]["value"] for b in data["results"]["bindings"]} == {CODING_GRAPH}
    assert {b["text"]["value"] for b in data["results"]["bindings"]} == CODING_TEXTS
    # Without a dataset, GRAPH ranges over every graph.
    data = json.loads(get(client, TEXTS_IN_GRAPHS).data)
    assert len({b["g"]["value"] for b in data["results"]["bindings"]}) == 3


def test_form_post_with_both_graph_parameters(client: FlaskClient) -> None:
    response = client.post(
        "/sparql",
        data={
            "query": TEXTS_IN_GRAPHS,
            "default-graph-uri": TRANSCRIPT_GRAPH,
            "named-graph-uri": CODING_GRAPH,
        },
    )
    data = json.loads(response.data)
    assert {b["g"]["value"] for b in data["results"]["bindings"]} == {CODING_GRAPH}


def test_from_clause_of_a_store_graph(client: FlaskClient) -> None:
    q = f"SELECT ?text FROM <{TRANSCRIPT_GRAPH}> WHERE {{ ?t <{QIKG}text> ?text }}"
    assert set(json_texts(get(client, q))) == TRANSCRIPT_TEXTS


def test_from_naming_a_graph_not_in_the_store_is_refused(client: FlaskClient) -> None:
    for query in (
        f"SELECT ?text FROM <http://ex/not-here> WHERE {{ ?t <{QIKG}text> ?text }}",
        "SELECT * FROM NAMED <http://ex/not-here> WHERE { GRAPH ?g { ?s ?p ?o } }",
    ):
        response = get(client, query)
        assert response.status_code == 400
        assert "FROM <http://ex/not-here>: not a graph of this dataset" in response.text
        assert "does not fetch remote graphs" in response.text


def test_protocol_graphs_not_in_the_store_are_empty(client: FlaskClient) -> None:
    # As the W3C protocol tests expect (query_get names a graph no test loads): the query runs
    # over an empty graph, nothing is fetched, and the answer says which names were unknown.
    response = get(client, TEXTS, params={"default-graph-uri": "http://ex/not-here"})
    assert json_texts(response) == []
    assert response.headers["X-Qikg-Unknown-Graphs"] == "http://ex/not-here"
    assert "X-Qikg-Unknown-Graphs" in response.headers["Access-Control-Expose-Headers"]
    response = client.get(
        "/sparql",
        query_string=[
            ("query", TEXTS_IN_GRAPHS),
            ("named-graph-uri", "http://ex/a"),
            ("named-graph-uri", CODING_GRAPH),
            ("default-graph-uri", "http://ex/b"),
        ],
    )
    data = json.loads(response.data)
    assert {b["g"]["value"] for b in data["results"]["bindings"]} == {CODING_GRAPH}
    assert set(response.headers["X-Qikg-Unknown-Graphs"].split()) == {"http://ex/a", "http://ex/b"}
    assert "X-Qikg-Unknown-Graphs" not in get(client, TEXTS).headers


# -- refusals: nothing remote is fetched ---------------------------------------------------------


class Listener:
    """TCP servers on 127.0.0.1 and (where the machine has it) ::1 that record every
    connection they receive."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self.port = self._listen(socket.AF_INET, "127.0.0.1")
        try:
            self.port6: int | None = self._listen(socket.AF_INET6, "::1")
        except OSError:
            self.port6 = None

    def _listen(self, family: socket.AddressFamily, host: str) -> int:
        server = socket.socket(family, socket.SOCK_STREAM)
        server.bind((host, 0))
        server.listen(16)
        server.settimeout(0.1)
        self._sockets.append(server)

        def serve() -> None:
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(0.5)
                    try:
                        self.received.append(conn.recv(4096) or b"<connected>")
                    except OSError:
                        self.received.append(b"<connected>")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        return int(server.getsockname()[1])

    def settle(self) -> None:
        """Give a connection made just now the time to be recorded."""
        threading.Event().wait(0.3)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for server in self._sockets:
            server.close()

    def addresses(self) -> list[str]:
        """The listener's address in every spelling an HTTP client may resolve to it."""
        p = self.port
        spellings = [
            f"http://127.0.0.1:{p}/sparql",
            f"http://0x7f.1:{p}/",
            f"http://0x7f000001:{p}/",
            f"http://2130706433:{p}/",
            f"http://0177.0.0.1:{p}/",
            f"http://127.1:{p}/",
            f"HTTP://LOCALHOST:{p}/",
            f"https://127.0.0.1:{p}/",
            f"http://user@127.0.0.1:{p}/",
            f"http://[::ffff:127.0.0.1]:{p}/",
        ]
        if self.port6 is not None:
            spellings += [f"http://[::1]:{self.port6}/", f"http://[0:0:0:0:0:0:0:1]:{self.port6}/"]
        return spellings


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def remote_cases(address: str) -> list[tuple[str, dict[str, str], int]]:
    """Requests that would make a careless endpoint contact ``address``, with the status each
    must get: SERVICE in its spellings (403), FROM (400), protocol graphs (200, empty)."""
    prefix = address.rsplit("/", 1)[0] + "/"
    return [
        (f"SELECT * WHERE {{ SERVICE <{address}> {{ ?s ?p ?o }} }}", {}, 403),
        (f"select * where {{ service silent <{address}> {{ ?s ?p ?o }} }}", {}, 403),
        (f"PREFIX r: <{prefix}>\nASK {{ SeRvIcE r:sparql {{ ?s ?p ?o }} }}", {}, 403),
        (f"PREFIX r: <{prefix}>\nASK {{ SERVICEr:sparql {{ ?s ?p ?o }} }}", {}, 403),
        (f"ASK {{ SERVICE # a comment\n SILENT\t<{address}>{{}} }}", {}, 403),
        (f"SELECT * {{ VALUES ?e {{ <{address}> }} SERVICE ?e {{ ?s ?p ?o }} }}", {}, 403),
        (f"ASK {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{address}> {{ }} }} }}", {}, 403),
        (
            f"PREFIX r: <{prefix}> SELECT*WHERE{{?a?b?c.FILTER(?c<?b)SERVICE r:x#>\n{{?s?p?o}}}}",
            {},
            403,
        ),
        (f"LOAD <{address}>", {}, 403),
        (f"SELECT * FROM <{address}> WHERE {{ ?s ?p ?o }}", {}, 400),
        (f"SELECT * FROM NAMED <{address}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}, 400),
        (TEXTS, {"default-graph-uri": address}, 200),
        (TEXTS, {"named-graph-uri": address}, 200),
    ]


def assert_nothing_fetched(client: FlaskClient, listener: Listener) -> None:
    """Send every remote case for every spelling of the listener's address, by GET and POST;
    check the statuses and that no connection arrived."""
    for address in listener.addresses():
        for query, params, status in remote_cases(address):
            response = get(client, query, params=params)
            assert response.status_code == status, (query, params, response.text)
            if status != 200:
                assert response.mimetype == "text/plain"
                assert (
                    "SERVICE" in response.text
                    or "remote" in response.text
                    or ("read-only" in response.text)
                )
            response = client.post("/sparql", data={"query": query, **params})
            assert response.status_code == status, (query, params, response.text)
    listener.settle()
    assert listener.received == []


def assert_listener_reachable(listener: Listener) -> None:
    """The control: the engine itself, asked directly, does connect to these spellings."""
    import pyoxigraph as ox

    reached = []
    for address in listener.addresses():
        before = len(listener.received)
        with contextlib.suppress(OSError, RuntimeError):
            list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{address}> {{ ?s ?p ?o }} }}"))
        listener.settle()
        if len(listener.received) > before:
            reached.append(address)
    p = listener.port
    assert {
        f"http://127.0.0.1:{p}/sparql",
        f"http://0x7f.1:{p}/",
        f"http://2130706433:{p}/",
        f"HTTP://LOCALHOST:{p}/",
    } <= set(reached)


def test_remote_fetches_are_refused_before_execution(
    client: FlaskClient, listener: Listener
) -> None:
    assert_nothing_fetched(client, listener)
    assert_listener_reachable(listener)


def test_service_refusal_says_what_to_do(client: FlaskClient) -> None:
    response = get(client, "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert response.status_code == 403
    assert "SERVICE" in response.text and "never contacts other services" in response.text


def test_service_inside_a_string_is_not_refused(client: FlaskClient) -> None:
    q = 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:1/>" AS ?x) }'
    response = get(client, q)
    assert response.status_code == 200


# -- refusals: read-only -------------------------------------------------------------------------


def test_updates_are_refused(client: FlaskClient) -> None:
    update = f'INSERT DATA {{ <{S}/x> <{QIKG}text> "x" }}'
    responses = [
        client.get("/sparql", query_string={"update": update}),
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", data=update.encode(), content_type="application/sparql-update"),
        get(client, update),
        client.post("/sparql", data={"query": "DROP ALL"}),
        client.post("/sparql", data=b"LOAD <http://x/>", content_type="application/sparql-query"),
    ]
    for response in responses:
        assert response.status_code == 403
        assert "read-only" in response.text
    assert json_texts(get(client, f"SELECT ?text WHERE {{ <{S}/x> ?p ?text }}")) == []


# -- malformed requests --------------------------------------------------------------------------


def test_missing_query(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"default-graph-uri": TRANSCRIPT_GRAPH})
    assert response.status_code == 400 and "No query given" in response.text
    response = client.get("/sparql", query_string={"named-graph-uri": CODING_GRAPH})
    assert response.status_code == 400
    response = client.post("/sparql", data=b"", content_type="application/sparql-query")
    assert response.status_code == 400
    response = get(client, "   ")
    assert response.status_code == 400 and "empty" in response.text


def test_two_query_parameters(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string=[("query", TEXTS), ("query", ASK_TRUE)])
    assert response.status_code == 400 and "exactly one" in response.text


def test_query_in_url_and_body(client: FlaskClient) -> None:
    url = "/sparql?query=" + quote(ASK_TRUE, safe="")
    response = client.post(url, data={"query": TEXTS})
    assert (
        response.status_code == 400 and "both in the URL and in the request body" in response.text
    )
    response = client.post(url, data=TEXTS.encode(), content_type="application/sparql-query")
    assert response.status_code == 400 and "both in the URL" in response.text


def test_wrong_content_type_for_post(client: FlaskClient) -> None:
    response = client.post("/sparql", data=TEXTS.encode(), content_type="text/plain")
    assert response.status_code == 415
    assert "application/sparql-query" in response.text and "text/plain" in response.text
    response = client.post("/sparql", data=TEXTS.encode())
    assert response.status_code == 415
    response = client.post(
        "/sparql", data=TEXTS.encode(), content_type="application/sparql-query; charset=latin-1"
    )
    assert response.status_code == 415


def test_syntax_error_carries_the_parsers_message(client: FlaskClient) -> None:
    response = get(client, "SELECT ?x WHERE { ?x ")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "error at 1:" in response.text and "Correct the query" in response.text


def test_utf16_bodies_are_refused(client: FlaskClient) -> None:
    body = "ASK {}".encode("utf-16")
    response = client.post(
        "/sparql", data=body, content_type="application/sparql-query; charset=UTF-16"
    )
    assert response.status_code == 415 and "UTF-8" in response.text
    response = client.post("/sparql", data=body, content_type="application/sparql-query")
    assert response.status_code == 400 and "not valid UTF-8" in response.text


def test_bodies_and_urls_that_are_not_utf8(client: FlaskClient) -> None:
    response = client.post(
        "/sparql", data=b"SELECT * { ?s ?p \xff }", content_type="application/sparql-query"
    )
    assert response.status_code == 400 and "UTF-8" in response.text
    response = client.post(
        "/sparql", data=b"query=ASK%20%7B%7D%FF", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and "UTF-8" in response.text
    response = client.get("/sparql?query=ASK%20%7B%7D%FF")
    assert response.status_code == 400 and "UTF-8" in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client: FlaskClient, method: str) -> None:
    response = client.open("/sparql", method=method, data=TEXTS)
    assert response.status_code == 405
    assert response.mimetype == "text/plain"
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]
    assert method in response.text


def test_oversized_bodies_are_413_before_they_are_read(tmp_path: Path) -> None:
    app = create_app(make_store(tmp_path), {"MAX_QUERY_BYTES": 200})
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 200 + 4096
    client = app.test_client()
    big = b"query=" + b"x" * 5000
    for content_type in ("application/x-www-form-urlencoded", "application/sparql-query"):
        response = client.post("/sparql", data=big, content_type=content_type)
        assert response.status_code == 413, content_type
        assert response.mimetype == "text/plain" and "larger than" in response.text
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    # The cap holds on every route, not only where the endpoint reads the body itself.
    response = client.post("/", data=big, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (405, 413)
    client = create_app(make_store(tmp_path), {"MAX_CONTENT_LENGTH": 50}).test_client()
    response = client.post("/sparql", data={"query": TEXTS})
    assert response.status_code == 413 and "50 bytes" in response.text


def test_oversized_queries_are_413(tmp_path: Path) -> None:
    client = create_app(make_store(tmp_path), {"MAX_QUERY_BYTES": 200}).test_client()
    big = TEXTS + " #" + "x" * 300
    assert get(client, TEXTS).status_code == 200
    response = get(client, big)
    assert response.status_code == 413 and "200" in response.text
    assert client.post("/sparql", data={"query": big}).status_code == 413
    response = client.post("/sparql", data=big.encode(), content_type="application/sparql-query")
    assert response.status_code == 413


# -- row limit, CORS -----------------------------------------------------------------------------


def test_row_limit_cuts_and_flags_the_answer(tmp_path: Path) -> None:
    client = create_app(make_store(tmp_path), {"MAX_RESULT_ROWS": 4}).test_client()
    response = get(client, TEXTS)
    assert len(json_texts(response)) == 4
    assert response.headers["X-Qikg-Truncated"] == "true"
    assert response.headers["X-Qikg-Row-Limit"] == "4"
    assert "X-Qikg-Truncated" in response.headers["Access-Control-Expose-Headers"]

    csv_rows = list(csv.DictReader(io.StringIO(get(client, TEXTS, params={"format": "csv"}).text)))
    assert len(csv_rows) == 4

    response = get(client, TEXTS + " LIMIT 4")
    assert len(json_texts(response)) == 4
    assert "X-Qikg-Truncated" not in response.headers

    response = get(client, CONSTRUCT, params={"format": "ntriples"})
    assert response.headers["X-Qikg-Truncated"] == "true"
    assert len(Graph().parse(data=response.data, format="nt")) == 4


def test_cors_on_answers_errors_and_preflight(client: FlaskClient) -> None:
    for response in (get(client, TEXTS), get(client, "SELECT ?x WHERE {"), client.get("/sparql")):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


# -- the service description ---------------------------------------------------------------------


def test_service_description_as_turtle(client: FlaskClient) -> None:
    for accept in ("text/turtle", "*/*", None):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/sparql", headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "text/turtle"
    g = Graph().parse(data=response.data, format="turtle")
    service = g.value(predicate=SD.endpoint, object=URIRef("http://localhost/sparql"))
    assert service is not None
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    formats = set(g.objects(service, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/Turtle") in formats
    dataset = g.value(service, SD.defaultDataset)
    names = {str(g.value(n, SD.name)) for n in g.objects(dataset, SD.namedGraph)}
    assert names == set(GRAPHS)


def test_relative_iris_resolve_against_the_endpoint(tmp_path: Path) -> None:
    query = "SELECT ?x WHERE { BIND(<s#a> AS ?x) }"
    data = json.loads(get(create_app(make_store(tmp_path)).test_client(), query).data)
    assert data["results"]["bindings"][0]["x"]["value"] == "http://localhost/s#a"
    app = create_app(make_store(tmp_path), {"PUBLIC_URL": "https://kg.example.org/qikg/"})
    data = json.loads(get(app.test_client(), query).data)
    assert data["results"]["bindings"][0]["x"]["value"] == "https://kg.example.org/qikg/s#a"
    data = json.loads(get(app.test_client(), "BASE <http://b/> " + query).data)
    assert data["results"]["bindings"][0]["x"]["value"] == "http://b/s#a"


def test_service_description_uses_public_url(tmp_path: Path) -> None:
    app = create_app(make_store(tmp_path), {"PUBLIC_URL": "https://kg.example.org/qikg/"})
    response = app.test_client().get("/sparql", headers={"Accept": "application/n-triples"})
    g = Graph().parse(data=response.data, format="nt")
    assert (None, SD.endpoint, URIRef("https://kg.example.org/qikg/sparql")) in g


def test_browsers_get_a_query_form(client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    assert '<html lang="en">' in html
    assert '<form action="/sparql" method="get">' in html
    assert '<label for="query">' in html and '<textarea id="query" name="query"' in html
    assert 'type="submit"' in html


def test_bad_configuration_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MAX_RESULT_ROWS"):
        create_app(make_store(tmp_path), {"MAX_RESULT_ROWS": 0})
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        create_app(make_store(tmp_path), {"PUBLIC_URL": "kg.example.org"})

    with pytest.raises(ConfigError, match="QUERY_WORKERS"):
        create_app(make_store(tmp_path), {"QUERY_WORKERS": -1})
    with pytest.raises(ConfigError, match=r"QUERY_WORKERS = 2.*in memory"):
        create_app(make_store(tmp_path), {"QUERY_WORKERS": 2})
    with pytest.raises(ConfigError, match="QUERY_TIMEOUT_S"):
        create_app(make_store(tmp_path), {"QUERY_TIMEOUT_S": 0})
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH"):
        create_app(make_store(tmp_path), {"MAX_CONTENT_LENGTH": "1 MB"})


def test_stores_in_memory_run_queries_in_process(tmp_path: Path) -> None:
    for config in ({}, {"QUERY_WORKERS": 0}):
        app = create_app(make_store(tmp_path), config)
        runner = state_of(app).runner
        assert isinstance(runner, InProcessRunner) and runner.timeout_s is None
        close_app(app)


class _StuckRunner:
    """A runner that reports what a worker pool reports when a query overruns or waits."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    @property
    def timeout_s(self) -> float | None:
        return 2.5

    def run(self, query: str, datasets: Datasets, **kwargs: Any) -> Answer:
        raise self.error

    def close(self) -> None:
        pass


def test_timeouts_and_busy_workers_are_503_with_retry_after(tmp_path: Path) -> None:
    app = create_app(make_store(tmp_path), runner=_StuckRunner(QueryTimeout(2.5)))
    response = get(app.test_client(), TEXTS)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "QUERY_TIMEOUT_S = 2.5" in response.text and "stopped after 2.5 s" in response.text
    assert response.headers["Access-Control-Allow-Origin"] == "*"

    app = create_app(make_store(tmp_path), runner=_StuckRunner(WorkersBusy(2, 2.5)))
    response = get(app.test_client(), TEXTS)
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert "All 2 query workers stayed busy" in response.text
