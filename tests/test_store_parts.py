"""N-Quads bulk-loaded in parts: the same quads as one load, in bounded memory."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from qikg.errors import StoreError
from qikg.kg import store as store_module
from qikg.kg.store import OxigraphStore

LINES = [f"<x:s{i}> <x:p> <x:o{i % 2}> <x:g{i % 3}> .\n" for i in range(5)]


@pytest.fixture(autouse=True)
def two_lines_a_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BULK_LINES", 2)


def _loaded(tmp_path: Path, lines: list[str]) -> set[str]:
    path = tmp_path / "d.nq"
    path.write_text("".join(lines), encoding="utf-8")
    store = OxigraphStore()
    store.load_dataset(path)
    return {str(q) for q in store._native()}


def test_parts_hold_every_quad(tmp_path: Path) -> None:
    # five lines in parts of two: three loads
    assert _loaded(tmp_path, LINES) == {line.removesuffix(" .\n") for line in LINES}


def test_a_file_with_blank_nodes_is_loaded_whole(tmp_path: Path) -> None:
    # _:b on lines 1 and 4 would be two nodes if the lines went to separate loads
    lines = ["_:b <x:p> <x:o1> <x:g> .\n", *LINES[:2], "_:b <x:p> <x:o2> <x:g> .\n"]
    subjects = {s.split(" ")[0] for s in _loaded(tmp_path, lines) if s.startswith("_:")}
    assert len(subjects) == 1


def test_a_syntax_error_names_the_line_of_the_file(tmp_path: Path) -> None:
    lines = [*LINES[:3], "<x:s> <x:p> bad <x:g> .\n", LINES[4]]
    with pytest.raises(StoreError, match=r"d\.nq: cannot load: .*\bline 4\b"):
        _loaded(tmp_path, lines)


def test_the_whole_file_and_the_parts_load_alike(tmp_path: Path) -> None:
    whole = ox.Store()
    whole.bulk_load("".join(LINES).encode(), format=ox.RdfFormat.N_QUADS)
    assert _loaded(tmp_path, LINES) == {str(q) for q in whole}
