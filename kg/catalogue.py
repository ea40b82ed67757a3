"""Curated texts of the study: catalogued issues, dimensions, guide questions, code texts.

Four package data files, read and checked here (pure: no graph, no network):

- ``data/dimensions.csv``: the six quality dimensions ``D1``..``D6`` of the validation
  questionnaire (id, label, definition);
- ``data/catalogue.csv``: the 18 catalogued quality issues ``I1.1``..``I6.3`` (id, dimension,
  label, statement, phases); the first digit of an issue id is the number of its dimension;
- ``data/questions.csv``: every interview-guide question id the coders used, plus the other ids
  of the new guide (id, section, phase, text_new, text_old, note);
- ``data/codebook.csv``: the codebook table of :mod:`qikg.kg.codebook`, of which this module reads
  the columns notation, label, definition, catalogue and match.

``match`` is a SKOS mapping property relating the code (subject) to each catalogued issue named in
``catalogue`` (object): ``broadMatch`` says the catalogued issue is broader than the code,
``narrowMatch`` that it is narrower. Statements, definitions and question texts are the
project's own wording.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from qikg.errors import ParseError

from .codebook import PHASES

MATCHES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
DIMENSION_ID = re.compile(r"D[1-9]")
ISSUE_ID = re.compile(r"I([1-9])\.[1-9]")
QUESTION_ID = re.compile(r"Q[1-9][0-9]?(\.[1-9][0-9]?(\.[a-z])?)?")

_DIMENSION_COLUMNS = ("id", "label", "definition")
_ISSUE_COLUMNS = ("id", "dimension", "label", "statement", "phases")
_QUESTION_COLUMNS = ("id", "section", "phase", "text_new", "text_old", "note")
_CODE_COLUMNS = ("notation", "label", "definition", "catalogue", "match")


@dataclass(frozen=True)
class Dimension:
    """A quality dimension of the validation questionnaire (Evaluability, ...)."""

    id: str
    label: str
    definition: str


@dataclass(frozen=True)
class CatalogueIssue:
    """One of the catalogued quality issues; ``dimension`` is the id of its dimension."""

    id: str
    dimension: str
    label: str
    statement: str
    phases: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """A question id as the coders wrote it, with its text in each guide where known."""

    id: str
    section: str
    phase: str | None
    text_new: str | None
    text_old: str | None
    note: str


@dataclass(frozen=True)
class CodeText:
    """The readable texts of a code and its mapping to catalogued issues."""

    notation: str
    label: str
    definition: str
    catalogue: tuple[str, ...]
    match: str | None


def _rows(text: str, source: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV text with the line each starts on; checks the header first."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if missing := [c for c in columns if c not in header]:
        raise ParseError(source, f"missing column(s) {', '.join(missing)}", line=1)
    start = reader.line_num + 1
    for row in reader:
        if None in row:
            raise ParseError(source, "more fields than columns in the header", line=start)
        yield start, {k: (v or "").strip() for k, v in row.items()}
        start = reader.line_num + 1


def _need(row: dict[str, str], names: tuple[str, ...], source: str, line: int) -> None:
    if empty := [n for n in names if not row[n]]:
        raise ParseError(source, f"empty {', '.join(empty)}", line=line)


def _phases(value: str, source: str, line: int) -> tuple[str, ...]:
    phases = tuple(value.split())
    if bad := [p for p in phases if p not in PHASES]:
        raise ParseError(source, f"unknown phase {bad[0]!r}; use {', '.join(PHASES)}", line=line)
    return phases


def _unique(seen: set[str], key: str, source: str, line: int) -> None:
    if key in seen:
        raise ParseError(source, f"duplicate id {key!r}", line=line)
    seen.add(key)


def parse_dimensions(text: str, source: str = "dimensions.csv") -> list[Dimension]:
    """The dimensions of a dimensions table, checked: ids ``D1``..``D9``, unique, texts present."""
    out: list[Dimension] = []
    seen: set[str] = set()
    for line, row in _rows(text, source, _DIMENSION_COLUMNS):
        if not DIMENSION_ID.fullmatch(row["id"]):
            raise ParseError(
                source, f"malformed dimension id {row['id']!r}; use D1, D2, ...", line=line
            )
        _unique(seen, row["id"], source, line)
        _need(row, ("label", "definition"), source, line)
        out.append(Dimension(row["id"], row["label"], row["definition"]))
    return out


def parse_catalogue(
    text: str, dimensions: list[Dimension], source: str = "catalogue.csv"
) -> list[CatalogueIssue]:
    """The issues of a catalogue table, checked against the given dimensions."""
    known = {d.id for d in dimensions}
    out: list[CatalogueIssue] = []
    seen: set[str] = set()
    for line, row in _rows(text, source, _ISSUE_COLUMNS):
        m = ISSUE_ID.fullmatch(row["id"])
        if not m:
            raise ParseError(
                source, f"malformed issue id {row['id']!r}; use I1.1, I1.2, ...", line=line
            )
        _unique(seen, row["id"], source, line)
        dim = row["dimension"]
        if dim not in known:
            raise ParseError(
                source, f"unknown dimension {dim!r}; use {', '.join(sorted(known))}", line=line
            )
        if dim != f"D{m.group(1)}":
            raise ParseError(
                source, f"issue {row['id']} belongs to D{m.group(1)}, not {dim}", line=line
            )
        _need(row, ("label", "statement", "phases"), source, line)
        phases = _phases(row["phases"], source, line)
        out.append(CatalogueIssue(row["id"], dim, row["label"], row["statement"], phases))
    return out


def parse_questions(text: str, source: str = "questions.csv") -> dict[str, Question]:
    """The questions of a questions table by id, checked: id form, unique, known phase."""
    out: dict[str, Question] = {}
    for line, row in _rows(text, source, _QUESTION_COLUMNS):
        qid = row["id"]
        if not QUESTION_ID.fullmatch(qid):
            raise ParseError(
                source, f"malformed question id {qid!r}; use Q1, Q2.1, Q5.3.a", line=line
            )
        if qid in out:
            raise ParseError(source, f"duplicate id {qid!r}", line=line)
        _need(row, ("section", "note"), source, line)
        phase = row["phase"] or None
        if phase is not None and len(_phases(phase, source, line)) > 1:
            raise ParseError(source, "a question has at most one phase", line=line)
        if not (row["text_new"] or row["text_old"]):
            raise ParseError(source, f"question {qid} has no text in either guide", line=line)
        out[qid] = Question(
            qid,
            row["section"],
            phase,
            row["text_new"] or None,
            row["text_old"] or None,
            row["note"],
        )
    return out


def parse_code_texts(
    text: str, issues: list[CatalogueIssue], source: str = "codebook.csv"
) -> dict[str, CodeText]:
    """The texts of a codebook table by notation, with catalogue ids checked against ``issues``."""
    known = {i.id for i in issues}
    out: dict[str, CodeText] = {}
    for line, row in _rows(text, source, _CODE_COLUMNS):
        _need(row, ("notation", "label", "definition"), source, line)
        if row["notation"] in out:
            raise ParseError(source, f"duplicate notation {row['notation']!r}", line=line)
        ids = tuple(row["catalogue"].split())
        for i in ids:
            if not ISSUE_ID.fullmatch(i):
                raise ParseError(source, f"malformed catalogue id {i!r}; use I1.1, ...", line=line)
            if i not in known:
                raise ParseError(source, f"catalogue id {i!r} is not in the catalogue", line=line)
        match = row["match"] or None
        if ids and match not in MATCHES:
            raise ParseError(
                source, f"match {match!r} for {' '.join(ids)}; use {', '.join(MATCHES)}", line=line
            )
        if not ids and match is not None:
            raise ParseError(source, f"match {match!r} without catalogue ids", line=line)
        out[row["notation"]] = CodeText(
            row["notation"], row["label"], row["definition"], ids, match
        )
    return out


def _data(name: str) -> str:
    return resources.files("qikg.kg").joinpath(f"data/{name}").read_text(encoding="utf-8")


def load_catalogue() -> tuple[list[Dimension], list[CatalogueIssue]]:
    """The dimensions and catalogued issues shipped with the package."""
    dimensions = parse_dimensions(_data("dimensions.csv"))
    return dimensions, parse_catalogue(_data("catalogue.csv"), dimensions)


def load_questions() -> dict[str, Question]:
    """The guide questions shipped with the package, by id as the coders wrote it."""
    return parse_questions(_data("questions.csv"))


def load_code_texts() -> dict[str, CodeText]:
    """Labels, definitions and catalogue mappings of the shipped codebook, by notation."""
    _, issues = load_catalogue()
    return parse_code_texts(_data("codebook.csv"), issues)
