"""Reader for the text export of the Delve qualitative analysis tool.

The export is a sequence of blocks separated by blank lines: a title (``Interview 3 - Amin``),
speaker labels each followed by paragraph blocks, each paragraph optionally followed by the
codes applied to it (one per block, question ids such as ``Q5.3`` among them), and a closing
``Created with the Delve Qualitative Analysis Tool`` line.

Policies for the format's quirks:

* A paragraph block that starts with a lower-case letter and directly follows an uncoded
  paragraph of the same turn is the rest of a paragraph split by a page break: the two are
  joined with one space. Any other run of paragraph blocks stays separate paragraphs, since
  the file cannot tell a page break before a capital from a paragraph break.
* A paragraph after codes, with no speaker label between, continues the same turn.
* A paragraph before any speaker label opens a turn of unknown speaker with an empty label.
* Speech is attributed exactly as the file attributes it, even where a speaker's words run on
  under the next label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qikg.errors import ParseError

from ..model import QUESTION_ID, Document, Paragraph, SpeakerRole, Turn, speaker_role
from .text import decode

FORMAT = "delve-text"
FOOTER = re.compile(r"Created with the Delve Qualitative Analysis Tool\b.*")
TITLE = re.compile(r"Interview\s*(\d+)\s*(?:-\s*(.+?))?\s*")
SPEAKER = re.compile(r"(?:Interviewer|Interviewee|Unknown Speaker|Speaker)\s*\d*", re.I)
CODE = re.compile(
    r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+(?: (?:\[[A-Za-z]+\]|\([A-Za-z]+\)))?"
    r"|[A-Za-z]+ (?:\[[A-Za-z]+\]|\([A-Za-z]+\))"
)


@dataclass
class _Block:
    text: str
    line: int


@dataclass
class _Para:
    text: str
    line: int
    codes: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    def freeze(self) -> Paragraph:
        return Paragraph(
            text=self.text,
            line=self.line,
            codes=tuple(self.codes),
            question_ids=tuple(self.questions),
        )


@dataclass
class _Turn:
    label: str
    line: int
    paragraphs: list[_Para] = field(default_factory=list)


def _decode(data: bytes, source: str) -> str:
    return decode(
        data, source, hint="export the transcript from Delve again, or re-save the file as UTF-8"
    )


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line.strip())
        elif current:
            blocks.append(_Block(" ".join(current), start))
            current = []
    if current:
        blocks.append(_Block(" ".join(current), start))
    return blocks


def _is_code(text: str) -> bool:
    return bool(CODE.fullmatch(text)) or bool(QUESTION_ID.fullmatch(text))


def read(data: bytes, source: str) -> Document:
    """Parse one Delve text export into a Document; raise ParseError on anything else."""
    blocks = _blocks(_decode(data, source))
    if not blocks:
        raise ParseError(source, "the file is empty", line=1, hint="export the transcript again")
    title = blocks[0]
    m = TITLE.fullmatch(title.text)
    if not m:
        raise ParseError(
            source,
            f"not a Delve text export: the first line should be a title such as "
            f"'Interview 3 - Amin', found {title.text[:60]!r}",
            line=title.line,
            hint="pass a file exported from Delve as text",
        )
    if not FOOTER.fullmatch(blocks[-1].text):
        raise ParseError(
            source,
            "the closing line 'Created with the Delve Qualitative Analysis Tool' is missing: "
            "the file is truncated or not a Delve export",
            line=blocks[-1].line,
            hint="export the transcript from Delve again",
        )
    turns = _turns(blocks[1:-1], source)
    if not turns:
        raise ParseError(
            source, "no speech found between the title and the closing line", line=title.line
        )
    return Document(
        source=source,
        format=FORMAT,
        title=title.text,
        interview=int(m.group(1)),
        person=m.group(2),
        turns=tuple(
            Turn(
                speaker_label=t.label,
                role=speaker_role(t.label)[0] if t.label else SpeakerRole.UNKNOWN,
                speaker_number=speaker_role(t.label)[1] if t.label else None,
                paragraphs=tuple(p.freeze() for p in t.paragraphs),
                line=t.line,
            )
            for t in turns
        ),
    )


def _turns(blocks: list[_Block], source: str) -> list[_Turn]:
    turns: list[_Turn] = []
    previous = "start"  # kind of the previous block: start, speaker, para, code
    for block in blocks:
        text = block.text
        if SPEAKER.fullmatch(text):
            if turns and not turns[-1].paragraphs:
                raise ParseError(
                    source,
                    f"speaker label {turns[-1].label!r} is followed by another label, "
                    "not by speech",
                    line=turns[-1].line,
                )
            turns.append(_Turn(text, block.line))
            previous = "speaker"
        elif previous in ("para", "code") and _is_code(text):
            para = turns[-1].paragraphs[-1]
            (para.questions if QUESTION_ID.fullmatch(text) else para.codes).append(text)
            previous = "code"
        else:
            if not turns:
                turns.append(_Turn("", block.line))
            paras = turns[-1].paragraphs
            if previous == "para" and text[:1].islower():
                paras[-1].text = f"{paras[-1].text} {text}"
            else:
                paras.append(_Para(text, block.line))
            previous = "para"
    if turns and not turns[-1].paragraphs:
        raise ParseError(
            source, f"speaker label {turns[-1].label!r} has no speech", line=turns[-1].line
        )
    return turns
