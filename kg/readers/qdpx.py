"""Reader for REFI-QDA projects: ``.qdpx`` archives and bare ``project.qde`` files.

A ``.qdpx`` file is a zip archive holding ``project.qde`` (QDA-XML, namespace
``urn:QDA-XML:project:1.0``) and a ``sources/`` folder; a source's ``plainTextPath`` of
``internal://NAME`` names the member ``sources/NAME``. The XML is checked against the
REFI-QDA schema bundled with qikg (``kg/data/refi-qda/Project-mrt2019.xsd``); a
``schemaLocation`` in the file is never followed, nor is any DTD or external entity.

What is read: the users, the code book with its hierarchy and descriptions, each text source
(its text from ``PlainTextContent`` or from the archive), its plain-text selections with their
codings, and the notes a source refers to (``NoteRef``), kept as the document's notes.

Positions: ``startPosition`` and ``endPosition`` count Unicode code points of the source's
plain text from 0, end exclusive. Every code point counts one, line ends included, exactly as
stored: ``\\n`` counts one, a ``\\r\\n`` pair two. A byte-order mark is not part of the text.

Policies for fitting a project to the model of an interview study:

* A source's text is split into turns and paragraphs as a plain transcript is
  (``Speaker: text`` lines, see ``transcript.py``); a text with no speaker label is one turn of
  unknown speaker, one paragraph per non-blank line.
* The interview number is read from the source's name (``Interview 3 - Amin``), else it is
  the source's position among the project's text sources.
* One document per source and coder: the codings a user made of a source form that user's
  coding of it; a source nobody coded is a transcript. A coding's coder is the selection's
  ``creatingUser``, else the coding's, else the project's.
* A selection's codes go to each paragraph it overlaps; a selection covering less than the
  whole paragraph is kept as a span of it.
* A source whose text cannot be had (a bare ``project.qde`` whose sources are in the
  archive it came from, or a rich-text-only source) is left out when it holds no coding, and
  named in the project's ``skipped``; with codings it is an error.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from qikg.errors import ParseError

from ..model import CodeDefinition, Document, DocumentKind, Paragraph, Span, SpeakerRole, Turn
from . import transcript

FORMAT = "refi-qda"
NS = "urn:QDA-XML:project:1.0"
PROJECT_MEMBER = "project.qde"
INTERNAL = "internal://"
_Q = f"{{{NS}}}"
_INTERVIEW = re.compile(r".*?Interview\s*(\d+)", re.I)
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError)
"""What a damaged archive raises while it is opened or a member is read."""
_HINT_EXPORT = "export the project from the QDA tool again (REFI-QDA project, .qdpx)"


@dataclass(frozen=True)
class Project:
    """What a REFI-QDA project holds, in the terms of the model."""

    name: str
    users: tuple[str, ...]
    codes: tuple[CodeDefinition, ...]
    documents: tuple[Document, ...]
    skipped: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    """The plain text of each document's source, line ends as ``\\n``, in document order."""


@dataclass
class _Selection:
    start: int
    end: int
    codes: list[str]
    coder: str
    line: int


@dataclass
class _Context:
    """The file being read, and the names its GUIDs stand for."""

    source: str
    xml_name: str
    users: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    default_user: str | None = None

    def error(self, message: str, line: int | None = None, hint: str = "") -> ParseError:
        return ParseError(self.xml_name, message, line=line, hint=hint or _HINT_EXPORT)


@cache
def schema() -> Any:
    """The REFI-QDA project schema, loaded from the package with network access refused."""
    from lxml import etree

    text = resources.files("qikg.kg").joinpath("data/refi-qda/Project-mrt2019.xsd").read_bytes()
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(text, parser))


def parse_xml(data: bytes, name: str) -> Any:
    """The root of a QDA-XML document, checked against the schema; ParseError naming the line."""
    from lxml import etree

    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(
            name, f"not well-formed XML: {exc.msg}", line=exc.lineno or None, hint=_HINT_EXPORT
        ) from None
    if root.tag != f"{_Q}Project":
        raise ParseError(
            name,
            f"the root element is <{etree.QName(root).localname}>, not a REFI-QDA <Project> "
            f"in namespace {NS}",
            line=root.sourceline,
            hint=_HINT_EXPORT,
        )
    checker = schema()
    if not checker.validate(root):
        err = checker.error_log[0]
        message = re.sub(r"\{urn:QDA-XML:project:1\.0\}", "", err.message)
        raise ParseError(
            name,
            f"does not conform to the REFI-QDA schema: {message}",
            line=err.line or None,
            hint="correct the element named, or export the project again",
        )
    return root


def read_project(data: bytes, source: str) -> Project:
    """Parse a ``.qdpx`` archive or a bare ``project.qde``; raise ParseError on bad input."""
    archive: zipfile.ZipFile | None = None
    xml_name = source
    if data[:4] == b"PK\x03\x04" or source.lower().endswith(".qdpx"):
        archive = _open_zip(data, source)
        member = next(
            (n for n in archive.namelist() if n.lower() == PROJECT_MEMBER),
            None,
        )
        if member is None:
            raise ParseError(
                source,
                "the archive holds no project.qde at its top level: not a REFI-QDA project",
                hint=_HINT_EXPORT,
            )
        xml_name = f"{source}: {member}"
        xml = _member(archive, member, source)
    else:
        xml = data
    root = parse_xml(xml, xml_name)
    ctx = _Context(source, xml_name)
    for user in root.iter(f"{_Q}User"):
        ctx.users[_guid(user.get("guid"))] = user.get("name") or user.get("id") or user.get("guid")
    creator = root.get("creatingUserGUID")
    ctx.default_user = ctx.users.get(_guid(creator)) if creator else None
    codes = list(_codes(root, ctx))
    for note in root.iter(f"{_Q}Note"):
        ctx.notes[_guid(note.get("guid"))] = _text_of(note.find(f"{_Q}PlainTextContent"))
    documents: list[Document] = []
    plain: list[str] = []
    skipped: list[str] = []
    sources = root.find(f"{_Q}Sources")
    texts = [] if sources is None else list(sources.iter(f"{_Q}TextSource"))
    for index, element in enumerate(texts, start=1):
        text = _source_text(element, archive, ctx)
        name = element.get("name") or f"Source {index}"
        if text is None:
            if element.find(f"{_Q}PlainTextSelection") is not None:
                raise ctx.error(
                    f"TextSource {name!r} has codings but its text is not in hand "
                    f"(plainTextPath {element.get('plainTextPath')!r})",
                    line=element.sourceline,
                    hint="pass the .qdpx archive, which holds the sources",
                )
            skipped.append(f"{name}: its text is not in this file")
            continue
        made = _documents(element, name, index, text, ctx, tuple(codes))
        documents.extend(made)
        plain.extend([text.replace("\r\n", "\n").replace("\r", "\n")] * len(made))
    return Project(
        name=root.get("name") or "",
        users=tuple(dict.fromkeys(ctx.users.values())),
        codes=tuple(codes),
        documents=tuple(documents),
        skipped=tuple(skipped),
        texts=tuple(plain),
    )


def _open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise ParseError(
            source,
            f"not a zip archive ({exc}): a .qdpx project is a zip of project.qde and sources/",
            hint=_HINT_EXPORT,
        ) from None


def _member(archive: zipfile.ZipFile, member: str, source: str) -> bytes:
    try:
        return archive.read(member)
    except ZIP_ERRORS as exc:
        raise ParseError(
            f"{source}: {member}", f"cannot be read from the archive ({exc})", hint=_HINT_EXPORT
        ) from None


def _guid(value: str | None) -> str:
    return (value or "").strip("{}").upper()


def _text_of(element: Any) -> str:
    return "" if element is None or element.text is None else str(element.text)


def _codes(root: Any, ctx: _Context) -> Iterator[CodeDefinition]:
    """The code book, depth first, each code with its parent's name."""
    book = root.find(f"{_Q}CodeBook/{_Q}Codes")
    if book is None:
        return

    def walk(element: Any, parent: str | None) -> Iterator[CodeDefinition]:
        for code in element.findall(f"{_Q}Code"):
            name = code.get("name").strip()
            if not name:
                raise ctx.error("a Code has an empty name", line=code.sourceline)
            ctx.codes[_guid(code.get("guid"))] = name
            description = _text_of(code.find(f"{_Q}Description")).strip() or None
            yield CodeDefinition(name, parent, description)
            yield from walk(code, name)

    yield from walk(book, None)


def _source_text(element: Any, archive: zipfile.ZipFile | None, ctx: _Context) -> str | None:
    """The plain text of a TextSource, or None when this file does not hold it."""
    content = element.find(f"{_Q}PlainTextContent")
    if content is not None:
        return _text_of(content)
    path = element.get("plainTextPath") or ""
    if not path.startswith(INTERNAL) or archive is None:
        return None
    member = "sources/" + path[len(INTERNAL) :]
    if member not in archive.namelist():
        raise ctx.error(
            f"TextSource {element.get('name')!r} names {path!r}, but the archive has no "
            f"member {member!r}",
            line=element.sourceline,
            hint="put the source's plain text at that path in the archive, or export again",
        )
    data = _member(archive, member, ctx.source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{ctx.source}: {member}",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            line=data[: exc.start].count(b"\n") + 1,
            hint="a REFI-QDA plain-text source is UTF-8: convert it and pack the project again",
        ) from None


def _documents(
    element: Any,
    name: str,
    index: int,
    text: str,
    ctx: _Context,
    codebook: tuple[CodeDefinition, ...],
) -> list[Document]:
    """One document per coder of the source (or one transcript when nobody coded it)."""
    m = _INTERVIEW.match(name)
    number = int(m.group(1)) if m else index
    base = _segment(text, number, name, ctx)
    places = _places(base, text)
    notes = tuple(
        ctx.notes[_guid(ref.get("targetGUID"))]
        for ref in element.findall(f"{_Q}NoteRef")
        if _guid(ref.get("targetGUID")) in ctx.notes
    )
    selections = [
        _selection(s, name, len(text), ctx) for s in element.iter(f"{_Q}PlainTextSelection")
    ]
    common = Document(
        source=ctx.source,
        format=FORMAT,
        title=name,
        interview=number,
        turns=base.turns,
        kind=DocumentKind.TRANSCRIPT,
        language=base.language,
        notes=notes,
        codebook=codebook,
    )
    if not selections:
        return [common]
    coders = list(dict.fromkeys(s.coder for s in selections))
    return [
        replace(
            common,
            turns=_coded_turns(base, places, [s for s in selections if s.coder == coder], text),
            kind=DocumentKind.CODING,
            person=coder,
        )
        for coder in coders
    ]


def _segment(text: str, number: int, name: str, ctx: _Context) -> Document:
    """Turns and paragraphs of a source's text, read as a plain transcript when it is one."""
    try:
        return transcript.read(text.encode("utf-8"), f"Interview {number}.txt")
    except ParseError as exc:
        if "no speaker label" not in exc.message and "carry no speech" not in exc.message:
            raise ctx.error(f"TextSource {name!r}: {exc.message}") from None
    lines = [(i, raw.strip()) for i, raw in enumerate(text.splitlines(), 1) if raw.strip()]
    if not lines:
        raise ctx.error(f"TextSource {name!r} has no text", hint="remove the empty source")
    paragraphs = tuple(Paragraph(text=t, line=i) for i, t in lines)
    speech = "\n".join(t for _, t in lines)
    return Document(
        source=name,
        format=FORMAT,
        title=name,
        interview=number,
        turns=(Turn("", SpeakerRole.UNKNOWN, paragraphs, line=lines[0][0]),),
        language=transcript.detect_language(speech),
    )


def _places(doc: Document, text: str) -> list[tuple[int, int]]:
    """Where each paragraph's text sits in the source text, in document order."""
    out = []
    cursor = 0
    for para in doc.paragraphs:
        start = text.find(para.text, cursor)
        if start < 0:  # paragraphs are the text's own lines, stripped: always found
            raise AssertionError(f"paragraph not found in its text: {para.text[:40]!r}")
        cursor = start + len(para.text)
        out.append((start, cursor))
    return out


def _selection(element: Any, name: str, length: int, ctx: _Context) -> _Selection:
    start = int(element.get("startPosition"))
    end = int(element.get("endPosition"))
    line = element.sourceline
    if not 0 <= start < end <= length:
        raise ctx.error(
            f"PlainTextSelection {element.get('guid')} of TextSource {name!r} spans positions "
            f"{start}..{end}, outside the source's text of {length} characters "
            "(0 <= start < end <= length, in Unicode code points)",
            line=line,
            hint="correct startPosition and endPosition, or export the project again",
        )
    codes = []
    coder = element.get("creatingUser")
    for coding in element.findall(f"{_Q}Coding"):
        target = _guid(coding.find(f"{_Q}CodeRef").get("targetGUID"))
        if target not in ctx.codes:
            raise ctx.error(
                f"a Coding refers to code {target}, which the code book does not define",
                line=coding.sourceline,
                hint="add the code to the CodeBook or remove the coding",
            )
        codes.append(ctx.codes[target])
        coder = coder or coding.get("creatingUser")
    person = ctx.users.get(_guid(coder)) if coder else ctx.default_user
    if person is None:
        raise ctx.error(
            f"PlainTextSelection {element.get('guid')} names no user who made it",
            line=line,
            hint="set creatingUser to a User of the project",
        )
    return _Selection(start, end, codes, person, line)


def _coded_turns(
    base: Document, places: list[tuple[int, int]], selections: list[_Selection], text: str
) -> tuple[Turn, ...]:
    """The base turns with each selection's codes put on the paragraphs it overlaps."""
    codes: dict[int, list[str]] = {}
    spans: dict[int, list[Span]] = {}
    for sel in sorted(selections, key=lambda s: (s.start, s.end)):
        for k, (start, end) in enumerate(places):
            lo, hi = max(start, sel.start), min(end, sel.end)
            if lo >= hi:
                continue
            found = codes.setdefault(k, [])
            found.extend(c for c in sel.codes if c not in found)
            if (lo, hi) != (start, end):
                spans.setdefault(k, []).append(Span(lo - start, hi - start, text[lo:hi]))
    turns = []
    k = 0
    for turn in base.turns:
        paragraphs = []
        for para in turn.paragraphs:
            paragraphs.append(
                Paragraph(
                    text=para.text,
                    line=para.line,
                    codes=tuple(codes.get(k, ())),
                    spans=tuple(spans.get(k, ())),
                )
            )
            k += 1
        turns.append(
            Turn(turn.speaker_label, turn.role, tuple(paragraphs), turn.speaker_number, turn.line)
        )
    return tuple(turns)
