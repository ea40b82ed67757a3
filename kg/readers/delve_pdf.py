"""Reader for the "print" PDFs of a Delve transcript (``2023-06-04-Interview 7 - PO.pdf``).

A Delve print is a web page printed by Chrome: each page has a header (``6/4/23, 6:16 PM
<file title>``) and a footer (``https://app.delvetool.com/transcripts/<id>/print n/N``);
speaker labels stand alone on a line in bold; a paragraph of speech may be followed by a line
of smaller code "pills"; the coded words of a paragraph are underlined by thin filled
rectangles. Reading it takes geometry, hence pdfplumber (pdfminer.six underneath): plain
text extraction keeps neither the underlines nor the font and size of a line. Each page is
interpreted once, and its characters and rectangles are read from that single pass.

Policies:

* Line kinds come from the characters: bold at body size is a speaker label, markedly
  smaller than body size is a code line, markedly larger is the page-1 title (skipped).
* Paragraphs: on a page, a wider vertical gap starts a new paragraph. At a page break,
  Chrome's tagged PDF says it: a paragraph cut by the break is one ``P`` element of the
  structure tree, and is read as one Paragraph. Without a structure tree, the paragraph
  continues when the new page starts at its first line slot (no gap above) and the last
  line of the previous page does not end a sentence.
* Codes: a code line follows the paragraph it codes; pills are told apart by the horizontal
  gap between them. Question ids (``Q5.3``) go to ``question_ids``, the rest to ``codes``,
  both exactly as written and in page order.
* Spans: the characters above an underline are the evidence, even where an underline starts
  inside a word. Underlined runs that touch across a line or page break are one Span. The
  print does not say which code an underline stands for: the paragraph is the coded unit,
  its spans the evidence for all its codes. Delve does not underline every coded paragraph
  (interviewers' questions coded with a question id often are not): such a paragraph is
  coded and has no spans.
* A paragraph whose only text is a speaker label (``Unknown Speaker``) is read as a label,
  as the Delve text export does; a label without speech makes no turn (noted); Delve's
  closing line ``Created with the Delve Qualitative Analysis Tool`` is dropped.
* ``Paragraph.line`` counts the text lines of its page below the header, title included.
* ``Document.kind`` is left None: the folder of a print says whether it is a coding or a
  moderation. ``Document.printed`` is the header's date and time (US format, local time).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pdfplumber
from pdfminer.layout import LTChar, LTContainer, LTCurve, LTPage
from pdfminer.pdfcolor import PDFColorSpace
from pdfminer.pdffont import PDFFont, PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFGraphicState, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdftypes import PDFObjRef, resolve1
from pdfminer.utils import Matrix, apply_matrix_rect
from pdfplumber.page import PDFPageAggregatorWithMarkedContent
from pdfplumber.pdf import PDF

from qikg.errors import ParseError, UnsupportedInput

from ..model import QUESTION_ID, Document, Paragraph, Span, SpeakerRole, Turn, speaker_role
from .transcript import detect_language

FORMAT = "delve-pdf"
HEADER = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{2}|\d{4}),\s*"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[AP]M)\s*(?P<title>.*)"
)
FOOTER = re.compile(
    r"https://app\.delvetool\.com/transcripts/(?P<id>\d+)/print\s*(?P<page>\d+)\s*/\s*(?P<pages>\d+)"
)
TITLE = re.compile(r".*?Interview\s*(?P<number>\d+)\s*(?:-\s*(?P<person>.*?))?\s*", re.I)
CLOSING = re.compile(r"Created with the Delve Qualitative Analysis Tool\b.*")
LABEL_AS_SPEECH = re.compile(r"(?:interviewer|interviewee|unknown speaker)\s*\d*", re.I)
SENTENCE_END = re.compile("[.?!\u2026][\"'\u2019\u201d)\\]]*$")

# Distances in units of the body font size (10.5 pt in Delve prints).
SMALL, LARGE = 0.9, 1.4  # code lines are smaller than body text, the title larger
SAME_LINE = 0.4  # characters whose vertical centres are closer are on one line
WORD_GAP = 0.3  # a horizontal gap wider than this, with no space character, reads as a space
PILL_GAP = 1.0  # in code-size units: a wider gap separates two code pills
PARAGRAPH_GAP = 3.3  # line pitch is 2.2, the step to a new paragraph's first line 4.35
TOP_SLOT = 4.4  # below the header: a continued line starts at 3.7, a new paragraph at 5.1
# Underlines in points.
UNDERLINE_MAX = 2.5  # at most this thick
UNDERLINE_MIN = 0.5  # and longer than this (the piece under a single space is about 2.3)
UNDERLINE_BELOW = (-3.0, 5.0)  # from the bottom of the line of text it underlines
STRUCT_DEPTH = 64  # bound on walks through the structure tree

_AGAIN = "print the transcript again from Delve"


@dataclass(slots=True)
class _Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    mcid: int | None


@dataclass
class _Line:
    page: int
    chars: list[_Char]
    number: int = 0  # on its page, 1-based, counted below the header
    top: float = 0.0
    bottom: float = 0.0
    kind: str = "speech"  # speech, speaker, code or title
    text: str = ""
    marks: list[bool] = field(default_factory=list)  # underlined or not, per character of text


@dataclass
class _Page:
    number: int
    header: re.Match[str]
    footer: re.Match[str]
    header_bottom: float
    lines: list[_Line]
    underlines: list[tuple[float, float, float]]  # x0, x1, top
    struct_parents: Any = None  # the page's key into the structure tree's parent tree


@dataclass
class _Para:
    lines: list[_Line]
    codes: list[str] = field(default_factory=list)


@dataclass
class _Label:
    text: str
    page: int
    line: int


def read(data: bytes, source: str) -> Document:
    """Parse one Delve print PDF into a Document; raise ParseError on anything else."""
    _check_bytes(data, source)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        cause = _cause(exc)
        if cause.startswith("PDFPasswordIncorrect"):
            raise ParseError(source, "the PDF is encrypted with a password", page=1) from None
        raise ParseError(source, f"the PDF is damaged or truncated ({cause})", hint=_AGAIN) from exc
    with _closing(pdf):
        if getattr(pdf.doc, "encryption", None) is not None:
            raise ParseError(source, "the PDF is encrypted", page=1, hint=_AGAIN)
        try:
            page_objects = list(pdf.pages)
        except Exception as exc:
            raise ParseError(source, f"the PDF's pages cannot be read ({_cause(exc)})") from exc
        if not page_objects:
            raise ParseError(source, "the PDF has no pages", hint=_AGAIN)
        pages = []
        for number, page in enumerate(page_objects, start=1):
            device = _Device(pdf.rsrcmgr, pageno=number)
            try:
                PDFPageInterpreter(pdf.rsrcmgr, device).process_page(page.page_obj)
                layout = device.get_result()
            except Exception as exc:
                raise ParseError(
                    source, f"the page cannot be read ({_cause(exc)})", page=number, hint=_AGAIN
                ) from exc
            pages.append(_read_page(device.chars, layout, number, len(page_objects), source))
            pages[-1].struct_parents = page.page_obj.attrs.get("StructParents")
        return _document(pages, _Structure(pdf), source)


@contextlib.contextmanager
def _closing(pdf: PDF) -> Iterator[PDF]:
    """``pdf``, closed afterwards. Closing reads the pages again, which fails on a damaged
    file: that failure must not replace the error already raised, nor a finished reading."""
    try:
        yield pdf
    finally:
        try:
            pdf.close()
        except Exception:
            pdf.stream.close()


def _cause(exc: Exception) -> str:
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    text = str(inner).strip()
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


def _check_bytes(data: bytes, source: str) -> None:
    if not data.strip():
        raise ParseError(source, "the file is empty", hint=_AGAIN)
    if b"%PDF-" not in data[:1024]:
        raise ParseError(source, "not a PDF file (no '%PDF-' header)", hint="pass a Delve print")
    if b"%%EOF" not in data[-2048:]:
        raise ParseError(source, "the PDF is truncated (no end-of-file marker)", hint=_AGAIN)


# --- one page ---------------------------------------------------------------------------------


class _Device(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's page device, keeping each character as a small record.

    pdfplumber's own device builds a full pdfminer ``LTChar`` per character; the reader needs
    text, box, size, weight and marked-content id only, and building just those saves 10 to
    25 % of a page's time (``page.chars``, which also converts every object to a dict, takes
    more than twice as long). Paths (the underlines) are collected as usual. The class relies
    on pdfminer's ``render_char`` signature and on pdfplumber's marked-content device.
    """

    def __init__(self, rsrcmgr: PDFResourceManager, pageno: int) -> None:
        super().__init__(rsrcmgr, pageno=pageno, laparams=None)
        self.chars: list[_Char] = []
        self._fonts: dict[int, tuple[bool, float, bool]] = {}

    def render_char(
        self,
        matrix: Matrix,
        font: PDFFont,
        fontsize: float,
        scaling: float,
        rise: float,
        cid: int,
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> float:
        known = self._fonts.get(id(font))
        if known is None:
            bold = "bold" in font.fontname.lower()
            known = self._fonts[id(font)] = (font.is_vertical(), font.get_descent(), bold)
        vertical, descent, bold = known
        if vertical:  # not in Delve prints: take pdfminer's own geometry
            item = LTChar(
                matrix, font, fontsize, scaling, rise, "", font.char_width(cid),
                font.char_disp(cid), ncs, graphicstate,
            )  # fmt: skip
            (x0, y0, x1, y1), adv, size = item.bbox, item.adv, item.size
        else:  # the box LTChar would compute, without building one
            adv = font.char_width(cid) * fontsize * scaling
            low = descent * fontsize + rise
            a, b, c, d, e, f = matrix
            if b == 0 and c == 0:  # the common case, without sorted() per character
                x0, x1 = e, a * adv + e
                if x1 < x0:
                    x0, x1 = x1, x0
                y0, y1 = d * low + f, d * (low + fontsize) + f
                if y1 < y0:
                    y0, y1 = y1, y0
            else:
                x0, y0, x1, y1 = apply_matrix_rect(matrix, (0, low, adv, low + fontsize))
            size = y1 - y0
        try:
            text = font.to_unichr(cid)
        except PDFUnicodeNotDefined:
            text = "\ufffd"
        # top and bottom measured up from the page's bottom edge, negated; _read_page shifts them
        self.chars.append(_Char(text, x0, x1, -y1, -y0, size, bold, self.cur_mcid))
        return adv


def _paths(container: Iterable[Any]) -> Iterator[LTCurve]:
    for obj in container:
        if isinstance(obj, LTCurve):  # LTRect and LTLine included
            yield obj
        elif isinstance(obj, LTContainer):
            yield from _paths(obj)


def _read_page(chars: list[_Char], layout: LTPage, number: int, count: int, source: str) -> _Page:
    height = layout.y1
    for char in chars:  # to distances down from the top edge, as on the printed page
        char.top += height
        char.bottom += height
    underlines = [
        (obj.x0, obj.x1, height - obj.y1)
        for obj in _paths(layout)
        if obj.height <= UNDERLINE_MAX and obj.width > UNDERLINE_MIN and (obj.fill or obj.stroke)
    ]
    lines = _lines(chars, number)
    footer = FOOTER.fullmatch(_plain(lines[-1].chars)) if lines else None
    if footer is None:
        raise UnsupportedInput(
            source,
            "not a Delve print: the page has no Delve footer "
            "'https://app.delvetool.com/transcripts/<id>/print n/N'",
            page=number,
            hint="pass a PDF printed from Delve's print view",
        )
    if int(footer["page"]) != number or int(footer["pages"]) != count:
        raise ParseError(
            source,
            f"the footer says page {footer['page']}/{footer['pages']}, but this is page "
            f"{number} of {count}: pages are missing or out of order",
            page=number,
            hint=_AGAIN,
        )
    header = HEADER.fullmatch(_plain(lines[0].chars)) if len(lines) > 1 else None
    if header is None:
        raise ParseError(
            source, "the page has no Delve header '<date>, <time> <title>'", page=number
        )
    body = lines[1:-1]
    for index, line in enumerate(body, start=1):
        line.number = index
    return _Page(number, header, footer, lines[0].bottom, body, underlines)


def _lines(chars: list[_Char], page: int) -> list[_Line]:
    """Group characters into lines by their vertical centre, each sorted left to right."""
    lines: list[_Line] = []
    centre = 0.0
    for char in sorted(chars, key=lambda c: (c.top + c.bottom, c.x0)):
        middle = (char.top + char.bottom) / 2
        if lines and middle - centre <= SAME_LINE * char.size:
            lines[-1].chars.append(char)
        else:
            lines.append(_Line(page, [char]))
            centre = middle
    for line in lines:
        line.chars.sort(key=lambda c: c.x0)
        line.top = min(c.top for c in line.chars)
        line.bottom = max(c.bottom for c in line.chars)
    return lines


def _plain(chars: list[_Char]) -> str:
    """Text of characters, with a space where a wide gap has none (header, footer, labels)."""
    return "".join(text for text, _ in _spaced(chars, [False] * len(chars))).strip()


def _spaced(chars: list[_Char], marks: list[bool]) -> Iterator[tuple[str, bool]]:
    """Each character's text and mark, and a space (marked if both sides are) at wide gaps."""
    previous: _Char | None = None
    before = False
    for char, mark in zip(chars, marks, strict=True):
        if (
            previous is not None
            and not previous.text.isspace()
            and not char.text.isspace()
            and char.x0 - previous.x1 > WORD_GAP * char.size
        ):
            yield " ", before and mark
        yield char.text, mark
        previous, before = char, mark


# --- the document -----------------------------------------------------------------------------


def _document(pages: list[_Page], structure: _Structure, source: str) -> Document:
    body = _body_size(pages)
    for page in pages:
        for line in page.lines:
            line.kind = _classify(line, body)
        _mark(page)
    notes: list[str] = []
    blocks: list[_Para | _Label] = []
    current: _Para | None = None
    for line in (line for page in pages for line in page.lines):
        if line.kind == "speaker":
            current = None
            blocks.append(_Label(_plain(line.chars), line.page, line.number))
        elif line.kind == "code":
            if blocks and isinstance(blocks[-1], _Para):
                blocks[-1].codes.extend(_codes(line, body))
            else:
                notes.append(f"page {line.page}, line {line.number}: codes after no paragraph")
            current = None
        elif line.kind == "speech" and line.text:
            if current and _same_paragraph(current.lines[-1], line, pages, structure, body):
                current.lines.append(line)
            else:
                current = _Para([line])
                blocks.append(current)
    paragraphs = [_paragraph(b) if isinstance(b, _Para) else b for b in blocks]
    last = paragraphs[-1] if paragraphs else None
    if isinstance(last, Paragraph) and CLOSING.fullmatch(last.text) and not last.coded:
        paragraphs.pop()
    turns = _turns(paragraphs, notes)
    if not turns:
        raise ParseError(source, "the print holds no speech", page=1, hint=_AGAIN)
    header = pages[0].header
    title = header["title"].strip()
    m = TITLE.fullmatch(title)
    if not m:
        raise ParseError(
            source,
            f"the title {title!r} in the page header carries no interview number",
            page=1,
            hint="Delve file titles read 'Interview N - Name'",
        )
    return Document(
        source=source,
        format=FORMAT,
        title=title,
        interview=int(m["number"]),
        person=m["person"] or None,
        turns=tuple(turns),
        kind=None,
        language=detect_language("\n".join(p.text for t in turns for p in t.paragraphs)),
        delve_id=pages[0].footer["id"],
        printed=_printed(header, source),
        notes=tuple(notes),
    )


def _body_size(pages: list[_Page]) -> float:
    sizes = Counter(round(c.size, 1) for p in pages for line in p.lines for c in line.chars)
    return sizes.most_common(1)[0][0] if sizes else 10.5


def _classify(line: _Line, body: float) -> str:
    visible = [c for c in line.chars if not c.text.isspace()] or line.chars
    size = Counter(round(c.size, 1) for c in visible).most_common(1)[0][0]
    if size <= SMALL * body:
        return "code"
    if size >= LARGE * body:
        return "title"
    if sum(c.bold for c in visible) * 2 > len(visible):
        return "speaker"
    return "speech"


def _mark(page: _Page) -> None:
    """Set the text of each speech line of a page, and which of its characters are underlined."""
    speech = [line for line in page.lines if line.kind == "speech"]
    flags = {id(line): [False] * len(line.chars) for line in speech}
    low, high = UNDERLINE_BELOW
    for x0, x1, top in page.underlines:
        above = [line for line in speech if low <= top - line.bottom <= high]
        if not above:
            continue
        line = min(above, key=lambda ln: abs(top - ln.bottom))
        for i, char in enumerate(line.chars):
            if x0 - 0.5 <= (char.x0 + char.x1) / 2 <= x1 + 0.5:
                flags[id(line)][i] = True
    for line in speech:
        pairs = list(_spaced(line.chars, flags[id(line)]))
        text = "".join(t for t, _ in pairs)
        marks = [m for t, m in pairs for _ in t]
        start, end = len(text) - len(text.lstrip()), len(text.rstrip())
        line.text, line.marks = text[start:end], marks[start:end]


def _codes(line: _Line, body: float) -> list[str]:
    """The codes of a code line, one per pill: pills are separated by wide gaps."""
    small = [c for c in line.chars if c.size <= SMALL * body]
    groups: list[list[_Char]] = []
    for char in small:
        if groups and char.x0 - groups[-1][-1].x1 <= PILL_GAP * char.size:
            groups[-1].append(char)
        else:
            groups.append([char])
    return [t for t in ("".join(c.text for c in group).strip() for group in groups) if t]


def _same_paragraph(
    a: _Line, b: _Line, pages: list[_Page], structure: _Structure, body: float
) -> bool:
    """Whether speech line ``b`` continues the paragraph of ``a``, the speech line before it."""
    if a.page == b.page:
        return b.top - a.top < PARAGRAPH_GAP * body
    if b.page != a.page + 1:
        return False
    key_a = structure.paragraph(pages[a.page - 1], a)
    key_b = structure.paragraph(pages[b.page - 1], b)
    if key_a is not None and key_b is not None:
        return key_a == key_b
    if SENTENCE_END.search(a.text):
        return False
    return b.top - pages[b.page - 1].header_bottom < TOP_SLOT * body


def _paragraph(para: _Para) -> Paragraph:
    """Join the lines of a paragraph (one space, none after a word-breaking hyphen)."""
    text = ""
    marks: list[bool] = []
    for line in para.lines:
        if text:
            joint = "" if re.search(r"\w-$", text) and line.text[:1].isalpha() else " "
            text += joint
            marks.extend([marks[-1] and line.marks[0]] * len(joint))
        text += line.text
        marks.extend(line.marks)
    spans: list[Span] = []
    start: int | None = None
    for i, mark in enumerate([*marks, False]):
        if mark and start is None:
            start = i
        elif not mark and start is not None:
            piece = text[start:i]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                spans.append(Span(start + lead, start + lead + len(piece.strip()), piece.strip()))
            start = None
    first = para.lines[0]
    return Paragraph(
        text=text,
        line=first.number,
        page=first.page,
        codes=tuple(c for c in para.codes if not QUESTION_ID.fullmatch(c)),
        question_ids=tuple(c for c in para.codes if QUESTION_ID.fullmatch(c)),
        spans=tuple(spans),
    )


def _turns(blocks: list[Paragraph | _Label], notes: list[str]) -> list[Turn]:
    """Group paragraphs under the speaker label before them."""
    turns: list[tuple[_Label, list[Paragraph]]] = []

    def drop_empty() -> None:
        if turns and not turns[-1][1]:
            label = turns.pop()[0]
            notes.append(
                f"page {label.page}, line {label.line}: label {label.text!r} has no speech; "
                "no turn made"
            )

    for block in blocks:
        if (
            isinstance(block, Paragraph)
            and not block.coded
            and not block.spans
            and LABEL_AS_SPEECH.fullmatch(block.text)
        ):
            notes.append(
                f"page {block.page}, line {block.line}: {block.text!r} printed as speech, "
                "read as a speaker label"
            )
            block = _Label(block.text, block.page or 0, block.line or 0)
        if isinstance(block, _Label):
            drop_empty()
            turns.append((block, []))
            continue
        if not turns:
            turns.append((_Label("", block.page or 0, block.line or 0), []))
            notes.append(f"page {block.page}, line {block.line}: speech before any speaker label")
        turns[-1][1].append(block)
    drop_empty()
    result = []
    for label, paragraphs in turns:
        role, number = speaker_role(label.text) if label.text else (SpeakerRole.UNKNOWN, None)
        result.append(
            Turn(
                speaker_label=label.text,
                role=role,
                speaker_number=number,
                paragraphs=tuple(paragraphs),
                page=label.page,
                line=label.line,
            )
        )
    return result


def _printed(header: re.Match[str], source: str) -> str:
    """The header's print date and time (US month/day/year, 12-hour clock) in ISO 8601."""
    year = int(header["year"])
    try:
        when = datetime(
            year + 2000 if year < 100 else year,
            int(header["month"]),
            int(header["day"]),
            int(header["hour"]) % 12 + (12 if header["half"] == "PM" else 0),
            int(header["minute"]),
        )
    except ValueError as exc:
        raise ParseError(source, f"the page header's date is not a date ({exc})", page=1) from None
    return when.strftime("%Y-%m-%dT%H:%M")


# --- structure tree ---------------------------------------------------------------------------


class _Structure:
    """The paragraphs of the structure tree (Chrome prints are tagged PDFs), read on demand.

    A character's marked-content id leads, through the tree's parent tree, to its structure
    element; the nearest ``P`` element at or above it is its paragraph. Only lines at page
    breaks are looked up. A missing or unreadable tree answers None, and geometry decides.
    """

    def __init__(self, pdf: PDF) -> None:
        self._pdf = pdf
        self._tree: dict[Any, Any] | None = None
        self._arrays: dict[int, list[Any]] = {}
        self._found: dict[int, int | None] = {}

    def paragraph(self, page: _Page, line: _Line) -> int | None:
        """Object number of the P element holding ``line``; None if unknown or ambiguous."""
        if not isinstance(page.struct_parents, int):
            return None
        try:
            elements = self._elements(page.struct_parents)
            mcids = {c.mcid for c in line.chars if isinstance(c.mcid, int)}
            keys = {self._p_element(elements[m]) for m in mcids if 0 <= m < len(elements)}
        except Exception:  # a damaged tree is no reason to reject the print
            return None
        keys.discard(None)
        return keys.pop() if len(keys) == 1 else None

    def _elements(self, number: int) -> list[Any]:
        if number not in self._arrays:
            if self._tree is None:
                root = resolve1(self._pdf.doc.catalog.get("StructTreeRoot"))
                tree = resolve1(root.get("ParentTree")) if isinstance(root, dict) else None
                self._tree = dict(_number_tree(tree, 0))
            array = resolve1(self._tree.get(number))
            self._arrays[number] = array if isinstance(array, list) else []
        return self._arrays[number]

    def _p_element(self, ref: Any) -> int | None:
        seen: list[int] = []
        found: int | None = None
        for _ in range(STRUCT_DEPTH):
            if not isinstance(ref, PDFObjRef):
                break
            if ref.objid in self._found:
                found = self._found[ref.objid]
                break
            seen.append(ref.objid)
            element = resolve1(ref)
            if not isinstance(element, dict):
                break
            kind = element.get("S")
            if getattr(kind, "name", kind) == "P":
                found = ref.objid
                break
            ref = element.get("P")
        for objid in seen:
            self._found[objid] = found
        return found


def _number_tree(node: Any, depth: int) -> Iterator[tuple[Any, Any]]:
    """The (number, value) pairs of a PDF number tree."""
    if not isinstance(node, dict) or depth > STRUCT_DEPTH:
        return
    nums = resolve1(node.get("Nums")) or []
    yield from zip(nums[::2], nums[1::2], strict=False)
    for kid in resolve1(node.get("Kids")) or []:
        yield from _number_tree(resolve1(kid), depth + 1)
