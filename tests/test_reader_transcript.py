"""The plain transcript reader, checked against a separate line-by-line reading of the files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qikg.errors import ParseError
from qikg.kg.model import DocumentKind, SpeakerRole
from qikg.kg.readers import transcript

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TRANSCRIPTS = CORPUS / "transcripts"
FILES = sorted(TRANSCRIPTS.glob("*.txt")) if TRANSCRIPTS.is_dir() else []

needs_corpus = pytest.mark.skipif(not FILES, reason="../shared/corpus is not beside the project")


def separate_reading(path: Path) -> tuple[int, list[str]]:
    """Turns and paragraph texts, read with ``str.partition`` instead of the reader's regexes.

    A label is what stands before the first colon once spaces are removed and case folded
    (``interviewer1``, ``interviewee``, ``interviewer22``), or a line that is nothing but such
    a word (``Unknown Speaker``). A label opens a turn unless it has no speech at all before
    the next label; speech before the first label makes a turn of its own.
    """
    lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    kinds: list[tuple[bool, str]] = []  # (is a label, speech on the line)
    for x in lines:
        head, colon, rest = x.partition(":")
        squeezed = head.replace(" ", "").lower()
        if colon and re.fullmatch(r"interview(?:er|ee)\d*", squeezed):
            kinds.append((True, rest.strip()))
        elif re.fullmatch(r"interview(?:er|ee)\d*|unknownspeaker", x.replace(" ", "").lower()):
            kinds.append((True, ""))
        else:
            kinds.append((False, x))
    turns = 0 if kinds[0][0] else 1
    for i, (label, speech) in enumerate(kinds):
        if label:
            following = kinds[i + 1] if i + 1 < len(kinds) else (True, "")
            if speech or not following[0]:
                turns += 1
    return turns, [speech for _, speech in kinds if speech]


@pytest.fixture(scope="module")
def docs():
    return {f.name: transcript.read(f.read_bytes(), f.name) for f in FILES}


@needs_corpus
def test_all_36_transcripts_read(docs):
    assert len(FILES) == 36  # corpus README: interviews 2..43 less seven unpublished ones
    numbers = sorted(d.interview for d in docs.values())
    assert numbers[0] == 2 and numbers[-1] == 43
    assert not {1, 18, 22, 28, 39, 41, 42} & set(numbers)
    for doc in docs.values():
        assert doc.kind is DocumentKind.TRANSCRIPT
        assert doc.format == "transcript"
        assert doc.person is None
        assert doc.turns and all(t.paragraphs for t in doc.turns)


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_turns_and_paragraphs_match_a_separate_reading(path, docs):
    doc = docs[path.name]
    turns, paragraphs = separate_reading(path)
    assert len(doc.turns) == turns
    assert [p.text for p in doc.paragraphs] == paragraphs


@needs_corpus
def test_turn_counts_written_down():
    # Counted with grep on the files: Interview 3 has 150 "Label:" lines plus two labels alone
    # on a line (as in its Delve export: 152); Interview 5 has 161 labels, one without speech.
    expected = {"Interview 3.txt": 152, "Interview 5.txt": 160, "Interview 7.txt": 72}
    for name, count in expected.items():
        doc = transcript.read((TRANSCRIPTS / name).read_bytes(), name)
        assert len(doc.turns) == count, name
    five = transcript.read((TRANSCRIPTS / "Interview 5.txt").read_bytes(), "Interview 5.txt")
    assert five.notes == ("line 219: label 'Interviewee' has no speech; no turn made",)


@needs_corpus
def test_paragraph_lines_point_into_the_file(docs):
    for path in FILES[:6]:
        lines = path.read_text(encoding="utf-8").splitlines()
        for p in docs[path.name].paragraphs:
            assert p.text in lines[p.line - 1]


@needs_corpus
def test_language(docs):
    assert docs["Interview 2.txt"].language == "fr"
    assert docs["Interview 7.txt"].language == "en"
    assert {d.language for n, d in docs.items() if n != "Interview 2.txt"} == {"en"}


def test_language_heuristic_on_short_texts():
    assert (
        transcript.detect_language("Oui, c'est ça, on a des données qui sont pas propres.") == "fr"
    )
    assert transcript.detect_language("Yes, that is the data we have in the pipeline.") == "en"
    assert transcript.detect_language("") == "en"


@needs_corpus
def test_text_is_kept_exactly(docs):
    two = docs["Interview 2.txt"]
    first = two.paragraphs[0].text
    raw = (TRANSCRIPTS / "Interview 2.txt").read_text(encoding="utf-8").splitlines()[0]
    assert raw.startswith("Interviewer1 : OK donc en gros")
    assert first == raw[len("Interviewer1 : ") :].strip()
    assert "n\u2019affecte" in first and "\u2026" in first  # typographic characters kept


@needs_corpus
def test_labels_and_roles(docs):
    two = docs["Interview 2.txt"]
    odd = [t for t in two.turns if t.speaker_label == "Interviewer2 2"]
    assert len(odd) == 1
    assert (odd[0].role, odd[0].speaker_number) == (SpeakerRole.INTERVIEWER, 2)
    three = docs["Interview 3.txt"]
    unknown = [t for t in three.turns if t.speaker_label == "Unknown Speaker"]
    assert [t.paragraphs[0].text for t in unknown] == ["Are you interested in scaling?"]
    assert unknown[0].role is SpeakerRole.UNKNOWN
    twenty = docs["Interview 20.txt"]
    assert twenty.turns[0].speaker_label == "" and twenty.turns[0].paragraphs[0].text == "All"


@needs_corpus
def test_file_name_gives_number_title_and_note(docs):
    doc = docs["Interview 32 - PO.txt"]
    assert (doc.interview, doc.title, doc.person) == (32, "Interview 32 - PO", None)
    assert any("PO" in note for note in doc.notes)


# --- errors ------------------------------------------------------------------------------------


def test_empty_file():
    with pytest.raises(ParseError) as err:
        transcript.read(b"  \n\n", "Interview 9.txt")
    assert err.value.file == "Interview 9.txt" and "empty" in err.value.message


def test_not_utf8_names_line_and_offset():
    data = b"Interviewer 1: Hello.\n\nInterviewee: caf\xe9 au lait\n"
    with pytest.raises(ParseError) as err:
        transcript.read(data, "Interview 9.txt")
    assert err.value.line == 3
    assert "offset 39" in err.value.message
    assert "UTF-8" in err.value.hint


def test_no_speaker_label():
    with pytest.raises(ParseError) as err:
        transcript.read(b"\nJust some notes.\nNo speakers here.\n", "Interview 9.txt")
    assert err.value.line == 2 and "no speaker label" in err.value.message


def test_file_name_without_number():
    with pytest.raises(ParseError) as err:
        transcript.read(b"Interviewer: Hi.\n", "notes.txt")
    assert err.value.file == "notes.txt" and "interview number" in err.value.message


def test_small_transcript_policies():
    data = (
        b"Before any label\n\n"
        b"Interviewer 1:  Hello there.  \n\n"
        b"A second paragraph.\n"
        b"interviewee:\n"
        b"Interviewee : Yes.\r\n"
        b"Unknown Speaker\n"
        b"Who is that?\n"
    )
    doc = transcript.read(data, "Interview 4 - Notes.txt")
    assert [t.speaker_label for t in doc.turns] == [
        "",
        "Interviewer 1",
        "Interviewee",
        "Unknown Speaker",
    ]
    assert [[p.text for p in t.paragraphs] for t in doc.turns] == [
        ["Before any label"],
        ["Hello there.", "A second paragraph."],
        ["Yes."],
        ["Who is that?"],
    ]
    assert [p.line for p in doc.paragraphs] == [1, 3, 5, 7, 9]
    assert doc.interview == 4 and doc.title == "Interview 4 - Notes"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_input_parses_or_raises_parse_error(data):
    try:
        doc = transcript.read(data, "Interview 1.txt")
    except ParseError:
        return
    assert doc.turns and all(p.text == p.text.strip() and p.text for p in doc.paragraphs)
