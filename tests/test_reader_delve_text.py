"""The Delve text export reader, checked against a separate reading of the example file."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qikg.errors import ParseError
from qikg.kg.model import SpeakerRole
from qikg.kg.readers import delve_text

from .conftest import EXAMPLE

END = b"\n\nCreated with the Delve Qualitative Analysis Tool\n"
LABELS = {"Interviewer 1", "Interviewer 2", "Interviewee", "Unknown Speaker"}


def separate_reading() -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Speech blocks, and (paragraph, codes) pairs, read with plain string splitting."""
    blocks = [b.strip() for b in EXAMPLE.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    body = blocks[1:-1]  # title and the "Created with Delve" line
    speech: list[str] = []
    coded: list[tuple[str, list[str]]] = []
    for b in body:
        if b in LABELS:
            continue
        is_tag = " " not in b.replace(" [", "[") and ("-" in b or re.fullmatch(r"Q[\d.]+", b))
        if is_tag and coded:
            coded[-1][1].append(b)
        else:
            speech.append(b)
            coded.append((b, []))
    return speech, coded


@pytest.fixture(scope="module")
def doc():
    return delve_text.read(EXAMPLE.read_bytes(), EXAMPLE.name)


def test_title_interview_and_person(doc):
    assert doc.title == "Interview 3 - Amin"
    assert doc.interview == 3
    assert doc.person == "Amin"
    assert doc.format == "delve-text"


def test_turns_are_the_speaker_blocks(doc):
    text = EXAMPLE.read_text(encoding="utf-8")
    labels = [line for line in text.splitlines() if line in LABELS]
    # 152 speaker turns: figure given by the corpus README, and counted here by line.
    assert len(labels) == 152
    assert [t.speaker_label for t in doc.turns] == labels


def test_roles(doc):
    roles = Counter(t.role for t in doc.turns)
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert roles[SpeakerRole.INTERVIEWEE] == text.count("Interviewee")
    assert roles[SpeakerRole.INTERVIEWER] == text.count("Interviewer 1") + text.count(
        "Interviewer 2"
    )
    assert roles[SpeakerRole.UNKNOWN] == text.count("Unknown Speaker") == 1
    numbers = {t.speaker_number for t in doc.turns if t.role is SpeakerRole.INTERVIEWER}
    assert numbers == {1, 2}


def test_coded_paragraphs_and_code_applications(doc):
    _, coded = separate_reading()
    expected = [codes for _, codes in coded if codes]
    # 103 coded paragraphs and 152 code applications (corpus README).
    assert len(expected) == 103
    assert sum(len(c) for c in expected) == 152
    got = [list(p.codes) + list(p.question_ids) for p in doc.paragraphs if p.coded]
    assert [sorted(c) for c in got] == [sorted(c) for c in expected]


def test_code_counts(doc):
    applied = Counter(c for p in doc.paragraphs for c in (*p.codes, *p.question_ids))
    # Counted with `grep -cx CODE` on the example file.
    assert applied["MM-drift"] == 10
    assert applied["Data-low-quality"] == 4
    assert applied["QM-scalability-issues"] == 4
    assert applied["Data-issues"] == 3
    assert applied["Q5.3"] == 16
    assert applied["Q2.1"] == 12
    _, coded = separate_reading()
    assert applied == Counter(c for _, codes in coded for c in codes)


def test_distinct_codes_and_question_ids(doc):
    codes = {c for p in doc.paragraphs for c in p.codes}
    questions = {q for p in doc.paragraphs for q in p.question_ids}
    assert len(codes) == 18
    assert len(questions) == 22
    assert not codes & questions
    assert all(re.fullmatch(r"Q\d+(\.\d+)*", q) for q in questions)
    assert {
        "Model-Evaluation-issues [ME]",
        "ML-pipeline-issues [MLP]",
        "Data-low-quantity-fix",
    } <= codes


def test_speech_comes_back_exactly(doc):
    speech, _ = separate_reading()
    got = " ".join(t.text.replace("\n\n", " ") for t in doc.turns)
    assert got == " ".join(speech)


def test_page_split_paragraphs_are_joined(doc):
    texts = [p.text for p in doc.paragraphs]
    joined = [
        t for t in texts if "sorry on demand or things like that. We had a few projects in NLP" in t
    ]
    assert len(joined) == 1
    assert any("So school calendars, we need to figure a way" in t for t in texts)
    assert not any(t.startswith("had a few projects") for t in texts)


def test_paragraph_after_codes_continues_the_turn(doc):
    turn = next(
        t for t in doc.turns if any(p.text.startswith("not in depth?") for p in t.paragraphs)
    )
    assert [p.text[:22] for p in turn.paragraphs] == [
        "not in depth? I'd say.",
        "I would say no, not re",
    ]
    assert all(p.question_ids == ("Q7.3",) for p in turn.paragraphs)


def test_lines_point_into_the_file(doc):
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for t in doc.turns:
        assert lines[t.line - 1] == t.speaker_label
        for p in t.paragraphs:
            assert p.text.startswith(lines[p.line - 1])


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "empty"),
        (b"Hello world\n\nfoo\n", 1, "not a Delve text export"),
        (b"Interview 3 - Amin\n\nInterviewee\n\nHello\n", 5, "truncated"),
        (
            b"Interview 3 - Amin\n\nInterviewee\n\nCaf\xe9" + END,
            5,
            "UTF-8",
        ),
        (b"Interview 3\n\nCreated with the Delve Qualitative Analysis Tool\n", 1, "no speech"),
        (
            b"Interview 3\n\nInterviewee\n\nInterviewer 1\n\nHi" + END,
            3,
            "not by speech",
        ),
    ],
)
def test_bad_input_names_file_and_line(data, line, words):
    with pytest.raises(ParseError) as info:
        delve_text.read(data, "bad.txt")
    assert info.value.file == "bad.txt"
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"bad.txt, line {line}: ")


@settings(max_examples=300, deadline=1000)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_input_parses_or_raises_parse_error(data):
    try:
        delve_text.read(data, "fuzz.txt")
    except ParseError as exc:
        assert exc.file == "fuzz.txt"


@settings(max_examples=200, deadline=1000)
@given(
    st.lists(
        st.sampled_from(
            ["Interviewee", "Interviewer 1", "Some speech.", "more words", "MM-drift", "Q1", ""]
        ),
        max_size=30,
    )
)
def test_structured_noise_parses_or_raises_parse_error(blocks):
    data = "\n\n".join(
        ["Interview 9 - X", *blocks, "Created with the Delve Qualitative Analysis Tool"]
    )
    try:
        doc = delve_text.read(data.encode(), "noise.txt")
    except ParseError:
        return
    assert doc.interview == 9
    assert all(t.paragraphs for t in doc.turns)
