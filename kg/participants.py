"""Participant profiles: what each interviewee says about themselves, with the words that say it.

Package data ``data/participants.csv``, curated by hand from the background questions at the
start of each plain transcript, one row per (interview, field) and value:

- ``interview``: the interview number (``Interview 32 - PO.txt`` is interview 32);
- ``field``: one of :data:`FIELDS`: ``role`` (a normalised job title; a participant with two
  roles has two rows), ``experience`` (years of ML/AI experience: ``4``, ``2-3``, ``<1``, ``3+``),
  ``domain`` (application area, e.g. ``consulting: forecasting, NLP``) and ``company`` (the kind of
  organisation as the participant describes it, never its name);
- ``value``: the short normalised value, in English;
- ``quote``: the evidence, an exact substring of the interviewee's own speech in that transcript,
  20 to 120 characters, chosen to occur once in the file;
- ``note``: optional: how the value was read (``inferred``, ``stated later in the interview``)
  or, for the French interview, the English gist.

A field the transcript does not state has no row. The module is pure: it parses and checks the
table; :func:`locate` points a quote at the one turn that contains it, for the graph builder.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from qikg.errors import ParseError

FIELDS = ("role", "experience", "domain", "company")
COLUMNS = ("interview", "field", "value", "quote", "note")
QUOTE_MIN = 20
QUOTE_MAX = 120

_INTERVIEW = re.compile(r"[1-9][0-9]*")
_EXPERIENCE = re.compile(r"<[1-9][0-9]*|[0-9]+(-[0-9]+)?\+?")


@dataclass(frozen=True)
class ProfileValue:
    """One curated value of a participant's profile and the quote it rests on.

    ``line`` is the line of the CSV file the row starts on.
    """

    interview: int
    field: str
    value: str
    quote: str
    note: str
    line: int


def _check_header(header: Sequence[str], source: str) -> None:
    if missing := [c for c in COLUMNS if c not in header]:
        raise ParseError(
            source,
            f"missing column(s) {', '.join(missing)}",
            line=1,
            hint=f"the header is {','.join(COLUMNS)}",
        )


def _row(raw: dict[str | None, str | list[str] | None], source: str, line: int) -> ProfileValue:
    if None in raw:
        raise ParseError(
            source, "more fields than columns in the header", line=line, hint="quote the text"
        )
    row = {str(k): v if isinstance(v, str) else "" for k, v in raw.items()}
    interview = row["interview"].strip()
    if not _INTERVIEW.fullmatch(interview):
        raise ParseError(
            source,
            f"interview {interview!r} is not a positive integer",
            line=line,
            hint="write the number of the interview, e.g. 32 for 'Interview 32 - PO.txt'",
        )
    field = row["field"].strip()
    if field not in FIELDS:
        raise ParseError(
            source, f"unknown field {field!r}", line=line, hint=f"use one of {', '.join(FIELDS)}"
        )
    value = row["value"].strip()
    if not value:
        raise ParseError(source, "empty value", line=line, hint="leave the row out instead")
    if field == "experience" and not _EXPERIENCE.fullmatch(value):
        raise ParseError(
            source,
            f"experience {value!r} is not a number of years",
            line=line,
            hint="write years like 4, 2-3, <1 or 3+",
        )
    quote = row["quote"]
    if quote != quote.strip() or "\n" in quote or "\r" in quote:
        raise ParseError(
            source,
            "quote has surrounding whitespace or spans lines",
            line=line,
            hint="copy a piece of one turn, without leading or trailing spaces",
        )
    if not QUOTE_MIN <= len(quote) <= QUOTE_MAX:
        raise ParseError(
            source,
            f"quote has {len(quote)} characters",
            line=line,
            hint=f"copy {QUOTE_MIN} to {QUOTE_MAX} characters of the interviewee's words",
        )
    return ProfileValue(int(interview), field, value, quote, row["note"].strip(), line)


def parse(text: str, source: str = "participants.csv") -> list[ProfileValue]:
    """The checked rows of a participants table, in file order.

    Raises :class:`qikg.errors.ParseError` naming the line of the first bad row: a missing column,
    an interview that is not a positive integer, an unknown field, an empty value, an experience
    that is not a number of years, a quote outside 20-120 characters, or a repeated
    (interview, field, value).
    """
    reader = csv.DictReader(io.StringIO(text))
    _check_header(reader.fieldnames or [], source)
    out: list[ProfileValue] = []
    seen: dict[tuple[int, str, str], int] = {}
    start = reader.line_num + 1
    for raw in reader:
        item = _row(raw, source, start)
        key = (item.interview, item.field, item.value.casefold())
        if key in seen:
            raise ParseError(
                source,
                f"duplicate {item.field} {item.value!r} for interview {item.interview}",
                line=start,
                hint=f"first given on line {seen[key]}",
            )
        seen[key] = start
        out.append(item)
        start = reader.line_num + 1
    return out


def default_participants() -> list[ProfileValue]:
    """The participant profiles shipped with the package (``data/participants.csv``)."""
    text = resources.files("qikg.kg").joinpath("data/participants.csv").read_text(encoding="utf-8")
    return parse(text, "participants.csv")


def locate(quote: str, turn_texts: Sequence[str]) -> int | None:
    """The index of the one turn text that contains ``quote`` exactly.

    None when no turn contains it, or when several do (the quote is then ambiguous).
    """
    found: int | None = None
    for index, text in enumerate(turn_texts):
        if quote in text:
            if found is not None:
                return None
            found = index
    return found
