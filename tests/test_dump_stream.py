"""The dumps written as a stream from ``dataset.nq`` have the bytes of an in-memory write."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from qikg.kg import describe
from qikg.kg.build import build
from qikg.kg.describe import write_dumps

from .conftest import CORPUS, need_shared

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def reference(nquads: Path, folder: Path) -> dict[str, bytes]:
    """The dumps as a plain in-memory write gives them: every quad in a list, a sorted set of
    the triples' N-Triples lines gzipped in one piece."""
    quads = list(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS))
    lines = sorted({str(q.triple) + " .\n" for q in quads})
    folder.mkdir()
    nt = folder / "ref.nt.gz"
    with nt.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        gz.write("".join(lines).encode("utf-8"))
    ox.serialize(quads, folder / "ref.jsonld", ox.RdfFormat.JSON_LD)
    return {"nt.gz": nt.read_bytes(), "jsonld": (folder / "ref.jsonld").read_bytes()}


def streamed(dataset: Path, folder: Path) -> dict[str, bytes]:
    dumps = write_dumps(
        folder, dataset / "dataset.nq", dataset / "dataset.ttl", dataset / "dataset.trig", "s"
    )
    return {d.format.ext: (folder / d.name).read_bytes() for d in dumps if d.format.ext in REF}


REF = ("nt.gz", "jsonld")


def ntriples(tmp_path: Path, nquads: str) -> str:
    """The text of the gzipped N-Triples that :func:`describe.write_ntriples` writes."""
    nq = tmp_path / "d.nq"
    nq.write_text(nquads, encoding="utf-8")
    path = tmp_path / "d.nt.gz"
    describe.write_ntriples(nq, path)
    assert path.read_bytes() == reference(nq, tmp_path / "ref")["nt.gz"]
    return gzip.decompress(path.read_bytes()).decode("utf-8")


def test_example_dumps_equal_the_in_memory_write(example_dataset: Path, tmp_path: Path) -> None:
    expected = reference(example_dataset / "dataset.nq", tmp_path / "ref")
    assert streamed(example_dataset, tmp_path / "dumps") == expected


def test_real_interview_dumps_equal_the_in_memory_write(tmp_path: Path) -> None:
    need_shared()
    out = tmp_path / "ds"
    build([CORPUS / "transcripts" / "Interview 10.txt"], out, use_cache=False, jobs=1)
    expected = reference(out / "dataset.nq", tmp_path / "ref")
    assert streamed(out, tmp_path / "dumps") == expected


def test_triples_in_several_graphs_are_written_once(tmp_path: Path) -> None:
    # sorted lines; <x:a> <x:p> "v" is in two graphs; _:b1's text is a prefix of _:b12's
    text = ntriples(
        tmp_path,
        '<x:a> <x:p> "v" <x:g1> .\n'
        '<x:a> <x:p> "v" <x:g2> .\n'
        '<x:a> <x:p> "v"@en <x:g1> .\n'
        "<x:a> <x:p> _:b1 <x:g1> .\n"
        "<x:a> <x:p> _:b12 <x:g2> .\n",
    )
    assert text == (
        '<x:a> <x:p> "v" .\n<x:a> <x:p> "v"@en .\n<x:a> <x:p> _:b1 .\n<x:a> <x:p> _:b12 .\n'
    )


def test_lines_out_of_their_triples_order_are_sorted_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sorted as text, but pyoxigraph writes "w"^^xsd:string as "w": its triple comes after
    # "w"@en's although its line sorts before (space < @ < ^), and it repeats the first triple
    monkeypatch.setattr(describe, "RUN_LINES", 2)
    text = ntriples(
        tmp_path,
        '<x:a> <x:p> "w" <x:g2> .\n'
        '<x:a> <x:p> "w"@en <x:g1> .\n'
        f'<x:a> <x:p> "w"^^<{XSD_STRING}> <x:g1> .\n'
        '<x:a> <x:p> "z" <x:g1> .\n'
        '<x:b> <x:p> "z" <x:g1> .\n',
    )
    assert text == (
        '<x:a> <x:p> "w" .\n<x:a> <x:p> "w"@en .\n<x:a> <x:p> "z" .\n<x:b> <x:p> "z" .\n'
    )
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["ref"]
