"""``qikg build``: outputs, determinism, validation failures and bad input lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset

from qikg.errors import ParseError, ValidationFailure
from qikg.kg.build import DATASET_NQ, DATASET_TRIG, DATASET_TTL, MANIFEST, build
from qikg.kg.codebook import default_codebook, parse_table
from qikg.kg.store import OxigraphStore

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "ds"
    build([EXAMPLE], out)
    return out


def test_outputs(built):
    for name in (DATASET_TRIG, DATASET_NQ, DATASET_TTL, MANIFEST):
        assert (built / name).is_file()
    manifest = json.loads((built / MANIFEST).read_text())
    lines = [line for line in (built / DATASET_NQ).read_text().splitlines() if line.strip()]
    assert manifest["triples"] == len(lines)
    assert manifest["inputs"][0]["file"] == EXAMPLE.name
    assert len(manifest["inputs"][0]["sha256"]) == 64


def test_trig_holds_one_graph_per_document_and_the_store_matches(built):
    ds = Dataset()
    ds.parse(built / DATASET_TRIG, format="trig")
    names = sorted(str(g.identifier) for g in ds.graphs() if len(g))
    s = "https://w3id.org/qikg/cote2024"
    assert names == sorted(
        [
            f"{s}/graph",
            f"{s}/codebook/graph",
            f"{s}/interview/3/graph",
            f"{s}/interview/3/moderation-amin/graph",
        ]
    )
    store = OxigraphStore.open_read_only(built / "store")
    assert sorted(store.named_graphs()) == names
    assert store.triple_count() == sum(len(g) for g in ds.graphs())


def test_two_builds_give_the_same_quads(built, tmp_path):
    again = tmp_path / "again"
    build([EXAMPLE], again)
    first = set((built / DATASET_NQ).read_text().splitlines())
    second = set((again / DATASET_NQ).read_text().splitlines())
    assert first == second


def test_violation_fails_and_keeps_the_previous_dataset(tmp_path):
    out = tmp_path / "ds"
    build([EXAMPLE], out)
    before = (out / DATASET_NQ).read_bytes()
    # A codebook whose mitigation "addresses" a family, not a quality issue.
    table = (
        "notation,kind,family,phases,addresses,variants\n"
        "Data-issues,family,,data-collection,,\n"
        "Data-low-quantity-fix,mitigation,Data-issues,data-collection,Data-issues,\n"
    )
    with pytest.raises(ValidationFailure) as info:
        build([EXAMPLE], out, codebook=parse_table(table))
    assert "data-low-quantity-fix" in info.value.report
    assert info.value.violations >= 1
    assert (out / DATASET_NQ).read_bytes() == before
    # no temporary folder is left; the cache of the first build stays beside the dataset
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ds.cache", "ds"]


def test_bad_input_names_file_and_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "Interview 9.txt"
    bad.write_text("Some notes\n\nthat are neither a Delve export nor a transcript\n")
    out = tmp_path / "ds"
    with pytest.raises(ParseError) as info:
        build([bad], out)
    assert info.value.file == "Interview 9.txt"
    assert info.value.line == 1
    assert "no speaker label" in info.value.message
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failure_while_interviews_are_converted_leaves_no_scratch_folder(
    tmp_path, monkeypatch, jobs
):
    import qikg.kg.build as build_module

    def broken(unit, settings):
        raise RuntimeError("conversion broke")

    # with jobs=2 the pool forks after the patch, so its workers run the broken function too
    monkeypatch.setattr(build_module, "_run_unit", broken)
    out = tmp_path / "ds"
    with pytest.raises(RuntimeError, match="conversion broke"):
        build([EXAMPLE], out, jobs=jobs)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ds.")] == [".ds.cache"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qikg", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_build_prints_the_table(tmp_path):
    done = run_cli("build", str(EXAMPLE), "--out", "ds", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    row = next(
        line for line in done.stdout.splitlines() if line.startswith("Interview 3 - Amin.txt")
    )
    assert row.split()[-5:] == ["152", "103", "18", "-", "0"]


def test_cli_reports_bad_input_without_traceback(tmp_path):
    bad = tmp_path / "Interview 5.txt"
    bad.write_bytes(b"Interview 5 - X\n\nInterviewee\n\nCaf\xe9\n")
    done = run_cli("build", str(bad), "--out", "ds", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Interview 5.txt, line 5: not UTF-8" in done.stderr
    assert not (tmp_path / "ds").exists()


def test_cli_reports_violations_with_file_and_rule(tmp_path, monkeypatch):
    table = tmp_path / "codebook.csv"
    table.write_text(
        "notation,kind,family,phases,addresses,variants\n"
        "Data-issues,family,,data-collection,,\n"
        "Data-low-quantity-fix,mitigation,Data-issues,data-collection,Data-issues,\n"
    )
    with pytest.raises(ValidationFailure) as info:
        build([EXAMPLE], tmp_path / "ds", codebook=parse_table(table.read_text()))
    first = info.value.report.splitlines()[0]
    assert first.startswith("Violation: ")
    assert "shape " in first


def test_unknown_codes_are_kept_and_warned(tmp_path):
    entries = [e for n, e in default_codebook().entries.items() if n != "MM-drift"]
    from qikg.kg.codebook import Codebook

    result = build([EXAMPLE], tmp_path / "ds", codebook=Codebook(entries))
    warnings = [w for r in result.reports for w in r.warnings]
    assert warnings and all(w.severity == "Warning" for w in warnings)
    assert any("mm-drift" in w.focus for w in warnings)
    nq = (tmp_path / "ds" / DATASET_NQ).read_text()
    assert "UncuratedCode" in nq
