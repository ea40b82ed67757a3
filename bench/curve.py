"""A straight line fitted to the benchmark's figures by size, and how well it fits.

Validation should cost the same per interview whatever the size of the study: its CPU time
over the number of interviews should lie on a line. The fit says by how much it does not.
``python -m bench.run --curve`` measures the points; the report shows them with this module's
table and SVG drawing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Fit:
    """The least-squares line ``y = slope * x + intercept`` through some points."""

    slope: float
    intercept: float
    r2: float
    """The share of the variance of ``y`` the line explains (1: every point on the line)."""
    max_deviation: float
    """The largest ``|y - line(x)| / line(x)`` over the points."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """Fit ``ys`` over ``xs`` (at least two distinct ``xs``) by least squares."""
    n = len(xs)
    if n != len(ys) or len(set(xs)) < 2:
        raise ValueError("a line needs at least two points with different x")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    line = [slope * x + intercept for x in xs]
    residual = sum((y - f) ** 2 for y, f in zip(ys, line, strict=True))
    total = sum((y - my) ** 2 for y in ys)
    r2 = 1.0 - residual / total if total else 1.0
    deviation = max(abs(y - f) / abs(f) for y, f in zip(ys, line, strict=True))
    return Fit(slope, intercept, r2, deviation)


def curve_fits(points: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Lines through the validation and build CPU seconds of the sizes built, over interviews."""
    done = [p for p in points if "failed" not in p]
    xs = [float(p["interviews"]) for p in done]
    if len(set(xs)) < 2:
        return {}
    return {
        key: fit_line(xs, [float(p[key]) for p in done]).as_dict()
        for key in ("validate_cpu_seconds", "build_cpu_seconds")
    }


def latest_curve(results: Path) -> dict[str, Any] | None:
    """The newest validation curve (``*-curve.json``), if any."""
    found = [
        json.loads(p.read_text(encoding="utf-8")) | {"file": p.name}
        for p in results.glob("*-curve.json")
    ]
    return max(found, key=lambda c: c["started"], default=None)


def curve_table(curve: dict[str, Any]) -> list[str]:
    """The validation curve: one row per size, then the lines fitted through the CPU times."""
    lines = [
        "| interviews | documents | triples | validation CPU | per interview "
        "| build wall (CPU) | peak RSS | load average |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for p in curve["points"]:
        if "failed" in p:
            lines.append(f"| {p['interviews']:,} | {p['failed']} | | | | | | |")
            continue
        per = p["validate_cpu_seconds"] / p["interviews"]
        lines.append(
            f"| {p['interviews']:,} | {p['documents']:,} | {p['triples']:,} "
            f"| {p['validate_cpu_seconds']:,.1f} s | {per * 1000:,.0f} ms "
            f"| {p['build_wall_seconds']:,.1f} s ({p['build_cpu_seconds']:,.1f} s) "
            f"| {p['peak_rss_bytes'] / 2**30:.2f} GiB | {p['load_average_at_start'][0]:.1f} |"
        )
    names = {"validate_cpu_seconds": "Validation CPU", "build_cpu_seconds": "Build CPU"}
    fits = curve.get("fits", {})
    if fits:
        lines.append("")
    for key, name in names.items():
        if key in fits:
            f = fits[key]
            lines.append(
                f"- {name} over interviews, least squares: {f['slope']:.3f} s per interview, "
                f"intercept {f['intercept']:,.1f} s, R^2 {f['r2']:.4f}, largest deviation from "
                f"the line {f['max_deviation']:.1%}"
            )
    return lines


def curve_svg(curve: dict[str, Any], width: int = 480, height: int = 300) -> str:
    """Validation CPU seconds over interviews: the points and the fitted line, as SVG."""
    points = [
        (float(p["interviews"]), float(p["validate_cpu_seconds"]))
        for p in curve["points"]
        if "failed" not in p
    ]
    pad = 50
    x_max = max(x for x, _ in points) * 1.1
    y_max = max(y for _, y in points) * 1.1

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            pad + x / x_max * (width - 2 * pad),
            height - pad - y / y_max * (height - 2 * pad),
        )

    def line(*xy: tuple[float, float]) -> str:
        return " ".join("{:.1f},{:.1f}".format(*at(x, y)) for x, y in xy)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<polyline points="{line((0, y_max), (0, 0), (x_max, 0))}" fill="none" stroke="black"/>',
        f'<text x="{width / 2:.0f}" y="{height - 12}" text-anchor="middle">interviews</text>',
        f'<text x="14" y="{height / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {height / 2:.0f})">validation CPU (s)</text>',
    ]
    for x, y in points:
        px, py = at(x, y)
        parts += [
            f'<text x="{px:.1f}" y="{height - pad + 16}" text-anchor="middle">{x:.0f}</text>',
            f'<text x="{pad - 6}" y="{py + 4:.1f}" text-anchor="end">{y:.0f}</text>',
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="steelblue"/>',
        ]
    fit = curve.get("fits", {}).get("validate_cpu_seconds")
    if fit:
        # from where the line crosses 0 (if past the origin) to the largest size
        x0 = max(0.0, -fit["intercept"] / fit["slope"]) if fit["slope"] > 0 else 0.0
        ends = [(x, fit["slope"] * x + fit["intercept"]) for x in (x0, x_max / 1.1)]
        parts.append(
            f'<polyline points="{line(*ends)}" fill="none" stroke="firebrick" '
            'stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
