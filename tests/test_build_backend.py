"""The build backend: a machine without npm gets an error saying what to install (that every
wheel holds the editor bundle is checked by ``test_install_and_serve.py``)."""

from __future__ import annotations

import sys

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "build_backend"))
import qikg_build


def test_without_npm_the_build_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qikg_build.shutil, "which", lambda name: None)
    with pytest.raises(qikg_build.FrontendBuildError, match=r"npm not found.*Install Node\.js"):
        qikg_build.bundle_editor()
