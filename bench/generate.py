"""Grow the real corpus into a synthetic study of N interviews that ``qikg build`` reads.

Each synthetic interview copies one real interview (round robin over the corpus's 36) under a
new interview number, with its words varied: a seeded substitution of lower-case words by other
words of the corpus, one substitution per synthetic interview, applied alike to all of its
documents so that coded quotes still anchor in its transcript. Turns, paragraphs, speakers,
codes and question ids are kept as they are, so the study keeps the corpus's shape.

What is written, per interview: the plain transcript (``transcripts/Interview N.txt``, the real
file's text, varied) and each coding and moderated coding as a Delve text export
(``codings/`` and ``moderation/``, ``Interview N - Person.txt``). The codings are read once from
the real files (Delve prints and the Delve text export, with qikg's own readers) and cached
beside the output; writing them back as Delve text keeps their turns and codes and makes
building a large study cost text parsing, not PDF layout analysis. What the Delve text format
cannot carry is lost: the underlined spans of a print (the paragraph is the quote).

    python -m bench.generate --interviews 360 --out /tmp/study-360 [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from qikg.kg.build import read_sources
from qikg.kg.model import QUESTION_ID, Document, DocumentKind, SpeakerRole
from qikg.kg.readers import delve_text, transcript
from qikg.kg.study import default_study

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FIRST_NUMBER = 1001
"""The number of the first synthetic interview (the real ones are numbered 2 to 43)."""
FOOTER = "Created with the Delve Qualitative Analysis Tool (<http://www.delvetool.com>)"
KEPT_WORDS = frozenset({"interviewer", "interviewee", "unknown", "speaker", "created", "delve"})
"""Words never substituted: speaker labels and the export's closing line."""
SHARE = 0.3
"""The share of an interview's distinct lower-case words that a substitution replaces."""
_WORD = re.compile(r"[A-Za-z]+")
_LOWER = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Template:
    """One real interview: its transcript's text and its coded documents."""

    number: int
    transcript: str
    codings: tuple[Document, ...]


def read_templates(corpus: Path) -> list[Template]:
    """Every interview of the corpus that has a plain transcript, with its codings."""
    sources, _, _, _ = read_sources([corpus], default_study())
    texts: dict[int, str] = {}
    coded: dict[tuple[int, DocumentKind | None, str | None], Document] = {}
    for source in sources:
        doc = source.document
        if source.text is not None:
            texts[doc.interview] = source.text
            continue
        key = (doc.interview, doc.kind, doc.person)
        # The Delve text export and the print of one coding: keep the one with more codes.
        if key not in coded or _codes(doc) > _codes(coded[key]):
            coded[key] = doc
    return [
        Template(
            number,
            texts[number],
            tuple(d for (n, _, _), d in sorted(coded.items(), key=_order) if n == number),
        )
        for number in sorted(texts)
    ]


def _order(item: tuple[tuple[int, DocumentKind | None, str | None], Document]) -> str:
    (number, kind, person), _ = item
    return f"{number:04d} {kind.value if kind else ''} {person or ''}"


def _codes(doc: Document) -> int:
    return sum(len(p.codes) + len(p.question_ids) for p in doc.paragraphs)


def cached_templates(corpus: Path, cache: Path) -> list[Template]:
    """:func:`read_templates`, kept in ``cache`` under a key of the corpus files' names and
    sizes (reading the prints takes about a minute)."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    listing = "\n".join(f"{p.relative_to(corpus)} {p.stat().st_size}" for p in files)
    key = hashlib.sha256(listing.encode()).hexdigest()[:16]
    path = cache / f"templates-{key}.pickle"
    if path.is_file():
        rows: list[tuple[int, str, tuple[Document, ...]]] = pickle.loads(path.read_bytes())
        return [Template(*row) for row in rows]
    templates = read_templates(corpus)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps([(t.number, t.transcript, t.codings) for t in templates]))
    return templates


def vocabulary(templates: list[Template]) -> list[str]:
    """The corpus's lower-case words of three letters or more, sorted."""
    words: set[str] = set()
    for t in templates:
        words.update(_LOWER.findall(t.transcript))
    return sorted(words - KEPT_WORDS)


def substitution(text: str, pool: list[str], rng: random.Random) -> dict[str, str]:
    """A map from a share of the text's lower-case words to words drawn from ``pool``."""
    words = sorted(set(_LOWER.findall(text)) - KEPT_WORDS)
    chosen = rng.sample(words, int(len(words) * SHARE))
    return {w: rng.choice(pool) for w in chosen}


def vary(text: str, words: dict[str, str]) -> str:
    """``text`` with its words replaced as ``words`` says, keeping an initial capital."""

    def one(m: re.Match[str]) -> str:
        word = m.group()
        if word.islower():
            return words.get(word, word)
        if word[0].isupper() and word[1:].islower():
            new = words.get(word.lower())
            return new.capitalize() if new else word
        return word

    return _WORD.sub(one, text)


def delve_export(doc: Document, number: int, words: dict[str, str]) -> str:
    """``doc`` as a Delve text export of interview ``number``, its speech varied."""
    blocks = [f"Interview {number} - {doc.person or 'Coder'}"]
    for index, turn in enumerate(doc.turns):
        label = turn.speaker_label
        if not delve_text.SPEAKER.fullmatch(label):
            label = "" if index == 0 and not label else _label(turn.role)
        if label:
            blocks.append(label)
        previous_coded = True
        for para in turn.paragraphs:
            text = vary(para.text, words)
            # Keep paragraph boundaries the reader would otherwise join or misread.
            if (not previous_coded and text[:1].islower()) or delve_text.SPEAKER.fullmatch(text):
                text = text[:1].upper() + text[1:] + "."
            blocks.append(text)
            codes = sorted(c for c in para.codes + para.question_ids if _writable(c))
            blocks.extend(codes)
            previous_coded = bool(codes)
    blocks.append(FOOTER)
    return "\n\n".join(blocks) + "\n"


def _writable(code: str) -> bool:
    """Whether the Delve text format can hold ``code``: a few codes of the prints, written
    with spaces or without a hyphen (``Misc``), would read back as speech; they are left out."""
    return bool(delve_text.CODE.fullmatch(code) or QUESTION_ID.fullmatch(code))


def _label(role: SpeakerRole) -> str:
    return {SpeakerRole.INTERVIEWER: "Interviewer", SpeakerRole.INTERVIEWEE: "Interviewee"}.get(
        role, "Unknown Speaker"
    )


FOLDERS = {DocumentKind.CODING: "codings", DocumentKind.MODERATION: "moderation"}


def synthetic_number(real: int, corpus: Path = CORPUS) -> int:
    """The number of the first synthetic copy of the corpus's interview ``real``."""
    numbers = sorted(
        int(m.group("number"))
        for p in (corpus / "transcripts").glob("*.txt")
        if (m := transcript.FILE_NAME.fullmatch(p.stem))
    )
    return FIRST_NUMBER + numbers.index(real)


def generate(
    interviews: int, out: Path, *, corpus: Path = CORPUS, seed: int = 0, cache: Path | None = None
) -> dict[str, int]:
    """Write a synthetic study of ``interviews`` interviews into ``out`` (replaced); return
    the number of files of each kind written."""
    templates = cached_templates(corpus, cache or out.parent / ".qikg-bench-cache")
    pool = vocabulary(templates)
    if out.exists():
        shutil.rmtree(out)
    for folder in ("transcripts", *FOLDERS.values()):
        (out / folder).mkdir(parents=True)
    counts = {"transcripts": 0, "codings": 0, "moderation": 0}
    for i in range(interviews):
        template = templates[i % len(templates)]
        number = FIRST_NUMBER + i
        rng = random.Random(f"{seed}-{number}")
        words = substitution(template.transcript, pool, rng)
        path = out / "transcripts" / f"Interview {number}.txt"
        path.write_text(vary(template.transcript, words), encoding="utf-8")
        counts["transcripts"] += 1
        for doc in template.codings:
            folder = FOLDERS.get(doc.kind or DocumentKind.CODING, "codings")
            name = f"Interview {number} - {doc.person or 'Coder'}.txt"
            (out / folder / name).write_text(delve_export(doc, number, words), encoding="utf-8")
            counts[folder] += 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interviews", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    counts = generate(args.interviews, args.out, corpus=args.corpus, seed=args.seed)
    took = time.perf_counter() - t0
    print(f"{args.out}: {counts} in {took:.1f} s")


if __name__ == "__main__":
    main()
