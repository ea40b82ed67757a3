"""A one-line progress bar on stderr for the long steps of a build, shown only on a terminal.

Small enough to keep rather than depend on a progress library: the build needs a count, a bar
and a label, redrawn in place, and nothing at all when its output goes to a file or a pipe
(logs and CI output stay clean).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    """Counts ``total`` steps of one phase; draws on ``stream`` when it is a terminal."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        self.shown = _is_terminal(self.stream) and total > 0
        self._last = 0.0
        self._draw(force=True)

    def step(self, n: int = 1) -> None:
        self.done += n
        self._draw(force=self.done >= self.total)

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not self.shown or (not force and now - self._last < 0.1):
            return
        self._last = now
        filled = WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{self.label:<12} [{bar}] {self.done}/{self.total}")
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
