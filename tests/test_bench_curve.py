"""The benchmark's validation curve: the line fitted through it and the report's table of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.curve import curve_fits, curve_svg, curve_table, fit_line, latest_curve


def test_points_on_a_line_fit_it_exactly() -> None:
    # y = 2x + 5 at 36, 72 and 144 interviews
    fit = fit_line([36, 72, 144], [77, 149, 293])
    assert fit.slope == pytest.approx(2.0)
    assert fit.intercept == pytest.approx(5.0)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.max_deviation == pytest.approx(0.0, abs=1e-12)


def test_scattered_points_fit_by_least_squares() -> None:
    # by hand: mean x 2.5, mean y 4.75, Sxx 5, Sxy 9.5, so slope 1.9 and intercept 0;
    # the line gives 1.9, 3.8, 5.7, 7.6: residuals 0.1, 0.2, -0.7, 0.4, squares sum to 0.70;
    # the squares about the mean sum to 18.75, so R^2 = 1 - 0.70 / 18.75; the largest relative
    # deviation is 0.7 / 5.7
    fit = fit_line([1, 2, 3, 4], [2, 4, 5, 8])
    assert fit.slope == pytest.approx(1.9)
    assert fit.intercept == pytest.approx(0.0, abs=1e-12)
    assert fit.r2 == pytest.approx(1 - 0.70 / 18.75)
    assert fit.max_deviation == pytest.approx(0.7 / 5.7)


def test_a_line_needs_two_sizes() -> None:
    with pytest.raises(ValueError, match="two points"):
        fit_line([36, 36], [10, 12])


def test_fits_leave_out_failed_sizes() -> None:
    # two points: validation (36, 20) and (72, 38), slope 18 / 36 = 0.5, intercept 20 - 18 = 2;
    # build (36, 50) and (72, 98), slope 48 / 36, intercept 50 - 48 = 2
    points = [
        {"interviews": 36, "validate_cpu_seconds": 20.0, "build_cpu_seconds": 50.0},
        {"interviews": 72, "validate_cpu_seconds": 38.0, "build_cpu_seconds": 98.0},
        {"interviews": 144, "failed": "exited with status 1"},
    ]
    fits = curve_fits(points)
    assert fits["validate_cpu_seconds"]["slope"] == pytest.approx(0.5)
    assert fits["validate_cpu_seconds"]["intercept"] == pytest.approx(2.0)
    assert fits["build_cpu_seconds"]["slope"] == pytest.approx(48 / 36)
    assert fits["build_cpu_seconds"]["intercept"] == pytest.approx(2.0)
    assert curve_fits(points[:1] + points[2:]) == {}


CURVE = {
    "curve": [36, 72, 144],
    "started": "2026-11-29T03:00:00+00:00",
    "machine": {"cores": 2, "load_average_at_start": [3.0, 2.0, 1.0]},
    "points": [
        {
            "interviews": 36,
            "documents": 87,
            "triples": 246162,
            "validate_cpu_seconds": 90.0,
            "build_wall_seconds": 200.0,
            "build_cpu_seconds": 120.5,
            "peak_rss_bytes": 2**30,
            "load_average_at_start": [3.0, 2.0, 1.0],
        },
        {
            "interviews": 72,
            "documents": 174,
            "triples": 492000,
            "validate_cpu_seconds": 189.0,
            "build_wall_seconds": 1234.5,
            "build_cpu_seconds": 250.25,
            "peak_rss_bytes": 3 * 2**29,
            "load_average_at_start": [4.25, 2.0, 1.0],
        },
        {"interviews": 144, "failed": "stopped after 3600 s at 1.20 GiB"},
    ],
    "fits": {
        "validate_cpu_seconds": {
            "slope": 2.75,
            "intercept": -9.0,
            "r2": 1.0,
            "max_deviation": 0.0,
        }
    },
}


def test_report_renders_the_curve_table() -> None:
    # 90 s / 36 = 2,500 ms; 189 s / 72 = 2,625 ms; 3 * 2**29 bytes = 1.50 GiB
    assert curve_table(CURVE) == [
        "| interviews | documents | triples | validation CPU | per interview "
        "| build wall (CPU) | peak RSS | load average |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
        "| 36 | 87 | 246,162 | 90.0 s | 2,500 ms | 200.0 s (120.5 s) | 1.00 GiB | 3.0 |",
        "| 72 | 174 | 492,000 | 189.0 s | 2,625 ms | 1,234.5 s (250.2 s) | 1.50 GiB | 4.2 |",
        "| 144 | stopped after 3600 s at 1.20 GiB | | | | | | |",
        "",
        "- Validation CPU over interviews, least squares: 2.750 s per interview, intercept "
        "-9.0 s, R^2 1.0000, largest deviation from the line 0.0%",
    ]


def test_report_draws_the_points_and_the_line() -> None:
    svg = curve_svg(CURVE)
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert svg.count("<circle ") == 2
    assert "stroke-dasharray" in svg


def test_the_newest_curve_is_reported(tmp_path: Path) -> None:
    older = dict(CURVE, started="2026-11-28T10:00:00+00:00", curve=[1, 2])
    (tmp_path / "2026-11-28-curve.json").write_text(json.dumps(older), encoding="utf-8")
    (tmp_path / "2026-11-29-curve.json").write_text(json.dumps(CURVE), encoding="utf-8")
    (tmp_path / "2026-11-29-36.json").write_text(json.dumps({"size": "36"}), encoding="utf-8")
    found = latest_curve(tmp_path)
    assert found is not None
    assert found["curve"] == [36, 72, 144] and found["file"] == "2026-11-29-curve.json"
