"""The store's load and the checks across interviews, run in a child interpreter by the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from qikg.errors import StoreError
from qikg.kg.loadcheck import Background, load_and_check
from qikg.kg.store import OxigraphStore

GOOD = (
    '<https://example.org/a> <https://example.org/p> "one" <https://example.org/g> .\n'
    '<https://example.org/b> <https://example.org/p> "two" <https://example.org/g> .\n'
)


def test_the_child_loads_the_store_like_this_process(tmp_path: Path) -> None:
    nq = tmp_path / "dataset.nq"
    nq.write_text(GOOD, encoding="utf-8")
    # a store opened in this process first: the child must not inherit its engine's threads
    OxigraphStore(tmp_path / "earlier").close()
    with Background(nq, tmp_path / "child") as child:
        report, seconds = child.result()
    here, _ = load_and_check(nq, tmp_path / "here")
    assert report == here and report.conforms and seconds >= 0
    store = OxigraphStore.open_read_only(tmp_path / "child")
    try:
        assert store.triple_count() == 2  # the two lines of the file
    finally:
        store.close()


def test_a_bad_line_in_the_child_names_the_file_and_line(tmp_path: Path) -> None:
    nq = tmp_path / "dataset.nq"
    nq.write_text(GOOD + "<https://example.org/c> this is not a quad\n", encoding="utf-8")
    with Background(nq, tmp_path / "store") as child, pytest.raises(StoreError) as caught:
        child.result()
    assert "dataset.nq" in str(caught.value) and "line 3" in str(caught.value)
