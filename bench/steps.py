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

    The interviews are converted and validated in worker processes, which measure their own
    steps' CPU time (``BuildResult.seconds``). The checks across interviews run in this process
    on the assembled store: their CPU time is measured here, around ``crosscheck``.
    """
    from qikg.kg import build as build_module

    crossed = {"seconds": 0.0}
    original = build_module.crosscheck

    def timed_crosscheck(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            crossed["seconds"] += time.process_time() - t0

    build_module.crosscheck = timed_crosscheck
    t0 = time.perf_counter()
    result = build_module.build([inputs], out, use_cache=False)
    seconds = time.perf_counter() - t0
    steps = {**result.seconds, "crosscheck": crossed["seconds"]}
    interviews = len(result.reports) - result.reused
    return {
        "seconds": seconds,
        "triples": result.triples,
        "files": len(result.files),
        "interviews": interviews,
        "steps_cpu_seconds": steps,
        "validate_seconds": steps.get("validate", 0.0) + steps["crosscheck"],
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
