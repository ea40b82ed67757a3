"""One interview converted and validated on its own: the unit of work of a parallel build.

An interview's documents refer to each other (a coding's quotes are anchored in the
interview's plain transcript, profile values point at transcript turns), so the smallest
unit that validates without the rest of the study is one interview: its interview graph and
document graphs, with the codes and questions they use (the codebook) and the ontology. A
unit is a plain picklable job, so worker processes can run it and the cache can keep its
outcome; facts that cross interviews are checked afterwards on the store (``crosscheck``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.memory import Memory

from .audit import Finding, Policy, audit
from .codebook import Codebook
from .evidence import anchor_document, redact_document, redact_text
from .graph import Builder, Context, Curation, SourceRecord
from .iris import Iris
from .model import CodeDefinition, Document, DocumentKind
from .participants import ProfileValue, locate
from .sources import Source
from .study import Study
from .validate import Report, validate

PREFERENCE = {"delve-pdf": 0, "delve-text": 1, "transcript": 2}
"""Which file a document's turns come from when several files hold the same document."""


@dataclass(frozen=True)
class Settings:
    """What every unit of one build shares: IRIs, study, codebook, policy, curation."""

    iris: Iris
    study: Study
    codebook: Codebook
    policy: Policy
    curated: bool
    """Whether the shipped curation tables (catalogue, questions, code texts) apply."""


@dataclass(frozen=True)
class Unit:
    """One interview's input files (as read) and the curated profile values of its participant."""

    interview: int
    sources: tuple[Source, ...]
    participants: tuple[ProfileValue, ...] = ()


@dataclass
class FileSummary:
    """One row of the build table."""

    file: str
    turns: int
    excerpts: int
    codes: int
    unanchored: int | None = None
    warnings: int = 0
    note: str = ""


@dataclass
class Outcome:
    """A converted and validated interview: its N-Quads and what the build reports of it."""

    interview: int
    lines: list[str]
    graphs: int
    prefixes: dict[str, str]
    report: Report
    findings: list[Finding]
    summaries: dict[str, FileSummary]
    """By file name."""
    unanchored: list[str]
    written: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    defined: list[CodeDefinition] = field(default_factory=list)
    """The codes of the code books the interview's project files define."""
    reused: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds of each step of the unit's work (``convert``, ``validate``, ``audit``,
    ``serialise``) in the process that ran it."""


def run(unit: Unit, settings: Settings) -> Outcome:
    """Convert, audit and validate one interview (a pure function of its arguments)."""
    iris = settings.iris
    clock = _Clock()
    docs, context, notes = prepare(list(unit.sources), iris, settings.policy, unit.participants)
    curation = Curation.shipped() if settings.curated else Curation()
    # one store for the interview's graphs: SHACL validates their union without a copy
    builder = Builder(iris, settings.study, settings.codebook, context, curation, Memory())
    graphs = [builder.interview_graph(unit.interview, docs)]
    graphs += [builder.document_graph(d) for d in docs]
    written = [c for d in docs for p in d.paragraphs for c in p.codes]
    questions = [q for d in docs for p in d.paragraphs for q in p.question_ids]
    people = [d.person for d in docs if d.person and d.kind is not DocumentKind.TRANSCRIPT]
    defined = list({c.name: c for d in docs for c in d.codebook}.values())
    codebook = builder.codebook_graph(written, questions, defined)
    clock.lap("convert")
    report = validate(graphs, codebook, sparql=False)
    clock.lap("validate")
    unanchored = [
        f"{d.source}: turn {t}, paragraph {p}, span {k}"
        for d in docs
        for (t, p, k), a in sorted(context.anchors.get(iris.document(d), {}).items())
        if a is None
    ]
    prefixes: dict[str, str] = {}
    lines: list[str] = []
    for g in graphs:
        lines.extend(nquad_lines(g))
        prefixes.update((p, str(ns)) for p, ns in g.namespaces() if p)
    clock.lap("serialise")
    findings = audit(literals(graphs), settings.policy)
    clock.lap("audit")
    summaries = {
        s.path.name: _summary(s, iris, context, report, notes.get(s.path, "")) for s in unit.sources
    }
    return Outcome(
        interview=unit.interview,
        lines=lines,
        graphs=len(graphs),
        prefixes=prefixes,
        report=report,
        findings=findings,
        summaries=summaries,
        unanchored=unanchored,
        written=written,
        questions=questions,
        people=people,
        defined=defined,
        seconds=clock.seconds,
    )


def prepare(
    sources: list[Source], iris: Iris, policy: Policy, participants: tuple[ProfileValue, ...]
) -> tuple[list[Document], Context, dict[Path, str]]:
    """One document per document IRI, redacted, with anchors, provenance and profiles."""
    context = Context()
    notes: dict[Path, str] = {}
    groups: dict[URIRef, list[Source]] = {}
    for s in sources:
        groups.setdefault(iris.document(s.document), []).append(s)
    docs: list[Document] = []
    for d, group in groups.items():
        group.sort(key=lambda s: (PREFERENCE.get(s.document.format, 9), not _coded(s), s.path.name))
        first = group[0]
        for other in group[1:]:
            notes[other.path] = f"same document as {first.path.name}: evidence counted once"
        context.sources[d] = [SourceRecord(s.path.name, s.sha256, s.document.format) for s in group]
        red = redact_document(first.document, policy)
        context.redactions[d] = len(red.replacements)
        docs.append(red.document)
        if first.text is not None:
            text, pairs = redact_text(first.text, policy)
            context.transcripts[first.document.interview] = (red.document, text)
            context.redactions[d] = len(pairs)
    for doc in docs:
        canonical = context.transcripts.get(doc.interview)
        if canonical is not None and doc.kind is not DocumentKind.TRANSCRIPT:
            context.anchors[iris.document(doc)] = anchor_document(doc, canonical[1])
    for value in participants:
        transcript = context.transcripts.get(value.interview)
        if transcript is None:
            continue
        texts = [t.text for t in transcript[0].turns]
        found = locate(value.quote, texts)
        turn = None if found is None else found + 1
        context.profiles.setdefault(value.interview, []).append((value, turn))
    docs.sort(key=lambda d: (d.interview, str(iris.document(d))))
    return docs, context, notes


def nquad_lines(g: Graph) -> list[str]:
    """The triples of ``g`` as N-Quads lines in its named graph (unsorted)."""
    name = f" <{g.identifier}> .\n"
    nt = g.serialize(format="nt").splitlines(keepends=True)
    return [t[:-2] + name for t in nt if t.strip()]


def literals(graphs: list[Graph]) -> list[tuple[str, str]]:
    """Every literal of the graphs with its location ``subject predicate``, for the audit."""
    return [(f"{s} {p}", str(o)) for g in graphs for s, p, o in g if isinstance(o, Literal)]


class _Clock:
    """CPU time of the steps of a unit, one lap per step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.process_time()

    def lap(self, step: str) -> None:
        now = time.process_time()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._last
        self._last = now


def _coded(s: Source) -> bool:
    return any(p.coded for p in s.document.paragraphs)


def _summary(s: Source, iris: Iris, context: Context, report: Report, note: str) -> FileSummary:
    paras = s.document.paragraphs
    warnings = sum(1 for r in report.warnings if r.file == s.path.name)
    anchors = context.anchors.get(iris.document(s.document))
    return FileSummary(
        file=s.path.name,
        turns=len(s.document.turns),
        excerpts=sum(1 for p in paras if p.coded),
        codes=len({c for p in paras for c in p.codes}),
        unanchored=None if anchors is None or note else sum(a is None for a in anchors.values()),
        warnings=warnings,
        note=note,
    )
