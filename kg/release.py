"""Releases of a dataset folder: a new build is switched in with one atomic rename.

A dataset folder written by ``qikg build`` holds its releases side by side::

    DIR/releases/<id>/        one complete build (store, dumps, build.json, ...)
    DIR/current -> releases/<id>
    DIR/store -> current/store, DIR/build.json -> current/build.json, ...

Every top-level name is a link through ``current``, and ``current`` is replaced by a rename of a
new link over it, which the operating system does atomically: a reader sees either the old
release or the new one, never a mix, and a build that fails, crashes or is killed before that
rename leaves the served release as it was. A running server notices that ``current`` moved
(:func:`current_release`) and switches to the new store. The release before the current one is
kept, so that a server still reading it is not cut off; older ones are removed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from qikg.errors import ParseError

__all__ = ["CURRENT", "RELEASES", "current_release", "publish"]

CURRENT = "current"
RELEASES = "releases"
KEEP = 2
"""Releases kept: the new one and the one before it (a server may still be reading it)."""


def current_release(folder: Path) -> Path | None:
    """The release ``folder/current`` points at (resolved), or ``None`` for a folder without
    releases."""
    link = folder / CURRENT
    if not link.is_symlink():
        return None
    return link.resolve()


def publish(new: Path, out: Path, *, manifest: str) -> Path:
    """Make the finished build in ``new`` the current release of ``out``; return its folder.

    ``new`` must be on the same file system as ``out`` (a sibling folder). A folder ``out``
    written before releases existed (files in place) is replaced whole, once; any other
    non-empty folder that is not a dataset is refused (``manifest`` names the file a dataset
    has).
    """
    if out.exists() and current_release(out) is None:
        if any(out.iterdir()) and not (out / manifest).exists():
            raise ParseError(
                str(out),
                "the output folder exists and is not a qikg dataset; refusing to replace it",
                hint="choose an empty or new folder for --out",
            )
        return _replace_folder(new, out)
    out.mkdir(parents=True, exist_ok=True)
    release = _move_in(new, out)
    _switch(out, release)
    return release


def _release_id(releases: Path) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    name, n = stamp, 1
    while (releases / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def _move_in(new: Path, out: Path) -> Path:
    releases = out / RELEASES
    releases.mkdir(exist_ok=True)
    release = releases / _release_id(releases)
    new.rename(release)
    return release


def _switch(out: Path, release: Path) -> None:
    """Point ``out/current`` at ``release`` (one rename), link its entries, drop old releases."""
    names = {p.name for p in release.iterdir()}
    for name in names:
        entry = out / name
        if not entry.is_symlink() and not entry.exists():
            entry.symlink_to(Path(CURRENT) / name)
    link = out / f".{CURRENT}.{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(RELEASES) / release.name)
    os.replace(link, out / CURRENT)
    for entry in out.iterdir():
        if entry.is_symlink() and entry.name not in names and entry.name != CURRENT:
            entry.unlink()
    kept = sorted(p for p in (out / RELEASES).iterdir() if p != release)[-(KEEP - 1) :]
    for old in (out / RELEASES).iterdir():
        if old != release and old not in kept:
            shutil.rmtree(old, ignore_errors=True)


def _replace_folder(new: Path, out: Path) -> Path:
    """Lay the release out in a fresh folder beside ``out``, then swap the two by renames."""
    staging = new.with_name(new.name + ".layout")
    staging.mkdir()
    release = _move_in(new, staging)
    _switch(staging, release)
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return out / RELEASES / release.name
