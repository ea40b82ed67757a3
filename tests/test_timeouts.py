"""Query worker processes: the time limit, busy workers, switching stores, the network guard.

The store is the hand-written fixture plus a graph of 3,000 generated triples, over which a
three-way cartesian product (2.7e10 rows) runs far longer than any limit here.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from qikg.errors import StoreError
from qikg.kg.sparql_scan import RefusedQuery
from qikg.kg.store import OxigraphStore, QuerySyntaxError, ReadOnlyOpener, ResultKind
from qikg.server import close_app, create_app
from qikg.server.execute import Datasets, InProcessRunner, QueryTimeout, WorkersBusy
from qikg.server.sandbox import forbid_network
from qikg.server.state import state_of
from qikg.server.workers import WorkerPool

from .test_sparql_endpoint import Listener, assert_nothing_fetched
from .test_store import FIXTURE_TRIG, QIKG, S

LIMIT_S = 1.0
GENERATED = 3000
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LOOKUP = f"SELECT ?text WHERE {{ <{S}/interview/1/transcript/turn/1> <{QIKG}text> ?text }}"
JSON = "application/sparql-results+json"
MEDIA = {ResultKind.SOLUTIONS: JSON, ResultKind.BOOLEAN: JSON, ResultKind.GRAPH: "text/turtle"}
GUARDED_PLATFORM = sys.platform == "linux" and platform.machine() in ("x86_64", "aarch64")


def build_store(folder: Path, *, generated: int = GENERATED, label: str = "fixture") -> Path:
    """An on-disk store with the fixture and ``generated`` triples; returns its folder."""
    folder.mkdir(parents=True)
    trig = folder.parent / f"{label}.trig"
    trig.write_text(FIXTURE_TRIG, encoding="utf-8")
    nt = folder.parent / f"{label}.nt"
    nt.write_text(
        "".join(f'<http://ex/{label}/s{i}> <http://ex/p> "{i}" .\n' for i in range(generated)),
        encoding="utf-8",
    )
    store = OxigraphStore(folder / "store")
    store.load_dataset(trig)
    store.load_file(nt, graph=f"http://ex/{label}")
    store.close()
    return folder / "store"


def run(pool: WorkerPool | InProcessRunner, query: str) -> bytes:
    return pool.run(query, Datasets(), media_types=MEDIA, row_limit=100).body


def wait_for_idle(pool: WorkerPool, count: int, within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while pool._idle.qsize() < count:
        assert time.monotonic() < deadline, "the pool did not get its workers back"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("pool") / "a")


@pytest.fixture(scope="module")
def pool(store_path: Path) -> Iterator[WorkerPool]:
    workers = WorkerPool(ReadOnlyOpener(store_path), workers=2, timeout_s=LIMIT_S)
    yield workers
    workers.close()


# -- the time limit ----------------------------------------------------------------------------


def test_a_cheap_query_answers_and_errors_come_back_as_themselves(pool: WorkerPool) -> None:
    assert b"t1 alpha" in run(pool, LOOKUP)
    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        run(pool, "SELECT ?x WHERE { ?x ")
    with pytest.raises(RefusedQuery, match="SERVICE"):
        run(pool, "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://x/> { } } }")
    wait_for_idle(pool, 2)


def test_a_long_query_is_stopped_and_its_worker_replaced(pool: WorkerPool) -> None:
    wait_for_idle(pool, 2)
    before = {p.pid for p in multiprocessing.active_children() if p.name == "qikg-query"}
    start = time.monotonic()
    with pytest.raises(QueryTimeout) as caught:
        run(pool, SLOW)
    elapsed = time.monotonic() - start
    assert caught.value.limit_s == LIMIT_S
    assert LIMIT_S <= elapsed < LIMIT_S + 1.0
    # The worker that ran it is gone at once: the work has really stopped.
    after = {p.pid for p in multiprocessing.active_children() if p.name == "qikg-query"}
    # (a worker of another test's closed pool may end in the meantime too)
    gone = before - after
    assert gone
    for killed in gone:
        with pytest.raises(ProcessLookupError):
            os.kill(killed, 0)
    # The other worker answers straight away, and the pool is whole again soon after.
    start = time.monotonic()
    assert b"t1 alpha" in run(pool, LOOKUP)
    assert time.monotonic() - start < 0.5
    wait_for_idle(pool, 2)
    assert b"t1 alpha" in run(pool, LOOKUP)


def test_a_query_waits_for_a_free_worker_at_most_the_limit(store_path: Path) -> None:
    # Without a spare: with one, a worker killed at the limit is replaced at once, and the
    # waiting query may get it just in time.
    pool = WorkerPool(ReadOnlyOpener(store_path), workers=2, timeout_s=LIMIT_S, spare=False)
    wait_for_idle(pool, 2)
    outcomes: list[BaseException] = []

    def slow() -> None:
        try:
            run(pool, SLOW)
        except BaseException as err:
            outcomes.append(err)

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    start = time.monotonic()
    with pytest.raises(WorkersBusy) as caught:
        run(pool, LOOKUP)
    assert caught.value.workers == 2
    assert LIMIT_S <= time.monotonic() - start < LIMIT_S + 1.0
    for thread in threads:
        thread.join()
    assert [type(e) for e in outcomes] == [QueryTimeout, QueryTimeout]
    wait_for_idle(pool, 2)
    pool.close()


# -- switching stores (a new release) ----------------------------------------------------------


def test_the_pool_moves_to_a_new_store(pool: WorkerPool, tmp_path: Path) -> None:
    wait_for_idle(pool, 2)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://ex/p> ?o } }"
    assert f'"{GENERATED}"'.encode() in run(pool, count)
    new = build_store(tmp_path / "b", generated=7, label="release2")
    pool.reopen(ReadOnlyOpener(new))
    assert b'"7"' in run(pool, count)
    # A store that cannot be opened leaves the pool on the one it has.
    with pytest.raises(StoreError, match="could not open the store"):
        pool.reopen(ReadOnlyOpener(tmp_path / "missing"))
    assert b'"7"' in run(pool, count)
    assert pool._idle.qsize() == 2

    # The app moves its own store and its workers together.
    app = create_app(OxigraphStore.open_read_only(new), runner=pool)
    client = app.test_client()
    assert b'"7"' in client.get("/sparql", query_string={"query": count}).data
    new = build_store(tmp_path / "c", generated=11, label="release3")
    state_of(app).switch_store(OxigraphStore.open_read_only(new))
    assert b'"11"' in client.get("/sparql", query_string={"query": count}).data
    assert "http://ex/release3" in state_of(app).store.named_graphs()


# -- nothing remote, even from a worker --------------------------------------------------------


def test_workers_refuse_remote_fetches_too(pool: WorkerPool, store_path: Path) -> None:
    wait_for_idle(pool, 2)
    app = create_app(OxigraphStore.open_read_only(store_path), runner=pool)
    listener = Listener()
    try:
        assert_nothing_fetched(app.test_client(), listener)
    finally:
        listener.close()


@pytest.mark.skipif(not GUARDED_PLATFORM, reason="the seccomp guard exists on Linux x86-64/ARM64")
def test_workers_have_no_network(pool: WorkerPool) -> None:
    wait_for_idle(pool, 2)
    assert pool.network_guarded


def _probe_network(conn: Connection, address: str) -> None:
    """In a fresh process: forbid the network, then try it (a socket, and the engine's SERVICE)."""
    import socket

    import pyoxigraph as ox

    guarded = forbid_network()
    outcome = []
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        outcome.append("socket opened")
    except OSError as err:
        outcome.append(f"socket refused: {err}")
    try:
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{address}> {{ ?s ?p ?o }} }}"))
        outcome.append("service answered")
    except Exception as err:
        outcome.append(f"service failed: {err}")
    unix_a, unix_b = socket.socketpair()  # what the worker needs to talk to the server
    unix_a.sendall(b"x")
    outcome.append(f"unix socket: {unix_b.recv(1)!r}")
    conn.send((guarded, outcome))


@pytest.mark.skipif(not GUARDED_PLATFORM, reason="the seccomp guard exists on Linux x86-64/ARM64")
def test_the_network_guard_stops_the_engine_even_without_the_query_check() -> None:
    listener = Listener()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    try:
        process = context.Process(
            target=_probe_network, args=(child, f"http://127.0.0.1:{listener.port}/")
        )
        process.start()
        assert parent.poll(60)
        guarded, outcome = parent.recv()
        process.join(10)
        listener.settle()
        assert guarded
        assert outcome[0].startswith("socket refused") and "Permission denied" in outcome[0]
        assert outcome[1].startswith("service failed")
        assert outcome[2] == "unix socket: b'x'"
        assert listener.received == []
    finally:
        listener.close()


def test_an_app_over_a_store_on_disk_starts_workers(store_path: Path) -> None:
    app = create_app(OxigraphStore.open_read_only(store_path), {"QUERY_WORKERS": 1})
    try:
        runner = state_of(app).runner
        assert isinstance(runner, WorkerPool) and runner.size == 1
        assert runner.timeout_s == 30
        response = app.test_client().get("/sparql", query_string={"query": LOOKUP})
        assert b"t1 alpha" in response.data
    finally:
        close_app(app)
    with pytest.raises(StoreError, match="stopped"):
        run(runner, LOOKUP)
