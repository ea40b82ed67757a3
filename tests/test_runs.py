"""The streaming merge of sorted runs gives the bytes of one sort in memory."""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest

from qikg.kg import runs as runs_module
from qikg.kg.build import _distinct
from qikg.kg.runs import Runs


def _lines(rng: random.Random, n: int) -> list[str]:
    subjects = ["<http://x/a>", "<http://x/ab>", "<http://x/Z>", "<http://x/é>"]
    objects = [*subjects, '"é"@fr', '"e\\r\\n"', '"1"', '"1 <x>"']
    return [
        f"{rng.choice(subjects)} <http://x/p> {rng.choice(objects)} <http://g/{g}> .\n"
        for g in (rng.randrange(4) for _ in range(n))
    ]


@pytest.mark.parametrize("fan_in", [256, 3])
def test_merge_of_runs_equals_one_sort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fan_in: int
) -> None:
    monkeypatch.setattr(runs_module, "FAN_IN", fan_in)
    rng = random.Random(7)
    batches = [_lines(rng, rng.randrange(0, 40)) for _ in range(11)]
    runs = Runs(tmp_path / "runs")
    for batch in batches:
        runs.add(batch)
    out = tmp_path / "all.nq"
    everything = [line for batch in batches for line in batch]
    assert runs.merge(out) == len(everything)
    # duplicates kept, non-ASCII and escapes unchanged, code-point order
    assert out.read_bytes() == "".join(sorted(everything)).encode("utf-8")
    assert not (tmp_path / "runs").exists()


def test_distinct_keeps_first_of_each_triple_like_a_dict(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "d.nq"
    path.write_text("".join(sorted(_lines(rng, 200))), encoding="utf-8")
    triples = [q.triple for q in ox.parse(path=path, format=ox.RdfFormat.N_QUADS)]
    assert list(_distinct(triples)) == list(dict.fromkeys(triples))
    assert len(list(_distinct(triples))) < len(triples)
