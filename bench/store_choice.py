"""Embedded store choice: rdflib's in-memory store against pyoxigraph, side by side.

Builds a synthetic study by repeating the bundled example interview under new interview
numbers (same shape, new IRIs) until it reaches about 200,000 triples, then times, with
both engines in the same run: loading the N-Quads, a GROUP BY of evidence per code, and a
co-occurrence count of codes on the same excerpt. Prints medians and writes
``bench/results/store-choice.json``.

    python bench/store_choice.py [--triples 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset

from qikg.kg.build import example_inputs, nquad_lines
from qikg.kg.codebook import default_codebook
from qikg.kg.graph import Builder
from qikg.kg.iris import Iris
from qikg.kg.model import DocumentKind
from qikg.kg.readers import delve_text
from qikg.kg.study import default_study

QUERIES = {
    "group-by-code": """PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?code (COUNT(DISTINCT ?x) AS ?n) (COUNT(DISTINCT ?i) AS ?interviews) WHERE {
  ?x qikg:hasCode ?code ; qikg:inDocument ?d . ?d qikg:ofInterview ?i .
} GROUP BY ?code ORDER BY DESC(?n)""",
    "co-occurrence": """PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?a ?b (COUNT(?x) AS ?n) WHERE {
  ?x qikg:hasCode ?a , ?b . FILTER(STR(?a) < STR(?b))
} GROUP BY ?a ?b ORDER BY DESC(?n)""",
    "full-text": """PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?x WHERE { ?x qikg:quote ?q . FILTER(CONTAINS(LCASE(STR(?q)), "drift")) }""",
}


def synthetic_nquads(target: int, folder: Path) -> tuple[Path, int]:
    doc = delve_text.read(example_inputs()[0].read_bytes(), "example")
    builder = Builder(Iris(), default_study(), default_codebook())
    lines: list[str] = []
    n = 0
    while len(lines) < target:
        n += 1
        d = replace(doc, interview=1000 + n, kind=DocumentKind.MODERATION)
        graphs = builder.graphs([d]) if n == 1 else builder.graphs([d])[2:]
        for g in graphs:
            lines.extend(nquad_lines(g))
    path = folder / "synthetic.nq"
    path.write_text("".join(lines), encoding="utf-8")
    return path, len(lines)


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--triples", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "store-choice.json"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nq, count = synthetic_nquads(args.triples, Path(tmp))
        rows = {}

        def load_rdflib() -> Dataset:
            ds = Dataset(default_union=True)
            ds.parse(nq, format="nquads")
            return ds

        def load_ox() -> ox.Store:
            store = ox.Store()
            store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
            return store

        rows["load"] = (timed(load_rdflib, max(1, args.repeat // 2)), timed(load_ox, args.repeat))
        ds, store = load_rdflib(), load_ox()
        for name, q in QUERIES.items():
            rows[name] = (
                timed(lambda q=q: list(ds.query(q)), args.repeat),
                timed(
                    lambda q=q: list(store.query(q, use_default_graph_as_union=True)), args.repeat
                ),
            )
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "triples": count,
        "repeat": args.repeat,
        "median_seconds": {
            k: {"rdflib": a, "pyoxigraph": b, "ratio": a / b} for k, (a, b) in rows.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{count} triples, medians of {args.repeat} runs")
    print(f"{'work':<16} {'rdflib s':>10} {'pyoxigraph s':>13} {'ratio':>7}")
    for k, (a, b) in rows.items():
        print(f"{k:<16} {a:>10.3f} {b:>13.4f} {a / b:>6.1f}x")


if __name__ == "__main__":
    main()
