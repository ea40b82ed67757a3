"""Real clients against a real server: ``python -m qikg serve`` in its own process (waitress,
query workers), queried with SPARQLWrapper, rdflib's SPARQLStore, urllib and curl.

The server loads RDF files given on the command line: the hand-written fixture (TriG, keeping its
graph names), a generated Turtle file put into a named graph with ``--graph``, and one N-Triples
file into the default graph. It runs with a 1-second query limit and a 2,000-row cap, so that the
limits can be seen from the clients too. The README's examples run against the bundled example.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from qikg.errors import ConfigError, StoreError
from qikg.server.run import graph_option, load_rdf_files, open_data

from .conftest import ROOT
from .test_store import (
    CODING_GRAPH,
    CODING_TEXTS,
    FIXTURE_STATEMENTS,
    FIXTURE_TRIG,
    GRAPHS,
    QIKG,
    TRANSCRIPT_GRAPH,
    TRANSCRIPT_TEXTS,
    TURN_TEXTS,
    S,
)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
GENERATED_GRAPH = "http://ex/generated"
GENERATED = 3000
LIMIT_S = 1
MAX_ROWS = 2000
TEXTS = f"SELECT ?text WHERE {{ ?turn <{QIKG}text> ?text }}"
ASK_TRUE = f"ASK {{ <{S}/interview/2> a <{QIKG}Interview> }}"
CONSTRUCT = f"CONSTRUCT {{ ?t <{QIKG}text> ?text }} WHERE {{ ?t <{QIKG}text> ?text }}"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


# -- a server in its own process ---------------------------------------------------------------


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.reader is not None:
            self.reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, within_s: float = 120
) -> LiveServer:
    """Start ``python -m qikg serve ARGS --port 0``; return once it prints its endpoint."""
    process = subprocess.Popen(
        [sys.executable, "-m", "qikg", "serve", *args, "--port", "0"],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    server = LiveServer(process, "")
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        server.output.append(line.rstrip("\n"))
        found = re.match(r"SPARQL endpoint: (\S+)", line)
        if found:
            server.url = found.group(1)
            # Keep reading what the server prints, so that it never blocks on a full pipe.
            server.reader = threading.Thread(
                target=lambda: server.output.extend(process.stdout or ()), daemon=True
            )
            server.reader.start()
            return server
    server.stop()
    raise AssertionError("the server did not start:\n" + "\n".join(server.output))


def serve_limited(
    dataset: Path, limit_s: float, workers: int, *extra: str, cwd: Path
) -> Iterator[LiveServer]:
    """A module fixture's server of ``dataset``: queries stopped after ``limit_s`` seconds in
    ``workers`` worker processes, ``extra`` arguments added; stopped when the fixture ends."""
    args = ["--data", str(dataset), "--query-timeout", str(limit_s)]
    server = start_server([*args, "--query-workers", str(workers), *extra], cwd=cwd)
    yield server
    server.stop()


def write_data(folder: Path) -> list[str]:
    """The data files, and the ``serve`` arguments that load them."""
    (folder / "fixture.trig").write_text(FIXTURE_TRIG, encoding="utf-8")
    (folder / "generated.ttl").write_text(
        "@prefix ex: <http://ex/> .\n"
        + "".join(f'ex:s{i} ex:p "{i}" .\n' for i in range(GENERATED)),
        encoding="utf-8",
    )
    (folder / "default.nt").write_text(
        '<http://ex/in-default> <http://ex/p> "default graph" .\n', encoding="utf-8"
    )
    return [
        "--data",
        "fixture.trig",
        "default.nt",
        "--graph",
        f"{GENERATED_GRAPH}=generated.ttl",
        "--query-timeout",
        str(LIMIT_S),
        "--max-rows",
        str(MAX_ROWS),
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("served")
    live = start_server(write_data(folder), cwd=folder)
    yield live
    live.stop()


def wrapper(server: LiveServer, query: str, return_format: str = JSON) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url)
    sparql.setQuery(query)
    sparql.setReturnFormat(return_format)
    return sparql


def http_get(url: str, accept: str = "*/*") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def query_url(server: LiveServer, query: str) -> str:
    return server.url + "?" + urllib.parse.urlencode({"query": query})


# -- SPARQLWrapper -----------------------------------------------------------------------------


def test_server_reports_what_it_loaded(server: LiveServer) -> None:
    summary = next(line for line in server.output if line.startswith("Serving"))
    assert f"{FIXTURE_STATEMENTS + GENERATED + 1} statements" in summary
    assert f"{len(GRAPHS) + 1} named graphs" in summary
    assert f"{LIMIT_S:g} s per query in 2 workers" in summary
    assert f"at most {MAX_ROWS} rows" in summary


def test_sparqlwrapper_select_in_json_by_get_and_post(server: LiveServer) -> None:
    sparql = wrapper(server, TEXTS)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    assert sorted(r["text"]["value"] for r in rows) == sorted(TURN_TEXTS)
    assert {r["text"].get("xml:lang") for r in rows} == {"en"}
    for method, request_method in ((POST, "urlencoded"), (POST, POSTDIRECTLY)):
        sparql = wrapper(server, TEXTS)
        sparql.setMethod(method)
        sparql.setRequestMethod(request_method)
        rows = sparql.queryAndConvert()["results"]["bindings"]
        assert sorted(r["text"]["value"] for r in rows) == sorted(TURN_TEXTS)


def test_sparqlwrapper_select_in_xml_csv_and_tsv(server: LiveServer) -> None:
    document = wrapper(server, TEXTS, XML).queryAndConvert()
    literals = {e.firstChild.data for e in document.getElementsByTagName("literal")}
    assert literals == TURN_TEXTS
    body = wrapper(server, TEXTS, CSV).queryAndConvert()
    assert {row["text"] for row in csv.DictReader(io.StringIO(body.decode("utf-8")))} == TURN_TEXTS
    body = wrapper(server, TEXTS, TSV).queryAndConvert()
    lines = body.decode("utf-8").splitlines()
    assert lines[0] == "?text" and '"t1 alpha"@en' in lines


def test_sparqlwrapper_ask(server: LiveServer) -> None:
    assert wrapper(server, ASK_TRUE).queryAndConvert()["boolean"] is True
    missing = f"ASK {{ <{S}/interview/9> a <{QIKG}Interview> }}"
    assert wrapper(server, missing).queryAndConvert()["boolean"] is False
    document = wrapper(server, ASK_TRUE, XML).queryAndConvert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("return_format", [TURTLE, XML, JSONLD])
def test_sparqlwrapper_construct(server: LiveServer, return_format: str) -> None:
    answer = wrapper(server, CONSTRUCT, return_format).queryAndConvert()
    if isinstance(answer, bytes):
        answer = Graph().parse(data=answer, format="turtle")
    assert isinstance(answer, Graph)
    assert {str(o) for o in answer.objects()} == TURN_TEXTS
    turn = URIRef(f"{S}/interview/1/transcript/turn/1")
    assert (turn, URIRef(f"{QIKG}text"), Literal("t1 alpha", lang="en")) in answer


def test_sparqlwrapper_with_protocol_graphs(server: LiveServer) -> None:
    sparql = wrapper(server, TEXTS)
    sparql.addDefaultGraph(TRANSCRIPT_GRAPH)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    assert {r["text"]["value"] for r in rows} == TRANSCRIPT_TEXTS
    sparql = wrapper(server, f"SELECT ?g ?text WHERE {{ GRAPH ?g {{ ?t <{QIKG}text> ?text }} }}")
    sparql.addNamedGraph(CODING_GRAPH)
    rows = sparql.queryAndConvert()["results"]["bindings"]
    assert {r["g"]["value"] for r in rows} == {CODING_GRAPH}
    assert {r["text"]["value"] for r in rows} == CODING_TEXTS


def test_files_keep_their_graphs_and_the_default_graph_joins_the_union(server: LiveServer) -> None:
    rows = wrapper(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }").queryAndConvert()
    graphs = {r["g"]["value"] for r in rows["results"]["bindings"]}
    assert graphs == {*GRAPHS, GENERATED_GRAPH}
    rows = wrapper(server, "SELECT ?o WHERE { <http://ex/in-default> ?p ?o }").queryAndConvert()
    assert [r["o"]["value"] for r in rows["results"]["bindings"]] == ["default graph"]
    count = f"SELECT (COUNT(*) AS ?n) FROM <{GENERATED_GRAPH}> WHERE {{ ?s ?p ?o }}"
    rows = wrapper(server, count).queryAndConvert()["results"]["bindings"]
    assert rows[0]["n"]["value"] == str(GENERATED)


def test_errors_reach_the_client_with_their_message(server: LiveServer) -> None:
    with pytest.raises(QueryBadFormed, match="error at 1:") as bad:
        wrapper(server, "SELECT ?x WHERE { ?x ").query()
    http_error = bad.value.__context__
    assert isinstance(http_error, urllib.error.HTTPError)
    http_error.close()
    with pytest.raises(urllib.error.HTTPError) as caught:
        wrapper(server, "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }").query()
    with caught.value:
        assert caught.value.code == 403
        assert b"never contacts other services" in caught.value.read()


def test_the_row_cap_is_signalled_to_the_client(server: LiveServer) -> None:
    query = f"SELECT ?s WHERE {{ GRAPH <{GENERATED_GRAPH}> {{ ?s ?p ?o }} }}"
    result = wrapper(server, query).query()
    headers = {k.lower(): v for k, v in result.info().items()}
    assert headers["x-qikg-truncated"] == "true"
    assert headers["x-qikg-row-limit"] == str(MAX_ROWS)
    assert len(result.convert()["results"]["bindings"]) == MAX_ROWS
    result = wrapper(server, query + " LIMIT 10").query()
    assert "x-qikg-truncated" not in {k.lower() for k in result.info()}


# -- rdflib's SPARQLStore ----------------------------------------------------------------------


def test_rdflib_sparqlstore_queries(server: LiveServer) -> None:
    g = Graph(store=SPARQLStore(query_endpoint=server.url))
    assert sorted(str(row.text) for row in g.query(TEXTS)) == sorted(TURN_TEXTS)
    assert g.query(ASK_TRUE).askAnswer is True
    built = g.query(CONSTRUCT).graph
    assert built is not None and {str(o) for o in built.objects()} == TURN_TEXTS
    texts = {str(o) for _, _, o in g.triples((None, URIRef(f"{QIKG}text"), None))}
    assert texts == TURN_TEXTS
    post = Graph(store=SPARQLStore(query_endpoint=server.url, method="POST"))
    assert post.query(ASK_TRUE).askAnswer is True


def test_rdflib_sparqlstore_graph_of_one_named_graph(server: LiveServer) -> None:
    store = SPARQLStore(query_endpoint=server.url)
    transcript = Graph(store=store, identifier=URIRef(TRANSCRIPT_GRAPH))
    assert {str(row.text) for row in transcript.query(TEXTS)} == TRANSCRIPT_TEXTS


# -- limits, seen from outside -----------------------------------------------------------------


def test_a_long_query_gets_503_in_time_and_the_server_goes_on(server: LiveServer) -> None:
    start = time.monotonic()
    status, headers, body = http_get(query_url(server, SLOW))
    elapsed = time.monotonic() - start
    assert status == 503
    assert LIMIT_S <= elapsed < LIMIT_S + 2.0
    assert headers["Retry-After"].isdigit()
    assert f"QUERY_TIMEOUT_S = {LIMIT_S:g}" in body.decode("utf-8")
    start = time.monotonic()
    assert wrapper(server, ASK_TRUE).queryAndConvert()["boolean"] is True
    assert time.monotonic() - start < 1.0
    # Two long queries at once: each is stopped, or waits no longer than the limit for a
    # worker (the one stopped above may still be starting again); both get 503 in time.
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(http_get(query_url(server, SLOW))[0]))
        for _ in range(2)
    ]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [503, 503] and time.monotonic() - start < LIMIT_S + 2.0


def test_service_description_and_cors_over_http(server: LiveServer) -> None:
    status, headers, body = http_get(server.url, "text/turtle")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert headers["Access-Control-Allow-Origin"] == "*"
    g = Graph().parse(data=body, format="turtle")
    assert (None, SD.endpoint, URIRef(server.url)) in g
    status, headers, body = http_get(server.url, "text/html,*/*;q=0.8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")


def test_oversized_bodies_are_refused_by_the_server(server: LiveServer) -> None:
    body = b"query=" + b"x" * 400_000
    request = urllib.request.Request(
        server.url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    with caught.value:
        assert caught.value.code == 413


def _children(pid: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux's /proc")
def test_the_server_stops_cleanly_with_its_workers(server: LiveServer) -> None:
    workers = _children(server.process.pid)
    assert len(workers) >= 2
    server.stop()
    assert server.process.returncode == 0
    # Gone (or only waiting to be reaped), the workers and multiprocessing's resource tracker,
    # which ends once it sees the server's end of its pipe close.
    deadline = time.monotonic() + 10
    while {_state(pid) for pid in workers} - {None, "Z"} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert {_state(pid) for pid in workers} <= {None, "Z"}
    assert not any("Traceback" in line for line in server.output)


# -- loading RDF files for serving ---------------------------------------------------------------


def test_load_rdf_files_and_their_errors(tmp_path: Path) -> None:
    write_data(tmp_path)
    files = [tmp_path / "fixture.trig", tmp_path / "default.nt"]
    graphs = {GENERATED_GRAPH: tmp_path / "generated.ttl"}
    store = load_rdf_files(files, graphs, into=tmp_path / "store")
    assert store.read_only
    assert store.named_graphs() == sorted([*GRAPHS, GENERATED_GRAPH])
    assert store.triple_count() == FIXTURE_STATEMENTS + GENERATED + 1
    store.close()

    with pytest.raises(StoreError, match=r"missing\.ttl: does not exist"):
        open_data([tmp_path / "missing.ttl"], workdir=tmp_path / "w1")
    (tmp_path / "data.yaml").write_text("a: b\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"data\.yaml: cannot tell the RDF format"):
        open_data([tmp_path / "data.yaml"], workdir=tmp_path / "w2")
    (tmp_path / "broken.ttl").write_text("<http://ex/a> <http://ex/p> ", encoding="utf-8")
    with pytest.raises(StoreError, match=r"broken\.ttl: cannot load"):
        open_data([tmp_path / "broken.ttl"], workdir=tmp_path / "w3")
    with pytest.raises(ConfigError, match=r"fixture\.trig: a TriG file names its own graphs"):
        open_data([], {"http://ex/g": tmp_path / "fixture.trig"}, workdir=tmp_path / "w4")
    with pytest.raises(ConfigError, match="served alone"):
        open_data([tmp_path, tmp_path / "default.nt"], workdir=tmp_path / "w5")
    with pytest.raises(ConfigError, match="IRI=FILE"):
        graph_option("generated.ttl")
    with pytest.raises(ConfigError, match="not a valid graph IRI"):
        graph_option("not an iri=generated.ttl")
    assert graph_option("http://ex/g?a=b=x.ttl") == ("http://ex/g?a=b", Path("x.ttl"))


def test_serve_reports_a_bad_file_and_exits(tmp_path: Path) -> None:
    (tmp_path / "broken.ttl").write_text("<http://ex/a> <http://ex/p> ", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "qikg", "serve", "--data", "broken.ttl", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == StoreError.exit_code
    assert done.stderr.startswith("qikg: error: broken.ttl: cannot load")
    assert "Traceback" not in done.stderr


# -- the README's examples, as written -----------------------------------------------------------


def readme_examples() -> tuple[str, str]:
    """The curl line and the SPARQLWrapper snippet of the README's section for SPARQL clients."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## For SPARQL clients", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    curl = next(body for lang, body in blocks if lang == "sh" and body.startswith("curl "))
    snippet = next(body for lang, body in blocks if lang == "python" and "SPARQLWrapper" in body)
    return curl, snippet


@pytest.fixture(scope="module")
def example_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qikg serve`` exactly as the README starts it: the bundled example, built first."""
    cache = tmp_path_factory.mktemp("cache")
    live = start_server([], cwd=cache, env={"XDG_CACHE_HOME": str(cache)})
    yield live
    live.stop()


def _on_port(code: str, server: LiveServer) -> str:
    port = urllib.parse.urlsplit(server.url).port
    assert "localhost:8000" in code
    return code.replace("localhost:8000", f"localhost:{port}")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_line_works(example_server: LiveServer) -> None:
    curl, _ = readme_examples()
    done = subprocess.run(
        ["sh", "-c", _on_port(curl, example_server)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = list(csv.reader(io.StringIO(done.stdout)))
    # The README describes the example: 152 speaker turns in Interview 3.
    assert rows == [["turns"], ["152"]]


def test_the_readme_sparqlwrapper_snippet_works(example_server: LiveServer) -> None:
    _, snippet = readme_examples()
    done = subprocess.run(
        [sys.executable, "-c", _on_port(snippet, example_server)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["https://w3id.org/qikg/cote2024/interview/3", "152"]


def test_the_readme_states_the_limits() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## For SPARQL clients", 1)[1].split("\n## ", 1)[0]
    for needle in (
        "QUERY_TIMEOUT_S",
        "503",
        "X-Qikg-Truncated",
        "10,000",
        "413",
        "SERVICE",
        "LOAD",
        "Access-Control-Allow-Origin: *",
        "27 of the 34",
    ):
        assert needle in section, needle
