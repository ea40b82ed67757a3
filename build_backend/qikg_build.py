"""The package's build backend: setuptools, after bundling the query page's editor with npm.

``frontend/`` declares the editor (CodeMirror 6 and its SPARQL mode) at pinned versions with a
lock file. Building a wheel, an editable install or an sdist first installs it with ``npm ci``
(only when ``node_modules`` does not already hold that lock file) and bundles it with esbuild
into ``server/static/vendor/``, which package-data ships. Nothing of it is committed; nothing is
fetched when the service runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import (
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
BUNDLE = ROOT / "server" / "static" / "vendor" / "editor.js"
STAMP = "node_modules/.qikg-lock-sha256"


class FrontendBuildError(RuntimeError):
    """The editor bundle could not be built (npm missing, install or bundling failed)."""


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise FrontendBuildError(
            "npm not found: building qikg bundles the query page's editor from "
            "frontend/package.json with npm (Node.js 18 or later). Install Node.js and npm "
            "(e.g. 'apt-get install nodejs npm'), then build again."
        )
    command = [npm, *args]
    done = subprocess.run(command, cwd=FRONTEND, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise FrontendBuildError(
            f"'{' '.join(['npm', *args])}' in {FRONTEND} failed (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def bundle_editor() -> Path:
    """Install ``frontend/`` (when its lock file changed) and bundle the editor; return it."""
    lock = FRONTEND / "package-lock.json"
    if not lock.is_file():
        raise FrontendBuildError(f"{lock}: missing; the editor's dependencies are pinned there")
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = FRONTEND / STAMP
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest):
        _npm("ci", "--no-audit", "--no-fund", "--loglevel=error")
        stamp.write_text(digest + "\n", encoding="utf-8")
    _npm("run", "build", "--silent")
    if not BUNDLE.is_file():
        raise FrontendBuildError(f"'npm run build' did not write {BUNDLE}")
    return BUNDLE


WheelBuild = Callable[[str, dict[str, Any] | None, str | None], str]


def _after_bundling(build: WheelBuild) -> WheelBuild:
    """``build`` (a setuptools hook making a wheel), run once the editor is bundled."""

    def hook(
        wheel_directory: str,
        config_settings: dict[str, Any] | None = None,
        metadata_directory: str | None = None,
    ) -> str:
        bundle_editor()
        return build(wheel_directory, config_settings, metadata_directory)

    return hook


build_wheel = _after_bundling(_setuptools.build_wheel)
build_editable = _after_bundling(_setuptools.build_editable)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    # The sdist carries frontend/'s sources and lock file (MANIFEST.in), not node_modules nor
    # the bundle: a wheel built from it bundles the editor again.
    return str(_setuptools.build_sdist(sdist_directory, config_settings))
