"""The study description: title, citation, terms of use, guides and per-document facts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from qikg.errors import ParseError

from .model import DocumentKind


@dataclass(frozen=True)
class InterviewInfo:
    """What the study description says about one interview."""

    language: str
    guide: str


@dataclass(frozen=True)
class Study:
    """A study as its researchers describe it (``study.toml``)."""

    id: str
    title: str
    description: str
    citation: str
    doi: str
    terms: str
    source: str = ""
    default_language: str = "en"
    guides: dict[str, str] = field(default_factory=dict)
    interviews: dict[int, dict[str, str]] = field(default_factory=dict)
    documents: dict[str, dict[str, str]] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)
    """Folder name (lower case) to document kind, for files the study does not list."""

    def interview(self, number: int) -> InterviewInfo:
        entry = self.interviews.get(number, {})
        return InterviewInfo(
            language=entry.get("language", self.default_language),
            guide=entry.get("guide", "new"),
        )

    def document_kind(self, source: str) -> DocumentKind | None:
        kind = self.documents.get(source, {}).get("kind")
        return DocumentKind(kind) if kind else None


def parse(text: str, source: str = "study.toml") -> Study:
    """Read a study description from TOML text."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(source, f"not valid TOML: {exc}", hint="fix the syntax") from None
    try:
        s = data["study"]
        kinds = {k.value for k in DocumentKind}
        documents = {name: dict(v) for name, v in data.get("documents", {}).items()}
        for name, kind in data.get("folders", {}).items():
            if kind not in kinds:
                raise ParseError(
                    source, f"folder {name!r}: kind must be one of {', '.join(sorted(kinds))}"
                )
        for name, entry in documents.items():
            if entry.get("kind") not in kinds:
                raise ParseError(
                    source,
                    f"document {name!r}: kind must be one of {', '.join(sorted(kinds))}",
                )
        return Study(
            id=s["id"],
            title=s["title"],
            description=s.get("description", ""),
            citation=s["citation"],
            doi=s.get("doi", ""),
            terms=s["terms"],
            source=s.get("source", ""),
            default_language=s.get("default_language", "en"),
            guides={k: v.get("label", k) for k, v in data.get("guides", {}).items()},
            interviews={int(k): dict(v) for k, v in data.get("interviews", {}).items()},
            documents=documents,
            folders={k.lower(): v for k, v in data.get("folders", {}).items()},
        )
    except KeyError as exc:
        raise ParseError(source, f"missing key {exc.args[0]!r} in [study]") from None


@cache
def default_study() -> Study:
    """The description of the Côté et al. (2024) study shipped with the package."""
    text = resources.files("qikg.kg").joinpath("data/study.toml").read_text(encoding="utf-8")
    return parse(text)
