"""The benchmark: build, store, named queries and HTTP for studies of several sizes, each figure
beside a baseline measured in the same run.

Per size (``corpus`` is the real development corpus; a number is a synthetic study of that many
interviews made by :mod:`bench.generate`):

* build and validation: wall time of ``qikg.kg.build.build`` in a process of its own, files/s,
  triples/s, validation time (per interview), peak memory of the process tree, size on disk;
  baseline: pyoxigraph ``bulk_load`` of the build's N-Quads into a new store;
* every named query: p50 and p95 through qikg (``qikg.queries.run.run`` with a
  ``StoreExecutor``, the API's code path) against ``pyoxigraph.Store.query`` of the same text
  with the same bindings on the same store, runs interleaved;
* HTTP, with ``wrk`` at a fixed number of connections: a one-row SPARQL lookup and a heavy
  named query, against ``qikg serve``, a bare Flask + pyoxigraph app under waitress with the
  same threads (:mod:`bench.bare_app`) and ``oxigraph serve-read-only``, one server at a time.

Results go to ``bench/results/<date>-<size>.json`` with the machine described and each target
met or missed, and by how much. ``python -m bench.report`` writes the README table from them.

    python -m bench.run [--sizes corpus,36,360,3600] [--work /tmp/qikg-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import pyoxigraph as ox

from bench.generate import CORPUS, generate, synthetic_number
from qikg.kg.store import OxigraphStore
from qikg.queries import NamedQuery, named_queries
from qikg.queries.params import bind
from qikg.queries.run import StoreExecutor, resolver, run, with_values

ROOT = Path(__file__).resolve().parents[1]
"""Where ``python -m bench.*`` finds the benchmark's modules (the working directory of steps)."""
RESULTS = Path(__file__).parent / "results"
HEAVY = "code-cooccurrence"
"""The named query served over HTTP as the heavy one."""
LOOKUP = "SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
"""The cheap lookup: one interview's label, one row."""
SERVERS = ("qikg", "qikg_in_process", "bare_flask", "oxigraph_serve")
"""``qikg serve``; the same with ``--query-workers 0`` (SPARQL in its own threads, to show what
the worker processes cost); the bare app; ``oxigraph serve-read-only``."""
JSON = "application/sparql-results+json"
ACCEPT = f"Accept: {JSON}"
FIRST_INTERVIEW = """SELECT ?i WHERE { ?i a <https://w3id.org/qikg/ontology#Interview> }
ORDER BY ?i LIMIT 1"""
TARGETS = {
    "corpus_build_s": 60.0,
    "build_3600_s": 15 * 60.0,
    "build_3600_rss_bytes": 4 * 2**30,
    "query_ratio": 1.5,
    "lookup_share_of_bare": 0.8,
    "validation_per_interview_spread": 1.5,
}


# -- processes -------------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    cpu_seconds: float
    """User and system time of the process and the descendants it waited for."""
    peak_rss: int
    output: dict[str, Any] | None
    stopped: str | None
    log: str


def measure(cmd: list[str], *, max_rss: int, max_seconds: float) -> Measured:
    """Run ``cmd``; sample the summed RSS of its process tree every 0.25 s; stop it when it goes
    past ``max_rss`` bytes or ``max_seconds``. Its last line of output is read as JSON."""
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
    )
    root = psutil.Process(proc.pid)
    peak = 0
    stopped = None
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(_rss(p) for p in tree))
        except psutil.NoSuchProcess:
            pass
        elapsed = time.perf_counter() - t0
        if peak > max_rss or elapsed > max_seconds:
            stopped = (
                f"stopped after {elapsed:.0f} s at {peak / 2**30:.2f} GiB "
                f"(limits: {max_seconds:.0f} s, {max_rss / 2**30:.1f} GiB)"
            )
            for p in root.children(recursive=True):
                p.kill()
            proc.kill()
            break
        time.sleep(0.25)
    out, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    lines = out.strip().splitlines()
    parsed = None
    if proc.returncode == 0 and lines:
        try:
            parsed = json.loads(lines[-1])
        except json.JSONDecodeError:
            parsed = None
    if parsed is None and stopped is None:
        stopped = f"exited with status {proc.returncode}"
    return Measured(seconds, cpu, peak, parsed, stopped, "\n".join(lines[-20:]))


def _rss(p: psutil.Process) -> int:
    try:
        return int(p.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- build -----------------------------------------------------------------------------------


def build_figures(inputs: Path, out: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    py = sys.executable
    built = measure(
        [py, "-m", "bench.steps", "build", str(inputs), str(out)],
        max_rss=int(args.max_rss_gib * 2**30),
        max_seconds=args.max_build_s,
    )
    figures: dict[str, Any] = {
        "peak_rss_bytes": built.peak_rss,
        "wall_seconds": built.seconds,
        "cpu_seconds": built.cpu_seconds,
    }
    if built.output is None:
        figures["failed"] = built.stopped
        figures["log"] = built.log
        return figures
    b = built.output
    figures.update(b)
    figures["files_per_s"] = b["files"] / b["seconds"]
    figures["triples_per_s"] = b["triples"] / b["seconds"]
    if b["validate_seconds"]:
        figures["validate_triples_per_s"] = b["triples"] / b["validate_seconds"]
        figures["validate_seconds_per_interview"] = b["validate_seconds"] / b["validate_calls"]
    figures["disk_bytes"] = disk_bytes(out)
    figures["store_disk_bytes"] = disk_bytes(out / "store")
    baseline_dir = work / "bulk-load-store"
    shutil.rmtree(baseline_dir, ignore_errors=True)
    loaded = measure(
        [py, "-m", "bench.steps", "bulk-load", str(out / "dataset.nq"), str(baseline_dir)],
        max_rss=int(args.max_rss_gib * 2**30),
        max_seconds=args.max_build_s,
    )
    if loaded.output is not None:
        figures["baseline_bulk_load"] = {
            "seconds": loaded.output["seconds"],
            "cpu_seconds": loaded.cpu_seconds,
            "quads": loaded.output["quads"],
            "triples_per_s": loaded.output["quads"] / loaded.output["seconds"],
            "peak_rss_bytes": loaded.peak_rss,
            "store_disk_bytes": disk_bytes(baseline_dir),
        }
        figures["build_over_bulk_load"] = b["seconds"] / loaded.output["seconds"]
    shutil.rmtree(baseline_dir, ignore_errors=True)
    return figures


# -- named queries ---------------------------------------------------------------------------


def example_values(query: NamedQuery, synthetic: bool) -> dict[str, str]:
    """The query's first example call; a real interview number becomes its first copy's."""
    values = dict(query.examples[0]) if query.examples else {}
    if synthetic and "interview" in values:
        values["interview"] = str(synthetic_number(int(values["interview"])))
    if synthetic and "document" in values:
        values.pop("document")
    return values


def percentile(runs: list[float], q: float) -> float:
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def query_figures(store_dir: Path, synthetic: bool, args: argparse.Namespace) -> dict[str, Any]:
    """p50 and p95 of every named query through qikg and through raw pyoxigraph."""
    store = OxigraphStore.open_read_only(store_dir)
    raw = ox.Store.read_only(str(store_dir))
    executor = StoreExecutor(store)
    figures: dict[str, Any] = {}
    try:
        for query in named_queries().values():
            values = example_values(query, synthetic)
            bindings = bind(query, values, resolver(executor))
            subs = {ox.Variable(k): v for k, v in bindings.items()}
            ours: list[float] = []
            theirs: list[float] = []
            rows = raw_rows = 0
            started = time.perf_counter()
            while len(ours) < args.query_runs_min or (
                len(ours) < args.query_runs_max
                and time.perf_counter() - started < args.query_seconds
            ):
                t0 = time.perf_counter()
                rows = len(run(query, values, executor).rows)
                t1 = time.perf_counter()
                solutions = raw.query(
                    query.sparql, use_default_graph_as_union=True, substitutions=subs
                )
                raw_rows = len(list(solutions))  # type: ignore[arg-type]
                t2 = time.perf_counter()
                ours.append(t1 - t0)
                theirs.append(t2 - t1)
            p50, raw50 = statistics.median(ours), statistics.median(theirs)
            figures[query.name] = {
                "params": values,
                "rows": rows,
                "raw_rows": raw_rows,
                "runs": len(ours),
                "p50_ms": p50 * 1000,
                "p95_ms": percentile(ours, 0.95) * 1000,
                "raw_p50_ms": raw50 * 1000,
                "raw_p95_ms": percentile(theirs, 0.95) * 1000,
                "ratio_p50": p50 / raw50,
            }
    finally:
        store.close()
    return figures


# -- HTTP ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before {url}")
        try:
            req = urllib.request.Request(url, headers={"Accept": JSON})
            with urllib.request.urlopen(req, timeout=30) as response:
                response.read()
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


WRK_RPS = re.compile(r"Requests/sec:\s*([\d.]+)")
WRK_P99 = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
WRK_TOTAL = re.compile(r"(\d+) requests in")
WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    """One ``wrk`` run (one thread, 60 s timeout): requests/s, p99 latency in ms, non-2xx
    answers and socket errors (timeouts included)."""
    out = subprocess.run(
        [
            *("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s"),
            *("--latency", "-H", ACCEPT, url),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = WRK_RPS.search(out)
    p99 = WRK_P99.search(out)
    total = WRK_TOTAL.search(out)
    non2xx = WRK_NON2XX.search(out)
    errors = WRK_ERRORS.search(out)
    if rps is None or p99 is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return {
        "requests_per_s": float(rps.group(1)),
        "p99_ms": float(p99.group(1)) * _UNIT[p99.group(2)],
        "requests": int(total.group(1)),
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
            [qikg, "serve", "--data", str(out), "--port", str(ports["qikg"])],
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
    }
    for name, (command, endpoints) in servers.items():
        log = (out.parent / f"server-{name}.log").open("wb")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_ready(endpoints["lookup"], proc)
            result: dict[str, Any] = {}
            for what, url in endpoints.items():
                wait_ready(url, proc)
                runs = [
                    wrk(url, args.connections, args.http_seconds) for _ in range(args.http_repeats)
                ]
                result[what] = {
                    "requests_per_s": statistics.median(r["requests_per_s"] for r in runs),
                    "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                    "non_2xx": sum(int(r["non_2xx"]) for r in runs),
                    "socket_errors": sum(int(r["socket_errors"]) for r in runs),
                    "runs": runs,
                }
            figures[name] = result
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
    for what in ("lookup", "heavy"):
        q, q0, bare, oxs = (figures[s][what]["requests_per_s"] for s in SERVERS)
        figures[f"{what}_qikg_over_bare"] = q / bare
        figures[f"{what}_qikg_in_process_over_bare"] = q0 / bare
        figures[f"{what}_oxigraph_over_bare"] = oxs / bare
    return figures


# -- targets and machine ---------------------------------------------------------------------


def target(name: str, value: float | None, limit: float, *, at_most: bool) -> dict[str, Any]:
    """A target met or missed; ``by`` is how far past the limit the value is, as a ratio."""
    if value is None:
        return {"target": name, "limit": limit, "value": None, "met": False, "by": "not measured"}
    met = value <= limit if at_most else value >= limit
    by = value / limit if at_most else limit / value if value else float("inf")
    return {"target": name, "limit": limit, "value": value, "met": met, "by": by}


def targets(size: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    build = result.get("build", {})
    seconds = build.get("seconds")
    if size == "corpus":
        found.append(target("corpus built and validated (s)", seconds, 60.0, at_most=True))
    if size == "3600":
        found.append(target("3,600 built and validated (s)", seconds, 900.0, at_most=True))
        rss = build.get("peak_rss_bytes")
        found.append(target("3,600 build peak RSS (GiB)", rss and rss / 2**30, 4.0, at_most=True))
    for name, q in result.get("queries", {}).items():
        found.append(target(f"{name}: p50 over raw pyoxigraph", q["ratio_p50"], 1.5, at_most=True))
    http = result.get("http")
    if http:
        found.append(
            target(
                "lookups/s: qikg over bare Flask", http["lookup_qikg_over_bare"], 0.8, at_most=False
            )
        )
    return found


def machine() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    versions: dict[str, str | None] = {}
    for package in ("qikg", "pyoxigraph", "oxigraph", "rdflib", "pyshacl", "flask", "waitress"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_bytes": psutil.virtual_memory().total,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("\n")[0].strip(),
        "load_average_at_start": os.getloadavg(),
    }


# -- one size --------------------------------------------------------------------------------


def remeasure_http(size: str, args: argparse.Namespace) -> None:
    """Measure HTTP again on a size built earlier (its dataset still in ``--work``) and update
    its newest result file."""
    path = max(RESULTS.glob(f"*-{size}.json"), key=lambda p: p.stat().st_mtime)
    result = json.loads(path.read_text(encoding="utf-8"))
    print(f"[{size}] HTTP again", flush=True)
    result["http"] = http_figures(args.work / f"built-{size}", size != "corpus", args)
    result["http"]["measured"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["http"]["load_average_at_start"] = os.getloadavg()
    result["targets"] = targets(size, result)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"[{size}] -> {path}", flush=True)


def bench_size(size: str, args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.work
    synthetic = size != "corpus"
    result: dict[str, Any] = {"size": size, "machine": machine()}
    started = datetime.now(UTC)
    result["started"] = started.isoformat(timespec="seconds")
    if synthetic:
        inputs = work / f"study-{size}"
        t0 = time.perf_counter()
        result["generated"] = generate(int(size), inputs, corpus=args.corpus)
        result["generate_seconds"] = time.perf_counter() - t0
    else:
        inputs = args.corpus
    out = work / f"built-{size}"
    print(f"[{size}] build", flush=True)
    result["build"] = build_figures(inputs, out, work, args)
    if "failed" not in result["build"]:
        print(f"[{size}] named queries", flush=True)
        result["queries"] = query_figures(out / "store", synthetic, args)
        if not args.no_http:
            print(f"[{size}] HTTP", flush=True)
            result["http"] = http_figures(out, synthetic, args)
    result["targets"] = targets(size, result)
    result["load_average_at_end"] = os.getloadavg()
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y-%m-%d}-{size}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"[{size}] -> {path}", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="corpus,36,360", help="comma-separated: corpus or numbers")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--work", type=Path, default=Path("/tmp/qikg-bench"))
    ap.add_argument("--heavy", default=HEAVY, help="the named query served as the heavy one")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4, help="waitress threads (qikg serve: 4)")
    ap.add_argument("--http-seconds", type=int, default=10)
    ap.add_argument("--http-repeats", type=int, default=3)
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument(
        "--http-only", action="store_true", help="HTTP again on sizes built earlier in --work"
    )
    ap.add_argument("--query-runs-min", type=int, default=5)
    ap.add_argument("--query-runs-max", type=int, default=50)
    ap.add_argument("--query-seconds", type=float, default=10.0)
    ap.add_argument("--max-rss-gib", type=float, default=12.0)
    ap.add_argument("--max-build-s", type=float, default=3600.0)
    args = ap.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size != "corpus" and not size.isdigit():
            ap.error(f"--sizes: {size!r} is neither 'corpus' nor a number of interviews")
    args.work.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        if args.http_only:
            remeasure_http(size, args)
        else:
            bench_size(size, args)


if __name__ == "__main__":
    main()
