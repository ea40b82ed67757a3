"""The lookup in one process: each WSGI app called directly (no network, no server threads).

    python -m bench.wsgi_calls STORE_DIR [--calls 2000] [--batches 5]

The bare app, qikg with its SPARQL front and qikg with the front off (``SPARQL_FRONT = False``)
answer the benchmark's lookup over the same read-only store, batch after batch in turns; each
prints the median CPU time per call of its batches. qikg writes its access log (to
``os.devnull``) as ``qikg serve`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from flask import Flask
from werkzeug.test import EnvironBuilder

from bench import bare_app
from bench.http import JSON, LOOKUP
from qikg.kg.store import OxigraphStore
from qikg.server import create_app
from qikg.server.operations import configure_logging

INTERVIEW = "https://w3id.org/qikg/cote2024/interview/1001"
"""The first synthetic interview (``--interview`` for another)."""


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
) -> Callable[[bytes], object]:
    return len


def cpu_ms_per_call(app: Flask, environ: dict[str, Any], calls: int) -> float:
    """CPU milliseconds per call of ``calls`` calls, each on a copy of ``environ``."""
    started = time.process_time()
    for _ in range(calls):
        answer = app(dict(environ), _start_response)
        b"".join(answer)
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return (time.process_time() - started) / calls * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--interview", default=INTERVIEW)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--batches", type=int, default=5)
    args = ap.parse_args()
    with open(os.devnull, "w") as devnull:
        with contextlib.redirect_stderr(devnull):
            configure_logging()
        store = OxigraphStore.open_read_only(args.store)
        apps: dict[str, Flask] = {
            "bare app": bare_app.create_app(ox.Store.read_only(args.store)),
            "qikg": create_app(store, {"QUERY_WORKERS": 0}),
            "qikg, front off": create_app(store, {"QUERY_WORKERS": 0, "SPARQL_FRONT": False}),
        }
        environ = EnvironBuilder(
            path="/sparql",
            query_string="query=" + quote(LOOKUP.format(iri=args.interview)),
            headers=[("Accept", JSON), ("Host", "127.0.0.1:8000")],
        ).get_environ()
        for app in apps.values():  # the first request of an app: the front does not answer yet
            cpu_ms_per_call(app, environ, 10)
        batches: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.batches):
            for name, app in apps.items():
                batches[name].append(cpu_ms_per_call(app, environ, args.calls))
    bare = statistics.median(batches["bare app"])
    for name, found in batches.items():
        ms = statistics.median(found)
        print(f"{name:16} {ms:.3f} ms CPU per lookup, bare app / this {bare / ms:.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
