"""``qikg export --format qdpx``: a built dataset as a REFI-QDA project (``.qdpx``).

The project is read from the dataset's store, never from the transcripts. Each document
(transcript, coding, moderated coding) becomes a text source whose plain text is
``sources/GUID.txt`` in the archive (``plainTextPath="internal://GUID.txt"``): the
transcript's full text where the dataset holds it, else the document's turns written as
``Label: paragraph`` lines, one paragraph per line, a blank line between turns (the layout
of a plain transcript, which the import reads back into the same turns and paragraphs).
Each coded excerpt becomes one plain-text selection per quoted span, with one coding per
code; the code book keeps its hierarchy (``skos:broader``) and definitions; each coder is a
user.

Positions count Unicode code points from 0, end exclusive; the written texts use ``\\n``
line ends, each counting one. GUIDs are UUID version 5 (URL namespace) of the IRI of what
they stand for (a coding: its excerpt's and its code's IRIs joined by a space), so the
same dataset always gives the same project. The archive is written to a temporary file
and renamed into place once ``project.qde`` has been checked against the schema.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qikg import __version__
from qikg.errors import ParseError, QikgError

from .readers.qdpx import INTERNAL, NS, PROJECT_MEMBER, schema
from .store import OxigraphStore, Store

PREFIXES = """
PREFIX qikg: <https://w3id.org/qikg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""
DOCUMENTS = (
    PREFIXES
    + """
SELECT ?d ?title ?person ?coder ?full WHERE {
  ?d a ?kind ; dcterms:title ?title .
  VALUES ?kind { qikg:Transcript qikg:Coding qikg:ModeratedCoding }
  OPTIONAL { ?d qikg:codedBy|qikg:moderatedBy ?coder . ?coder foaf:name ?person }
  OPTIONAL { ?d qikg:fullText ?full }
} ORDER BY ?d"""
)
PARAGRAPHS = (
    PREFIXES
    + """
SELECT ?d ?t ?label ?p ?text WHERE {
  ?turn a qikg:Turn ; qikg:inDocument ?d ; qikg:position ?t ; qikg:speakerLabel ?label .
  ?para qikg:inTurn ?turn ; qikg:position ?p ; qikg:text ?text .
} ORDER BY ?d ?t ?p"""
)
CODINGS = (
    PREFIXES
    + """
SELECT ?d ?t ?p ?x ?code WHERE {
  ?x a qikg:CodedExcerpt ; qikg:inDocument ?d ; qikg:excerptOf ?para ; qikg:hasCode ?code .
  ?para qikg:inTurn ?turn ; qikg:position ?p . ?turn qikg:position ?t .
} ORDER BY ?x ?code"""
)
SPANS = (
    PREFIXES
    + """
SELECT ?x ?target ?exact ?prefix WHERE {
  ?x a qikg:CodedExcerpt ; qikg:excerptOf ?para ; oa:hasTarget ?target .
  ?target oa:hasSource ?para ; oa:hasSelector ?s .
  ?s a oa:TextQuoteSelector ; oa:exact ?exact .
  OPTIONAL { ?s oa:prefix ?prefix }
} ORDER BY ?x ?target"""
)
CODES = (
    PREFIXES
    + """
SELECT ?c ?notation ?broader ?definition WHERE {
  ?c skos:inScheme ?scheme ; skos:notation ?notation . ?scheme a qikg:Codebook .
  OPTIONAL { ?c skos:broader ?broader }
  OPTIONAL { ?c skos:definition ?definition }
} ORDER BY ?c ?broader"""
)
STUDY = PREFIXES + "SELECT ?title WHERE { ?s a qikg:Study ; dcterms:title ?title } ORDER BY ?title"


def guid(*iris: str) -> str:
    """The GUID of a resource: UUID 5 of its IRI (of several IRIs joined by a space)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, " ".join(iris))).upper()


@dataclass
class _Source:
    iri: str
    title: str
    coder: str | None
    person: str | None
    full: str | None
    turns: dict[int, tuple[str, dict[int, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportSummary:
    """What ``export_qdpx`` wrote."""

    out: Path
    sources: int
    codes: int
    selections: int
    codings: int
    users: int

    def __str__(self) -> str:
        return (
            f"{self.out}: {self.sources} text sources, {self.codes} codes, "
            f"{self.selections} selections with {self.codings} codings, {self.users} users"
        )


def _rows(store: Store, query: str) -> list[dict[str, Any]]:
    result = store.query(query)
    names = [v.value for v in result.value.variables]  # type: ignore[union-attr]
    return [
        {n: (None if row[n] is None else row[n].value) for n in names}
        for row in result.value  # type: ignore[union-attr]
    ]


def render(turns: list[tuple[str, list[str]]]) -> tuple[str, list[tuple[int, int]]]:
    """A document's text as ``Label: paragraph`` lines, and where each paragraph sits in it."""
    parts: list[str] = []
    places: list[tuple[int, int]] = []
    size = 0
    for k, (label, paragraphs) in enumerate(turns):
        if k:
            parts.append("\n")
            size += 1
        for i, text in enumerate(paragraphs):
            lead = f"{label}: " if label and i == 0 else ""
            line = " ".join(text.splitlines()).strip()
            places.append((size + len(lead), size + len(lead) + len(line)))
            parts.append(f"{lead}{line}\n")
            size += len(lead) + len(line) + 1
    return "".join(parts), places


@dataclass
class _Excerpts:
    """The coded excerpts of the dataset: codes, paragraph and quoted spans of each."""

    codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    where: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    targets: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    of_document: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def export_qdpx(data: Path, out: Path) -> ExportSummary:
    """Write the dataset built in ``data`` as the REFI-QDA project ``out`` (a .qdpx file)."""
    store_dir = data / "store"
    if not store_dir.is_dir():
        raise ParseError(
            str(data),
            "no store/ here: not a dataset folder written by 'qikg build'",
            hint="build the dataset first: qikg build INPUT... --out DIR",
        )
    store = OxigraphStore.open_read_only(store_dir)
    try:
        xml, members, summary = project_of(store, data.name)
    finally:
        store.close()
    _write_zip(out, xml, members)
    return ExportSummary(out, *summary)


def project_of(store: Store, name: str) -> tuple[bytes, dict[str, str], tuple[int, ...]]:
    """``project.qde``, the source texts by archive member, and the counts of the summary."""
    from lxml import etree

    sources: dict[str, _Source] = {}
    for row in _rows(store, DOCUMENTS):
        sources.setdefault(
            row["d"], _Source(row["d"], row["title"], row["coder"], row["person"], row["full"])
        )
    for row in _rows(store, PARAGRAPHS):
        src = sources.get(row["d"])
        if src is not None:
            paras = src.turns.setdefault(int(row["t"]), (row["label"], {}))[1]
            paras[int(row["p"])] = row["text"]
    ex = _Excerpts()
    for row in _rows(store, CODINGS):
        ex.codes[row["x"]].append(row["code"])
        ex.where[row["x"]] = (row["d"], int(row["t"]), int(row["p"]))
    for row in _rows(store, SPANS):
        ex.targets[row["x"]].append((row["target"], row["exact"], row["prefix"] or ""))
    for x, (d, _, _) in ex.where.items():
        ex.of_document[d].append(x)

    q = f"{{{NS}}}"
    root = etree.Element(f"{q}Project", nsmap={None: NS})
    titles = _rows(store, STUDY)
    root.set("name", titles[0]["title"] if titles else name)
    root.set("origin", f"qikg {__version__}")
    users = {s.coder: s.person for s in sources.values() if s.coder and s.person}
    if users:
        users_el = etree.SubElement(root, f"{q}Users")
        for iri, person in sorted(users.items()):
            etree.SubElement(users_el, f"{q}User", guid=guid(iri), name=person)
    code_count = _codebook(root, _rows(store, CODES), q)
    members: dict[str, str] = {}
    counts = [0, 0]
    if sources:
        sources_el = etree.SubElement(root, f"{q}Sources")
        for src in sources.values():
            _text_source(sources_el, src, ex, members, counts)
    checker = schema()
    if not checker.validate(root):
        raise QikgError(
            f"the project written does not conform to the REFI-QDA schema: "
            f"{checker.error_log[0].message}"
        )
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return xml, members, (len(sources), code_count, counts[0], counts[1], len(users))


def _text_source(
    parent: Any, src: _Source, ex: _Excerpts, members: dict[str, str], counts: list[int]
) -> None:
    """One document as a TextSource with its selections; its text goes into ``members``."""
    from lxml import etree

    q = f"{{{NS}}}"
    order = [(t, p) for t in sorted(src.turns) for p in sorted(src.turns[t][1])]
    turns = [
        (src.turns[t][0], [src.turns[t][1][p] for p in sorted(src.turns[t][1])])
        for t in sorted(src.turns)
    ]
    text, places = render(turns)
    if src.full is not None and not ex.of_document[src.iri]:
        text = src.full  # a transcript: its own text, exactly; it has no selections
    place_of = dict(zip(order, places, strict=True))
    sid = guid(src.iri)
    members[f"sources/{sid}.txt"] = text
    el = etree.SubElement(
        parent, f"{q}TextSource", guid=sid, name=src.title, plainTextPath=f"{INTERNAL}{sid}.txt"
    )
    user = {"creatingUser": guid(src.coder)} if src.coder else {}
    for x in sorted(ex.of_document[src.iri]):
        _, t, p = ex.where[x]
        start, end = place_of[(t, p)]
        for target, begin, stop in _spans(x, text, start, end, ex.targets.get(x, [])):
            sel = etree.SubElement(
                el,
                f"{q}PlainTextSelection",
                guid=guid(target),
                startPosition=str(begin),
                endPosition=str(stop),
                **user,
            )
            counts[0] += 1
            for code in sorted(ex.codes[x]):
                coding = etree.SubElement(sel, f"{q}Coding", guid=guid(target, code), **user)
                etree.SubElement(coding, f"{q}CodeRef", targetGUID=guid(code))
                counts[1] += 1


def _spans(
    x: str, text: str, start: int, end: int, targets: list[tuple[str, str, str]]
) -> list[tuple[str, int, int]]:
    """Positions of an excerpt's quoted spans in the source text (the paragraph when whole)."""
    para = text[start:end]
    out = []
    for target, exact, prefix in targets:
        at = -1 if exact == para else para.find(exact)
        if prefix and at >= 0:
            found = para.find(prefix[-8:] + exact)
            at = found + len(prefix[-8:]) if found >= 0 else at
        if at < 0:
            out.append((target, start, end))
        else:
            out.append((target, start + at, start + at + len(exact)))
    return out or [(f"{x}/span/1", start, end)]


def _codebook(root: Any, rows: list[dict[str, Any]], q: str) -> int:
    """The code book, each code nested in its broader code; returns the number of codes."""
    from lxml import etree

    notation: dict[str, str] = {}
    broader: dict[str, str] = {}
    definition: dict[str, str] = {}
    for row in rows:
        notation.setdefault(row["c"], row["notation"])
        if row["broader"]:
            broader.setdefault(row["c"], row["broader"])
        if row["definition"]:
            definition.setdefault(row["c"], row["definition"])
    if not notation:
        return 0
    children: dict[str | None, list[str]] = defaultdict(list)
    for c in notation:
        parent = broader.get(c)
        children[parent if parent in notation else None].append(c)
    codes_el = etree.SubElement(etree.SubElement(root, f"{q}CodeBook"), f"{q}Codes")

    def add(parent_el: Any, c: str, seen: frozenset[str]) -> None:
        el = etree.SubElement(
            parent_el, f"{q}Code", guid=guid(c), name=notation[c], isCodable="true"
        )
        if c in definition:
            etree.SubElement(el, f"{q}Description").text = definition[c]
        for child in sorted(children.get(c, []), key=notation.__getitem__):
            if child not in seen:
                add(el, child, seen | {child})

    for c in sorted(children[None], key=notation.__getitem__):
        add(codes_el, c, frozenset({c}))
    return len(notation)


def _write_zip(out: Path, xml: bytes, members: dict[str, str]) -> None:
    """Write the archive next to ``out`` and rename it into place: never half-written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_entry(PROJECT_MEMBER), xml)
            for name in sorted(members):
                archive.writestr(_entry(name), members[name].encode("utf-8"))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, so that the same dataset gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
