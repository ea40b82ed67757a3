"""Run the service under a production WSGI server (waitress) over a built dataset or RDF files."""

from __future__ import annotations

import signal
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import pyoxigraph as ox

from qikg.errors import ConfigError, StoreError
from qikg.kg.build import STORE_DIR
from qikg.kg.remote_store import RemoteStore, SparqlService
from qikg.kg.store import OxigraphStore

from . import close_app, create_app
from .operations import configure_logging
from .releases import ReleaseWatcher
from .state import state_of
from .workers import WorkerPool

__all__ = ["graph_option", "load_rdf_files", "open_data", "open_dataset", "open_remote", "serve"]

_QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)
_EXTENSIONS = ".ttl, .nt, .n3, .rdf, .jsonld, .trig or .nq"


def open_dataset(data: Path) -> OxigraphStore:
    """Open the store of a dataset folder written by ``qikg build``, read-only: the store of
    its current release (links resolved, so that the release stays the one opened)."""
    folder = (data / STORE_DIR).resolve()
    if not folder.is_dir():
        raise StoreError(
            f"{data}: no store in this folder; "
            f"build one first with 'qikg build INPUT... --out {data}'"
        )
    return OxigraphStore.open_read_only(folder)


def open_remote(service: SparqlService) -> RemoteStore:
    """The store a SPARQL server holds, once it has shown that its default graph is the union
    of its graphs (as the embedded store's is)."""
    store = RemoteStore(service)
    store.check_union_default_graph()
    return store


def graph_option(text: str) -> tuple[str, Path]:
    """Read a ``--graph IRI=FILE`` option (split at the last ``=``)."""
    iri, sep, file = text.rpartition("=")
    if not sep or not iri or not file:
        raise ConfigError(
            f"--graph {text!r}: write it as IRI=FILE, e.g. http://example.org/g=a.ttl"
        )
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise ConfigError(f"--graph {text!r}: {iri!r} is not a valid graph IRI ({err})") from err
    return iri, Path(file)


def _format_of(path: Path) -> ox.RdfFormat:
    suffix = path.suffix.lstrip(".").lower()
    fmt = ox.RdfFormat.from_extension(suffix) if suffix else None
    if fmt is None:
        raise StoreError(
            f"{path}: cannot tell the RDF format from the extension {path.suffix or '(none)'!r}; "
            f"name the file with {_EXTENSIONS}"
        )
    return fmt


def load_rdf_files(
    files: Sequence[Path], graphs: Mapping[str, Path] | None = None, *, into: Path
) -> OxigraphStore:
    """Load RDF files into a new on-disk store at ``into``; return it opened read-only.

    Quad files (TriG, N-Quads) keep their graph names; triples of a file named in ``graphs``
    (graph IRI -> file) go into that graph, those of other triple files into the default graph
    (which queries see as part of the union of all graphs). Each file is checked (it exists, its
    format is known from its extension, ``graphs`` only names triple files) before any is read;
    every error names the file.
    """
    graph_of: dict[Path, str] = {}
    for iri, file in (graphs or {}).items():
        if file in graph_of and graph_of[file] != iri:
            raise ConfigError(f"{file}: given to --graph twice ({graph_of[file]} and {iri})")
        graph_of[file] = iri
    order = list(dict.fromkeys([*files, *graph_of]))
    if not order:
        raise ConfigError("no RDF file given to serve")
    formats: dict[Path, ox.RdfFormat] = {}
    for file in order:
        if not file.is_file():
            what = "is a folder" if file.is_dir() else "does not exist"
            raise StoreError(f"{file}: {what}; give RDF files (or one dataset folder alone)")
        formats[file] = _format_of(file)
        if file in graph_of and formats[file] in _QUAD_FORMATS:
            raise ConfigError(
                f"{file}: a {formats[file].name} file names its own graphs; --graph is for "
                "files of triples (Turtle, N-Triples, RDF/XML, JSON-LD, N3)"
            )
    into.parent.mkdir(parents=True, exist_ok=True)
    store = OxigraphStore(into)
    try:
        for file in order:
            if formats[file] in _QUAD_FORMATS:
                store.load_dataset(file)
            else:
                store.load_file(file, graph=graph_of.get(file))
    finally:
        store.close()
    return OxigraphStore.open_read_only(into)


def open_data(
    paths: Sequence[Path],
    graphs: Mapping[str, Path] | None = None,
    *,
    workdir: Path,
) -> OxigraphStore:
    """The store to serve: one folder is a dataset built by ``qikg build``; files (and
    ``graphs``) are loaded into a new store under ``workdir`` (see :func:`load_rdf_files`)."""
    folders = [p for p in paths if p.is_dir()]
    if folders:
        if len(paths) > 1 or graphs:
            raise ConfigError(
                f"{folders[0]}: a folder is a dataset built by 'qikg build' and is served alone; "
                "give either that one folder or RDF files"
            )
        return open_dataset(folders[0])
    return load_rdf_files(paths, graphs, into=workdir / STORE_DIR)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(
    data: Path | Sequence[Path],
    *,
    graphs: Mapping[str, Path] | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 4,
    config: dict[str, Any] | None = None,
    remote: SparqlService | None = None,
) -> None:
    """Serve ``data`` (a dataset folder, or RDF files), or what the SPARQL server ``remote``
    holds, on ``host:port`` until interrupted; print the URLs it answers on once listening."""
    import waitress

    paths = [data] if isinstance(data, Path) else list(data)
    configure_logging()
    with tempfile.TemporaryDirectory(prefix="qikg-serve-") as work:
        store: OxigraphStore | RemoteStore = (
            open_remote(remote) if remote else open_data(paths, graphs, workdir=Path(work))
        )
        app = create_app(store, config or {})
        watcher = None
        if len(paths) == 1 and paths[0].is_dir():
            grace = float(app.config["QUERY_TIMEOUT_S"]) + 30
            watcher = ReleaseWatcher(app, paths[0], grace_s=grace).start()
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            server = waitress.create_server(
                app,
                host=host,
                port=port,
                threads=threads,
                ident="qikg",
                max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
            )
            bound = server.effective_port  # type: ignore[union-attr]
            shown = f"[{host}]" if ":" in host else host
            runner = state_of(app).runner
            if isinstance(runner, WorkerPool):
                guard = ", no network" if runner.network_guarded else ""
                limit = f"{runner.timeout_s:g} s per query in {runner.size} workers{guard}"
            elif remote:
                limit = f"queries run in-process, each request to the server {remote.timeout_s:g} s"
            else:
                limit = "no time limit (queries run in-process)"
            print(
                f"Serving {store.triple_count()} statements in {len(store.named_graphs())} "
                f"named graphs; {limit}, at most {app.config['MAX_RESULT_ROWS']} rows.",
                flush=True,
            )
            if remote:
                print(f"SPARQL server:   {remote.query_url}", flush=True)
            print(f"Landing page:    http://{shown}:{bound}/", flush=True)
            print(f"SPARQL endpoint: http://{shown}:{bound}/sparql", flush=True)
            server.run()
        finally:
            signal.signal(signal.SIGTERM, previous)
            if watcher is not None:
                watcher.stop()
            close_app(app)
            served = state_of(app).store
            if served is not store and isinstance(served, OxigraphStore):
                served.close()
            store.close()
            sys.stdout.flush()
