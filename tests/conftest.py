"""Shared paths and fixtures of the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import browser  # noqa: F401  (one Chromium for the session, for every module)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
EXAMPLE = ROOT / "kg" / "data" / "example" / "Interview 3 - Amin.txt"


def need_shared() -> None:
    """Skip a test that reads ../shared where it is absent (an installed package alone)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the project")


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The whole development corpus built once for the session: (result, dataset folder)."""
    need_shared()
    from qikg.kg.build import build

    out = tmp_path_factory.mktemp("corpus") / "ds"
    return build([CORPUS], out), out


@pytest.fixture(scope="session")
def example_dataset(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The bundled example (Interview 3) built once for the session: the dataset folder."""
    from qikg.kg.build import build

    out = tmp_path_factory.mktemp("example") / "ds"
    build([EXAMPLE], out)
    return out
