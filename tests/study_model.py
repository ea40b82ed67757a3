"""An independent reading of the coded corpus, for checking the named queries' answers.

Nothing here goes through RDF or SPARQL: the coded files are read with the project's readers
(the parsed documents), codes are folded with the codebook table read as plain CSV, and every
figure is counted in Python. The rules are those the query descriptions state:

* evidence comes from an interview's moderated coding when it carries codes, else from the
  coders' own codings; a unit of evidence is a paragraph (interview, turn, paragraph);
* the question a paragraph answers is the question id applied to it or, failing that, the last
  one applied before it in the same coding.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .conftest import CORPUS, ROOT

DATA = ROOT / "kg" / "data"
Unit = tuple[int, int, int]
"""A paragraph of an interview: (interview, turn, paragraph), 1-based."""


@dataclass
class Para:
    turn: int
    pos: int
    role: str
    label: str
    text: str
    codes: set[str] = field(default_factory=set)
    written: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


@dataclass
class Doc:
    source: str
    interview: int
    kind: str  # "coding" or "moderation"
    person: str
    language: str
    paras: list[Para]

    @property
    def has_codes(self) -> bool:
        return any(p.codes for p in self.paras)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def codebook() -> dict[str, dict[str, str]]:
    """The codebook table by notation."""
    return {r["notation"]: r for r in _rows("codebook.csv")}


@cache
def _fold_index() -> dict[str, str]:
    index = {}
    for notation, row in codebook().items():
        for name in [notation, *[v for v in row["variants"].split("|") if v]]:
            index[name.strip().lower()] = notation
    return index


def fold(written: str) -> str:
    """The codebook notation of a code as written (case and listed spellings folded)."""
    return _fold_index().get(written.strip().lower(), written.strip())


def kind(notation: str) -> str:
    return codebook()[notation]["kind"]


def phases(notation: str) -> list[str]:
    return codebook()[notation]["phases"].split()


@cache
def questions() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in _rows("questions.csv")}


@cache
def catalogue() -> list[dict[str, str]]:
    return _rows("catalogue.csv")


def _read(path: Path) -> Doc:
    from qikg.kg.readers import delve_pdf

    doc = delve_pdf.read(path.read_bytes(), path.name)
    paras = []
    for t, turn in enumerate(doc.turns, 1):
        for p, para in enumerate(turn.paragraphs, 1):
            # One quote per coded paragraph: its underlined spans joined, else its whole text.
            quote = " \u2026 ".join(s.text for s in para.spans) if para.spans else para.text
            paras.append(
                Para(
                    t,
                    p,
                    turn.role.value,
                    turn.speaker_label,
                    para.text,
                    {fold(c) for c in para.codes},
                    list(para.codes),
                    list(para.question_ids),
                    [quote] if para.coded else [],
                )
            )
    kind = "moderation" if path.parent.name == "moderation" else "coding"
    language = "fr" if doc.interview == 2 else "en"
    return Doc(path.name, doc.interview, kind, doc.person or "", language, paras)


@cache
def corpus_docs() -> tuple[Doc, ...]:
    """Every coding and moderated coding of the corpus (the Delve prints), read once."""
    paths = sorted((CORPUS / "delve-pdf").rglob("*.pdf"))
    with ProcessPoolExecutor(4) as pool:
        return tuple(pool.map(_read, paths, chunksize=2))


def evidence_docs(docs: Iterable[Doc]) -> list[Doc]:
    """The moderated coding of each interview where it carries codes, else the codings."""
    by_interview: dict[int, list[Doc]] = defaultdict(list)
    for d in docs:
        by_interview[d.interview].append(d)
    out = []
    for group in by_interview.values():
        agreed = [d for d in group if d.kind == "moderation" and d.has_codes]
        out += agreed or [d for d in group if d.kind == "coding"]
    return out


def units_by_code(docs: Iterable[Doc]) -> dict[str, set[Unit]]:
    """For each code, the paragraphs it was applied to."""
    out: dict[str, set[Unit]] = defaultdict(set)
    for d in docs:
        for p in d.paras:
            for c in p.codes:
                out[c].add((d.interview, p.turn, p.pos))
    return out


def question_in_effect(doc: Doc) -> dict[tuple[int, int], list[str]]:
    """The question ids in effect at each paragraph of a coding."""
    current: list[str] = []
    out = {}
    for p in doc.paras:
        if p.questions:
            current = list(p.questions)
        if current:
            out[(p.turn, p.pos)] = current
    return out


def corpus_dataset(request: object) -> Path:
    """The folder of the whole corpus built for the session (the ``corpus_build`` fixture).

    ``QIKG_TEST_CORPUS_DATASET`` names a folder already built by ``qikg build`` from
    ../shared/corpus instead, to try these tests without building the corpus again.
    """
    import os

    import pytest

    prebuilt = os.environ.get("QIKG_TEST_CORPUS_DATASET")
    if prebuilt:
        return Path(prebuilt)
    assert isinstance(request, pytest.FixtureRequest)
    _, out = request.getfixturevalue("corpus_build")
    return Path(out)


def need_corpus() -> None:
    """Skip where ../shared/corpus is absent."""
    from .conftest import need_shared

    need_shared()
