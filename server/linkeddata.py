"""Linked-data pages: dereferenceable IRIs, the VoID description and the dumps.

Request paths map onto the configured base: ``/cote2024/interview/3`` is the resource
``{BASE_IRI}cote2024/interview/3``. The scheme ("Cool URIs for the Semantic Web", 303 variant):

- ``/{path}``: a resource of the data (an interview, a turn, a code...) is not a document, so
  it answers ``303 See Other`` to ``/{path}.{ext}``, the extension chosen by the ``format``
  parameter or else the ``Accept`` header (HTML for browsers, Turtle otherwise);
- ``/{path}.html|.ttl|.jsonld|.nt|.rdf``: the document describing the resource (its own triples,
  and a bounded number of triples pointing to it), ``200`` with ``Vary: Accept`` and
  ``Link: <...>; rel="alternate"`` to the other formats;
- a named graph's IRI (``.../graph``) is a document: it answers ``200`` with the graph's
  triples in the negotiated format;
- an IRI with no triples answers ``404``.

``/ontology`` serves the ontology's HTML documentation or its Turtle file (content negotiation),
``/.well-known/void`` the dataset's VoID and DCAT description, and ``/dumps/`` the dump files
listed in the dataset's ``build.json``. The dataset folder is the ``DATASET_DIR`` config key or,
when unset, the folder holding the store that the app serves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from rdflib import Graph, Literal, URIRef

from qikg.kg.store import OxigraphStore, Store

from .state import state_of

bp = Blueprint("linkeddata", __name__)

# The names of what the build writes (as in qikg.kg.describe, imported only when needed: the
# query worker processes import this package too, and should not load the build's modules).
DESCRIPTION_TTL = "description.ttl"
DUMPS_DIR = "dumps"
SUMS_FILE = "SHA256SUMS"

CACHE_KEY = "qikg.linkeddata"
MAX_INBOUND = 200
"""The most triples pointing to a resource that its document lists."""


@dataclass(frozen=True)
class DocFormat:
    ext: str
    media_type: str
    rdflib: str | None
    charset: bool = True

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


FORMATS: tuple[DocFormat, ...] = (
    DocFormat("ttl", "text/turtle", "turtle"),
    DocFormat("html", "text/html", None),
    DocFormat("jsonld", "application/ld+json", "json-ld", charset=False),
    DocFormat("nt", "application/n-triples", "nt", charset=False),
    DocFormat("rdf", "application/rdf+xml", "xml", charset=False),
)
"""The document formats; for an ``Accept`` of ``*/*`` alone, the first (Turtle)."""
_BY_EXT = {f.ext: f for f in FORMATS}
_BY_NAME = {
    **_BY_EXT,
    "turtle": _BY_EXT["ttl"],
    "json-ld": _BY_EXT["jsonld"],
    "ntriples": _BY_EXT["nt"],
    "n-triples": _BY_EXT["nt"],
    "rdfxml": _BY_EXT["rdf"],
    "xml": _BY_EXT["rdf"],
}
_SAFE_PATH = re.compile(r"[A-Za-z0-9._~\-/]+")
"""Request paths that may name a resource (the characters the IRI layout mints)."""

_SUBJECT = """CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"""
_INBOUND = f"""CONSTRUCT {{ ?x ?p ?s }} WHERE {{
  {{ SELECT DISTINCT ?x ?p ?s WHERE {{ GRAPH ?g {{ ?x ?p ?s }} }}
     ORDER BY ?x ?p LIMIT {MAX_INBOUND} }}
}}"""
_GRAPH = """CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?graph { ?s ?p ?o } }"""
_IS_GRAPH = """ASK { GRAPH ?graph { ?s ?p ?o } }"""


# -- the dataset folder and what the build wrote there ----------------------------------------


def _cache() -> dict[str, Any]:
    cache = current_app.extensions.setdefault(CACHE_KEY, {})
    assert isinstance(cache, dict)
    return cache


def dataset_dir() -> Path | None:
    """The folder ``qikg build`` wrote, if the app serves one."""
    configured = current_app.config.get("DATASET_DIR")
    if configured:
        return Path(configured)
    store = state_of(current_app).store
    if isinstance(store, OxigraphStore) and store.path is not None:
        folder = Path(store.path).parent
        if (folder / "build.json").is_file():
            return folder
    return None


def _manifest() -> dict[str, Any] | None:
    folder = dataset_dir()
    if folder is None:
        return None
    cache = _cache()
    key = f"manifest:{folder}"
    if key not in cache:
        path = folder / "build.json"
        cache[key] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    value = cache[key]
    return value if isinstance(value, dict) else None


def description() -> Graph | None:
    """The dataset's VoID/DCAT description written by the build (parsed once)."""
    folder = dataset_dir()
    if folder is None or not (folder / DESCRIPTION_TTL).is_file():
        return None
    cache = _cache()
    key = f"description:{folder}"
    if key not in cache:
        cache[key] = Graph().parse(folder / DESCRIPTION_TTL, format="turtle")
    graph = cache[key]
    assert isinstance(graph, Graph)
    return graph


# -- responses ------------------------------------------------------------------------------


def _negotiate(default: DocFormat | None = None) -> DocFormat:
    """The format named by ``format``, else the best match of ``Accept`` (Turtle for ``*/*``)."""
    name = request.args.get("format", "").strip().lower()
    if name:
        fmt = _BY_NAME.get(name)
        if fmt is None:
            abort(
                Response(
                    f"Unknown format {name!r}; use one of {', '.join(_BY_EXT)}.\n",
                    406,
                    content_type="text/plain; charset=utf-8",
                )
            )
        return fmt
    offered = [f.media_type for f in FORMATS]
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        if default is not None:
            return default
        abort(
            Response(
                f"None of the offered formats is acceptable: {', '.join(offered)}.\n",
                406,
                content_type="text/plain; charset=utf-8",
            )
        )
    return next(f for f in FORMATS if f.media_type == best)


def _alternates(path: str, current: DocFormat | None) -> str:
    root = request.script_root
    return ", ".join(
        f'<{root}/{quote(path)}.{f.ext}>; rel="alternate"; type="{f.media_type}"'
        for f in FORMATS
        if f is not current
    )


def _graph_response(
    graph: Graph, fmt: DocFormat, iri: str, path: str, *, inbound: Graph | None = None
) -> Response:
    body: str | bytes
    status = 200
    if fmt.rdflib is None:
        body, status = _html(graph, iri, path, inbound)
    else:
        whole = graph + inbound if inbound is not None else graph
        for prefix, ns in graph.namespaces():
            whole.bind(prefix, ns, override=False)
        body = whole.serialize(format=fmt.rdflib, encoding="utf-8")
    response = Response(body, status, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _alternates(path, fmt)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def local_link(iri: str) -> str | None:
    """Where this service serves ``iri`` (a path under the base), or the IRI itself if http(s)."""
    base = current_app.config["BASE_IRI"]
    if iri.startswith(base) and len(iri) > len(base):
        return f"{request.script_root}/{iri[len(base) :]}"
    return iri if iri.startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class Row:
    predicate: str
    predicate_link: str | None
    value: str
    link: str | None
    note: str


def _rows(pairs: list[tuple[str, Any]]) -> list[Row]:
    rows = []
    for p, o in sorted(pairs, key=lambda po: (po[0], str(po[1]))):
        if isinstance(o, Literal):
            note = f"@{o.language}" if o.language else (str(o.datatype or "").rsplit("#")[-1])
            rows.append(Row(p, local_link(p), str(o), None, note))
        else:
            rows.append(Row(p, local_link(p), str(o), local_link(str(o)), ""))
    return rows


_LABELS = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdf": "RDF/XML"}


def _html(graph: Graph, iri: str, path: str, inbound: Graph | None) -> tuple[str, int]:
    """The page of a code, interview, excerpt or the catalogue, else the generic page."""
    from .resource_pages import rich_page

    alternates = [
        (label, f"{request.script_root}/{quote(path)}.{ext}", _BY_EXT[ext].media_type)
        for ext, label in _LABELS.items()
    ]
    rich = rich_page(graph, iri, alternates)
    if rich is not None:
        return rich
    subject = URIRef(iri)
    out = _rows([(str(p), o) for p, o in graph.predicate_objects(subject)])
    others = sorted({s for s in graph.subjects() if s != subject}, key=str)
    rest = [(str(s), _rows([(str(p), o) for p, o in graph.predicate_objects(s)])) for s in others]
    into = []
    if inbound is not None:
        into = [
            Row(str(p), local_link(str(p)), str(s), local_link(str(s)), "")
            for s, p, _ in sorted(inbound, key=lambda t: (str(t[0]), str(t[1])))
        ]
    page = render_template(
        "resource.html",
        title=iri,
        iri=iri,
        rows=out,
        rest=rest,
        inbound=into,
        max_inbound=MAX_INBOUND,
        alternates=alternates,
    )
    return page, 200


# -- resources ------------------------------------------------------------------------------


def _node(iri: str) -> ox.NamedNode | None:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


def _construct(store: Store, query: str, bindings: dict[str, Any]) -> Graph:
    result = store.query(query, bindings=bindings)
    graph = Graph()
    data = store.serialize_result(result, "application/n-triples")
    if data.strip():
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def _describe(iri: str) -> tuple[Graph, Graph] | None:
    """The triples about ``iri`` and those pointing to it; ``None`` if it has none."""
    node = _node(iri)
    if node is None:
        return None
    store = state_of(current_app).store
    graph = _construct(store, _SUBJECT, {"s": node})
    desc = description()
    if desc is not None:
        subject = URIRef(iri)
        for p, o in desc.predicate_objects(subject):
            graph.add((subject, p, o))
            # the blank nodes of the description (partitions, checksums) go along
            for p2, o2 in desc.predicate_objects(o) if not isinstance(o, URIRef | Literal) else ():
                graph.add((o, p2, o2))
        for prefix, ns in desc.namespaces():
            graph.bind(prefix, ns, override=False)
    if len(graph) == 0:
        return None
    inbound = _construct(store, _INBOUND, {"s": node})
    return graph, inbound


def _named_graph(iri: str) -> Graph | None:
    node = _node(iri)
    if node is None:
        return None
    store = state_of(current_app).store
    if not bool(store.query(_IS_GRAPH, bindings={"graph": node}).value):
        return None
    return _construct(store, _GRAPH, {"graph": node})


def _split_suffix(path: str) -> tuple[str, DocFormat | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and ext in _BY_EXT and "/" not in ext:
        return stem, _BY_EXT[ext]
    return path, None


@bp.route("/<path:path>", methods=["GET"])
def resource(path: str) -> Response:
    """Dereference ``{BASE_IRI}{path}`` (see the module docstring for the scheme)."""
    if not _SAFE_PATH.fullmatch(path) or ".." in path.split("/") or "//" in path:
        abort(404)
    base = current_app.config["BASE_IRI"]
    stem, fmt = _split_suffix(path)
    if fmt is not None:
        found = _describe(base + stem)
        if found is not None:
            return _graph_response(found[0], fmt, base + stem, stem, inbound=found[1])
        named = _named_graph(base + stem)
        if named is not None:
            return _graph_response(named, fmt, base + stem, stem)
    iri = base + path
    graph = _named_graph(iri)
    if graph is not None:
        chosen = _negotiate(default=FORMATS[0])
        response = _graph_response(graph, chosen, iri, path)
        response.headers["Content-Location"] = f"{request.script_root}/{path}.{chosen.ext}"
        return response
    if _describe(iri) is None:
        abort(404)
    chosen = _negotiate(default=FORMATS[0])
    response = Response(status=303)
    response.headers["Location"] = f"{request.script_root}/{quote(path)}.{chosen.ext}"
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _alternates(path, None)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# -- the ontology ---------------------------------------------------------------------------


def _ontology_html() -> str:
    folder = dataset_dir()
    built = folder / "ontology" / "index.html" if folder is not None else None
    if built is not None and built.is_file():
        return built.read_text(encoding="utf-8")
    from qikg.kg.ontodoc import render_html

    cache = _cache()
    if "ontology.html" not in cache:
        cache["ontology.html"] = render_html()
    text = cache["ontology.html"]
    assert isinstance(text, str)
    return text


def _ontology_graph() -> Graph:
    from qikg.ontology import ONTOLOGY_FILE

    cache = _cache()
    if "ontology.graph" not in cache:
        cache["ontology.graph"] = Graph().parse(
            data=ONTOLOGY_FILE.read_text(encoding="utf-8"), format="turtle"
        )
    graph = cache["ontology.graph"]
    assert isinstance(graph, Graph)
    return graph


def _ontology_response(fmt: DocFormat) -> Response:
    if fmt.rdflib is None:
        response = Response(_ontology_html(), 200, content_type=fmt.content_type)
    elif fmt.ext == "ttl":
        from qikg.ontology import ONTOLOGY_FILE

        response = Response(ONTOLOGY_FILE.read_bytes(), 200, content_type=fmt.content_type)
    else:
        body = _ontology_graph().serialize(format=fmt.rdflib, encoding="utf-8")
        response = Response(body, 200, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _alternates("ontology", fmt)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/ontology", methods=["GET"])
def ontology() -> Response:
    """The ontology (a hash namespace): its documentation or its file, by content negotiation."""
    fmt = _negotiate(default=FORMATS[0])
    response = _ontology_response(fmt)
    response.headers["Content-Location"] = f"{request.script_root}/ontology.{fmt.ext}"
    return response


@bp.route("/ontology/<version>", methods=["GET"])
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (``owl:versionIRI``): the same answer as ``/ontology``."""
    from rdflib.namespace import OWL

    current = {str(v) for v in _ontology_graph().objects(None, OWL.versionIRI)}
    if not any(v.endswith(f"/ontology/{version}") for v in current):
        abort(404)
    return ontology()


@bp.route("/ontology.<ext>", methods=["GET"])
def ontology_file(ext: str) -> Response:
    fmt = _BY_EXT.get(ext)
    if fmt is None:
        abort(404)
    return _ontology_response(fmt)


# -- the description and the dumps ----------------------------------------------------------


@bp.route("/.well-known/void", methods=["GET"])
def void() -> Response:
    """The dataset's VoID and DCAT description (404 when the app serves no built dataset)."""
    desc = description()
    if desc is None:
        abort(404)
    fmt = _negotiate(default=FORMATS[0])
    if fmt.rdflib is None:
        fmt = FORMATS[0]
    body = desc.serialize(format=fmt.rdflib or "turtle", encoding="utf-8")
    response = Response(body, 200, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _dump_files() -> dict[str, tuple[str, str | None]]:
    """The files under ``/dumps/``: name -> (media type, content encoding), from the manifest."""
    manifest = _manifest()
    if manifest is None:
        return {}
    files: dict[str, tuple[str, str | None]] = {SUMS_FILE: ("text/plain; charset=utf-8", None)}
    for entry in manifest.get("dumps", []):
        name, media, encoding = entry["file"], entry["media_type"], entry.get("encoding")
        # a gzipped dump is sent as the gzip file it is, so that clients save it unopened
        files[name] = ("application/gzip", None) if encoding == "gzip" else (media, None)
    return files


@bp.route("/dumps/", methods=["GET"])
def dumps_index() -> Response:
    files = _dump_files()
    if not files:
        abort(404)
    lines = [f"{name}\t{media}" for name, (media, _) in sorted(files.items())]
    return Response("\n".join(lines) + "\n", 200, content_type="text/plain; charset=utf-8")


@bp.route("/dumps/<name>", methods=["GET"])
def dump(name: str) -> Response:
    """One dump file, only if the build manifest lists it (nothing else is reachable)."""
    files = _dump_files()
    folder = dataset_dir()
    if name not in files or folder is None:
        abort(404)
    path = folder / DUMPS_DIR / name
    if not path.is_file():
        abort(404)
    media, _ = files[name]
    response = send_file(path, mimetype=media, as_attachment=False, conditional=True)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def dataset_citation() -> dict[str, str] | None:
    """How to cite the served dataset (its title, version and IRI), from its description."""
    manifest = _manifest()
    desc = description()
    if manifest is None or desc is None:
        return None
    from qikg.kg.describe import dataset_iri, version_iri
    from qikg.kg.iris import Iris

    iris = Iris(manifest["base"], manifest["study"])
    version = str(manifest.get("version", ""))
    return {
        "text": (
            f"{current_app.config['DATASET_TITLE']} (version {version}) [data set], "
            f"derived from the replication package of the paper above. {version_iri(iris)}"
        ),
        "iri": str(dataset_iri(iris)),
        "version_iri": str(version_iri(iris)),
    }


def schema_org_script() -> str | None:
    """The schema.org ``Dataset`` as JSON for a ``<script type="application/ld+json">``,
    with ``<``, ``>`` and ``&`` escaped so the text cannot close the script element."""
    manifest = _manifest()
    desc = description()
    if manifest is None or desc is None:
        return None
    from qikg.kg.describe import schema_org
    from qikg.kg.iris import Iris

    data = schema_org(desc, Iris(manifest["base"], manifest["study"]))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
