"""Named queries answer as an independent count of the example file says they should."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from qikg.kg.build import build
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries

from .conftest import EXAMPLE, ROOT
from .test_reader_delve_text import separate_reading


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> OxigraphStore:
    out: Path = tmp_path_factory.mktemp("nq") / "ds"
    build([EXAMPLE], out)
    return OxigraphStore.open_read_only(out / "store")


def rows(store: OxigraphStore, name: str) -> list[dict[str, str]]:
    result = store.query(named_queries()[name].sparql)
    data = json.loads(store.serialize_result(result, "application/sparql-results+json"))
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def issue_codes() -> set[str]:
    with (ROOT / "kg" / "data" / "codebook.csv").open(encoding="utf-8") as f:
        return {row["notation"] for row in csv.DictReader(f) if row["kind"] == "issue"}


def test_every_named_query_has_a_summary():
    queries = named_queries()
    assert "issue-evidence" in queries
    assert all(q.summary for q in queries.values())


def test_issue_evidence_matches_an_independent_count(store):
    _, coded = separate_reading()
    issues = issue_codes()
    expected = Counter(c for _, codes in coded for c in codes if c in issues)
    quotes: dict[str, list[str]] = {}
    for text, codes in coded:
        for c in codes:
            quotes.setdefault(c, []).append(text)
    got = rows(store, "issue-evidence")
    assert {r["notation"]: int(r["excerpts"]) for r in got} == dict(expected)
    assert all(r["interviews"] == "1" for r in got)
    for r in got:
        for text in quotes[r["notation"]]:
            assert text in r["quotes"]
    # Hand-counted in the example: MM-drift is applied after 10 paragraphs.
    assert next(r for r in got if r["notation"] == "MM-drift")["excerpts"] == "10"
    # Families, mitigations and notes are not quality issues.
    notations = {r["notation"] for r in got}
    assert not notations & {
        "Data-issues",
        "Model-Evaluation-issues [ME]",
        "Data-low-quantity-fix",
        "how-to-evaluate-model",
    }


def test_issue_evidence_is_ranked(store):
    got = rows(store, "issue-evidence")
    keys = [(-int(r["interviews"]), -int(r["excerpts"]), r["notation"]) for r in got]
    assert keys == sorted(keys)
