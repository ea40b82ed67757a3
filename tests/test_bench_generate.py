"""The benchmark's study generator keeps the shape of the interviews it copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.generate import generate
from qikg.kg.evidence import anchor_document
from qikg.kg.readers import delve_text, transcript

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CODED = CORPUS / "delve-text" / "Interview 3 - Amin.txt"
PLAIN = CORPUS / "transcripts" / "Interview 3.txt"

pytestmark = pytest.mark.skipif(not CODED.is_file(), reason="needs the corpus in ../shared")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Interview 3 alone: its Delve text export (the moderated coding) and its transcript."""
    root = tmp_path_factory.mktemp("corpus")
    for src, folder in ((CODED, "delve-text"), (PLAIN, "transcripts")):
        (root / folder).mkdir()
        shutil.copy(src, root / folder / src.name)
    return root


def _study(corpus: Path, out: Path, seed: int = 0) -> dict[str, int]:
    return generate(2, out, corpus=corpus, seed=seed, cache=out.parent / "cache")


def test_copies_keep_turns_codes_and_anchors(small_corpus: Path, tmp_path: Path) -> None:
    counts = _study(small_corpus, tmp_path / "study")
    assert counts == {"transcripts": 2, "codings": 0, "moderation": 2}
    original = delve_text.read(CODED.read_bytes(), CODED.name)
    for number in (1001, 1002):
        path = tmp_path / "study" / "moderation" / f"Interview {number} - Amin.txt"
        copy = delve_text.read(path.read_bytes(), path.name)
        assert copy.interview == number
        # The corpus README's figures for this file: 152 turns, 103 coded paragraphs.
        assert len(copy.turns) == 152
        assert sum(p.coded for p in copy.paragraphs) == 103
        assert [t.speaker_label for t in copy.turns] == [t.speaker_label for t in original.turns]
        pairs = list(zip(copy.paragraphs, original.paragraphs, strict=True))
        assert all(a.codes == b.codes and a.question_ids == b.question_ids for a, b in pairs)
        assert all(len(a.text.split()) == len(b.text.split()) for a, b in pairs)
        assert sum(a.text != b.text for a, b in pairs) > len(pairs) / 2
        plain_path = tmp_path / "study" / "transcripts" / f"Interview {number}.txt"
        plain = plain_path.read_text(encoding="utf-8")
        assert transcript.read(plain.encode(), plain_path.name).interview == number
        assert None not in anchor_document(copy, plain).values()


def test_seeded(small_corpus: Path, tmp_path: Path) -> None:
    _study(small_corpus, tmp_path / "a")
    _study(small_corpus, tmp_path / "b")
    _study(small_corpus, tmp_path / "c", seed=1)
    name = Path("transcripts") / "Interview 1001.txt"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
