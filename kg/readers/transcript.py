"""Reader for the plain interview transcripts (``Interview 7.txt``).

Each turn starts on a line ``Speaker: text``; labels vary in spelling (``Interviewer 1:``,
``Interviewer1 :``, lower-case ``interviewee:``, ``Interviewer2 2:``). Each non-blank line is
a paragraph; blank lines carry nothing. Policies for the format's quirks:

* A non-blank line without a label is a further paragraph of the turn before it.
* A line that holds a speaker label alone, without a colon (``Unknown Speaker``), opens a turn
  whose speech is on the following lines.
* Lines before the first label form a turn with an empty label and an unknown speaker.
* A label with no speech at all (``Interviewee:`` followed by the next label) opens no turn;
  the document records it in ``notes``.
* Text is kept exactly: only the label, its colon and the whitespace around the speech are
  removed.

The language is read from the speech itself (:func:`detect_language`), the interview number
from the file name; a name after `` - `` in the file name (``Interview 32 - PO.txt``) goes to
``notes``, not to ``person``, since a transcript has no coder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from qikg.errors import ParseError

from ..model import Document, DocumentKind, Paragraph, SpeakerRole, Turn, speaker_role
from .text import decode

FORMAT = "transcript"

_ROLE_WORDS = r"interviewer|interviewee|unknown\s+speaker"
LABELLED = re.compile(rf"\s*(?P<label>(?:{_ROLE_WORDS})(?:\s*\d+)*)\s*:(?P<speech>.*)", re.I)
"""A line opening a turn: the label, a colon, then the speech (possibly empty)."""
LABEL_ALONE = re.compile(rf"\s*(?P<label>(?:{_ROLE_WORDS})(?:\s*\d+)*)\s*", re.I)
"""A line holding nothing but a label (the speech follows on the next lines)."""
FILE_NAME = re.compile(r".*?Interview\s*(?P<number>\d+)(?:\s*-\s*(?P<name>.+?))?\s*", re.I)
"""A file stem such as ``Interview 32 - PO``: the interview number and an optional name."""
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_REPEATED_NUMBER = re.compile(r"(\d+)(?:\s+\d+)+$")

# Short function words frequent in running speech of one language and rare in the other.
# Words spelt alike in both languages ("on", "en", "a", "me") are left out.
FRENCH_WORDS = frozenset(
    """le la les de des du un une et est que qui pas ce cette ces dans pour avec sur au aux
    mais ou donc puis je tu il elle nous vous ils elles ça ca c'est qu'on j'ai pourquoi
    comment quand aussi très tout tous être avoir fait faire peut""".split()  # noqa: SIM905
)
ENGLISH_WORDS = frozenset(
    """the and of to is that it we you they he she this with for are was were have has had
    be but or so what which when how not do does did there their about would can my our
    your i i'm it's""".split()  # noqa: SIM905
)
_WORD = re.compile("[^\\W\\d_]+(?:['\u2019][^\\W\\d_]+)?")


def detect_language(text: str) -> str:
    """Return ``"fr"`` or ``"en"``: which language's function words are more frequent in ``text``.

    The heuristic counts the words of ``text`` found in a short list of French function words
    (``le``, ``les``, ``est``, ``que``, ``ça``...) and in one of English function words
    (``the``, ``and``, ``is``, ``that``...). French wins only with more hits than English;
    a text without any (or a tie) is taken as English, the language of most of the corpus.
    """
    french = english = 0
    for match in _WORD.finditer(text.lower()):
        word = match.group().replace("\u2019", "'")
        if word in FRENCH_WORDS:
            french += 1
        elif word in ENGLISH_WORDS:
            english += 1
    return "fr" if french > english else "en"


@dataclass
class _Turn:
    label: str
    line: int
    paragraphs: list[Paragraph] = field(default_factory=list)


def _decode(data: bytes, source: str) -> str:
    return decode(data, source, hint="re-save the transcript as UTF-8")


def _interview(source: str) -> tuple[int, str, str | None]:
    """Interview number, title (the file stem) and the name after `` - `` in the file name."""
    stem = PurePath(source).stem if source.lower().endswith(".txt") else PurePath(source).name
    m = FILE_NAME.fullmatch(stem)
    if not m:
        raise ParseError(
            source,
            f"the file name {PurePath(source).name!r} carries no interview number",
            hint="name transcripts 'Interview N.txt'",
        )
    return int(m.group("number")), stem, m.group("name")


def _first_line(text: str) -> int:
    """Number of the first non-blank line of ``text`` (1 if there is none)."""
    lines = _LINE_BREAK.split(text)
    return next((i for i, raw in enumerate(lines, start=1) if raw.strip()), 1)


def _no_speech(turn: _Turn) -> str:
    return f"line {turn.line}: label {turn.label!r} has no speech; no turn made"


def _role(label: str) -> tuple[SpeakerRole, int | None]:
    """Role and number of a label; ``Interviewer2 2`` (a repeated number) reads as speaker 2."""
    if not label:
        return SpeakerRole.UNKNOWN, None
    return speaker_role(_REPEATED_NUMBER.sub(r"\1", label))


def read(data: bytes, source: str) -> Document:
    """Parse one plain transcript into a Document; raise ParseError on anything else."""
    number, title, name = _interview(source)
    if not data.strip():
        raise ParseError(source, "the file is empty", line=1, hint="pass a transcript with speech")
    text = _decode(data, source)
    turns: list[_Turn] = []
    notes: list[str] = []
    if name:
        notes.append(f"the file name names {name!r}: kept as a note, not as the document's person")
    labelled = False
    for line_no, raw in enumerate(_LINE_BREAK.split(text), start=1):
        if not raw.strip():
            continue
        m = LABELLED.fullmatch(raw) or LABEL_ALONE.fullmatch(raw)
        if m:
            labelled = True
            label = m.group("label")
            speech = m.groupdict().get("speech") or ""
            if turns and not turns[-1].paragraphs:
                dropped = turns.pop()
                notes.append(_no_speech(dropped))
            turns.append(_Turn(label, line_no))
            if speech.strip():
                turns[-1].paragraphs.append(Paragraph(text=speech.strip(), line=line_no))
            continue
        if not turns:
            turns.append(_Turn("", line_no))
            notes.append(f"line {line_no}: speech before any speaker label; a turn without label")
        turns[-1].paragraphs.append(Paragraph(text=raw.strip(), line=line_no))
    if not labelled:
        raise ParseError(
            source,
            "no speaker label found: not a transcript of 'Speaker: text' lines",
            line=_first_line(text),
            hint="start each turn with 'Interviewer 1:', 'Interviewee:' or a similar label",
        )
    if turns and not turns[-1].paragraphs:
        dropped = turns.pop()
        notes.append(_no_speech(dropped))
    if not turns:
        raise ParseError(source, "the speaker labels carry no speech", line=_first_line(text))
    speech = "\n".join(p.text for t in turns for p in t.paragraphs)
    return Document(
        source=source,
        format=FORMAT,
        title=title,
        interview=number,
        kind=DocumentKind.TRANSCRIPT,
        person=None,
        language=detect_language(speech),
        turns=tuple(
            Turn(
                speaker_label=t.label,
                role=_role(t.label)[0],
                speaker_number=_role(t.label)[1],
                paragraphs=tuple(t.paragraphs),
                line=t.line,
            )
            for t in turns
        ),
        notes=tuple(notes),
    )
