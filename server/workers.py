"""A small pool of query worker processes: the only way to stop a query the engine cannot cancel.

pyoxigraph evaluates a query to the end once it has started. Each worker is a separate process
(started with ``spawn``) that opens the store itself, through a picklable
:class:`~qikg.kg.store.StoreOpener`, and answers jobs of plain values: query text and dataset in,
serialised bytes and media type out (:func:`qikg.server.execute.execute`). When a query runs past
the limit, the web server kills that worker, answers 503 at once, and starts a replacement in the
background; the other workers go on answering.

Workers are started before the first request, and replaced off the request path. When the store
is local, each worker forbids itself the network first (:func:`qikg.server.sandbox.forbid_network`).
:meth:`WorkerPool.reopen` moves the pool to another store (a new release): new workers are
started and ready before the swap; old ones finish the query they are running, then stop.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from qikg.errors import StoreError
from qikg.kg.sparql_scan import RefusedQuery
from qikg.kg.store import QuerySyntaxError, ResultKind, StoreOpener

from .execute import Answer, Datasets, QueryTimeout, UnacceptableAnswer, WorkersBusy, execute
from .sandbox import forbid_network

__all__ = ["WorkerPool"]

log = logging.getLogger("qikg.server")

_CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class _Job:
    query: str
    datasets: Datasets
    media_types: dict[ResultKind, str | None]
    row_limit: int
    base_iri: str | None


def _worker_main(conn: Connection, opener: StoreOpener, guard: bool) -> None:
    """The body of a worker process: open the store, then answer jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web server decides when workers stop
    try:
        guarded = forbid_network() if guard else False
        store = opener()
        import rdflib.plugins.sparql.parser  # noqa: F401  (loaded now, not on the first query)
    except Exception as err:
        conn.send(("failed", str(err) or type(err).__name__))
        return
    conn.send(("ready", guarded))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        assert isinstance(job, _Job)
        reply: tuple[str, Any]
        try:
            answer = execute(
                store,
                job.query,
                job.datasets,
                media_types=job.media_types,
                row_limit=job.row_limit,
                base_iri=job.base_iri,
            )
            reply = ("ok", answer)
        except QuerySyntaxError as err:
            reply = ("syntax", str(err))
        except RefusedQuery as err:
            reply = ("refused", str(err))
        except UnacceptableAnswer as err:
            reply = ("unacceptable", err.kind)
        except Exception as err:  # the store's errors, and anything unforeseen
            reply = ("error", str(err) or type(err).__name__)
        conn.send(reply)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    generation: int
    guarded: bool = False


def _decode(tag: str, value: Any) -> Answer:
    if tag == "ok":
        assert isinstance(value, Answer)
        return value
    if tag == "syntax":
        raise QuerySyntaxError(value)
    if tag == "refused":
        raise RefusedQuery(value)
    if tag == "unacceptable":
        raise UnacceptableAnswer(value)
    raise StoreError(value)


class WorkerPool:
    """``workers`` processes answering queries from the store ``opener`` opens, each query
    stopped after ``timeout_s`` seconds.

    Thread-safe: each web server thread takes an idle worker for one query. A query waits at
    most ``timeout_s`` for a worker to become free, then :class:`WorkersBusy` is raised.
    One more process is kept ready as a spare (unless ``spare`` is false): a worker killed at
    the time limit is replaced by it at once, so that the next heavy query cannot take the last
    free worker while a replacement is starting (cheap queries keep a worker).
    """

    def __init__(
        self,
        opener: StoreOpener,
        *,
        workers: int = 2,
        timeout_s: float = 30.0,
        start_timeout_s: float = 60.0,
        spare: bool = True,
    ) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = workers
        self._timeout_s = float(timeout_s)
        self._start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._opener = opener
        self._generation = 0
        self._closed = False
        self._spare: _Worker | None = None
        self._keep_spare = spare
        for worker in self._start_many(opener, 0):
            self._idle.put(worker)
        if spare:
            self._start_replacement(opener, 0, spare=True)

    # -- what the endpoint uses ------------------------------------------------------------------

    @property
    def timeout_s(self) -> float | None:
        return self._timeout_s

    @property
    def network_guarded(self) -> bool:
        """Whether the idle workers have forbidden themselves the network (seccomp)."""
        with self._idle.mutex:
            workers = list(self._idle.queue)
        return bool(workers) and all(w.guarded for w in workers)

    def run(
        self,
        query: str,
        datasets: Datasets,
        *,
        media_types: Mapping[ResultKind, str | None],
        row_limit: int,
        base_iri: str | None = None,
    ) -> Answer:
        """Run one query in a worker (see :func:`qikg.server.execute.execute`).

        Raises :class:`QueryTimeout` when it runs past the limit (the worker is killed and
        replaced), :class:`WorkersBusy` when no worker became free in time, and the errors
        :func:`~qikg.server.execute.execute` raises.
        """
        job = _Job(query, datasets, dict(media_types), row_limit, base_iri)
        worker: _Worker | None = self._take()
        assert worker is not None
        try:
            try:
                worker.conn.send(job)
                done = worker.conn.poll(self._timeout_s)
                if done:
                    tag, value = worker.conn.recv()
            except (EOFError, OSError) as err:
                self._discard(worker)
                worker = None
                raise StoreError(
                    "the query worker stopped while running the query (it may have run out "
                    "of memory); it has been replaced"
                ) from err
            if not done:
                self._discard(worker)
                worker = None
                raise QueryTimeout(self._timeout_s)
        finally:
            if worker is not None:
                self._give_back(worker)
        return _decode(tag, value)

    def reopen(self, opener: StoreOpener) -> None:
        """Serve from the store ``opener`` opens from now on (a new release).

        The new workers are started and ready before any query goes to them; if they cannot
        open the store, :class:`StoreError` is raised and the pool keeps the old store. Old
        workers stop when idle, or after the query they are running.
        """
        with self._reopen_lock:
            generation = self._generation + 1
            fresh = self._start_many(opener, generation)
            with self._lock:
                if self._closed:
                    for worker in fresh:
                        self._stop(worker)
                    return
                self._opener = opener
                self._generation = generation
                old = self._drain()
                if self._spare is not None:
                    old.append(self._spare)
                    self._spare = None
                for worker in fresh:
                    self._idle.put(worker)
            for worker in old:
                self._stop(worker)
            if self._keep_spare:
                self._start_replacement(opener, generation, spare=True)

    def close(self) -> None:
        """Stop the idle workers now and the busy ones when their query ends."""
        with self._lock:
            self._closed = True
            idle = self._drain()
            if self._spare is not None:
                idle.append(self._spare)
                self._spare = None
        for worker in idle:
            self._stop(worker)

    # -- the workers ---------------------------------------------------------------------------

    def _spawn(self, opener: StoreOpener, generation: int) -> _Worker:
        parent, child = _CONTEXT.Pipe()
        guard = not getattr(opener, "needs_network", True)
        process = _CONTEXT.Process(
            target=_worker_main, args=(child, opener, guard), name="qikg-query", daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent, generation)

    def _await_ready(self, worker: _Worker) -> None:
        try:
            if not worker.conn.poll(self._start_timeout_s):
                raise StoreError(f"a query worker did not start within {self._start_timeout_s:g} s")
            tag, value = worker.conn.recv()
        except (EOFError, OSError) as err:
            self._kill(worker)
            raise StoreError("a query worker stopped while starting") from err
        except StoreError:
            self._kill(worker)
            raise
        if tag != "ready":
            self._kill(worker)
            raise StoreError(f"a query worker could not open the store: {value}")
        worker.guarded = bool(value)

    def _start_many(self, opener: StoreOpener, generation: int) -> list[_Worker]:
        """Start ``size`` workers side by side and wait until each is ready."""
        started = [self._spawn(opener, generation) for _ in range(self.size)]
        ready: list[_Worker] = []
        try:
            for worker in started:
                self._await_ready(worker)
                ready.append(worker)
        except BaseException:
            for worker in started:
                self._kill(worker)
            raise
        return ready

    def _take(self) -> _Worker:
        if self._closed:
            raise StoreError("the query workers have been stopped")
        try:
            return self._idle.get(timeout=self._timeout_s)
        except queue.Empty:
            raise WorkersBusy(self.size, self._timeout_s) from None

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            current = not self._closed and worker.generation == self._generation
            if current:
                self._idle.put(worker)
        if not current:
            self._stop(worker)

    def _drain(self) -> list[_Worker]:
        drained = []
        while True:
            try:
                drained.append(self._idle.get_nowait())
            except queue.Empty:
                return drained

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that overran or broke, and start its replacement in the background."""
        self._kill(worker)
        with self._lock:
            if self._closed or worker.generation != self._generation:
                return
            opener, generation = self._opener, self._generation
            spare, self._spare = self._spare, None
        if spare is not None and spare.generation == generation:
            self._give_back(spare)
            self._start_replacement(opener, generation, spare=True)
            return
        if spare is not None:
            self._stop(spare)
        self._start_replacement(opener, generation, spare=False)

    def _start_replacement(self, opener: StoreOpener, generation: int, *, spare: bool) -> None:
        threading.Thread(
            target=self._replace, args=(opener, generation, spare), name="qikg-replace", daemon=True
        ).start()

    def _replace(self, opener: StoreOpener, generation: int, spare: bool = False) -> None:
        """Start a worker: into the idle ones, or kept aside as the spare."""
        try:
            worker = self._spawn(opener, generation)
            self._await_ready(worker)
        except Exception as err:
            with self._lock:
                closing = self._closed
            if not closing:  # a pool being closed stops its starting workers: no fault
                log.error("could not start a query worker to replace a stopped one: %s", err)
            return
        if spare:
            with self._lock:
                keep = not self._closed and self._spare is None
                keep = keep and generation == self._generation
                if keep:
                    self._spare = worker
            if not keep:
                self._stop(worker)
            return
        self._give_back(worker)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    @staticmethod
    def _stop(worker: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.process.join(2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5)
        worker.conn.close()
