"""Anchor quotes from coded documents in the interview's canonical plain transcript.

The coded formats (Delve text export, Delve print PDFs) carry the transcript's words lightly
edited: repeated words dropped, ``…`` written ``...``, curly quotes straightened, spacing and
paragraph breaks changed. A quote is therefore looked up in a *normalised* copy of the
transcript whose characters map back to offsets in the original text.

Normalisation (:func:`normalize`), in this order:

1. Unicode NFKC (applied per segment: a base character with its combining marks, segments
   merged where composition crosses them), so ``…`` becomes ``...`` and a no-break space a space;
   format characters (category Cf: soft hyphen, zero-width space, ...) are dropped.
2. Typographic single quotes, apostrophes, primes and the backtick to ``'``; double quotes and
   guillemets to ``"``; hyphens, dashes (U+2010..U+2015) and the minus sign to ``-``.
3. Case folding (``str.casefold``).
4. Every run of whitespace to one space; none at either end.
5. Immediately repeated words, or repeated sequences of up to 3 words, kept once: the *last*
   copy is kept. Words are compared without their leading and trailing punctuation, so
   ``I, I just`` gives ``i just`` and ``you might you might encounter`` gives
   ``you might encounter``. Words with no letter or digit are never collapsed.

Anchoring (:func:`anchor`) tries, in order:

* ``exact``: the normalised quote found in the normalised transcript, preferring occurrences
  that start and end on word edges, then those at or after ``hint``, then the nearest; an
  occurrence is kept only if the transcript text at the mapped offsets normalises to the
  normalised quote on its own. Failing that, the quote found verbatim (``str.find``).
* ``fuzzy``: for quotes of at least :data:`FUZZY_MIN_CHARS` normalised characters, pieces of
  the quote (12 characters, every 6) vote for where it starts in the normalised transcript;
  around each of the three best-voted places, ``difflib.SequenceMatcher`` aligns the quote's
  words with the text's; the stretches from the first to the last aligned run of words (with
  and without one-word runs, widened or not by the quote's unaligned words at either end) are
  scored, and the best is accepted only if its :func:`similarity` to the quote (after
  normalisation) is at least :data:`FUZZY_THRESHOLD`.
* otherwise ``None``: a quote is never forced onto the transcript.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

FUZZY_THRESHOLD = 0.9
"""Least :func:`similarity` of a fuzzy anchor to its quote (both normalised)."""

FUZZY_MIN_CHARS = 20
"""Shortest normalised quote that may be anchored fuzzily; shorter ones must match exactly."""

MAX_REPEAT = 3
"""Longest word sequence whose immediate repetition normalisation collapses."""

_SEED = 12  # characters in one voting piece of a quote (fuzzy step)
_STRETCH = 200  # longest differing stretch compared character by character
_MAX_OCCURRENCES = 1000  # occurrences of one normalised quote examined before giving up

_TYPOGRAPHIC = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02bb\u0060", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
    "\u2026": "...",
}


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in the canonical text: ``canonical[start:end] == exact``.

    ``method`` is ``"exact"`` (equal under :func:`normalize`) or ``"fuzzy"``; ``score`` is the
    similarity of the normalised texts (1.0 for exact anchors).
    """

    start: int
    end: int
    exact: str
    method: str
    score: float = 1.0


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` for matching; return it with, per character, its index in ``text``."""
    norm, starts, _ = _normalize(text)
    return norm, starts


def anchor(quote: str, canonical: str, *, hint: int = 0) -> Anchor | None:
    """Find ``quote`` in ``canonical``, looking from offset ``hint`` first; None if absent."""
    return _anchor(quote, canonical, _index(canonical), hint)


def anchor_all(quotes: Sequence[str], canonical: str) -> list[Anchor | None]:
    """Anchor a document's quotes in order, each searched from the end of the last anchor."""
    index = _index(canonical)
    anchors: list[Anchor | None] = []
    hint = 0
    for quote in quotes:
        found = _anchor(quote, canonical, index, hint)
        anchors.append(found)
        if found is not None:
            hint = found.end
    return anchors


def prefix_suffix(canonical: str, start: int, end: int, n: int = 32) -> tuple[str, str]:
    """The ``n`` characters before ``start`` and after ``end`` (a TextQuoteSelector's context)."""
    return canonical[max(0, start - n) : start], canonical[end : end + n]


def similarity(a: str, b: str) -> float:
    """Similarity of two normalised texts, 0..1, as ``2 * matched / total`` characters.

    Spaces are not counted. Words are aligned first (``difflib.SequenceMatcher`` on word
    lists, which stays fast on long paragraphs), then characters inside each stretch of
    differing words, so ``elagant``/``elegant`` and ``accuracyif``/``accuracy if`` lose little.
    A stretch of differing words longer than 200 characters on either side counts as
    unmatched: it is no light edit, and comparing it character by character is slow.
    """
    aw, bw = a.split(), b.split()
    total = sum(map(len, aw)) + sum(map(len, bw))
    if not total:
        return 1.0
    matched = 0
    words = difflib.SequenceMatcher(None, aw, bw, autojunk=False)
    for tag, i1, i2, j1, j2 in words.get_opcodes():
        x, y = "".join(aw[i1:i2]), "".join(bw[j1:j2])
        if tag == "equal":
            matched += len(x)
        elif x and y and len(x) <= _STRETCH and len(y) <= _STRETCH:
            chars = difflib.SequenceMatcher(None, x, y, autojunk=False)
            matched += sum(m.size for m in chars.get_matching_blocks())
    return 2 * matched / total


# ---- normalisation


@dataclass(frozen=True)
class _Index:
    norm: str
    starts: list[int]
    ends: list[int]


@lru_cache(maxsize=8)
def _index(canonical: str) -> _Index:
    return _Index(*_normalize(canonical))


_NON_ASCII = re.compile(r"[\x00-\x7f]?[^\x00-\x7f]+")  # with the base character before it
_SPACES = re.compile(r"\s+")


def _normalize(text: str) -> tuple[str, list[int], list[int]]:
    """Normalised text with, per character, the start and end of its source in ``text``."""
    return _collapse_repeats(*_squeeze(*_fold(text)))


def _fold(text: str) -> tuple[str, list[int], list[int]]:
    """Rules 1-3: NFKC, typographic characters to ASCII, case folding."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _NON_ASCII.finditer(text):
        s, e = m.span()
        if pos < s:
            out.append(text[pos:s].lower().replace("`", "'"))
            starts.extend(range(pos, s))
            ends.extend(range(pos + 1, s + 1))
        for seg_start, seg_end in _segments(text, s, e):
            for ch in unicodedata.normalize("NFKC", text[seg_start:seg_end]):
                if unicodedata.category(ch) == "Cf":
                    continue
                folded = _TYPOGRAPHIC.get(ch, ch).casefold()
                out.append(folded)
                starts.extend([seg_start] * len(folded))
                ends.extend([seg_end] * len(folded))
        pos = e
    out.append(text[pos:].lower().replace("`", "'"))
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(out), starts, ends


def _segments(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Spans of ``text[s:e]`` NFKC can normalise apart: a base character and its marks."""
    spans: list[tuple[int, int]] = []
    for i in range(s, e):
        ch = text[i]
        if spans and (unicodedata.combining(ch) or _composes(text[spans[-1][0] : i], ch)):
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def _composes(before: str, ch: str) -> bool:
    """True when NFKC joins ``ch`` to the segment before it (Hangul jamo, some scripts)."""
    nfkc = unicodedata.normalize
    return nfkc("NFKC", before + ch) != nfkc("NFKC", before) + nfkc("NFKC", ch)


def _squeeze(norm: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    """Rule 4: each whitespace run to one space, none at either end."""
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    pos = 0
    for m in _SPACES.finditer(norm):
        a, b = m.span()
        out.append(norm[pos:a])
        out_starts.extend(starts[pos:a])
        out_ends.extend(ends[pos:a])
        if a > 0 and b < len(norm):
            out.append(" ")
            out_starts.append(starts[a])
            out_ends.append(ends[a])
        pos = b
    out.append(norm[pos:])
    out_starts.extend(starts[pos:])
    out_ends.extend(ends[pos:])
    return "".join(out), out_starts, out_ends


def _core(word: str) -> str:
    """A word without leading and trailing punctuation ("" when it has no letter or digit)."""
    i, j = 0, len(word)
    while i < j and not word[i].isalnum():
        i += 1
    while j > i and not word[j - 1].isalnum():
        j -= 1
    return word[i:j]


def _collapse_repeats(
    norm: str, starts: list[int], ends: list[int]
) -> tuple[str, list[int], list[int]]:
    """Rule 5: keep only the last copy of immediately repeated words or word sequences."""
    if not norm:
        return norm, starts, ends
    kept: list[tuple[int, int, str]] = []  # (start, end, core) of each word kept so far
    pos = 0
    words = norm.split(" ")
    for word in words:
        kept.append((pos, pos + len(word), _core(word)))
        pos += len(word) + 1
        k = 1
        while k <= MAX_REPEAT and len(kept) >= 2 * k:
            if kept[-1][2] and kept[-1][2] == kept[-1 - k][2]:  # cheap test before the full one
                pairs = zip(kept[-2 * k : -k], kept[-k:], strict=True)
                if all(a[2] and a[2] == b[2] for a, b in pairs):
                    del kept[-2 * k : -k]
                    k = 1
                    continue
            k += 1
    if len(kept) == len(words):
        return norm, starts, ends
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    for n, (s, e, _) in enumerate(kept):
        if n:
            gap = kept[n - 1][1]  # the space after the previous kept word
            out.append(" ")
            out_starts.append(starts[gap])
            out_ends.append(ends[gap])
        out.append(norm[s:e])
        out_starts.extend(starts[s:e])
        out_ends.extend(ends[s:e])
    return "".join(out), out_starts, out_ends


# ---- anchoring


def _anchor(quote: str, canonical: str, index: _Index, hint: int) -> Anchor | None:
    q = normalize(quote)[0]
    if not q:
        return None
    hint_n = bisect.bisect_left(index.starts, hint)
    found = _exact(q, canonical, index, hint_n)
    if found is not None:
        return found
    verbatim = canonical.find(quote, hint)
    if verbatim < 0:
        verbatim = canonical.find(quote)
    if verbatim >= 0:
        end = verbatim + len(quote)
        return Anchor(verbatim, end, canonical[verbatim:end], "exact")
    if len(q) >= FUZZY_MIN_CHARS:
        return _fuzzy(q, canonical, index, hint_n)
    return None


def _on_word_edges(norm: str, a: int, b: int) -> bool:
    before = a == 0 or not (norm[a - 1].isalnum() and norm[a].isalnum())
    after = b == len(norm) or not (norm[b - 1].isalnum() and norm[b].isalnum())
    return before and after


def _span(index: _Index, a: int, b: int) -> tuple[int, int]:
    """Offsets in the original text of the normalised stretch ``[a, b)``."""
    return index.starts[a], index.ends[b - 1]


def _exact(q: str, canonical: str, index: _Index, hint_n: int) -> Anchor | None:
    norm = index.norm
    hits: list[int] = []
    p = norm.find(q)
    while p >= 0 and len(hits) < _MAX_OCCURRENCES:
        hits.append(p)
        p = norm.find(q, p + 1)
    hits.sort(key=lambda h: (not _on_word_edges(norm, h, h + len(q)), h < hint_n, abs(h - hint_n)))
    for h in hits:
        start, end = _span(index, h, h + len(q))
        text = canonical[start:end]
        if normalize(text)[0] == q:
            return Anchor(start, end, text, "exact")
    return None


def _candidates(q: str, norm: str) -> list[int]:
    """Likely starts of ``q`` in ``norm``, most voted first."""
    starts: list[int] = []
    for off in range(0, len(q) - _SEED + 1, max(1, _SEED // 2)):
        seed = q[off : off + _SEED]
        p = norm.find(seed)
        hits = 0
        while p >= 0 and hits < 50:
            starts.append(p - off)
            hits += 1
            p = norm.find(seed, p + 1)
    if not starts:
        return []
    starts.sort()
    tolerance = max(8, len(q) // 10)
    clusters: list[list[int]] = [[starts[0]]]
    for s in starts[1:]:
        if s - clusters[-1][-1] <= tolerance:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    clusters.sort(key=len, reverse=True)
    return [c[len(c) // 2] for c in clusters]


def _fuzzy(q: str, canonical: str, index: _Index, hint_n: int) -> Anchor | None:
    norm = index.norm
    qw = q.split(" ")
    tolerance = max(8, len(q) // 10)
    best: tuple[float, bool, int, int] | None = None  # (score, at or after hint, start, end)
    for centre in _candidates(q, norm)[:3]:
        lo = norm.rfind(" ", 0, max(0, centre - tolerance)) + 1
        hi = norm.find(" ", min(len(norm), centre + len(q) + tolerance))
        hi = len(norm) if hi < 0 else hi
        ww = norm[lo:hi].split(" ")
        offsets = [lo]
        for w in ww[:-1]:
            offsets.append(offsets[-1] + len(w) + 1)
        for first, last in _alignments(qw, ww):
            a, b = offsets[first], offsets[last] + len(ww[last])
            start, end = _span(index, a, b)
            score = similarity(q, normalize(canonical[start:end])[0])
            ranked = (score, a >= hint_n, start, end)
            if best is None or ranked[:2] > best[:2]:
                best = ranked
    if best is None or best[0] < FUZZY_THRESHOLD:
        return None
    score, _, start, end = best
    return Anchor(start, end, canonical[start:end], "fuzzy", round(score, 4))


def _alignments(qw: list[str], ww: list[str]) -> set[tuple[int, int]]:
    """Ranges of window words (first, last) that may hold the quote's words.

    From the first to the last aligned run of words, with and without stray one-word runs,
    each as aligned and as widened by the quote's unaligned words at either end.
    """
    blocks = [
        m
        for m in difflib.SequenceMatcher(None, qw, ww, autojunk=False).get_matching_blocks()
        if m.size
    ]
    ranges: set[tuple[int, int]] = set()
    for runs in (blocks, [m for m in blocks if m.size > 1]):
        if not runs:
            continue
        head, tail = runs[0], runs[-1]
        first, last = head.b, tail.b + tail.size - 1
        ranges.add((first, last))
        before = head.a
        after = len(qw) - (tail.a + tail.size)
        ranges.add((max(0, first - before), min(len(ww) - 1, last + after)))
    return ranges
