"""Dereferencing the dataset's IRIs, the VoID description and the dumps over HTTP."""

from __future__ import annotations

import gzip
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL

from qikg import __version__
from qikg.kg.build import build, example_inputs
from qikg.server import close_app, create_app
from qikg.server.run import open_dataset

BASE = "https://w3id.org/qikg/"
VOID = Namespace("http://rdfs.org/ns/void#")
RDF_TYPES = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


def _app(out: Path) -> Iterator[Flask]:
    store = open_dataset(out)
    app = create_app(store, {"QUERY_WORKERS": 0})
    yield app
    close_app(app)
    store.close()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ld") / "ds"
    build(example_inputs(), out)
    return out


@pytest.fixture(scope="module")
def client(example: Path) -> Iterator[FlaskClient]:
    for app in _app(example):
        yield app.test_client()


def _subjects(out: Path) -> list[str]:
    quads = ox.parse(path=out / "dataset.nq", format=ox.RdfFormat.N_QUADS)
    return sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)} - {""})


def _deref(client: FlaskClient, iri: str, accept: str) -> tuple[int, str, bytes, str]:
    """GET the IRI's path, follow a 303; (status, content type, body, location followed)."""
    assert iri.startswith(BASE)
    path = "/" + iri[len(BASE) :]
    first = client.get(path, headers={"Accept": accept})
    assert first.headers.get("Vary") == "Accept", path
    if first.status_code != 303:
        return first.status_code, first.content_type, first.data, path
    location = first.headers["Location"]
    assert 'rel="alternate"' in first.headers["Link"]
    second = client.get(location, headers={"Accept": accept})
    return second.status_code, second.content_type, second.data, location


def test_every_subject_of_the_example_dereferences(client: FlaskClient, example: Path) -> None:
    subjects = [s for s in _subjects(example) if s.startswith(BASE)]
    assert len(subjects) > 300
    for iri in subjects:
        status, ctype, body, _ = _deref(client, iri, "text/html")
        assert (status, ctype) == (200, "text/html; charset=utf-8"), iri
        status, ctype, body, _ = _deref(client, iri, "text/turtle")
        assert (status, ctype) == (200, "text/turtle; charset=utf-8"), iri
        if not iri.endswith("/graph"):
            g = Graph().parse(data=body.decode("utf-8"), format="turtle")
            assert len(list(g.predicate_objects(URIRef(iri)))) > 0, iri


def test_a_resource_answers_303_then_documents_with_alternates(client: FlaskClient) -> None:
    r = client.get("/cote2024/interview/3", headers={"Accept": "text/turtle"})
    assert r.status_code == 303
    assert r.headers["Location"] == "/cote2024/interview/3.ttl"
    assert r.headers["Vary"] == "Accept"
    r = client.get("/cote2024/interview/3?format=jsonld", headers={"Accept": "text/html"})
    assert r.headers["Location"] == "/cote2024/interview/3.jsonld"
    r = client.get("/cote2024/interview/3", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.headers["Location"] == "/cote2024/interview/3.html"
    r = client.get("/cote2024/interview/3.ttl")
    assert r.status_code == 200
    assert r.headers["Vary"] == "Accept"
    link = r.headers["Link"]
    for ext, (media, _) in RDF_TYPES.items():
        if ext != "ttl":
            assert f'</cote2024/interview/3.{ext}>; rel="alternate"; type="{media}"' in link
    assert '</cote2024/interview/3.html>; rel="alternate"; type="text/html"' in link


def test_every_format_parses(client: FlaskClient) -> None:
    iri = URIRef(BASE + "cote2024/interview/3")
    for ext, (media, rdflib_format) in RDF_TYPES.items():
        r = client.get(f"/cote2024/interview/3.{ext}")
        assert r.status_code == 200 and r.mimetype == media
        g = Graph().parse(data=r.data.decode("utf-8"), format=rdflib_format)
        assert len(list(g.predicate_objects(iri))) > 0, ext


def test_unknown_iris_are_404(client: FlaskClient) -> None:
    for path in ("/cote2024/interview/999", "/cote2024/nothing.ttl", "/nope", "/cote2024/x y"):
        assert client.get(path).status_code == 404, path


def test_html_escapes_and_links_locally(client: FlaskClient) -> None:
    r = client.get("/cote2024/interview/3.html")
    text = r.data.decode("utf-8")
    assert 'href="/cote2024/interview/3/participant"' in text or "/cote2024/" in text
    assert "<script" not in text


def test_the_ontology_serves_its_documentation_and_file(client: FlaskClient) -> None:
    html = client.get("/ontology", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert html.headers["Vary"] == "Accept"
    ttl = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert ttl.mimetype == "text/turtle"
    g = Graph().parse(data=ttl.data.decode("utf-8"), format="turtle")
    assert (URIRef("https://w3id.org/qikg/ontology"), None, None) in g
    for ext, (media, _) in RDF_TYPES.items():
        assert client.get(f"/ontology.{ext}").mimetype == media
    version = g.value(URIRef("https://w3id.org/qikg/ontology"), OWL.versionIRI)
    path = str(version).removeprefix("https://w3id.org/qikg")
    assert client.get(path, headers={"Accept": "text/turtle"}).mimetype == "text/turtle"
    assert client.get("/ontology/9.9.9").status_code == 404


def test_void_at_the_well_known_address(client: FlaskClient, example: Path) -> None:
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = Graph().parse(data=r.data.decode("utf-8"), format="turtle")
    version = URIRef(f"{BASE}cote2024/dataset/{__version__}")
    lines = (example / "dataset.nq").read_text(encoding="utf-8").count("\n")
    assert int(g.value(version, VOID.triples)) == lines  # type: ignore[arg-type]
    # the dataset's own IRIs dereference to the description
    assert client.get(f"/cote2024/dataset/{__version__}.ttl").status_code == 200


def test_dumps_are_served_with_their_media_types(client: FlaskClient, example: Path) -> None:
    stem = f"cote2024-{__version__}"
    expected = {
        f"{stem}.ttl": "text/turtle",
        f"{stem}.nt.gz": "application/gzip",
        f"{stem}.jsonld": "application/ld+json",
        f"{stem}.trig": "application/trig",
        "SHA256SUMS": "text/plain",
    }
    for name, media in expected.items():
        r = client.get(f"/dumps/{name}")
        try:
            assert r.status_code == 200 and r.mimetype == media, name
            data = r.get_data()
            assert data == (example / "dumps" / name).read_bytes()
        finally:
            r.close()
    r = client.get(f"/dumps/{stem}.nt.gz")
    try:
        body = gzip.decompress(r.get_data())
        assert hashlib.sha256(r.get_data()).hexdigest() in (
            example / "dumps" / "SHA256SUMS"
        ).read_text(encoding="utf-8")
        assert body.count(b"\n") == (example / "dataset.nq").read_bytes().count(b"\n")
    finally:
        r.close()


def test_dumps_never_reach_other_files(client: FlaskClient) -> None:
    for path in (
        "/dumps/../build.json",
        "/dumps/%2e%2e/build.json",
        "/dumps/%2e%2e%2fbuild.json",
        "/dumps/..%2Fbuild.json",
        "/dumps/build.json",
        "/dumps/dataset.nq",
        "/dumps/%2Fetc%2Fpasswd",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert b'"qikg"' not in r.data


@pytest.mark.slow
def test_a_sample_of_the_corpus_dereferences_in_every_format(
    corpus_build: tuple[object, Path],
) -> None:
    _, out = corpus_build
    subjects = [s for s in _subjects(out) if s.startswith(BASE)]
    sample = random.Random(7).sample(subjects, 30)
    for app in _app(out):
        client = app.test_client()
        for iri in sample:
            for accept in ["text/html", *(m for m, _ in RDF_TYPES.values())]:
                media = accept
                status, ctype, _, where = _deref(client, iri, accept)
                assert status == 200, (iri, accept)
                assert ctype.split(";")[0] == media, (iri, accept, where)


def test_the_landing_page_embeds_a_schema_org_dataset(client: FlaskClient) -> None:
    import json
    import re

    from qikg.kg.describe import TERMS_OF_USE

    text = client.get("/").data.decode("utf-8")
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["@type"] == "Dataset"
    assert data["conditionsOfAccess"] == TERMS_OF_USE
    assert "10.1007/s10664-024-10536-7" in data["citation"]
    assert data["version"] == __version__
    assert any(d["contentUrl"].endswith(".nt.gz") for d in data["distribution"])
    assert "To cite this dataset" in text


def test_file_names_agree_with_the_build() -> None:
    from qikg.kg import describe
    from qikg.server import linkeddata

    assert linkeddata.DESCRIPTION_TTL == describe.DESCRIPTION_TTL
    assert linkeddata.DUMPS_DIR == describe.DUMPS_DIR
    assert linkeddata.SUMS_FILE == describe.SUMS_FILE


def test_a_named_graph_is_a_document(client: FlaskClient) -> None:
    r = client.get("/cote2024/interview/3/graph", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.mimetype == "application/n-triples"
    assert r.headers["Vary"] == "Accept"
    location = r.headers["Content-Location"]
    assert location == "/cote2024/interview/3/graph.nt"
    again = client.get(location)
    assert again.status_code == 200 and again.data == r.data
    assert len(Graph().parse(data=r.data.decode("utf-8"), format="nt")) > 0
