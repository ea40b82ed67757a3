"""The scalable build: worker processes, the cache, the checks across interviews, progress."""

from __future__ import annotations

import gc
import io
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from qikg.errors import ValidationFailure
from qikg.kg import build as build_module
from qikg.kg import cache as cache_module
from qikg.kg.build import DATASET_NQ, build
from qikg.kg.codebook import default_codebook, parse_table
from qikg.kg.crosscheck import checks, crosscheck
from qikg.kg.progress import Progress
from qikg.kg.store import OxigraphStore
from qikg.kg.study import parse as parse_study
from qikg.kg.validate import sparql_shapes

from .conftest import CORPUS, need_shared

S = "https://w3id.org/qikg/cote2024"
FILES = ("delve-text/Interview 3 - Amin.txt", "transcripts/Interview 3.txt")
FILES += ("transcripts/Interview 2.txt", "transcripts/Interview 4.txt")
"""Three interviews; in interview 3 the moderated coding is anchored in the transcript."""


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory) -> Path:
    need_shared()
    folder = tmp_path_factory.mktemp("study") / "corpus"
    for name in FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def first(study_folder, tmp_path_factory):
    """A build in two worker processes, with a fresh cache."""
    out = tmp_path_factory.mktemp("first") / "ds"
    return build([study_folder], out, jobs=2), out


def nquads(out: Path) -> bytes:
    return (out / DATASET_NQ).read_bytes()


@pytest.mark.slow
def test_workers_give_the_same_quads_as_one_process(first, study_folder, tmp_path):
    result, out = first
    assert result.reused == 0
    assert len(result.reports) == 3  # interviews 2, 3 and 4, each validated once
    one = build([study_folder], tmp_path / "one", jobs=1, use_cache=False)
    assert nquads(out) == nquads(one.out)
    assert result.triples == one.triples


@pytest.mark.slow
def test_second_build_reuses_every_interview(first, study_folder, monkeypatch):
    result, out = first
    before = nquads(out)

    def fail(*args: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(build_module, "_read_one", fail)
    monkeypatch.setattr(build_module, "_run_unit", fail)
    again = build([study_folder], out, jobs=1)
    assert again.reused == 3
    assert "0 interview(s) validated, 3 reused from cache" in again.table()
    assert set(again.seconds) == {"crosscheck"}  # nothing converted; the checks always run
    assert set(result.seconds) == {"convert", "validate", "serialise", "audit", "crosscheck"}
    assert all(spent > 0 for spent in result.seconds.values())
    assert nquads(out) == before
    assert [f.file for f in again.files] == [f.file for f in result.files]


@pytest.mark.slow
def test_a_changed_file_is_done_again_alone(first, study_folder, tmp_path):
    _, out = first
    folder = tmp_path / "corpus"
    shutil.copytree(study_folder, folder)
    transcript = folder / "transcripts" / "Interview 2.txt"
    text = transcript.read_text(encoding="utf-8")
    transcript.write_text(text + "\nInterviewee: One more sentence.\n", encoding="utf-8")
    shutil.copytree(build_module.default_cache(out), build_module.default_cache(tmp_path / "ds"))
    again = build([folder], tmp_path / "ds", jobs=1)
    assert again.reused == 2  # interviews 3 and 4
    added = set(nquads(again.out).splitlines()) - set(nquads(out).splitlines())
    assert any(b"One more sentence." in line for line in added)
    assert all(b"/interview/2/" in line for line in added)


@pytest.mark.slow
def test_a_changed_codebook_or_shapes_file_invalidates_the_cache(first, study_folder, tmp_path):
    _, out = first
    cache = tmp_path / "cache"
    shutil.copytree(build_module.default_cache(out), cache)
    csv = (Path(build_module.__file__).parent / "data" / "codebook.csv").read_text("utf-8")
    table = parse_table(csv + "Data-planted-issue,issue,,data-collection,,\n")
    assert len(table.entries) == len(default_codebook().entries) + 1
    four = study_folder / "transcripts" / "Interview 4.txt"  # cached by the first build
    assert build([four], tmp_path / "same", jobs=1, cache=cache).reused == 1
    assert build([four], tmp_path / "ds", codebook=table, jobs=1, cache=cache).reused == 0

    shapes = tmp_path / "ontology"
    shutil.copytree(Path(cache_module.resources.files("qikg.ontology")), shapes)  # type: ignore[arg-type]
    before = cache_module.code_fingerprint()
    (shapes / "shapes.ttl").write_text(
        (shapes / "shapes.ttl").read_text("utf-8") + "\n# changed\n", encoding="utf-8"
    )
    files = cache_module.resources.files
    fake = {"qikg.ontology": shapes}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache_module.resources, "files", lambda p: fake.get(p) or files(p))
        assert cache_module.code_fingerprint() != before


@pytest.mark.slow
def test_cross_document_check_stops_the_build_and_names_the_interview(study_folder, tmp_path):
    out = tmp_path / "ds"
    study = parse_study(
        """
        [study]
        id = "planted"
        title = "A study whose interview 4 follows a guide it does not describe"
        citation = "none"
        terms = "none"
        [guides.new]
        label = "The guide"
        [interviews.4]
        guide = "pilot"
        [documents."Interview 3 - Amin.txt"]
        kind = "moderation"
        [folders]
        transcripts = "transcript"
        """
    )
    with pytest.raises(ValidationFailure) as info:
        build([study_folder / "transcripts" / "Interview 4.txt"], out, study=study, use_cache=False)
    assert info.value.violations == 1
    report = info.value.report
    assert "qikgcheck:guide-outside-study" in report
    assert "https://w3id.org/qikg/planted/interview/4" in report
    assert "https://w3id.org/qikg/planted/guide/pilot" in report
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_cross_document_checks_name_the_documents(tmp_path):
    """A planted coding graph whose excerpt uses a code the codebook graph does not list."""
    planted = tmp_path / "planted.nq"
    doc = f"{S}/interview/9/coding-x"
    q = "https://w3id.org/qikg/ontology#"
    planted.write_text(
        f'<{doc}> <{q}sourceFile> "Interview 9 - X.pdf" <{doc}/graph> .\n'
        f"<{doc}/excerpt/1.1> <{q}inDocument> <{doc}> <{doc}/graph> .\n"
        f"<{doc}/excerpt/1.1> <{q}hasCode> <{S}/code/planted> <{doc}/graph> .\n"
        f"<{S}/code/known> <http://www.w3.org/2004/02/skos/core#inScheme> <{S}/codebook> "
        f"<{S}/codebook/graph> .\n"
        f"<{S}/codebook> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{q}Codebook> "
        f"<{S}/codebook/graph> .\n",
        encoding="utf-8",
    )
    store = OxigraphStore()
    store.load_dataset(planted)
    report = crosscheck(store)
    assert [r.shape for r in report.violations] == ["qikgcheck:code-outside-codebook"]
    (found,) = report.violations
    assert found.file == "Interview 9 - X.pdf"
    assert found.value == f"{S}/code/planted"
    assert doc in found.message and f"{doc}/excerpt/1.1" in str(found)


def test_every_cross_document_check_has_a_message():
    names = [c.name for c in checks()]
    assert "code-outside-codebook" in names and "guide-outside-study" in names
    assert all(c.message and "SELECT" in c.query for c in checks())


EXAMPLES = Path(__file__).resolve().parents[1] / "ontology" / "examples"
SPARQL_SHAPES = {s.shape for s in sparql_shapes()}


def violated(example: Path) -> str:
    return example.read_text("utf-8").split("\n", 1)[0].removeprefix("# violates: <")[:-1]


def shape_results(example: Path) -> set[str]:
    """The SPARQL-based shapes that fire when ``example`` is checked on a store."""
    store = OxigraphStore()
    store.load_file(example, graph="https://example.org/graph")
    return {r.shape for r in crosscheck(store).results if r.shape in SPARQL_SHAPES}


@pytest.mark.parametrize(
    "example",
    [p for p in sorted((EXAMPLES / "invalid").glob("*.ttl")) if violated(p) in SPARQL_SHAPES],
    ids=lambda p: p.stem,
)
def test_sparql_shapes_on_the_store_fire_as_in_pyshacl(example):
    assert shape_results(example) == {violated(example)}


def test_sparql_shapes_on_the_store_pass_the_valid_examples():
    assert len(SPARQL_SHAPES) == 5
    for example in sorted((EXAMPLES / "valid").glob("*.ttl")):
        assert shape_results(example) == set(), example.name


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_only():
    quiet = io.StringIO()
    with Progress("reading", 3, quiet) as bar:
        for _ in range(3):
            bar.step()
    assert quiet.getvalue() == ""
    shown = Terminal()
    with Progress("reading", 3, shown) as bar:
        for _ in range(3):
            bar.step()
    assert shown.getvalue().endswith("reading      [" + "#" * 30 + "] 3/3\n")


def _private_dirty_kib_after_collect(_: int) -> int:
    """In a worker: a full garbage collection, then the memory this process alone has written."""
    gc.collect()
    rollup = Path("/proc/self/smaps_rollup").read_text(encoding="ascii")
    return next(int(line.split()[1]) for line in rollup.splitlines() if "Private_Dirty" in line)


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux /proc")
def test_workers_do_not_copy_the_memory_they_share_with_the_build(monkeypatch):
    # A worker's garbage collection writes to each object it visits: without gc.freeze, every
    # page of the objects this process held when the worker was forked is copied into it.
    held = [{"n": n} for n in range(300_000)]
    args = [(0,), (1,)]
    with build_module._workers(2) as pool:
        frozen = build_module._map(_private_dirty_kib_after_collect, args, pool, "test")
    assert gc.get_freeze_count() == 0  # this process collects as before
    monkeypatch.setattr(gc, "freeze", lambda: None)
    with build_module._workers(2) as pool:
        copied = build_module._map(_private_dirty_kib_after_collect, args, pool, "test")
    assert len(held) == 300_000
    assert max(frozen) * 3 < min(copied), (frozen, copied)


def test_workers_are_forked_before_the_inputs_are_read(study_folder, tmp_path, monkeypatch):
    # The workers must not inherit the sources read: they are forked before reading starts,
    # and reading and converting both run in them.
    order: list[str] = []
    forked = build_module._workers

    @contextmanager
    def workers(jobs):
        with forked(jobs) as pool:
            order.append("forked")
            yield pool

    def reading(path, study):
        order.append("read")
        return build_module.read_file(path, study)

    monkeypatch.setattr(build_module, "_workers", workers)
    monkeypatch.setattr(build_module, "_read_one", reading)
    monkeypatch.setattr(build_module, "_imap", _in_process_imap)
    build([study_folder], tmp_path / "out", use_cache=False, jobs=2)
    assert order[0] == "forked" and order.count("forked") == 1
    assert order.count("read") == len(FILES)


def _in_process_imap(fn, args, pool, label):
    """The build's mapping, run here so that the test sees each call (the pool is still made)."""
    assert pool is not None
    return (fn(*a) for a in args)
