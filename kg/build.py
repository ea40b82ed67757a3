"""``qikg build``: read the inputs, make the graphs, validate them, write the dataset.

Nothing is written until everything has been read and validated; the new release is then
switched in with one rename (:mod:`qikg.kg.release`), so a failed build never leaves a
half-written dataset behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from qikg import __version__
from qikg.errors import ParseError, PrivacyFailure, UnsupportedInput, ValidationFailure

from .audit import Finding, Policy, audit, default_policy
from .codebook import Codebook, default_codebook
from .describe import DESCRIPTION_TTL, DUMPS_DIR, dataset_version, describe, write_dumps
from .evidence import anchor_document, redact_document, redact_text
from .graph import Builder, Context, Curation, SourceRecord
from .iris import DEFAULT_BASE, Iris
from .model import Document, DocumentKind
from .ontodoc import write_docs
from .participants import ProfileValue, default_participants, locate
from .release import publish
from .sources import Skipped, Source, discover, read_source
from .study import Study, default_study
from .validate import Report, validate

DATASET_TRIG = "dataset.trig"
DATASET_NQ = "dataset.nq"
DATASET_TTL = "dataset.ttl"
MANIFEST = "build.json"
STORE_DIR = "store"
PREFERENCE = {"delve-pdf": 0, "delve-text": 1, "transcript": 2}
"""Which file a document's turns come from when several files hold the same document."""


def example_inputs() -> list[Path]:
    """The example bundled with the package: the Delve text export of Interview 3."""
    from importlib import resources

    folder = resources.files("qikg.kg").joinpath("data/example")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


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
class BuildResult:
    """What a build produced: the dataset files, the validation reports, the table."""

    out: Path
    triples: int
    files: list[FileSummary]
    reports: list[Report] = field(default_factory=list)
    unanchored: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def table(self) -> str:
        """The per-file table printed by ``qikg build``."""
        head = (
            f"{'file':<42} {'turns':>6} {'excerpts':>9} {'codes':>6} "
            f"{'unanchored':>11} {'warnings':>9}  note"
        )
        rows = []
        for f in self.files:
            un = "-" if f.unanchored is None else str(f.unanchored)
            rows.append(
                f"{f.file[:42]:<42} {f.turns:>6} {f.excerpts:>9} {f.codes:>6} "
                f"{un:>11} {f.warnings:>9}  {f.note}".rstrip()
            )
        tail = f"{len(self.files)} file(s), {self.triples} triples -> {self.out}"
        if self.skipped:
            tail += f"; {len(self.skipped)} other file(s) skipped"
        if self.errors:
            tail += f"; {len(self.errors)} file(s) failed"
        return "\n".join([head, *rows, tail])


def read_sources(
    inputs: Sequence[Path], study: Study, *, keep_going: bool = False
) -> tuple[list[Source], list[Skipped], list[ParseError]]:
    """Read every input file; a folder's files of no supported format are skipped."""
    found, skipped = discover(inputs)
    sources: list[Source] = []
    errors: list[ParseError] = []
    for (path, named), outcome in zip(found, _read_all([p for p, _ in found], study), strict=True):
        if isinstance(outcome, Source):
            sources.append(outcome)
        elif isinstance(outcome, UnsupportedInput) and not named:
            skipped.append(Skipped(path, outcome.message))
        elif keep_going and not isinstance(outcome, UnsupportedInput):
            errors.append(outcome)
        else:
            raise outcome
    if not sources:
        raise ParseError(
            ", ".join(map(str, inputs)),
            "no input files found",
            hint="pass Delve text exports, plain transcripts or Delve prints, or folders of them",
        )
    return sources, skipped, errors


def _read_one(path: Path, study: Study) -> Source | ParseError:
    try:
        return read_source(path, study)
    except ParseError as exc:
        return exc


def _read_all(paths: list[Path], study: Study) -> list[Source | ParseError]:
    """Read the files, in worker processes when there are several cores and many files."""
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or len(paths) < 4:
        return [_read_one(p, study) for p in paths]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_read_one, paths, [study] * len(paths), chunksize=1))


def build(
    inputs: Sequence[Path],
    out: Path,
    *,
    base: str = DEFAULT_BASE,
    study: Study | None = None,
    codebook: Codebook | None = None,
    policy: Policy | None = None,
    participants: list[ProfileValue] | None = None,
    keep_going: bool = False,
) -> BuildResult:
    """Build the dataset of ``inputs`` into ``out``; raise on bad input or invalid data."""
    from .store import OxigraphStore

    shipped = study is None or study.id == default_study().id
    study = study or default_study()
    codebook = codebook or default_codebook()
    policy = policy or default_policy()
    if participants is None:
        participants = default_participants() if shipped else []
    sources, skipped, errors = read_sources(inputs, study, keep_going=keep_going)
    iris = Iris(base, study.id)
    docs, context, notes = _prepare(sources, iris, policy, participants)
    curation = Curation.shipped() if shipped and codebook is default_codebook() else Curation()
    builder = Builder(iris, study, codebook, context, curation)
    graphs = builder.graphs(docs)
    findings = audit(_literals(graphs), policy)
    open_findings = [f for f in findings if f.status == "open"]
    if open_findings:
        raise PrivacyFailure(open_findings)
    codebook_graph = graphs[1]
    by_id = {g.identifier: g for g in graphs}
    reports = []
    for number in sorted({d.interview for d in docs}):
        unit = [by_id[iris.interview_graph(number)]]
        unit += [by_id[iris.document_graph(d)] for d in docs if d.interview == number]
        reports.append(validate(unit, codebook_graph))
    failed = [r for rep in reports for r in rep.violations]
    if failed:
        raise ValidationFailure("\n".join(str(r) for r in failed), len(failed))

    unanchored = [
        f"{d.source}: turn {t}, paragraph {p}, span {k}"
        for d in docs
        for (t, p, k), a in sorted(context.anchors.get(iris.document(d), {}).items())
        if a is None
    ]
    summaries = [_summary(s, iris, context, reports, notes.get(s.path, "")) for s in sources]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        triples = _write(graphs, tmp)
        store = OxigraphStore(tmp / STORE_DIR)
        store.load_dataset(tmp / DATASET_NQ)
        try:
            dumps = write_dumps(
                tmp / DUMPS_DIR, tmp / DATASET_NQ, tmp / DATASET_TTL, tmp / DATASET_TRIG, study.id
            )
            description = describe(store, iris, dumps, issued=_build_time())
        finally:
            store.close()
        description.serialize(tmp / DESCRIPTION_TTL, format="turtle", encoding="utf-8")
        manifest = {
            "qikg": __version__,
            "base": base,
            "study": study.id,
            "triples": triples,
            "graphs": len(graphs),
            "inputs": [{"file": s.path.name, "sha256": s.sha256} for s in sources],
            "skipped": [{"file": str(k.path), "reason": k.reason} for k in skipped],
            "failed": [str(e) for e in errors],
            "unanchored": unanchored,
            "version": dataset_version(study.id),
            "description": DESCRIPTION_TTL,
            "dumps": [
                {
                    "file": d.name,
                    "media_type": d.format.media_type,
                    "encoding": d.format.encoding,
                    "bytes": d.size,
                    "sha256": d.sha256,
                }
                for d in dumps
            ],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        write_docs(tmp / "ontology")
        publish(tmp, out, manifest=MANIFEST)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, triples, summaries, reports, unanchored, skipped, errors, findings)


def _prepare(
    sources: list[Source], iris: Iris, policy: Policy, participants: list[ProfileValue]
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


def audit_dataset(folder: Path, policy: Policy) -> list[Finding]:
    """Audit the literals of a built dataset (its N-Quads) against a privacy policy."""
    import pyoxigraph as ox

    path = folder / DATASET_NQ
    if not path.is_file():
        raise ParseError(str(folder), "no dataset.nq here: not a folder written by 'qikg build'")
    texts = [
        (f"{q.subject.value} {q.predicate.value}", q.object.value)
        for q in ox.parse(path=path, format=ox.RdfFormat.N_QUADS)
        if isinstance(q.object, ox.Literal)
    ]
    return audit(texts, policy)


def _build_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def _coded(s: Source) -> bool:
    return any(p.coded for p in s.document.paragraphs)


def _literals(graphs: list[Graph]) -> list[tuple[str, str]]:
    """Every literal of the graphs with its location ``subject predicate``, for the audit."""
    return [(f"{s} {p}", str(o)) for g in graphs for s, p, o in g if isinstance(o, Literal)]


def _summary(
    s: Source, iris: Iris, context: Context, reports: list[Report], note: str
) -> FileSummary:
    paras = s.document.paragraphs
    warnings = sum(1 for rep in reports for r in rep.warnings if r.file == s.path.name)
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


def nquad_lines(g: Graph) -> list[str]:
    """The triples of ``g`` as N-Quads lines in its named graph (unsorted)."""
    name = f" <{g.identifier}> .\n"
    nt = g.serialize(format="nt").splitlines(keepends=True)
    return [t[:-2] + name for t in nt if t.strip()]


def _write(graphs: list[Graph], folder: Path) -> int:
    """Write N-Quads (sorted), TriG and a Turtle merge of all graphs; return the triple count."""
    import pyoxigraph as ox

    lines: list[str] = []
    prefixes: dict[str, str] = {}
    for g in graphs:
        lines.extend(nquad_lines(g))
        prefixes.update((p, str(ns)) for p, ns in g.namespaces() if p)
    lines.sort()
    nq = folder / DATASET_NQ
    nq.write_text("".join(lines), encoding="utf-8")
    quads = list(ox.parse(path=nq, format=ox.RdfFormat.N_QUADS))
    ox.serialize(quads, folder / DATASET_TRIG, ox.RdfFormat.TRIG, prefixes=prefixes)
    triples = list(dict.fromkeys(q.triple for q in quads))
    ox.serialize(triples, folder / DATASET_TTL, ox.RdfFormat.TURTLE, prefixes=prefixes)
    return len(lines)
