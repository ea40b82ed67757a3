"""Plain objects a reader returns: documents, turns, paragraphs, codes.

Readers build these from one input file; nothing here knows about RDF or IRIs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

QUESTION_ID = re.compile(r"Q\d+(?:\.\d+)*")
"""An interview-guide question id as coders wrote it (``Q5.3``)."""


class SpeakerRole(Enum):
    """Who speaks a turn, as far as the source file says."""

    INTERVIEWER = "interviewer"
    INTERVIEWEE = "interviewee"
    UNKNOWN = "unknown"


class DocumentKind(Enum):
    """What a document is: the plain transcript, one coder's coding, or the moderated coding."""

    TRANSCRIPT = "transcript"
    CODING = "coding"
    MODERATION = "moderation"


@dataclass(frozen=True)
class Span:
    """A stretch of a paragraph's text marked as evidence (an underline in a PDF)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of speech, the unit coders attach codes to.

    ``codes`` holds the codes as written (question ids excluded), ``question_ids`` the
    guide-question ids; both in file order. ``spans`` are the underlined parts, empty
    where the format marks the whole paragraph. ``line`` (or ``page``) is where the
    paragraph starts in its source file, 1-based.
    """

    text: str
    line: int | None = None
    page: int | None = None
    codes: tuple[str, ...] = ()
    question_ids: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()

    @property
    def coded(self) -> bool:
        """True when any code or question id is applied to the paragraph."""
        return bool(self.codes or self.question_ids)


@dataclass(frozen=True)
class Turn:
    """A speaker's turn: the label as written, the role read from it, its paragraphs."""

    speaker_label: str
    role: SpeakerRole
    paragraphs: tuple[Paragraph, ...]
    speaker_number: int | None = None
    line: int | None = None
    page: int | None = None

    @property
    def text(self) -> str:
        """The turn's speech, paragraphs separated by a blank line."""
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class CodeDefinition:
    """A code of an imported code book: its name, its parent code's name, its description."""

    name: str
    parent: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Document:
    """One source document of an interview: a transcript or a coding of it.

    ``person`` is the name a coded file's title carries (the coder, or the moderator for a
    moderated coding); ``kind`` is None where the file alone does not say which.
    ``codebook`` holds the code book a project file defines (codes applied or not).
    """

    source: str
    format: str
    title: str
    interview: int
    turns: tuple[Turn, ...]
    kind: DocumentKind | None = None
    person: str | None = None
    language: str = "en"
    delve_id: str | None = None
    printed: str | None = None
    notes: tuple[str, ...] = field(default=())
    codebook: tuple[CodeDefinition, ...] = field(default=())

    @property
    def paragraphs(self) -> list[Paragraph]:
        """Every paragraph of the document, in order."""
        return [p for t in self.turns for p in t.paragraphs]


def speaker_role(label: str) -> tuple[SpeakerRole, int | None]:
    """Read a role and speaker number from a label such as ``Interviewer1`` or ``interviewee``."""
    m = re.fullmatch(r"\s*(interviewer|interviewee|unknown speaker)\s*(\d*)\s*", label, re.I)
    if not m:
        return SpeakerRole.UNKNOWN, None
    word = m.group(1).lower()
    number = int(m.group(2)) if m.group(2) else None
    if word == "interviewer":
        return SpeakerRole.INTERVIEWER, number
    if word == "interviewee":
        return SpeakerRole.INTERVIEWEE, number
    return SpeakerRole.UNKNOWN, number
