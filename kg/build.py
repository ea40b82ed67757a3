"""``qikg build``: read the inputs, make the graphs, validate them, write the dataset.

Nothing is written until everything has been read and validated; the output folder is then
replaced in one rename, so a failed build never leaves a half-written dataset behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdflib import Graph

from qikg import __version__
from qikg.errors import ParseError, ValidationFailure

from .codebook import Codebook, default_codebook
from .graph import Builder
from .iris import DEFAULT_BASE, Iris
from .model import Document
from .readers import delve_text
from .study import Study, default_study
from .validate import Report, validate

Reader = Callable[[bytes, str], Document]
DATASET_TRIG = "dataset.trig"
DATASET_NQ = "dataset.nq"
DATASET_TTL = "dataset.ttl"
MANIFEST = "build.json"
STORE_DIR = "store"


def example_inputs() -> list[Path]:
    """The example bundled with the package: the Delve text export of Interview 3."""
    from importlib import resources

    folder = resources.files("qikg.kg").joinpath("data/example")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


def reader_for(path: Path, data: bytes) -> Reader:
    """Choose the reader for one input file, by its content."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf\r\n\t ")
    if path.suffix.lower() == ".txt" and head.startswith(b"Interview"):
        return delve_text.read
    raise ParseError(
        path.name,
        "not a supported input: expected a Delve text export starting with a title such as "
        "'Interview 3 - Amin'",
        line=1,
        hint="pass Delve text exports (.txt)",
    )


def discover(inputs: Iterable[Path]) -> list[Path]:
    """The input files: files as given, folders searched for ``.txt`` files."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found.extend(sorted(p for p in item.rglob("*.txt") if p.is_file()))
        elif item.is_file():
            found.append(item)
        else:
            raise ParseError(str(item), "no such file or folder", hint="check the path")
    return found


@dataclass
class FileSummary:
    """One row of the build table."""

    file: str
    turns: int
    excerpts: int
    codes: int
    warnings: int = 0


@dataclass
class BuildResult:
    """What a build produced: the dataset files, the validation reports, the table."""

    out: Path
    triples: int
    files: list[FileSummary]
    reports: list[Report] = field(default_factory=list)

    def table(self) -> str:
        head = f"{'file':<40} {'turns':>6} {'excerpts':>9} {'codes':>6} {'warnings':>9}"
        rows = [
            f"{f.file[:40]:<40} {f.turns:>6} {f.excerpts:>9} {f.codes:>6} {f.warnings:>9}"
            for f in self.files
        ]
        return "\n".join(
            [head, *rows, f"{len(self.files)} file(s), {self.triples} triples -> {self.out}"]
        )


def read_documents(paths: Sequence[Path], study: Study) -> list[Document]:
    """Read every input; the study description says what kind each document is."""
    docs = []
    for path in paths:
        data = path.read_bytes()
        doc = reader_for(path, data)(data, path.name)
        kind = study.document_kind(path.name) or doc.kind
        docs.append(replace(doc, kind=kind))
    return docs


def build(
    inputs: Sequence[Path],
    out: Path,
    *,
    base: str = DEFAULT_BASE,
    study: Study | None = None,
    codebook: Codebook | None = None,
) -> BuildResult:
    """Build the dataset of ``inputs`` into ``out``; raise on bad input or invalid data."""
    from .store import OxigraphStore

    study = study or default_study()
    codebook = codebook or default_codebook()
    paths = discover(inputs)
    if not paths:
        raise ParseError(
            ", ".join(map(str, inputs)), "no input files found", hint="pass .txt files"
        )
    docs = read_documents(paths, study)
    builder = Builder(Iris(base, study.id), study, codebook)
    graphs = builder.graphs(docs)
    codebook_graph = graphs[1]
    by_id = {g.identifier: g for g in graphs}
    reports = []
    for number in sorted({d.interview for d in docs}):
        unit = [by_id[builder.iris.interview_graph(number)]]
        unit += [by_id[builder.iris.document_graph(d)] for d in docs if d.interview == number]
        reports.append(validate(unit, codebook_graph))
    failed = [r for rep in reports for r in rep.violations]
    if failed:
        raise ValidationFailure("\n".join(str(r) for r in failed), len(failed))

    summaries = [_summary(d, path, reports) for d, path in zip(docs, paths, strict=True)]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        triples = _write(graphs, tmp)
        store = OxigraphStore(tmp / STORE_DIR)
        store.load_dataset(tmp / DATASET_NQ)
        store.close()
        manifest = {
            "qikg": __version__,
            "base": base,
            "study": study.id,
            "triples": triples,
            "graphs": len(graphs),
            "inputs": [
                {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                for p in paths
            ],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, triples, summaries, reports)


def _summary(doc: Document, path: Path, reports: list[Report]) -> FileSummary:
    paras = doc.paragraphs
    warnings = sum(1 for rep in reports for r in rep.warnings if r.file == path.name)
    return FileSummary(
        file=path.name,
        turns=len(doc.turns),
        excerpts=sum(1 for p in paras if p.coded),
        codes=len({c for p in paras for c in p.codes}),
        warnings=warnings,
    )


def _write(graphs: list[Graph], folder: Path) -> int:
    """Write N-Quads (sorted), TriG and a Turtle merge of all graphs; return the triple count."""
    import pyoxigraph as ox

    lines: list[str] = []
    prefixes: dict[str, str] = {}
    for g in graphs:
        name = f" <{g.identifier}> .\n"
        lines.extend(
            t[:-2] + name for t in g.serialize(format="nt").splitlines(keepends=True) if t.strip()
        )
        prefixes.update((p, str(ns)) for p, ns in g.namespaces() if p)
    lines.sort()
    nq = folder / DATASET_NQ
    nq.write_text("".join(lines), encoding="utf-8")
    quads = list(ox.parse(path=nq, format=ox.RdfFormat.N_QUADS))
    ox.serialize(quads, folder / DATASET_TRIG, ox.RdfFormat.TRIG, prefixes=prefixes)
    triples = list(dict.fromkeys(q.triple for q in quads))
    ox.serialize(triples, folder / DATASET_TTL, ox.RdfFormat.TURTLE, prefixes=prefixes)
    return len(lines)


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` in place of ``out`` by renames; the old dataset is removed last."""
    if out.exists():
        if not (out / MANIFEST).exists() and any(out.iterdir()):
            raise ParseError(
                str(out),
                "the output folder exists and is not a qikg dataset; refusing to replace it",
                hint="choose an empty or new folder for --out",
            )
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        new.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(out)
