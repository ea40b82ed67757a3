"""``qikg build``: read the inputs, make the graphs, validate them, write the dataset.

Nothing is written until everything has been read and validated; the new release is then
switched in with one rename (:mod:`qikg.kg.release`), so a failed build never leaves a
half-written dataset behind.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rdflib import Graph

from qikg import __version__
from qikg.errors import ParseError, PrivacyFailure, UnsupportedInput, ValidationFailure

from .audit import Finding, Policy, audit, default_policy
from .cache import Cache, code_fingerprint, digest, settings_fingerprint, unit_key
from .codebook import Codebook, default_codebook
from .describe import DESCRIPTION_TTL, DUMPS_DIR, Dump, dataset_version, describe, write_dumps
from .graph import Builder, Context, Curation
from .iris import DEFAULT_BASE, Iris
from .loadcheck import Background, load_and_check
from .ontodoc import write_docs
from .participants import ProfileValue, default_participants
from .progress import Progress
from .release import publish
from .runs import Runs
from .sources import CodeBookFile, Read, Skipped, Source, discover, read_file
from .study import Study, default_study
from .units import FileSummary, Outcome, Settings, Unit, literals, run
from .units import nquad_lines as nquad_lines
from .validate import Report, validate

T = TypeVar("T")
DATASET_TRIG = "dataset.trig"
DATASET_NQ = "dataset.nq"
RUNS_DIR = ".runs"
DATASET_TTL = "dataset.ttl"
MANIFEST = "build.json"
STORE_DIR = "store"


def example_inputs() -> list[Path]:
    """The example bundled with the package: the Delve text export of Interview 3."""
    from importlib import resources

    folder = resources.files("qikg.kg").joinpath("data/example")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


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
    reused: int = 0
    """Interviews taken from the cache, neither converted nor validated again."""
    imported: int = 0
    """Codes the projects of codes only (no interview) brought to the codebook."""
    seconds: dict[str, float] = field(default_factory=dict)
    """CPU seconds of each step of the interviews converted in this build (not those reused),
    summed over the worker processes: ``convert``, ``validate``, ``serialise``, ``audit``; and
    ``crosscheck``, the checks across interviews on the assembled store."""

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
        units = len(self.reports)
        tail += f"; {units - self.reused} interview(s) validated, {self.reused} reused from cache"
        if self.imported:
            tail += f"; {self.imported} code(s) from code books"
        if self.skipped:
            tail += f"; {len(self.skipped)} other file(s) skipped"
        if self.errors:
            tail += f"; {len(self.errors)} file(s) failed"
        return "\n".join([head, *rows, tail])


def read_sources(
    inputs: Sequence[Path],
    study: Study,
    *,
    keep_going: bool = False,
    jobs: int | None = None,
    cache: Cache | None = None,
    pool: Executor | None = None,
) -> tuple[list[Source], list[CodeBookFile], list[Skipped], list[ParseError]]:
    """Read every input file; a folder's files of no supported format are skipped.

    Returns the sources, the code books of projects with no interview, the skipped files
    and (with ``keep_going``) the errors. Files already read by an earlier build (same
    content, name, folder and settings) come from ``cache``; the others are read in ``pool``'s
    worker processes, or, without a pool, in ``jobs`` worker processes of its own.
    """
    cache = cache or Cache(None, "")
    found, skipped = discover(inputs)
    described = digest(study)
    keys = [
        digest(
            cache.code, described, hashlib.sha256(p.read_bytes()).hexdigest(), p.name, p.parent.name
        )
        for p, _ in found
    ]
    outcomes: list[Read | ParseError | None] = [
        cache.read(k, p) for (p, _), k in zip(found, keys, strict=True)
    ]
    # the largest files first, so that no worker is left with a long one at the end
    todo = sorted(
        (i for i, o in enumerate(outcomes) if o is None), key=lambda i: -found[i][0].stat().st_size
    )
    own = pool is None and len(todo) > 1
    with _workers(jobs) if own else nullcontext(pool) as workers:
        read = _map(_read_one, [(found[i][0], study) for i in todo], workers, "reading")
    for i, outcome in zip(todo, read, strict=True):
        outcomes[i] = outcome
        if not isinstance(outcome, ParseError):
            cache.put_read(keys[i], outcome)
    sources: list[Source] = []
    books: list[CodeBookFile] = []
    errors: list[ParseError] = []
    for (path, named), got in zip(found, outcomes, strict=True):
        assert got is not None
        if isinstance(got, list):
            sources.extend(got)
        elif isinstance(got, CodeBookFile):
            books.append(got)
        elif isinstance(got, UnsupportedInput) and not named:
            skipped.append(Skipped(path, got.message))
        elif keep_going and not isinstance(got, UnsupportedInput):
            errors.append(got)
        else:
            raise got
    if not sources and not books:
        raise ParseError(
            ", ".join(map(str, inputs)),
            "no input files found",
            hint="pass Delve text exports, plain transcripts or Delve prints, or folders of them",
        )
    return sources, books, skipped, errors


def _read_one(path: Path, study: Study) -> Read | ParseError:
    try:
        return read_file(path, study)
    except ParseError as exc:
        return exc


def _run_unit(unit: Unit, settings: Settings) -> Outcome:
    return run(unit, settings)


def _map(
    fn: Callable[..., T], args: list[tuple[Any, ...]], pool: Executor | None, label: str
) -> list[T]:
    """``fn`` over ``args`` in order, in ``pool``'s worker processes when there are several."""
    return list(_imap(fn, args, pool, label))


def _jobs(jobs: int | None) -> int:
    """The number of worker processes: ``jobs``, or one per core when it is not given."""
    return jobs or os.cpu_count() or 1


@contextmanager
def _workers(jobs: int | None) -> Iterator[Executor | None]:
    """``jobs`` worker processes, forked at once (none when ``jobs`` is 1).

    Forked before the build reads its inputs, the workers share none of them with it: a large
    build would otherwise have each worker map the pages of every source read. While they
    fork, this process's objects are frozen, left out of the workers' garbage collections,
    which would otherwise write to (and so copy) every page they share with it. Each worker
    parses the ontology and shapes when its first interview needs them.
    """
    count = _jobs(jobs)
    if count < 2:
        yield None
        return
    with ProcessPoolExecutor(count) as pool:
        gc.freeze()
        try:
            pool.submit(int).result()  # the first task forks every worker
        finally:
            gc.unfreeze()
        yield pool


def _imap(
    fn: Callable[..., T], args: list[tuple[Any, ...]], pool: Executor | None, label: str
) -> Iterator[T]:
    """:func:`_map` yielding each result as soon as it and those before it are done, so the
    caller can write it out and let it go instead of holding every result at once."""
    with Progress(label, len(args)) as bar:
        if pool is None or len(args) < 2:
            for a in args:
                yield fn(*a)
                bar.step()
            return
        for done in pool.map(fn, *zip(*args, strict=True)):
            yield done
            bar.step()


def _outcomes(
    units: list[Unit], keys: list[str], settings: Settings, cache: Cache, pool: Executor | None
) -> Iterator[Outcome]:
    """Each unit's outcome in order: from the cache, or converted and validated (and then
    kept in the cache when it conforms). Cached outcomes are loaded one at a time."""
    todo = [i for i, k in enumerate(keys) if not cache.has_outcome(k)]
    ran = _imap(_run_unit, [(units[i], settings) for i in todo], pool, "validating")
    fresh = set(todo)
    for i, (unit, key) in enumerate(zip(units, keys, strict=True)):
        found = None if i in fresh else cache.outcome(key)
        if found is not None:
            yield found
            continue
        done = next(ran) if i in fresh else run(unit, settings)
        if done.report.conforms and not _open(done.findings):
            cache.put_outcome(key, done)
        yield done


def default_cache(out: Path) -> Path:
    """Where a build into ``out`` keeps its cache: the hidden folder ``.{name}.cache`` beside it."""
    return out.parent / f".{out.name}.cache"


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
    jobs: int | None = None,
    cache: Path | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Build the dataset of ``inputs`` into ``out``; raise on bad input or invalid data.

    Each interview is converted and validated on its own, in ``jobs`` worker processes (one
    per core by default), then the checks across interviews run on the assembled store.
    Files and interviews unchanged since a build that used the same ``cache`` folder
    (default: :func:`default_cache`) are taken from it instead.
    """
    shipped = study is None or study.id == default_study().id
    study = study or default_study()
    codebook = codebook or default_codebook()
    policy = policy or default_policy()
    if participants is None:
        participants = default_participants() if shipped else []
    store_cache = Cache((cache or default_cache(out)) if use_cache else None, code_fingerprint())
    iris = Iris(base, study.id)
    settings = Settings(iris, study, codebook, policy, shipped and codebook is default_codebook())
    fingerprint = settings_fingerprint(settings, store_cache.code)
    tmp: Path | None = None
    try:
        with _workers(jobs) as pool:
            sources, books, skipped, errors = read_sources(
                inputs, study, keep_going=keep_going, jobs=jobs, cache=store_cache, pool=pool
            )
            units = _units(sources, participants)
            keys = [unit_key(u, fingerprint) for u in units]
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
            runs = Runs(tmp / RUNS_DIR)
            results = _converted(units, keys, settings, store_cache, pool, runs)
        # the workers have exited, their memory freed, before the store is loaded
        shared = _shared_graphs(
            Builder(iris, study, codebook, Context(), _curation(settings)), results, books
        )
        findings = _checked(results, shared, books, policy)
        unanchored = [u for o in results for u in o.unanchored]
        by_interview = {o.interview: o for o in results}
        summaries = [by_interview[s.document.interview].summaries[s.path.name] for s in sources]
        summaries += [_book_summary(b, codebook) for b in books]
        triples, dumps, checked_s = _write_dataset(tmp, runs, shared, results, iris, study, jobs)
        manifest = {
            "qikg": __version__,
            "base": base,
            "study": study.id,
            "triples": triples,
            "graphs": len(shared) + sum(o.graphs for o in results),
            "inputs": [{"file": s.path.name, "sha256": s.sha256} for s in sources]
            + [{"file": b.path.name, "sha256": b.sha256} for b in books],
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
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    reused = sum(o.reused for o in results)
    imported = len({c.name for b in books for c in b.codes})
    seconds: dict[str, float] = {"crosscheck": checked_s}
    for o in results:
        for step, spent in [] if o.reused else o.seconds.items():
            seconds[step] = seconds.get(step, 0.0) + spent
    return BuildResult(
        out,
        triples,
        summaries,
        [o.report for o in results],
        unanchored,
        skipped,
        errors,
        findings,
        reused,
        imported,
        seconds,
    )


def _converted(
    units: list[Unit],
    keys: list[str],
    settings: Settings,
    cache: Cache,
    pool: Executor | None,
    runs: Runs,
) -> list[Outcome]:
    """Each unit's outcome, its lines written to ``runs`` as it is done (a large study's lines
    never sit in memory together) and dropped from the outcome."""
    results: list[Outcome] = []
    for done in _outcomes(units, keys, settings, cache, pool):
        runs.add(done.lines)
        results.append(replace(done, lines=[]))
    return results


def _curation(settings: Settings) -> Curation:
    """The curated tables shipped with the study, when the build is of the shipped study."""
    return Curation.shipped() if settings.curated else Curation()


def _shared_graphs(
    builder: Builder, results: list[Outcome], books: list[CodeBookFile]
) -> list[Graph]:
    """The graphs no interview has alone: the study's people, and the codebook with every
    code written, asked or defined by an interview or an imported code book."""
    defined = [c for o in results for c in o.defined] + [c for b in books for c in b.codes]
    return [
        builder.study_graph(p for o in results for p in o.people),
        builder.codebook_graph(
            (w for o in results for w in o.written),
            (q for o in results for q in o.questions),
            defined,
        ),
    ]


def _checked(
    results: list[Outcome], shared: list[Graph], books: list[CodeBookFile], policy: Policy
) -> list[Finding]:
    """Every privacy finding; raise on an open one or on a violation of any interview's
    report or of the merged codebook (which is no interview's, so it is checked here)."""
    findings = audit(literals(shared), policy) + [f for o in results for f in o.findings]
    open_findings = _open(findings)
    if open_findings:
        raise PrivacyFailure(open_findings)
    merged = [validate(shared[:1], shared[1], sparql=False)] if books else []
    failed = [r for rep in [o.report for o in results] + merged for r in rep.violations]
    if failed:
        raise ValidationFailure("\n".join(str(r) for r in failed), len(failed))
    return findings


def _write_dataset(
    tmp: Path,
    runs: Runs,
    shared: list[Graph],
    results: list[Outcome],
    iris: Iris,
    study: Study,
    jobs: int | None,
) -> tuple[int, list[Dump], float]:
    """Write the dataset's files and store into ``tmp``; its triples, dumps and the CPU
    seconds of the checks across interviews. Raise when those checks fail."""
    from .store import OxigraphStore

    runs.add(line for g in shared for line in nquad_lines(g))
    prefixes = {p: str(ns) for g in shared for p, ns in g.namespaces() if p}
    for o in results:
        prefixes.update(o.prefixes)
    triples = runs.merge(tmp / DATASET_NQ)
    # the store is loaded and checked in another process while this one writes the files
    with _checking(tmp / DATASET_NQ, tmp / STORE_DIR, jobs) as checking:
        _write(prefixes, tmp)
        dumps = write_dumps(
            tmp / DUMPS_DIR, tmp / DATASET_NQ, tmp / DATASET_TTL, tmp / DATASET_TRIG, study.id
        )
        crossed, checked_s = checking.result()
    if crossed.violations:
        raise ValidationFailure(crossed.text(), len(crossed.violations))
    store = OxigraphStore(tmp / STORE_DIR)
    try:
        description = describe(store, iris, dumps, issued=_build_time())
    finally:
        store.close()
    description.serialize(tmp / DESCRIPTION_TTL, format="turtle", encoding="utf-8")
    return triples, dumps, checked_s


def _book_summary(book: CodeBookFile, codebook: Codebook) -> FileSummary:
    """The build table's row of a project of codes only: the codes it brings, no interview."""
    note = f"code book only: {len(book.codes)} codes joined the codebook"
    if curated := sum(codebook.known(c.name) for c in book.codes):
        note += f" ({curated} of them curated)"
    if book.skipped:
        note += f"; {len(book.skipped)} sources without their text left out"
    return FileSummary(book.path.name, 0, 0, len(book.codes), warnings=0, note=note)


def _units(sources: list[Source], participants: list[ProfileValue]) -> list[Unit]:
    """The sources grouped by interview, each with its participant's profile values."""
    by_interview: dict[int, list[Source]] = {}
    for s in sources:
        by_interview.setdefault(s.document.interview, []).append(s)
    return [
        Unit(n, tuple(group), tuple(v for v in participants if v.interview == n))
        for n, group in sorted(by_interview.items())
    ]


def _open(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == "open"]


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


def _write(prefixes: dict[str, str], folder: Path) -> None:
    """Write the TriG of the (sorted) N-Quads in ``folder`` and a Turtle merge of all graphs,
    reading the N-Quads quad by quad."""
    import pyoxigraph as ox

    nq = folder / DATASET_NQ
    quads = ox.parse(path=nq, format=ox.RdfFormat.N_QUADS)
    ox.serialize(quads, folder / DATASET_TRIG, ox.RdfFormat.TRIG, prefixes=prefixes)
    triples = _distinct(q.triple for q in ox.parse(path=nq, format=ox.RdfFormat.N_QUADS))
    ox.serialize(triples, folder / DATASET_TTL, ox.RdfFormat.TURTLE, prefixes=prefixes)


class _Inline:
    """:func:`load_and_check` in this process (a build with one job)."""

    def __init__(self, nquads: Path, store_dir: Path) -> None:
        self._args = (nquads, store_dir)

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def result(self) -> tuple[Report, float]:
        return load_and_check(*self._args)


def _checking(nquads: Path, store_dir: Path, jobs: int | None) -> Background | _Inline:
    """The store's load and the checks across interviews: beside this process, in a child
    interpreter, unless ``jobs`` is 1."""
    if _jobs(jobs) < 2:
        return _Inline(nquads, store_dir)
    return Background(nquads, store_dir)


def _distinct(triples: Iterable[T]) -> Iterator[T]:
    """Each triple once, at its first place. The N-Quads are sorted and a line starts with its
    triple, so the copies of a triple in several graphs come one after another."""
    last: object = None
    for t in triples:
        if t != last:
            yield t
        last = t
