"""Merging an HTTP run of one request kind into an earlier run's figures (``bench.http``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.http import SERVERS, merge_http, settle, wrk_figures


def _run(kinds: tuple[str, ...], rps: float, seconds: int, measured: str) -> dict[str, Any]:
    """Figures as ``http_figures`` writes them: every server at ``rps`` (the bare app at half)."""
    settings = {
        "connections": 4,
        "seconds_per_run": seconds,
        "repeats": 3,
        "threads": 4,
        "timeout_s": 60,
        "measured": measured,
        "load_average_at_start": [0.1, 0.1, 0.1],
        "load_average_at_end": [0.2, 0.2, 0.2],
    }
    figures: dict[str, Any] = {**settings, "settings": {k: settings for k in kinds}}
    for name in SERVERS:
        share = 0.5 if name == "bare_flask" else 1.0
        figures[name] = {k: {"requests_per_s": rps * share, "p99_ms": 1.0} for k in kinds}
    for k in kinds:
        figures[f"{k}_qikg_over_bare"] = 2.0
        figures[f"{k}_qikg_in_process_over_bare"] = 2.0
        figures[f"{k}_oxigraph_over_bare"] = 2.0
    return figures


def test_a_heavy_only_run_keeps_the_earlier_lookup_figures_and_their_settings() -> None:
    earlier = _run(("lookup",), 800.0, 10, "2026-11-29T11:00:00+00:00")
    del earlier["settings"]  # result files written before settings were kept per request
    heavy = _run(("heavy",), 0.02, 900, "2026-11-29T14:00:00+00:00")
    merged = merge_http(earlier, heavy)
    for name in SERVERS:
        assert set(merged[name]) == {"lookup", "heavy"}
    assert merged["qikg"]["lookup"]["requests_per_s"] == 800.0
    assert merged["bare_flask"]["heavy"]["requests_per_s"] == 0.01
    assert merged["lookup_qikg_over_bare"] == 2.0
    assert merged["heavy_qikg_over_bare"] == 2.0
    assert merged["settings"]["lookup"]["seconds_per_run"] == 10
    assert merged["settings"]["lookup"]["measured"] == "2026-11-29T11:00:00+00:00"
    assert merged["settings"]["heavy"]["seconds_per_run"] == 900
    assert merged["seconds_per_run"] == 900  # the top level describes the newest run


def test_a_run_of_both_kinds_replaces_the_earlier_figures() -> None:
    earlier = _run(("lookup",), 800.0, 10, "2026-11-29T11:00:00+00:00")
    both = _run(("lookup", "heavy"), 500.0, 8, "2026-11-29T14:00:00+00:00")
    assert merge_http(earlier, both) == both
    assert merge_http(None, both) == both


# wrk 4.1.0's output of a heavy query at 3,600 interviews, latencies in minutes
SLOW = """Running 15m test @ http://127.0.0.1:60425/api/code-cooccurrence?kind=issue
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.44m    39.66s    3.82m    87.50%
    Req/Sec     0.00      0.00     0.00    100.00%
  Latency Distribution
     50%    3.68m
     75%    3.77m
     90%    3.79m
     99%    3.82m
  16 requests in 15.00m, 88.64KB read
Requests/sec:      0.02
Transfer/sec:     100.85B
""".replace("m\n", "m \n")  # wrk ends its percentile lines with a space

FAST = """Running 10s test @ http://127.0.0.1:1/sparql?query=x
  1 threads and 4 connections
  Latency Distribution
     50%    4.10ms
     75%    5.20ms
     90%    7.00ms
     99%   16.14ms
  8480 requests in 10.01s, 1.50MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    847.51
Transfer/sec:    153.00KB
"""


def test_wrk_latencies_in_minutes_and_slow_rates_are_read() -> None:
    figures = wrk_figures(SLOW)
    assert figures["p99_ms"] == 3.82 * 60_000
    assert figures["requests"] == 16
    assert abs(figures["requests_per_s"] - 16 / 900) < 1e-9  # not wrk's rounded 0.02


def test_wrk_rates_of_ten_or_more_are_wrks_own() -> None:
    figures = wrk_figures(FAST)
    assert figures["requests_per_s"] == 847.51
    assert figures["p99_ms"] == 16.14
    assert figures["non_2xx"] == 3


def test_settle_waits_for_a_busy_child_to_go_idle(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil", reason="settle needs the bench extra's psutil")
    done = tmp_path / "done"
    # a parent that sleeps, and a child that computes for a while, then writes a file and sleeps
    busy = (
        "import time, pathlib\n"
        "end = time.monotonic() + 1.5\n"
        "while time.monotonic() < end: pass\n"
        f"pathlib.Path({str(done)!r}).write_text('x')\n"
        "time.sleep(30)\n"
    )
    parent = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {busy!r}])\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    try:
        time.sleep(0.5)  # the child has started computing
        waited = settle(proc.pid, limit_s=20, window_s=0.5)
        assert done.exists()  # it returned only once the child had finished its work
        assert waited < 20
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()
