"""The benchmark: build, store, named queries and HTTP for studies of several sizes, each figure
beside a baseline measured in the same run.

Per size (``corpus`` is the real development corpus; a number is a synthetic study of that many
interviews made by :mod:`bench.generate`):

* build and validation: wall time of ``qikg.kg.build.build`` in a process of its own, files/s,
  triples/s, the CPU time of each step (validation: documents/s, triples/s, per interview),
  peak memory of the process tree, size on disk; baseline: pyoxigraph ``bulk_load`` of the
  build's N-Quads into a new store;
* every named query: p50 and p95 through qikg (``qikg.queries.run.run`` with a
  ``StoreExecutor``, the API's code path) against ``pyoxigraph.Store.query`` of the same text
  with the same bindings on the same store, runs interleaved;
* HTTP, with ``wrk`` at a fixed number of connections: a one-row SPARQL lookup and a heavy
  named query, against ``qikg serve``, a bare Flask + pyoxigraph app under waitress with the
  same threads (:mod:`bench.bare_app`) and ``oxigraph serve-read-only``, one server at a time.

Results go to ``bench/results/<date>-<size>.json`` with the machine described and each target
met or missed, and by how much. ``python -m bench.report`` writes the README table from them.

    python -m bench.run [--sizes corpus,36,360,3600] [--work /tmp/qikg-bench]
    python -m bench.run --curve 36,72,144,288     # the validation curve alone
    python -m bench.run --sizes 3600 --queries-only  # again, on a size built earlier in --work

The curve builds a synthetic study of each size (no cache) and records per size the documents,
triples, CPU time of each build step (validation apart), build wall and CPU time and peak RSS,
with least-squares lines through the validation and build CPU times over the interviews, in
``bench/results/<date>-curve.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from bench.curve import curve_fits
from bench.generate import CORPUS, generate
from bench.http import HEAVY, ROOT, http_figures, merge_http
from bench.queries import query_figures
from bench.targets import RESULTS, targets

# -- processes -------------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    cpu_seconds: float
    """User and system time of the process and the descendants it waited for."""
    peak_rss: int
    """The process tree's largest summed RSS (a page shared by several processes counts in
    each)."""
    peak_pss: int
    """The process tree's largest summed PSS (a shared page split between its sharers): the
    memory the tree really held."""
    output: dict[str, Any] | None
    stopped: str | None
    log: str


PSS_EVERY_S = 5.0
"""How often the PSS is sampled, besides whenever the RSS has grown by 2% since the last PSS
sample: the kernel walks a process's page tables to give it, about 0.25 s of CPU for a 1.5 GB
process, so sampling it as often as the RSS would slow the build."""


def measure(cmd: list[str], *, max_rss: int, max_seconds: float) -> Measured:
    """Run ``cmd``; sample the summed RSS of its process tree every 0.25 s and its summed PSS
    every :data:`PSS_EVERY_S`; stop it when it goes past ``max_rss`` bytes or ``max_seconds``.
    Its last line of output is read as JSON."""
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
    )
    root = psutil.Process(proc.pid)
    peak = peak_pss = 0
    pss_due = t0
    pss_rss = 0
    stopped = None
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = sum(_rss(p) for p in tree)
            peak = max(peak, rss)
            if time.perf_counter() >= pss_due or rss > pss_rss * 1.02:
                pss_due, pss_rss = time.perf_counter() + PSS_EVERY_S, rss
                peak_pss = max(peak_pss, sum(_pss(p) for p in tree))
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
    return Measured(seconds, cpu, peak, peak_pss, parsed, stopped, "\n".join(lines[-20:]))


def _rss(p: psutil.Process) -> int:
    try:
        return int(p.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def _pss(p: psutil.Process) -> int:
    """PSS of ``p`` where the system gives it, else its RSS."""
    try:
        return int(getattr(p.memory_full_info(), "pss", None) or p.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def disk_bytes(path: Path) -> int:
    """The bytes of the files under ``path``; a symbolic link (a build's ``dataset.nq`` pointing
    into its current release) is not counted again."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


# -- build -----------------------------------------------------------------------------------


def validation_rates(build: dict[str, Any]) -> dict[str, float]:
    """Validation throughput from its CPU seconds (the interviews' SHACL, summed over the
    worker processes, and the checks across interviews): documents/s, triples/s, s per
    interview."""
    spent = build.get("validate_seconds")
    if not spent or not build.get("interviews"):
        return {}
    return {
        "validate_documents_per_s": build["files"] / spent,
        "validate_triples_per_s": build["triples"] / spent,
        "validate_seconds_per_interview": spent / build["interviews"],
    }


def build_figures(
    inputs: Path, out: Path, work: Path, args: argparse.Namespace, *, baseline: bool = True
) -> dict[str, Any]:
    py = sys.executable
    built = measure(
        [py, "-m", "bench.steps", "build", str(inputs), str(out)],
        max_rss=int(args.max_rss_gib * 2**30),
        max_seconds=args.max_build_s,
    )
    figures: dict[str, Any] = {
        "peak_rss_bytes": built.peak_rss,
        "peak_pss_bytes": built.peak_pss,
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
    figures.update(validation_rates(b))
    figures["disk_bytes"] = disk_bytes(out)
    figures["store_disk_bytes"] = disk_bytes(out / "store")
    if not baseline:
        return figures
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
            "peak_pss_bytes": loaded.peak_pss,
            "store_disk_bytes": disk_bytes(baseline_dir),
        }
        figures["build_over_bulk_load"] = b["seconds"] / loaded.output["seconds"]
    shutil.rmtree(baseline_dir, ignore_errors=True)
    return figures


# -- named queries ---------------------------------------------------------------------------


# -- targets and machine ---------------------------------------------------------------------


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


def earlier_run(size: str, args: argparse.Namespace) -> tuple[Path, dict[str, Any], Path]:
    """The newest result file of ``size`` in ``--results``, its figures, and the size's build
    in ``--work``; exit with a message when either is missing."""
    found = list(args.results.glob(f"*-{size}.json"))
    if not found:
        sys.exit(f"bench.run: no result of size {size} in {args.results} to add figures to")
    built = args.work / f"built-{size}"
    if not (built / "store").is_dir():
        sys.exit(
            f"bench.run: no build of size {size} in {args.work} (no {built / 'store'}); "
            "run the size without --http-only or --queries-only first, or give its --work"
        )
    path = max(found, key=lambda p: p.stat().st_mtime)
    return path, json.loads(path.read_text(encoding="utf-8")), built


def write_result(path: Path, result: dict[str, Any]) -> Path:
    """Write ``result`` to ``path`` as JSON; the path."""
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def remeasure_http(size: str, args: argparse.Namespace) -> None:
    """Measure HTTP again on a size built earlier (its dataset still in ``--work``) and update
    its newest result file."""
    path, result, built = earlier_run(size, args)
    print(f"[{size}] HTTP again", flush=True)
    result["http"] = merge_http(result.get("http"), http_figures(built, size != "corpus", args))
    result["targets"] = targets(size, result)
    print(f"[{size}] -> {write_result(path, result)}", flush=True)


def remeasure_queries(size: str, args: argparse.Namespace) -> None:
    """Measure the named queries again on a size built earlier (its store still in
    ``--work``) and update its newest result file after each query."""
    path, result, built = earlier_run(size, args)
    print(f"[{size}] named queries again", flush=True)
    store = built / "store"
    measured = {
        "store": str(store.resolve()),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
    }
    earlier = result.get("queries", {}) if args.queries else {}
    remeasured = result.setdefault("queries_remeasured", {})
    this_run: set[str] = set()

    def keep(figures: dict[str, Any]) -> None:
        result["queries"] = earlier | figures
        for name in figures.keys() - this_run:  # the load when each query was done
            remeasured[name] = measured | {"load_average_now": os.getloadavg()}
            this_run.add(name)
        result["targets"] = targets(size, result)
        write_result(path, result)

    keep(query_figures(store, size != "corpus", args, keep))
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
    name = f"{started:%Y-%m-%d}-{size}.json"
    result["build"] = build_figures(inputs, out, work, args)
    save(result, name, args.results)  # each part kept as soon as it is measured
    if "failed" not in result["build"]:
        if not args.no_http:
            print(f"[{size}] HTTP", flush=True)
            result["http"] = http_figures(out, synthetic, args)
            save(result, name, args.results)
        if not args.no_queries:
            print(f"[{size}] named queries", flush=True)

            def keep(figures: dict[str, Any]) -> None:
                result["queries"] = figures
                result["targets"] = targets(size, result)
                save(result, name, args.results)

            result["queries"] = query_figures(out / "store", synthetic, args, keep)
    result["targets"] = targets(size, result)
    print(f"[{size}] -> {save(result, name, args.results)}", flush=True)
    return result


def save(result: dict[str, Any], name: str, results: Path = RESULTS) -> Path:
    """Write ``result``, closed with the load average and the time, to ``results``."""
    result["load_average_at_end"] = os.getloadavg()
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results.mkdir(parents=True, exist_ok=True)
    return write_result(results / name, result)


# -- validation curve ------------------------------------------------------------------------


def curve_point(interviews: int, build: dict[str, Any]) -> dict[str, Any]:
    """The figures of one size of the curve, from its build's figures."""
    if "failed" in build:
        return {"interviews": interviews, "failed": build["failed"]}
    return {
        "interviews": interviews,
        "documents": build["files"],
        "triples": build["triples"],
        "validate_cpu_seconds": build["validate_seconds"],
        "steps_cpu_seconds": build["steps_cpu_seconds"],
        "build_wall_seconds": build["wall_seconds"],
        "build_cpu_seconds": build["cpu_seconds"],
        "peak_rss_bytes": build["peak_rss_bytes"],
        "disk_bytes": build["disk_bytes"],
    }


def bench_curve(sizes: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """Build a synthetic study of each size (no cache, no baseline, queries or HTTP), one after
    the other, and fit lines to the CPU times; write ``bench/results/<date>-curve.json``."""
    work: Path = args.work
    started = datetime.now(UTC)
    result: dict[str, Any] = {"curve": sizes, "machine": machine()}
    result["started"] = started.isoformat(timespec="seconds")
    points = []
    for n in sizes:
        inputs, out = work / f"study-{n}", work / f"built-{n}"
        generate(n, inputs, corpus=args.corpus)
        print(f"[curve {n}] build", flush=True)
        load = os.getloadavg()
        point = curve_point(n, build_figures(inputs, out, work, args, baseline=False))
        point["load_average_at_start"] = load
        points.append(point)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(inputs, ignore_errors=True)
    result["points"] = points
    result["fits"] = curve_fits(points)
    print(f"[curve] -> {save(result, f'{started:%Y-%m-%d}-curve.json', args.results)}", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="corpus,36,360", help="comma-separated: corpus or numbers")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--work", type=Path, default=Path("/tmp/qikg-bench"))
    ap.add_argument("--heavy", default=HEAVY, help="the named query served as the heavy one")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4, help="waitress threads (qikg serve: 4)")
    ap.add_argument("--http-seconds", type=int, default=8)
    ap.add_argument("--http-repeats", type=int, default=3)
    ap.add_argument("--results", type=Path, default=RESULTS, help="where the JSON results go")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-queries", action="store_true", help="do not measure the named queries")
    ap.add_argument(
        "--http-lookup-only",
        action="store_true",
        help="measure the lookup only, not the heavy query (for sizes where it outlasts a run)",
    )
    ap.add_argument(
        "--http-heavy-only",
        action="store_true",
        help="measure the heavy query only; with --http-only the earlier lookup figures are kept",
    )
    ap.add_argument(
        "--http-timeout",
        type=int,
        default=60,
        help="seconds an answer may take: wrk's timeout and qikg serve's --query-timeout",
    )
    ap.add_argument(
        "--http-only", action="store_true", help="HTTP again on sizes built earlier in --work"
    )
    ap.add_argument(
        "--queries-only",
        action="store_true",
        help="the named queries again on sizes built earlier in --work",
    )
    ap.add_argument(
        "--queries",
        type=lambda text: {n.strip() for n in text.split(",") if n.strip()},
        help="comma-separated names: measure only these named queries",
    )
    ap.add_argument("--query-runs-min", type=int, default=5)
    ap.add_argument("--query-runs-max", type=int, default=50)
    ap.add_argument("--query-seconds", type=float, default=5.0)
    ap.add_argument(
        "--query-budget-s",
        type=float,
        help="start no named query after this many seconds of them; those left are skipped",
    )
    ap.add_argument("--max-rss-gib", type=float, default=12.0)
    ap.add_argument("--max-build-s", type=float, default=3600.0)
    ap.add_argument(
        "--curve",
        help="comma-separated numbers of interviews: build each synthetic study (nothing else) "
        "and fit the validation curve",
    )
    args = ap.parse_args()
    if args.curve is not None:
        counts = [s.strip() for s in args.curve.split(",") if s.strip()]
        curve = sorted({int(c) for c in counts if c.isdigit() and int(c) > 0})
        if len(curve) < 2 or len(curve) < len(set(counts)):
            ap.error(f"--curve: two or more different numbers of interviews, not {args.curve!r}")
        args.work.mkdir(parents=True, exist_ok=True)
        bench_curve(curve, args)
        return
    if args.http_lookup_only and args.http_heavy_only:
        ap.error("--http-lookup-only and --http-heavy-only: give one of them")
    if args.queries:
        from qikg.queries import named_queries

        unknown = sorted(args.queries - set(named_queries()))
        if unknown:
            ap.error(f"--queries: no named query {', '.join(unknown)}")
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size != "corpus" and not size.isdigit():
            ap.error(f"--sizes: {size!r} is neither 'corpus' nor a number of interviews")
    args.work.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        if args.http_only:
            remeasure_http(size, args)
        if args.queries_only:
            remeasure_queries(size, args)
        if not (args.http_only or args.queries_only):
            bench_size(size, args)


if __name__ == "__main__":
    main()
