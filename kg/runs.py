"""Sorted runs of N-Quads lines on disk, merged into one sorted file.

A large study's lines do not fit in memory at once: each interview's lines are sorted and
written to a run file as soon as the interview is done, and the runs are merged into the
dataset's N-Quads in a streaming k-way merge. The result has the bytes a sort of all lines in
memory would give.
"""

from __future__ import annotations

import heapq
import shutil
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

FAN_IN = 256
"""The most runs merged at once (each is an open file); more are merged in rounds."""


class Runs:
    """A folder of sorted run files, merged by :meth:`merge`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: list[Path] = []
        self.made = 0
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, lines: Iterable[str]) -> None:
        """Sort ``lines`` (each ending in a newline) and write them as one run."""
        ordered = sorted(lines)
        if ordered:
            self.paths.append(_write(self._next(), ordered))

    def merge(self, out: Path) -> int:
        """Write every run's lines, in order, to ``out``; remove the runs; return the count."""
        count = 0
        with out.open("w", encoding="utf-8", newline="") as sink:
            for line in self.merged():
                sink.write(line)
                count += 1
        return count

    def merged(self) -> Iterator[str]:
        """Every run's lines, in order; the runs are removed once all are read."""
        runs = self.paths
        while len(runs) > FAN_IN:
            groups = [runs[i : i + FAN_IN] for i in range(0, len(runs), FAN_IN)]
            runs = [_merge(group, self._next()) for group in groups]
            self.paths = runs
        with ExitStack() as stack:
            files = [stack.enter_context(_open(p)) for p in runs]
            yield from heapq.merge(*files)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.paths = []

    def _next(self) -> Path:
        self.made += 1
        return self.folder / f"{self.made:07d}.nq"


def _open(path: Path) -> TextIO:
    # newline="": the lines come back exactly as written
    return path.open(encoding="utf-8", newline="")


def _write(path: Path, lines: Iterable[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.writelines(lines)
    return path


def _merge(group: list[Path], out: Path) -> Path:
    """Merge ``group`` into the run ``out`` and remove the runs merged."""
    with ExitStack() as stack:
        files = [stack.enter_context(_open(p)) for p in group]
        _write(out, heapq.merge(*files))
    for p in group:
        p.unlink()
    return out
