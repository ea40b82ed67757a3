"""Anchoring quotes in the plain transcript: normalisation, the Interview 3 pair, properties."""

from __future__ import annotations

import difflib
import itertools
import re
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qikg.kg.anchor import (
    FUZZY_THRESHOLD,
    anchor,
    anchor_all,
    normalize,
    prefix_suffix,
    similarity,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DELVE = CORPUS / "delve-text" / "Interview 3 - Amin.txt"
PLAIN = CORPUS / "transcripts" / "Interview 3.txt"
LABELS = {"Interviewer 1", "Interviewer 2", "Interviewee", "Unknown Speaker"}


def n(text: str) -> str:
    return normalize(text)[0]


# ---- normalisation rules, on hand-written strings


def test_repeated_words_collapse() -> None:
    assert n("you might you might encounter") == "you might encounter"
    assert n("hard for them to to try") == "hard for them to try"
    assert n("so so so") == "so"
    assert n("we are not we are not we are") == "we are not we are"
    assert n("I, I just realized") == "i just realized"


def test_repeats_longer_than_three_words_stay() -> None:
    assert n("a b c d a b c d") == "a b c d a b c d"


def test_punctuation_only_words_do_not_collapse() -> None:
    assert n("wait - - now") == "wait - - now"


def test_ellipsis_quotes_dashes() -> None:
    assert n("not\u2026 We") == "not... we"
    assert n("it\u2019s") == "it's"
    assert n("\u201cfine\u201d \u2018ok\u2019") == "\"fine\" 'ok'"
    assert n("robust \u2013 that\u2014is") == "robust - that-is"


def test_nfkc_case_and_spaces() -> None:
    assert n("  Caf\u0065\u0301\u00a0 \t\n  OK  ") == "caf\u00e9 ok"
    assert n("\uff21\uff22") == "ab"  # fullwidth letters
    assert n("STRASSE und Stra\u00dfe") == "strasse und strasse"
    assert n("soft\u00adhyphen") == "softhyphen"


def test_offsets_map_back() -> None:
    text = "Any issue you might you might  encounter\u2026 it\u2019s"
    norm, starts = normalize(text)
    assert norm == "any issue you might encounter... it's"
    assert len(starts) == len(norm)
    # the kept copy of "you might" is the second one
    assert text[starts[norm.index("you")] :].startswith("you might  encounter")
    assert text[starts[norm.index("encounter")]] == "e"
    # the three dots all come from the one ellipsis character
    dots = norm.index("...")
    assert {text[starts[dots + i]] for i in range(3)} == {"\u2026"}
    assert text[starts[norm.index("'")]] == "\u2019"
    assert starts == sorted(starts)


def test_empty_and_blank() -> None:
    assert normalize("") == ("", [])
    assert normalize(" \n\t ") == ("", [])
    assert anchor("   ", "some text") is None


# ---- anchoring on hand-written texts


CANON = (
    "Interviewer 1: So basically any issue you might you might encounter with a machine "
    "learning software system - I mean quality issue.\n\n"
    "Interviewee: We are not we are not\u2026 We are eager to explore it\u2019s issues.\n"
)


def test_anchor_exact_after_edits() -> None:
    quote = "any issue you might encounter with a machine learning software system"
    a = anchor(quote, CANON)
    assert a is not None and a.method == "exact"
    assert CANON[a.start : a.end] == a.exact
    assert n(a.exact) == n(quote)
    assert a.exact.startswith("any issue you might you might")
    b = anchor("We are not we are not... We are eager to explore it's issues.", CANON)
    assert b is not None and b.method == "exact" and b.exact.endswith("\u2019s issues.")


def test_anchor_fuzzy_and_none() -> None:
    quote = "We are not... We are eager to explor its issue."
    a = anchor(quote, CANON)
    assert a is not None and a.method == "fuzzy"
    assert a.score >= FUZZY_THRESHOLD
    assert similarity(n(quote), n(a.exact)) == pytest.approx(a.score, abs=1e-4)
    assert anchor("The cat sat on the mat and purred all afternoon.", CANON) is None
    assert anchor("quality", "no such word here at all") is None


def test_hint_prefers_later_occurrence() -> None:
    text = "Okay. First answer here. Okay. Second answer here."
    first = anchor("Okay.", text)
    later = anchor("Okay.", text, hint=10)
    assert first is not None and first.start == 0
    assert later is not None and later.start == text.index("Okay.", 10)
    # past the last occurrence, the whole text is searched again
    wrapped = anchor("First answer", text, hint=40)
    assert wrapped is not None and wrapped.start == text.index("First")


def test_anchor_all_keeps_order() -> None:
    text = "Yes. I agree. Yes. I do not. Yes."
    got = anchor_all(["Yes.", "I agree.", "Yes.", "Yes."], text)
    assert [a.start if a else None for a in got] == [0, 5, 14, 29]


def test_prefix_suffix() -> None:
    text = "0123456789abcdefghij"
    assert prefix_suffix(text, 10, 12, n=4) == ("6789", "cdef")
    assert prefix_suffix(text, 2, 18, n=4) == ("01", "ij")


# ---- the real pair: Delve text export vs plain transcript of Interview 3


def delve_paragraphs() -> list[tuple[str, bool]]:
    """Paragraph blocks of the Delve export, each with whether codes follow it."""
    if not DELVE.is_file() or not PLAIN.is_file():
        pytest.skip("../shared/corpus (Interview 3 pair) is not beside the project")
    blocks = [b.strip() for b in DELVE.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert blocks[-1].startswith("Created with")
    paragraphs: list[tuple[str, bool]] = []
    for b in blocks[1:-1]:
        if b in LABELS:
            continue
        is_code = " " not in b.replace(" [", "[") and (
            "-" in b or re.fullmatch(r"Q\d+(\.\d+)*", b) is not None
        )
        if is_code:
            if paragraphs:
                paragraphs[-1] = (paragraphs[-1][0], True)
            continue
        paragraphs.append((b, False))
    return paragraphs


def test_interview_3_anchors(capsys: pytest.CaptureFixture[str]) -> None:
    paragraphs = delve_paragraphs()
    quotes = [p for p, _ in paragraphs]
    coded = [p for p, c in paragraphs if c]
    assert len(coded) == 103  # the README's count of coded paragraphs
    canonical = PLAIN.read_text(encoding="utf-8")

    began = time.perf_counter()
    anchors = anchor_all(quotes, canonical)
    elapsed = time.perf_counter() - began
    assert elapsed < 1.0

    exact = fuzzy = 0
    missing: list[str] = []
    for quote, a in zip(quotes, anchors, strict=True):
        if a is None:
            missing.append(quote)
            continue
        assert canonical[a.start : a.end] == a.exact
        if a.method == "exact":
            exact += 1
            assert n(a.exact) == n(quote)
        else:
            assert a.method == "fuzzy"
            fuzzy += 1
            # checked with plain difflib too, not only with the module's own measure
            ratio = difflib.SequenceMatcher(None, n(quote), n(a.exact), autojunk=False).ratio()
            assert ratio >= FUZZY_THRESHOLD
            assert similarity(n(quote), n(a.exact)) >= FUZZY_THRESHOLD
    anchored = exact + fuzzy
    with capsys.disabled():
        print(
            f"\nInterview 3: {len(quotes)} paragraphs ({len(coded)} coded): "
            f"{exact} exact, {fuzzy} fuzzy, {len(missing)} not anchored, {elapsed:.3f} s"
        )
    assert anchored >= 0.95 * len(quotes)
    coded_anchors = [a for (_, c), a in zip(paragraphs, anchors, strict=True) if c]
    assert sum(a is not None for a in coded_anchors) >= 0.95 * len(coded)

    starts = [a.start for a in anchors if a is not None]
    in_order = sum(b > a for a, b in itertools.pairwise(starts))
    assert in_order >= 0.95 * (len(starts) - 1)


def test_interview_3_known_edits() -> None:
    delve_paragraphs()  # skips without the corpus
    canonical = PLAIN.read_text(encoding="utf-8")
    # "you might you might" in the transcript, "you might" in Delve
    a = anchor("So basically any issue you might encounter with a machine", canonical)
    assert a is not None and a.method == "exact" and "you might you might" in a.exact
    # "…" in the transcript, "..." in Delve
    b = anchor("But I'm we are not we are not... We are eager", canonical)
    assert b is not None and "\u2026" in b.exact
    # a spelling corrected in Delve: "elagant" -> "elegant"
    quote = next(p for p, _ in delve_paragraphs() if "elegant" in p)
    c = anchor(quote, canonical)
    assert c is not None and c.method == "fuzzy" and "elagant" in c.exact
    assert anchor("We trained a quantum forest on the moon in 1850.", canonical) is None


# ---- property: any slice of a text anchors back onto text that normalises the same


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=20, max_size=300), st.data())
def test_any_slice_anchors(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text) - 20))
    j = data.draw(st.integers(i + 20, len(text)))
    quote = text[i:j]
    assume(n(quote))
    a = anchor(quote, text)
    assert a is not None
    assert text[a.start : a.end] == a.exact
    assert n(a.exact) == n(quote)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["you", "might", "the", "it\u2019s", "\u2026", "So", "so,", "-", "  "]),
        min_size=8,
        max_size=60,
    ),
    st.data(),
)
def test_any_slice_of_wordy_text_anchors(words: list[str], data: st.DataObject) -> None:
    text = " ".join(words)
    assume(len(text) >= 20)
    i = data.draw(st.integers(0, len(text) - 20))
    j = data.draw(st.integers(i + 20, len(text)))
    quote = text[i:j]
    assume(n(quote))
    a = anchor(quote, text)
    assert a is not None
    assert n(text[a.start : a.end]) == n(quote)
