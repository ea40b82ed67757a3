"""The README's benchmark tables, from the latest result of each size in ``bench/results/``.

python -m bench.report             # print the tables
python -m bench.report --write README.md   # replace the part between the bench markers
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.curve import curve_svg, curve_table, latest_curve
from bench.http import SERVERS
from bench.targets import RESULTS, TARGETS

START = "<!-- bench:start (python -m bench.report --write README.md) -->"
END = "<!-- bench:end -->"
CURVE_SVG = "bench/results/curve.svg"
"""Where ``--write`` draws the validation curve, relative to the Markdown file written."""


def latest(results: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """The newest result file of each size, by size (the real corpus first, then by number)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(results.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "size" not in data:
            continue
        data["file"] = path.name
        if data["size"] not in found or data["started"] >= found[data["size"]]["started"]:
            found[data["size"]] = data
    return dict(sorted(found.items(), key=lambda kv: -1 if kv[0] == "corpus" else int(kv[0])))


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _gib(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**30:.2f} GiB"


def _label(size: str) -> str:
    return "development corpus (36)" if size == "corpus" else f"{int(size):,} synthetic"


def build_table(runs: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| interviews | files | triples | build + validation (CPU) | files/s | triples/s "
        "| validation (CPU): per interview, documents/s, triples/s | peak RSS (PSS) | on disk "
        "| pyoxigraph bulk load (baseline) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for size, r in runs.items():
        b = r["build"]
        if "failed" in b:
            rss = _gib(b["peak_rss_bytes"])
            lines.append(f"| {_label(size)} | | | {b['failed']} | | | | {rss} | | |")
            continue
        base = b.get("baseline_bulk_load", {})
        lines.append(
            f"| {_label(size)} | {b['files']:,} | {b['triples']:,} "
            f"| {_n(b['seconds'], 1)} s ({_n(b['cpu_seconds'], 1)} s) "
            f"| {_n(b['files_per_s'], 1)} | {_n(b['triples_per_s'])} "
            f"| {_validation(b)} | {_memory(b)} "
            f"| {b['disk_bytes'] / 2**20:,.0f} MiB | {_n(base.get('seconds'), 2)} s "
            f"({_n(base.get('cpu_seconds'), 2)} s) "
            f"{_n(base.get('triples_per_s'))} triples/s |"
        )
    return lines


def _memory(build: dict[str, Any]) -> str:
    """Peak summed RSS of the build's processes, and their summed PSS where it was measured."""
    rss = _gib(build["peak_rss_bytes"])
    pss = build.get("peak_pss_bytes")
    return rss if pss is None else f"{rss} (PSS {_gib(pss)})"


def _validation(build: dict[str, Any]) -> str:
    per = build.get("validate_seconds_per_interview")
    if per is None:
        return "-"
    if "steps_cpu_seconds" not in build:
        return f"{per * 1000:.0f} ms (wall, in the main process)"
    return (
        f"{per * 1000:.0f} ms, {_n(build['validate_documents_per_s'], 1)}, "
        f"{_n(build['validate_triples_per_s'])}"
    )


STEPS = (
    ("convert", "convert"),
    ("validate", "validate (SHACL)"),
    ("crosscheck", "checks across interviews"),
    ("serialise", "serialise"),
    ("audit", "privacy audit"),
)
"""The build's steps as measured (``BuildResult.seconds`` and the cross checks), in order."""


def steps_table(rows: dict[str, tuple[dict[str, float], float]]) -> list[str]:
    """Where the build's CPU time goes: each step, and the rest (reading, writing, the store).

    ``rows``: by label, the steps' CPU seconds and the whole build's CPU seconds.
    """
    if not rows:
        return []
    lines = [
        "| interviews | " + " | ".join(label for _, label in STEPS) + " | rest | build CPU |",
        "|---|" + "--:|" * (len(STEPS) + 2),
    ]
    for label, (steps, cpu) in rows.items():
        cells = [_share(steps.get(key), cpu) for key, _ in STEPS]
        rest = _share(cpu - sum(steps.values()), cpu)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {rest} | {_n(cpu, 1)} s |")
    return lines


def size_steps(runs: dict[str, dict[str, Any]]) -> dict[str, tuple[dict[str, float], float]]:
    return {
        _label(s): (r["build"]["steps_cpu_seconds"], r["build"]["cpu_seconds"])
        for s, r in runs.items()
        if "steps_cpu_seconds" in r["build"]
    }


def curve_steps(curve: dict[str, Any]) -> dict[str, tuple[dict[str, float], float]]:
    return {
        f"{p['interviews']:,} synthetic": (p["steps_cpu_seconds"], p["build_cpu_seconds"])
        for p in curve["points"]
        if "failed" not in p
    }


def _share(seconds: float | None, total: float) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:,.1f} s ({seconds / total:.0%})"


def query_table(runs: dict[str, dict[str, Any]]) -> list[str]:
    sizes = [s for s, r in runs.items() if "queries" in r]
    head = "| named query | " + " | ".join(f"{_label(s)}: p50 / p95, raw p50, ratio" for s in sizes)
    lines = [head + " |", "|---|" + "--:|" * len(sizes)]
    names = sorted({n for s in sizes for n in runs[s]["queries"]})
    for name in names:
        cells = []
        for s in sizes:
            q = runs[s]["queries"].get(name)
            cells.append(
                "-"
                if q is None
                else q["skipped"]
                if "skipped" in q
                else f"{q['p50_ms']:.1f} / {q['p95_ms']:.1f} ms, {q['raw_p50_ms']:.1f} ms, "
                f"{q['ratio_p50']:.2f}x"
            )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def http_table(runs: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| interviews | request | qikg serve | qikg serve, `--query-workers 0` "
        "| bare Flask + pyoxigraph | `oxigraph serve` | qikg / bare | oxigraph / bare |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for size, r in runs.items():
        h = r.get("http")
        if not h:
            continue
        for what in ("lookup", "heavy"):
            if what not in h["qikg"]:  # a run of the lookups only (--http-lookup-only)
                continue
            label = "one-row lookup" if what == "lookup" else f"`{h['heavy_query']}`"
            cells = [_http_cell(h[s][what]) for s in SERVERS]
            lines.append(
                f"| {_label(size)} | {label} | "
                + " | ".join(cells)
                + f" | {_ratio(h[f'{what}_qikg_over_bare'])}"
                + f" | {_ratio(h[f'{what}_oxigraph_over_bare'])} |"
            )
    return lines


def _http_cell(figures: dict[str, Any]) -> str:
    """Requests/s (two significant digits under 1/s) and the p99 (in seconds from 60 s)."""
    rps, p99 = figures["requests_per_s"], figures["p99_ms"]
    rate = f"{rps:.2g}" if rps < 1 else f"{rps:,.{0 if rps >= 100 else 1}f}"
    latency = f"{p99 / 1000:,.0f} s" if p99 >= 60_000 else f"{p99:,.0f} ms"
    cell = f"{rate}/s (p99 {latency})"
    failed = figures["non_2xx"] + figures.get("socket_errors", 0)
    return f"{cell}, {failed} failed" if failed else cell


def linearity(runs: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Validation time per interview across the synthetic sizes: the largest over the smallest."""
    per = {
        s: r["build"]["validate_seconds_per_interview"]
        for s, r in runs.items()
        if s != "corpus" and r["build"].get("validate_seconds_per_interview")
    }
    if len(per) < 2:
        return None
    spread = max(per.values()) / min(per.values())
    limit = TARGETS["validation_per_interview_spread"]
    return {"per_interview_s": per, "spread": spread, "limit": limit, "met": spread <= limit}


def target_lines(runs: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for size, r in runs.items():
        for t in r["targets"]:
            if t["value"] is None:
                lines.append(f"- {_label(size)}: {t['target']}: not measured ({t['by']})")
                continue
            word = "met" if t["met"] else "**missed**"
            lines.append(
                f"- {_label(size)}: {t['target']}: {t['value']:,.2f} against {t['limit']:,.2f}, "
                f"{word} ({t['by']:.2f}x the limit)"
            )
    lin = linearity(runs)
    if lin:
        word = "met" if lin["met"] else "**missed**"
        lines.append(
            f"- validation time per interview, largest over smallest across sizes: "
            f"{lin['spread']:.2f} against {lin['limit']:.2f}, {word}"
        )
    return lines


def _titled(title: str, lines: list[str]) -> list[str]:
    return [title, "", *lines, ""] if lines else []


def tables(runs: dict[str, dict[str, Any]], curve: dict[str, Any] | None = None) -> str:
    first = next(iter(runs.values()))
    m = first["machine"]
    steps = steps_table(size_steps(runs))
    loads = ", ".join(
        f"{_label(s)} {r['machine']['load_average_at_start'][0]:.1f}" for s, r in runs.items()
    )
    parts = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_bytes'] / 2**30:.0f} GiB, {m['os']}, "
        f"Python {m['python']}, pyoxigraph {m['versions']['pyoxigraph']}, "
        f"oxigraph {m['versions']['oxigraph']}, {m['wrk'].split(' [')[0]}. "
        f"Load average (1 min) at the start of each size: {loads}. "
        f"Files: {', '.join(r['file'] for r in runs.values())}.",
        "",
        *build_table(runs),
        "",
        *_titled("CPU time of the build's steps (summed over the worker processes):", steps),
        *query_table(runs),
        "",
        *http_table(runs),
        "",
        "Targets:",
        "",
        *target_lines(runs),
    ]
    if curve is not None:
        m = curve["machine"]
        parts += [
            "",
            f"Validation curve ({curve['file']}, {m['cores']} cores, load average "
            f"{m['load_average_at_start'][0]:.1f} at the start):",
            "",
            *curve_table(curve),
            "",
            *_titled(
                "CPU time of the build's steps along the curve:", steps_table(curve_steps(curve))
            ),
            f"![Validation CPU seconds over interviews, with the fitted line]({CURVE_SVG})",
        ]
    return "\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", type=Path, help="a Markdown file holding the bench markers")
    args = ap.parse_args()
    curve = latest_curve(RESULTS)
    text = tables(latest(), curve)
    if args.write is None:
        print(text)
        return
    if curve is not None:
        (args.write.parent / CURVE_SVG).write_text(curve_svg(curve), encoding="utf-8")
    doc = args.write.read_text(encoding="utf-8")
    head, start, rest = doc.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{args.write}: no {START} ... {END} markers")
    args.write.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
