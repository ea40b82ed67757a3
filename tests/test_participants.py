"""The curated participant profiles: parsing, checks, and every quote against its transcript."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qikg.errors import ParseError
from qikg.kg.participants import FIELDS, ProfileValue, default_participants, locate, parse

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TRANSCRIPTS = CORPUS / "transcripts"
INTERVIEWEE = re.compile(r"^\s*interviewee\s*\d*\s*:", re.IGNORECASE)
HEADER = "interview,field,value,quote,note\n"
GOOD = '3,role,AI delivery manager,"Well, my main role is AI Delivery Manager.",\n'


def _transcripts() -> dict[int, str]:
    if not TRANSCRIPTS.is_dir():
        pytest.skip(f"the study corpus is not at {CORPUS} (../shared beside the project)")
    out: dict[int, str] = {}
    for path in TRANSCRIPTS.glob("*.txt"):
        m = re.match(r"Interview (\d+)\b", path.name)
        assert m, f"unexpected transcript name {path.name}"
        out[int(m.group(1))] = path.read_text(encoding="utf-8")
    return out


def _find(values: list[ProfileValue], interview: int, field: str) -> list[ProfileValue]:
    return [v for v in values if v.interview == interview and v.field == field]


# -- the shipped table ------------------------------------------------------------------------


def test_default_table_parses_and_is_non_trivial() -> None:
    values = default_participants()
    assert len(values) >= 100
    assert {v.field for v in values} == set(FIELDS)
    assert all(v.line >= 2 for v in values)
    assert len({v.line for v in values}) == len(values)


def test_at_least_30_interviews_have_a_role() -> None:
    with_role = {v.interview for v in default_participants() if v.field == "role"}
    assert len(with_role) >= 30, sorted(with_role)


def test_one_row_per_interview_and_field_except_several_roles_or_companies() -> None:
    counts = Counter((v.interview, v.field) for v in default_participants())
    several = {k: n for k, n in counts.items() if n > 1}
    assert all(field in ("role", "company") for _, field in several), several


def test_every_transcript_has_rows() -> None:
    numbers = set(_transcripts())
    assert len(numbers) == 36
    assert numbers <= {v.interview for v in default_participants()}
    assert {v.interview for v in default_participants()} <= numbers


def test_every_quote_is_the_interviewees_own_words_once_in_its_transcript() -> None:
    texts = _transcripts()
    for v in default_participants():
        text = texts[v.interview]
        where = f"participants.csv line {v.line} (interview {v.interview}, {v.field})"
        assert text.count(v.quote) == 1, f"{where}: quote occurs {text.count(v.quote)} times"
        lines = text.splitlines()
        index = locate(v.quote, lines)
        assert index is not None, f"{where}: quote not on a single line"
        assert INTERVIEWEE.match(lines[index]), (
            f"{where}: not an interviewee line: {lines[index]!r}"
        )


def test_spot_checks_read_by_hand() -> None:
    values = default_participants()
    texts = _transcripts()
    # Interview 3: "Well, my main role is AI Delivery Manager."
    (role3,) = _find(values, 3, "role")
    assert role3.value == "AI delivery manager"
    assert "my main role is AI Delivery Manager" in role3.quote
    # Interview 43: "So you can say about 11." (in ML since 2012)
    (exp43,) = _find(values, 43, "experience")
    assert exp43.value == "11"
    assert exp43.quote == "So you can say about 11."
    # Interview 32: "... my current company that is Company X, uh, that is a real estate,
    # real estate startup, uh, in Region X."
    (company32,) = _find(values, 32, "company")
    assert company32.value == "real estate startup"
    assert "real estate startup" in company32.quote
    assert "Interviewee: Well, my main role is AI Delivery Manager." in texts[3]
    assert "Interviewee: So you can say about 11. Great." in texts[43]
    assert "that is a real estate, real estate startup, uh, in Region X." in texts[32]


def test_no_company_name_in_company_values() -> None:
    for v in default_participants():
        if v.field == "company":
            assert not re.search(r"\bCompa[gn]", v.value), v


# -- parse ------------------------------------------------------------------------------------


def test_parse_good_row() -> None:
    (v,) = parse(HEADER + GOOD)
    assert v == ProfileValue(
        3, "role", "AI delivery manager", "Well, my main role is AI Delivery Manager.", "", 2
    )


def test_parse_counts_lines_across_quoted_newlines_in_notes() -> None:
    text = (
        HEADER + '3,domain,forecasting,"We\'ve mainly used for forecasting, like","a\nb"\n' + GOOD
    )
    values = parse(text)
    assert [v.line for v in values] == [2, 4]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('x,role,data scientist,"so I\'m a data scientist at Company Y.",\n', "positive integer"),
        ('0,role,data scientist,"so I\'m a data scientist at Company Y.",\n', "positive integer"),
        ('-2,role,data scientist,"so I\'m a data scientist at Company Y.",\n', "positive integer"),
        ('5,title,data scientist,"so I\'m a data scientist at Company Y.",\n', "unknown field"),
        ('5,role,,"so I\'m a data scientist at Company Y.",\n', "empty value"),
        ("5,role,data scientist,too short,\n", "characters"),
        ("5,role,data scientist," + "x" * 121 + ",\n", "characters"),
        ('5,role,data scientist," so I\'m a data scientist at Company Y.",\n', "whitespace"),
        ('5,experience,two years,"so I\'m a data scientist at Company Y.",\n', "number of years"),
        ('5,role,data scientist,"so I\'m a data scientist at Company Y.",,extra\n', "more fields"),
    ],
)
def test_parse_errors_name_the_line(row: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(HEADER + GOOD + row, "p.csv")
    assert caught.value.line == 3
    assert caught.value.file == "p.csv"
    assert message in caught.value.message
    assert "p.csv, line 3:" in str(caught.value)


def test_parse_rejects_duplicate_interview_field_value() -> None:
    dup = '3,role,AI Delivery Manager,"So yeah, I am AI Delivery Manager at Company X.",\n'
    with pytest.raises(ParseError) as caught:
        parse(HEADER + GOOD + dup)
    assert caught.value.line == 3
    assert "duplicate" in caught.value.message
    assert "line 2" in caught.value.hint


def test_parse_accepts_two_roles_for_one_interview() -> None:
    second = '3,role,project manager,"So yeah, I am AI Delivery Manager at Company X.",\n'
    assert [v.value for v in parse(HEADER + GOOD + second)] == [
        "AI delivery manager",
        "project manager",
    ]


def test_parse_rejects_missing_column() -> None:
    with pytest.raises(ParseError) as caught:
        parse("interview,field,value,note\n")
    assert caught.value.line == 1
    assert "quote" in caught.value.message


@pytest.mark.parametrize("value", ["4", "2-3", "<1", "3+", "10", "6-7"])
def test_experience_forms(value: str) -> None:
    row = f'3,experience,{value},"I would say, four years ago, I moved to AI.",\n'
    assert parse(HEADER + row)[0].value == value


# -- locate -----------------------------------------------------------------------------------


def test_locate() -> None:
    turns = [
        "Interviewer 1: what is your role?",
        "Interviewee: my main role is AI Delivery Manager.",
    ]
    assert locate("my main role is AI Delivery", turns) == 1
    assert locate("not there at all, anywhere", turns) is None
    assert locate("role", turns) is None  # in both turns: ambiguous
    assert locate("anything", []) is None


@given(st.lists(st.text(alphabet="ab", max_size=6), max_size=8), st.text(alphabet="ab", min_size=1))
def test_locate_is_the_single_containing_turn(turns: list[str], quote: str) -> None:
    hits = [i for i, t in enumerate(turns) if quote in t]
    assert locate(quote, turns) == (hits[0] if len(hits) == 1 else None)
