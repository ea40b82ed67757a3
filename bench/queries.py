"""Named-query latency: each query through qikg's code path and through raw pyoxigraph."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bench.generate import synthetic_number
from qikg.kg.store import OxigraphStore
from qikg.queries import NamedQuery, named_queries
from qikg.queries.params import bind
from qikg.queries.run import StoreExecutor, resolver, run


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


def ours_once(
    query: NamedQuery, values: dict[str, str], executor: StoreExecutor
) -> tuple[int, float]:
    """The rows of one run of ``query`` through qikg and its seconds."""
    t0 = time.perf_counter()
    rows = len(run(query, values, executor).rows)
    return rows, time.perf_counter() - t0


def raw_once(raw: ox.Store, sparql: str, subs: dict[ox.Variable, Any]) -> tuple[int, float]:
    """The rows of one run of ``sparql`` on raw pyoxigraph and its seconds."""
    t0 = time.perf_counter()
    solutions = raw.query(sparql, use_default_graph_as_union=True, substitutions=subs)
    rows = len(list(solutions))  # type: ignore[arg-type]
    return rows, time.perf_counter() - t0


def warm(store_dir: Path) -> None:
    """Read every file of the store once, so that neither side of a comparison pays for the
    first reads from disk."""
    for path in sorted(store_dir.rglob("*")):
        if path.is_file():
            with path.open("rb") as f:
                while f.read(1 << 20):
                    pass


def query_figures(
    store_dir: Path,
    synthetic: bool,
    args: argparse.Namespace,
    done: Callable[[dict[str, Any]], None] = lambda figures: None,
) -> dict[str, Any]:
    """p50 and p95 of every named query through qikg and through raw pyoxigraph.

    ``done`` is handed the figures so far after each query. Once ``args.query_budget_s``
    seconds are spent, the queries left are not started and are marked as skipped. Only the
    queries ``args.queries`` names are run, when it names any. The store is read once first,
    and the two sides take turns at going first.
    """
    budget = args.query_budget_s
    warm(store_dir)
    began = time.perf_counter()
    store = OxigraphStore.open_read_only(store_dir)
    raw = ox.Store.read_only(str(store_dir))
    executor = StoreExecutor(store)
    figures: dict[str, Any] = {}
    try:
        for query in named_queries().values():
            if args.queries and query.name not in args.queries:
                continue
            values = example_values(query, synthetic)
            if budget is not None and time.perf_counter() - began > budget:
                figures[query.name] = {
                    "params": values,
                    "skipped": f"not run: the query budget ({budget:.0f} s) was spent",
                }
                continue
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
                first = len(ours) % 2 == 0
                if first:
                    rows, took = ours_once(query, values, executor)
                raw_rows, raw_took = raw_once(raw, query.sparql, subs)
                if not first:
                    rows, took = ours_once(query, values, executor)
                ours.append(took)
                theirs.append(raw_took)
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
            done(figures)
    finally:
        store.close()
    return figures
