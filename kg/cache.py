"""The build cache: each input file as read, and each interview as converted and validated.

Entries are keyed by content: a file's SHA-256, or the checksums of an interview's files,
together with a fingerprint of everything else that shapes the result (qikg's version and
source code, the ontology and shapes, the codebook, study, privacy policy and base IRI). A
changed input or setting therefore misses the cache; nothing is ever invalidated in place.
Entries are pickles written by this program into a folder the user owns, written to a
temporary name and renamed, so a build stopped halfway never leaves a torn entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from dataclasses import fields, is_dataclass, replace
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import TypeVar

from qikg import __version__

from .sources import CodeBookFile, Read, Source
from .units import Outcome, Settings, Unit

T = TypeVar("T")
FORMAT = "1"
"""Bumped when the layout of the entries changes."""


def code_fingerprint() -> str:
    """SHA-256 of qikg's version, its conversion code, ontology and shapes."""
    h = hashlib.sha256(f"{FORMAT} {__version__}".encode())
    for package in ("qikg.kg", "qikg.kg.readers", "qikg.ontology"):
        folder = resources.files(package)
        for item in sorted(folder.iterdir(), key=lambda p: p.name):
            if item.name.endswith((".py", ".ttl")):
                h.update(item.name.encode())
                h.update(item.read_bytes())
    return h.hexdigest()


def canonical(value: object) -> object:
    """``value`` as nested tuples whose ``repr`` is the same in every process.

    Sets are sorted and patterns spelled out in full (``repr`` of a pattern is cut short), so
    that hashing the result gives the same key from one build to the next.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(canonical(getattr(value, f.name)) for f in fields(value)))
    if isinstance(value, dict):
        return ("dict", *sorted((repr(canonical(k)), canonical(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return ("set", *sorted(repr(canonical(v)) for v in value))
    if isinstance(value, list | tuple):
        return tuple(canonical(v) for v in value)
    if isinstance(value, re.Pattern):
        return ("re", value.pattern, value.flags)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str | int | float | bool | None):
        return value
    if hasattr(value, "__dict__"):
        return (type(value).__name__, canonical(vars(value)))
    raise TypeError(f"no canonical form for {type(value).__name__}")


def digest(*parts: object) -> str:
    """SHA-256 of the canonical form of ``parts``."""
    return hashlib.sha256(repr(canonical(parts)).encode()).hexdigest()


def settings_fingerprint(settings: Settings, code: str) -> str:
    """SHA-256 of the code fingerprint and the settings every unit is converted with."""
    return digest(code, settings)


def unit_key(unit: Unit, fingerprint: str) -> str:
    """The cache key of an interview: its files (name, kind, format, checksum) and settings."""
    files = sorted(
        (s.path.name, str(s.document.kind), s.document.format, s.sha256) for s in unit.sources
    )
    return digest(fingerprint, unit.interview, files, unit.participants)


class Cache:
    """A folder of cache entries; ``None`` as folder makes a cache that keeps nothing."""

    def __init__(self, folder: Path | None, code: str) -> None:
        self.folder = folder
        self.code = code

    def read(self, key: str, path: Path) -> Read | None:
        """What a file gave when read before, found by ``key``, with ``path`` where it is now
        (a REFI-QDA project holds several sources, or only a code book; other files one)."""
        found = self._load(f"read/{key}", object)
        if isinstance(found, CodeBookFile):
            return replace(found, path=path)
        if not isinstance(found, list) or not all(isinstance(s, Source) for s in found):
            return None
        return [replace(s, path=path) for s in found]

    def put_read(self, key: str, read: Read) -> None:
        self._store(f"read/{key}", read)

    def has_outcome(self, key: str) -> bool:
        """Whether an outcome is kept under ``key`` (without loading it)."""
        return self.folder is not None and (self.folder / f"units/{key}.pickle").is_file()

    def outcome(self, key: str) -> Outcome | None:
        found = self._load(f"units/{key}", Outcome)
        return None if found is None else replace(found, reused=True)

    def put_outcome(self, key: str, outcome: Outcome) -> None:
        self._store(f"units/{key}", outcome)

    def _load(self, name: str, kind: type[T]) -> T | None:
        if self.folder is None:
            return None
        path = self.folder / f"{name}.pickle"
        try:
            with path.open("rb") as f:
                value = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        return value if isinstance(value, kind) else None

    def _store(self, name: str, value: object) -> None:
        if self.folder is None:
            return
        path = self.folder / f"{name}.pickle"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
