"""The codebook's figures answer as counting the curated tables by hand would."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from qikg.kg.build import build, example_inputs
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries

from .conftest import ROOT

KIND_CLASS = {
    "issue": "QualityIssue",
    "family": "CodeFamily",
    "mitigation": "Mitigation",
    "generic-mitigation": "GenericMitigation",
    "collection-technique": "DataCollectionTechnique",
    "positive-finding": "PositiveFinding",
    "note": "CodingNote",
}


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, int]:
    out: Path = tmp_path_factory.mktemp("cb") / "ds"
    build(example_inputs(), out)
    store = OxigraphStore.open_read_only(out / "store")
    result = store.query(named_queries()["codebook-summary"].sparql)
    data = json.loads(store.serialize_result(result, "application/sparql-results+json"))
    return {b["figure"]["value"]: int(b["count"]["value"]) for b in data["results"]["bindings"]}


def test_codebook_figures_match_the_tables(figures):
    with (ROOT / "kg" / "data" / "codebook.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert figures["concepts"] == len(rows)
    kinds = Counter(KIND_CLASS[r["kind"]] for r in rows)
    for kind, n in kinds.items():
        assert figures[f"concepts of kind {kind}"] == n
    variants = sum(len([v for v in r["variants"].split("|") if v]) for r in rows)
    assert figures["spelling variants folded"] == variants == 2
    mappings = Counter(r["match"] for r in rows for _ in r["catalogue"].split() if r["match"])
    for match, n in mappings.items():
        assert figures[f"mappings to the catalogue: skos:{match}"] == n
    assert "concepts of kind UncuratedCode" not in figures
