"""Finding input files, choosing their reader, and saying what kind of document each is.

This is the one place of the import that touches files: it reads bytes and hands them to the
pure readers of ``kg/readers``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

from qikg.errors import ParseError, UnsupportedInput

from .model import CodeDefinition, Document, DocumentKind
from .readers import delve_pdf, delve_text, qdpx, transcript
from .readers.text import decode
from .study import Study

Reader = Callable[[bytes, str], Document]
SUFFIXES = (".txt", ".pdf", ".qdpx", ".qde")
"""Endings of the files a folder is searched for."""


@dataclass(frozen=True)
class Source:
    """One input file, its checksum, and the document read from it."""

    path: Path
    sha256: str
    document: Document
    text: str | None = None
    """The decoded text of a plain transcript: the canonical text evidence is anchored in."""


@dataclass(frozen=True)
class CodeBookFile:
    """A file holding a code book and no interview: a REFI-QDA project of codes only.

    Its codes join the study's codebook; it adds nothing to any interview.
    """

    path: Path
    sha256: str
    codes: tuple[CodeDefinition, ...]
    users: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    """The project's sources whose text is not in the file (none of them coded)."""


Read: TypeAlias = list[Source] | CodeBookFile
"""What one input file gives: its sources, or the code book of a project of codes only."""


@dataclass(frozen=True)
class Skipped:
    """A file met while searching a folder that is not an input of any supported format."""

    path: Path
    reason: str


def reader_for(path: Path, data: bytes) -> Reader:
    """Choose the reader of one file from its ending and first bytes."""
    suffix = path.suffix.lower()
    if suffix == ".pdf" or data[:5] == b"%PDF-":
        return delve_pdf.read
    if suffix == ".txt":
        if b"Created with the Delve Qualitative Analysis Tool" in data[-400:]:
            return delve_text.read
        return transcript.read
    raise UnsupportedInput(
        path.name,
        f"unsupported file type {suffix or '(none)'!r}",
        hint="pass Delve text exports (.txt), plain transcripts (.txt), Delve prints (.pdf) "
        "or REFI-QDA projects (.qdpx, project.qde)",
    )


def discover(inputs: Iterable[Path]) -> tuple[list[tuple[Path, bool]], list[Skipped]]:
    """Input files, each with whether it was named (True) or found in a folder (False)."""
    found: list[tuple[Path, bool]] = []
    skipped: list[Skipped] = []
    for item in inputs:
        if item.is_dir():
            for p in sorted(item.rglob("*")):
                if not p.is_file() or p.name.startswith("."):
                    continue
                if p.suffix.lower() in SUFFIXES:
                    found.append((p, False))
                else:
                    skipped.append(Skipped(p, f"not a supported file type ({p.suffix or 'none'})"))
        elif item.is_file():
            found.append((item, True))
        else:
            raise ParseError(str(item), "no such file or folder", hint="check the path")
    return found, skipped


def kind_of(path: Path, doc: Document, study: Study) -> DocumentKind | None:
    """The document's kind: the study description, else the folder, else the reader's word."""
    listed = study.document_kind(path.name)
    if listed is not None:
        return listed
    folder = study.folders.get(path.parent.name.lower())
    return DocumentKind(folder) if folder else doc.kind


def _kind(path: Path, doc: Document, study: Study) -> Document:
    return replace(doc, kind=kind_of(path, doc, study))


def read_source(path: Path, study: Study) -> Source:
    """Read one file into a Source; raise ParseError naming the file on bad input."""
    data = path.read_bytes()
    doc = reader_for(path, data)(data, path.name)
    doc = _kind(path, doc, study)
    text = None
    if doc.format == transcript.FORMAT:
        text = decode(data, path.name, hint="re-save the transcript as UTF-8")
    return Source(path, hashlib.sha256(data).hexdigest(), doc, text)


def is_project(path: Path) -> bool:
    """True for a REFI-QDA project: a ``.qdpx`` archive or a bare ``project.qde``."""
    return path.suffix.lower() in (".qdpx", ".qde")


def read_file(path: Path, study: Study) -> Read:
    """The sources of one file (one per source and coder of a project), or a project's code
    book when the project holds codes and no text source."""
    if not is_project(path):
        return [read_source(path, study)]
    data = path.read_bytes()
    project = qdpx.read_project(data, path.name)
    sha = hashlib.sha256(data).hexdigest()
    if not project.documents:
        if project.codes:
            return CodeBookFile(path, sha, project.codes, project.users, project.skipped)
        raise ParseError(
            path.name,
            f"the project holds no code and no text source qikg can read "
            f"({len(project.skipped)} sources without their text): nothing to build",
            hint="pass the .qdpx archive with its sources/ folder"
            if project.skipped
            else "export the project with its code book or its coded documents",
        )
    return [
        Source(path, sha, doc, text)
        if doc.kind is DocumentKind.TRANSCRIPT
        else Source(path, sha, _kind(path, doc, study))
        for doc, text in zip(project.documents, project.texts, strict=True)
    ]
