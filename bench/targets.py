"""The issue's targets for this 2-core machine, and each size's figures held against them.

A target met or missed says by how much: ``by`` is the value over the limit (at most) or the
limit over the value (at least), so above 1 is how many times too slow or too big.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
TARGETS = {
    "corpus_build_s": 60.0,
    "build_3600_s": 15 * 60.0,
    "build_3600_rss_gib": 4.0,
    "query_ratio": 1.5,
    "lookup_share_of_bare": 0.8,
    "validation_per_interview_spread": 1.5,
}


def target(name: str, value: float | None, limit: float, *, at_most: bool) -> dict[str, Any]:
    """A target met or missed; ``by`` is how far past the limit the value is, as a ratio."""
    if value is None:
        return {"target": name, "limit": limit, "value": None, "met": False, "by": "not measured"}
    met = value <= limit if at_most else value >= limit
    by = value / limit if at_most else limit / value if value else float("inf")
    return {"target": name, "limit": limit, "value": value, "met": met, "by": by}


def targets(size: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target that applies to ``size``, from the figures measured so far in ``result``."""
    found = []
    build = result.get("build", {})
    seconds = build.get("seconds")
    if size == "corpus":
        found.append(
            target(
                "corpus built and validated (s)", seconds, TARGETS["corpus_build_s"], at_most=True
            )
        )
    if size == "3600":
        found.append(
            target("3,600 built and validated (s)", seconds, TARGETS["build_3600_s"], at_most=True)
        )
        rss = build.get("peak_rss_bytes")
        found.append(
            target(
                "3,600 build peak RSS (GiB)",
                rss and rss / 2**30,
                TARGETS["build_3600_rss_gib"],
                at_most=True,
            )
        )
    for name, q in result.get("queries", {}).items():
        if "skipped" in q:
            continue
        found.append(
            target(
                f"{name}: p50 over raw pyoxigraph",
                q["ratio_p50"],
                TARGETS["query_ratio"],
                at_most=True,
            )
        )
    http = result.get("http")
    if http and "lookup_qikg_over_bare" in http:  # not in a run of the heavy query only
        found.append(
            target(
                "lookups/s: qikg over bare Flask",
                http["lookup_qikg_over_bare"],
                TARGETS["lookup_share_of_bare"],
                at_most=False,
            )
        )
    return found
