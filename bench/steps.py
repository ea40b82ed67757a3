"""The steps of the benchmark that run in a process of their own, so that their time and peak
memory are theirs alone. Each prints one JSON object on its last line of output.

    python -m bench.steps build INPUT OUT      # qikg.kg.build.build, CPU time of each step
    python -m bench.steps bulk-load NQUADS STORE   # the baseline: pyoxigraph bulk_load
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def build_step(inputs: Path, out: Path) -> dict[str, Any]:
    """Build with the public entry point, without a cache; report the CPU time of each step.

    The processes that do each step measure its CPU time (``BuildResult.seconds``): the
    interviews' steps in the worker processes, the checks across interviews in the process
    that loads the store.
    """
    from qikg.kg import build as build_module

    t0 = time.perf_counter()
    result = build_module.build([inputs], out, use_cache=False)
    seconds = time.perf_counter() - t0
    steps = dict(result.seconds)
    interviews = len(result.reports) - result.reused
    return {
        "seconds": seconds,
        "triples": result.triples,
        "files": len(result.files),
        "interviews": interviews,
        "steps_cpu_seconds": steps,
        "validate_seconds": steps.get("validate", 0.0) + steps.get("crosscheck", 0.0),
        "violations": sum(len(r.violations) for r in result.reports),
        "warnings": sum(len(r.warnings) for r in result.reports),
        "unanchored": len(result.unanchored),
    }


def bulk_load_step(nquads: Path, store_dir: Path) -> dict[str, Any]:
    """Load ``nquads`` into a new on-disk pyoxigraph store with ``bulk_load``."""
    import pyoxigraph as ox

    t0 = time.perf_counter()
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "quads": len(store)}


def main() -> None:
    step, *args = sys.argv[1:]
    if step == "build":
        out = build_step(Path(args[0]), Path(args[1]))
    elif step == "bulk-load":
        out = bulk_load_step(Path(args[0]), Path(args[1]))
    else:
        raise SystemExit(f"unknown step {step!r}: build or bulk-load")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
