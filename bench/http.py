"""HTTP throughput and p99 with ``wrk`` against qikg serve and the baseline servers."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.queries import example_values
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries
from qikg.queries.params import bind
from qikg.queries.run import StoreExecutor, resolver, with_values

ROOT = Path(__file__).resolve().parents[1]
"""Where ``python -m bench.*`` finds the benchmark's modules (the working directory of steps)."""
HEAVY = "code-cooccurrence"
"""The named query served over HTTP as the heavy one."""
LOOKUP = "SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
"""The cheap lookup: one interview's label, one row."""
SERVERS = ("qikg", "qikg_in_process", "bare_flask", "oxigraph_serve")
"""``qikg serve``; the same with ``--query-workers 0`` (SPARQL in its own threads, to show what
the worker processes cost); the bare app; ``oxigraph serve-read-only``."""
JSON = "application/sparql-results+json"
ACCEPT = f"Accept: {JSON}"
WARM_UP_S = 2
"""The lookup run of each server before the measured ones, in seconds."""
KIND_SETTINGS = (
    *("connections", "seconds_per_run", "repeats", "threads", "timeout_s"),
    *("measured", "load_average_at_start", "load_average_at_end"),
)
"""What a request's figures were measured with, kept beside them when runs are merged."""
FIRST_INTERVIEW = """SELECT ?i WHERE { ?i a <https://w3id.org/qikg/ontology#Interview> }
ORDER BY ?i LIMIT 1"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0, answer_s: float = 30.0
) -> None:
    """Return once ``url`` answers within ``answer_s``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before {url}")
        try:
            req = urllib.request.Request(url, headers={"Accept": JSON})
            with urllib.request.urlopen(req, timeout=answer_s) as response:
                response.read()
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


WRK_RPS = re.compile(r"Requests/sec:\s*([\d.]+)")
WRK_P99 = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b")
WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
"""wrk's units of latency in milliseconds (it writes minutes as ``3.82m``)."""


def wrk(url: str, connections: int, seconds: int, timeout: int = 60) -> dict[str, float]:
    """One ``wrk`` run (one thread): requests/s, p99 latency in ms, non-2xx answers and socket
    errors (answers slower than ``timeout`` seconds included)."""
    out = subprocess.run(
        [
            *("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", f"{timeout}s"),
            *("--latency", "-H", ACCEPT, url),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return wrk_figures(out)


def wrk_figures(out: str) -> dict[str, float]:
    """The figures of one ``wrk --latency`` output (see :func:`wrk`). wrk writes requests/s
    with two decimals; under 10/s they are the requests over the run's duration instead."""
    rps = WRK_RPS.search(out)
    p99 = WRK_P99.search(out)
    total = WRK_TOTAL.search(out)
    non2xx = WRK_NON2XX.search(out)
    errors = WRK_ERRORS.search(out)
    if rps is None or p99 is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    requests = int(total.group(1))
    per_s = float(rps.group(1))
    if per_s < 10:
        per_s = requests / (float(total.group(2)) * _UNIT[total.group(3)] / 1000)
    return {
        "requests_per_s": per_s,
        "p99_ms": float(p99.group(1)) * _UNIT[p99.group(2)],
        "requests": requests,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def http_figures(out: Path, synthetic: bool, args: argparse.Namespace) -> dict[str, Any]:
    """Throughput and p99 of the lookup and the heavy query against the three servers."""
    store_dir = out / "store"
    query = named_queries()[args.heavy]
    values = example_values(query, synthetic)
    store = OxigraphStore.open_read_only(store_dir)
    try:
        first = store.query(FIRST_INTERVIEW)
        interview = next(iter(first.value))["i"].value  # type: ignore[arg-type,index]
        heavy_text = with_values(query.sparql, bind(query, values, resolver(StoreExecutor(store))))
    finally:
        store.close()
    lookup = urllib.parse.quote(LOOKUP.format(iri=interview))
    heavy = urllib.parse.quote(heavy_text)
    api_query = urllib.parse.urlencode({**values, "per_page": 1000, "format": "json"})
    py = sys.executable
    qikg = str(Path(py).with_name("qikg"))
    oxigraph = str(Path(py).with_name("oxigraph"))
    threads = str(args.threads)
    ports = {name: free_port() for name in SERVERS}
    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    servers: dict[str, tuple[list[str], dict[str, str]]] = {
        "qikg": (
            [
                *(qikg, "serve", "--data", str(out), "--port", str(ports["qikg"])),
                *("--query-timeout", str(args.http_timeout)),
            ],
            {
                "lookup": f"{base['qikg']}/sparql?query={lookup}",
                "heavy": f"{base['qikg']}/api/{query.name}?{api_query}",
            },
        ),
        "qikg_in_process": (
            [
                *(qikg, "serve", "--data", str(out)),
                *("--port", str(ports["qikg_in_process"]), "--query-workers", "0"),
            ],
            {
                "lookup": f"{base['qikg_in_process']}/sparql?query={lookup}",
                "heavy": f"{base['qikg_in_process']}/api/{query.name}?{api_query}",
            },
        ),
        "bare_flask": (
            [
                *(py, "-m", "bench.bare_app", str(store_dir)),
                *("--port", str(ports["bare_flask"]), "--threads", threads),
            ],
            {
                "lookup": f"{base['bare_flask']}/sparql?query={lookup}",
                "heavy": f"{base['bare_flask']}/sparql?query={heavy}",
            },
        ),
        "oxigraph_serve": (
            [
                *(oxigraph, "serve-read-only", "--location", str(store_dir)),
                *("--union-default-graph", "--bind", f"127.0.0.1:{ports['oxigraph_serve']}"),
            ],
            {
                "lookup": f"{base['oxigraph_serve']}/query?query={lookup}",
                "heavy": f"{base['oxigraph_serve']}/query?query={heavy}",
            },
        ),
    }
    figures: dict[str, Any] = {
        "connections": args.connections,
        "seconds_per_run": args.http_seconds,
        "repeats": args.http_repeats,
        "threads": args.threads,
        "heavy_query": query.name,
        "heavy_params": values,
        "lookup_query": LOOKUP.format(iri=interview),
        "interleaved": True,
        "timeout_s": args.http_timeout,
    }
    kinds = http_kinds(args)
    figures["load_average_at_start"] = os.getloadavg()
    runs = _interleaved(servers, out.parent, args, kinds)
    figures["measured"] = datetime.now(UTC).isoformat(timespec="seconds")
    figures["load_average_at_end"] = os.getloadavg()
    for name in SERVERS:
        figures[name] = {
            what: {
                "requests_per_s": statistics.median(r["requests_per_s"] for r in found),
                "p99_ms": statistics.median(r["p99_ms"] for r in found),
                "non_2xx": sum(int(r["non_2xx"]) for r in found),
                "socket_errors": sum(int(r["socket_errors"]) for r in found),
                "runs": found,
            }
            for what, found in runs[name].items()
        }
    settings = {k: figures[k] for k in KIND_SETTINGS}
    figures["settings"] = {what: settings for what in kinds}
    for what in kinds:
        q, q0, bare, oxs = (figures[s][what]["requests_per_s"] for s in SERVERS)
        # None when the bare app answered nothing within the run (a query longer than the run)
        figures[f"{what}_qikg_over_bare"] = q / bare if bare else None
        figures[f"{what}_qikg_in_process_over_bare"] = q0 / bare if bare else None
        figures[f"{what}_oxigraph_over_bare"] = oxs / bare if bare else None
    return figures


def http_kinds(args: argparse.Namespace) -> tuple[str, ...]:
    """The requests measured: the lookup, the heavy query, or both."""
    if args.http_lookup_only:
        return ("lookup",)
    if args.http_heavy_only:
        return ("heavy",)
    return ("lookup", "heavy")


def merge_http(earlier: dict[str, Any] | None, figures: dict[str, Any]) -> dict[str, Any]:
    """``figures`` of the requests measured now over an ``earlier`` run's of the others, each
    request with the settings it was measured with (under ``settings``)."""
    if not earlier:
        return figures
    kinds = set(figures["settings"])
    kept = {k for k in ("lookup", "heavy") if k in earlier.get("qikg", {})} - kinds
    if not kept:
        return figures
    old = earlier.get("settings") or {
        k: {s: earlier.get(s) for s in KIND_SETTINGS} for k in ("lookup", "heavy")
    }
    merged = {**figures, "settings": {**{k: old[k] for k in kept}, **figures["settings"]}}
    for name in SERVERS:
        merged[name] = {**{k: earlier[name][k] for k in kept}, **figures[name]}
    for what in kept:
        for server in ("qikg", "qikg_in_process", "oxigraph"):
            merged[f"{what}_{server}_over_bare"] = earlier.get(f"{what}_{server}_over_bare")
    return merged


def _interleaved(
    servers: dict[str, tuple[list[str], dict[str, str]]],
    logs: Path,
    args: argparse.Namespace,
    kinds: tuple[str, ...],
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """``wrk`` runs of every endpoint of every server, all servers running at once and measured
    in turns (one run each, then the next round), so that a change in the machine's load falls
    on all of them alike. Each server answers the lookup for ``WARM_UP_S`` first (not counted),
    once its query workers have answered (the heavy query through them): nothing of its start is
    left when it is measured. After each run the next waits until the server measured is idle
    (:func:`settle`), so that no server shares the cores with another's unfinished answers."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    runs: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in servers}
    with contextlib.ExitStack() as stack:
        for name, (command, _) in servers.items():
            log = stack.enter_context((logs / f"server-{name}.log").open("wb"))
            procs[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            stack.callback(_stop, procs[name])
        for name, (_, endpoints) in servers.items():
            wait_ready(endpoints["lookup"], procs[name])
            if "heavy" in kinds:
                limit = args.http_timeout
                wait_ready(endpoints["heavy"], procs[name], 120.0 + limit, answer_s=limit)
        for _, endpoints in servers.values():
            wrk(endpoints["lookup"], args.connections, WARM_UP_S)
        for what in kinds:
            for name in servers:
                runs[name][what] = []
            for _ in range(args.http_repeats):
                for name, (_, endpoints) in servers.items():
                    run = wrk(
                        endpoints[what], args.connections, args.http_seconds, args.http_timeout
                    )
                    # the answers wrk left unread still run: the next server must not share
                    # the cores with them
                    run["settled_s"] = settle(procs[name].pid, args.http_timeout)
                    runs[name][what].append(run)
    return runs


def settle(pid: int, limit_s: float, window_s: float = 2.0, busy_cpu_s: float = 0.1) -> float:
    """Wait until the process ``pid`` and its children have used less than ``busy_cpu_s`` of
    CPU time over ``window_s`` (or ``limit_s`` has passed); the seconds waited."""
    import psutil  # the bench extra; the report imports this module without it

    def cpu() -> float:
        total = 0.0
        try:
            root = psutil.Process(pid)
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = p.cpu_times()
                    total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
        return total

    started = time.monotonic()
    before = cpu()
    while time.monotonic() - started < limit_s:
        time.sleep(window_s)
        now = cpu()
        if now - before < busy_cpu_s:
            break
        before = now
    return time.monotonic() - started


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
