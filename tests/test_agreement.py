"""Agreement between coders: Cohen's kappa checked by hand and, on the corpus, against an
independent computation from the parsed prints."""

from __future__ import annotations

import pytest

from qikg.kg.agreement import (
    ALL_CODES,
    Coding,
    Counts,
    agreement_rows,
    align,
    cohen_kappa,
    counts,
)
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries
from qikg.queries.run import StoreExecutor, run

from . import study_model as sm


def coding(person: str, kind: str, n: int, codes: dict[str, list[int]]) -> Coding:
    """A coding of ``n`` one-paragraph turns; ``codes`` gives the paragraphs of each code."""
    c = Coding(person, kind, {(t, 1): f"paragraph {t}" for t in range(1, n + 1)})
    for code, turns in codes.items():
        for t in turns:
            c.codes.setdefault((t, 1), set()).add(code)
    return c


# Worked by hand. Ten paragraphs; code X:
#   coder A applies it to paragraphs 1 2 3 4, coder B to 1 2 3 5 6.
#                 B: X    B: not X
#   A: X            3        1        (both = 3, only_a = 1)
#   A: not X        2        4        (only_b = 2, neither = 4)
#   p_o = (3 + 4) / 10 = 0.7
#   p_e = P(A) P(B) + P(not A) P(not B) = 0.4 * 0.5 + 0.6 * 0.5 = 0.5
#   kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
# Code Y: both apply it to paragraphs 7 and 8 only: p_o = 1, p_e = 0.2*0.2 + 0.8*0.8 = 0.68,
#   kappa = 1.
# Pooled (both tables summed, n = 20): both 5, only_a 1, only_b 2, neither 12;
#   p_o = 17/20 = 0.85, p_e = 0.3 * 0.35 + 0.7 * 0.65 = 0.56, kappa = 0.29 / 0.44 = 0.65909...
# Moderation keeps X on 1 2 4 and Y on 7:
#   A's pairs X1 X2 X3 X4 Y7 Y8: kept X1 X2 X4 Y7 = 4/6; of X: 3/4.
#   B's pairs X1 X2 X3 X5 X6 Y7 Y8: kept X1 X2 Y7 = 3/7; of X: 2/5.
A = coding("A", "coding", 10, {"X": [1, 2, 3, 4], "Y": [7, 8]})
B = coding("B", "coding", 10, {"X": [1, 2, 3, 5, 6], "Y": [7, 8]})
M = coding("M", "moderation", 10, {"X": [1, 2, 4], "Y": [7]})


def test_the_hand_worked_table_and_kappa():
    units = sorted(A.texts)
    x = counts(units, A.codes, B.codes, "X")
    assert x == Counts(both=3, only_a=1, only_b=2, neither=4)
    assert cohen_kappa(x) == pytest.approx(0.4)
    y = counts(units, A.codes, B.codes, "Y")
    assert y == Counts(2, 0, 0, 8)
    assert cohen_kappa(y) == pytest.approx(1.0)
    assert cohen_kappa(x + y) == pytest.approx(0.29 / 0.44)


def test_kappa_is_undefined_without_variation_or_units():
    assert cohen_kappa(Counts(both=5)) is None
    assert cohen_kappa(Counts()) is None
    assert cohen_kappa(Counts(neither=5)) is None
    # Chance agreement and worse.
    assert cohen_kappa(Counts(1, 1, 1, 1)) == pytest.approx(0.0)
    assert cohen_kappa(Counts(0, 2, 2, 0)) == pytest.approx(-1.0)


def records(*codings: Coding, interview: int = 7) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for c in codings:
        for (t, p), text in c.texts.items():
            base = {
                "interview_no": interview,
                "document": f"doc-{c.person}",
                "kind": c.kind,
                "person": c.person,
                "turn": t,
                "paragraph": p,
                "text": text,
            }
            codes = sorted(c.codes.get((t, p), ())) or [None]
            out += [{**base, "notation": code} for code in codes]
    return out


def test_agreement_rows_of_the_hand_worked_example():
    rows, notes = agreement_rows(records(A, B, M))
    by_code = {r["code"]: r for r in rows}
    assert [r["code"] for r in rows] == [ALL_CODES, "X", "Y"]
    assert by_code["X"]["kappa"] == 0.4
    assert by_code["Y"]["kappa"] == 1.0
    assert by_code[ALL_CODES]["kappa"] == round(0.29 / 0.44, 4)
    assert (by_code[ALL_CODES]["kept_a"], by_code[ALL_CODES]["kept_b"]) == (
        round(4 / 6, 4),
        round(3 / 7, 4),
    )
    assert (by_code["X"]["kept_a"], by_code["X"]["kept_b"]) == (0.75, 0.4)
    assert by_code["X"]["paragraphs"] == 10
    assert (by_code["X"]["coder_a"], by_code["X"]["coder_b"], by_code["X"]["moderator"]) == (
        "A",
        "B",
        "M",
    )
    assert notes == ["Interview 7: A and B aligned by position, 10 paragraphs"]


def test_moderation_without_codes_keeps_nothing_to_measure():
    bare = coding("M", "moderation", 10, {})
    rows, notes = agreement_rows(records(A, B, bare))
    assert all(r["kept_a"] is None and r["kept_b"] is None for r in rows)
    assert "the moderated coding (M) has no codes" in notes[1]


def test_an_interview_with_one_coder_is_skipped():
    rows, notes = agreement_rows(records(A, M))
    assert rows == []
    assert notes == ["Interview 7: 1 coders' codings carry codes; skipped"]


def test_codings_with_other_paragraphs_are_aligned_by_text():
    a = Coding("A", "coding", {(1, 1): "Hello there.", (2, 1): "We had data.", (3, 1): "Bye"})
    # B's print splits the second turn in two and words the first differently in case only.
    b = Coding(
        "B",
        "coding",
        {(1, 1): "hello THERE", (2, 1): "We had data", (2, 2): "and more", (3, 1): "Bye!"},
    )
    pairs, method, differing = align(a, b)
    assert method == "text"
    assert pairs == {(1, 1): (1, 1), (2, 1): (2, 1), (3, 1): (3, 1)}
    assert differing == 0
    a.codes[(3, 1)] = {"X"}
    b.codes[(3, 1)] = {"X"}
    rows, notes = agreement_rows(records(a, b))
    assert rows[0]["alignment"] == "text"
    assert rows[0]["paragraphs"] == 3
    assert rows[0]["kappa"] == 1.0
    assert "1 paragraph(s) without a partner left out" in notes[0]


# -- the corpus --------------------------------------------------------------------------------


def independent_kappa(a: list[int], b: list[int]) -> float | None:
    """Cohen's kappa from a confusion matrix: 1 - observed / expected disagreement."""
    n = len(a)
    confusion = [[0, 0], [0, 0]]
    for x, y in zip(a, b, strict=True):
        confusion[x][y] += 1
    rows = [sum(r) for r in confusion]
    cols = [confusion[0][j] + confusion[1][j] for j in range(2)]
    observed = confusion[0][1] + confusion[1][0]
    expected = (rows[0] * cols[1] + rows[1] * cols[0]) / n
    return None if expected == 0 else 1 - observed / expected


@pytest.fixture(scope="module")
def corpus(request) -> OxigraphStore:
    return OxigraphStore.open_read_only(sm.corpus_dataset(request) / "store")


@pytest.mark.slow
def test_kappa_on_the_corpus_matches_an_independent_computation(corpus):
    sm.need_corpus()
    docs = sm.corpus_docs()
    table = run(named_queries()["coder-agreement"], {}, StoreExecutor(corpus))
    got = {(r["interview_no"], r["code"]): r for r in table.records()}
    assert {n for n, _ in got} == {2, 7, 12, 19}
    for number in (2, 7, 12, 19):
        coders = sorted(
            (d for d in docs if d.interview == number and d.kind == "coding" and d.has_codes),
            key=lambda d: d.person,
        )
        (moderation,) = [d for d in docs if d.interview == number and d.kind == "moderation"]
        a, b = ({(p.turn, p.pos): p.codes for p in d.paras} for d in coders)
        assert set(a) == set(b), "the two prints of an interview have the same paragraphs"
        units = sorted(a)
        codes = sorted(set().union(*a.values(), *b.values()))
        pooled_a: list[int] = []
        pooled_b: list[int] = []
        m = {(p.turn, p.pos): p.codes for p in moderation.paras}
        for code in [*codes, None]:
            if code is None:
                va, vb = pooled_a, pooled_b
                row = got[(number, ALL_CODES)]
            else:
                va = [int(code in a[u]) for u in units]
                vb = [int(code in b[u]) for u in units]
                pooled_a += va
                pooled_b += vb
                row = got[(number, code)]
            expected = independent_kappa(va, vb)
            if expected is None:
                assert row["kappa"] is None
            else:
                assert row["kappa"] == pytest.approx(expected, abs=1e-4), (number, code)
            for side, mine in (("kept_a", a), ("kept_b", b)):
                pairs = {(u, c) for u in units for c in mine[u] if code is None or c == code}
                if not any(m.values()) or not pairs:
                    assert row[side] is None
                else:
                    kept = sum(1 for u, c in pairs if c in m.get(u, ()))
                    assert row[side] == pytest.approx(kept / len(pairs), abs=1e-4)
        assert got[(number, ALL_CODES)]["coder_a"] == coders[0].person
        assert got[(number, ALL_CODES)]["moderator"] == moderation.person
    # The moderated prints of Interviews 2 and 7 carry no codes: nothing to say what was kept.
    assert got[(2, ALL_CODES)]["kept_a"] is None and got[(7, ALL_CODES)]["kept_b"] is None
    assert got[(12, ALL_CODES)]["kept_a"] is not None
