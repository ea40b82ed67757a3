"""The Delve print reader, checked against pypdf's plain text of the same files and the pages.

Expected figures come from elsewhere than the reader: counts of speaker-label lines and code
lines in pypdf's text extraction (a different PDF library, no geometry), the corpus README for
Interview 3, and underlined quotes, header and footer facts and line positions read by eye
off the pages rendered with ``pdftoppm -png -r 80`` (at 200 or 300 dpi where a detail is fine:
an underline starting inside a word, a typographic apostrophe).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qikg.errors import ParseError
from qikg.kg.model import Document, SpeakerRole
from qikg.kg.readers import delve_pdf

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PRINTS = CORPUS / "delve-pdf"
ALL = sorted(PRINTS.glob("*/*.pdf")) if PRINTS.is_dir() else []

needs_corpus = pytest.mark.skipif(not ALL, reason="../shared/corpus is not beside the project")

LABEL = re.compile(r"(?:interviewer|interviewee|interviewr|unknown speaker)\s*\d*(?:\s+\d+)?", re.I)
PILL = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*(?: \[[A-Za-z]+\]| \([A-Za-z]+\))?")
QUESTION = re.compile(r"Q\d+(?:\.\d+)*")
# Codes whose text alone cannot be told from speech; seen as pills on the rendered pages
# (Interview 10 - Rached pages 26-29, Interview 13 - PO page 15).
FREE_TEXT_CODES = {"Issues with performance alerts", "monitoring"}


def separate_reading(path: Path) -> tuple[int, list[list[str]]]:
    """Speaker-label lines and code lines of a print, from pypdf's text of each page.

    pypdf writes header and footer as the first two lines of a page, a speaker label alone on
    its line, and the pills of a code line separated by two spaces.
    """
    labels = 0
    code_lines: list[list[str]] = []
    for page in pypdf.PdfReader(path).pages:
        for line in page.extract_text().split("\n")[2:]:
            text = line.strip()
            if LABEL.fullmatch(text):
                labels += 1
                continue
            parts = text.split("  ")
            single = len(parts) == 1 and ("-" in text or QUESTION.fullmatch(text))
            if all(PILL.fullmatch(p) or p in FREE_TEXT_CODES for p in parts) and (
                len(parts) > 1 or single or text in FREE_TEXT_CODES
            ):
                code_lines.append(parts)
    return labels, code_lines


@dataclass(frozen=True)
class Case:
    turns: int
    coded: int  # paragraphs with codes
    applications: int  # codes and question ids applied, summed over paragraphs
    codes: int  # distinct codes other than question ids
    questions: int  # distinct question ids
    delve_id: str
    printed: str
    quotes: tuple[tuple[int, str], ...] = ()  # (page where the paragraph starts, underlined)


# Figures: pypdf counts (see separate_reading); Interview 3's are also the corpus README's.
# Ids, print times and quotes: read off the rendered pages.
CASES = {
    "codings/2023-06-04-Interview 7 - PO.pdf": Case(
        70, 49, 61, 16, 0, "94016", "2023-06-04T17:54",
        (
            (3, "data quality related to, uh, the cap data capture itself. So data is usually "
                "captured with using a, not a system, but a sensor. And you have calibration of "
                "this sensor."),
            (4, "I saw so many ways of writing cote des Neiges you have no idea so you, and it "
                "seems super easy to deal with, but it's complicated"),
            (11, "So that happens, I would say that's that's number one, uh, consistency and, "
                 "uh, freshness of the data with open source. And also, I mean also, uh, "
                 "sometime you have a source and running and then it disappears. And so it's, "
                 "it's always risky. I, as it's always risky to, uh, To have open source data "
                 "for that, for these three reasons."),
        ),
    ),
    "codings/2023-06-04-Interview 7 - Rached.pdf": Case(
        70, 50, 68, 14, 0, "72753", "2023-06-04T17:54",
        (
            (10, "But this price is, was less for me than having the, to deal with the people "
                 "and managing the source. So yeah, a lot, a lot of open data for me, open "
                 "source."),
            (10, "Yeah, inconsistency. I see the freshness of the data, especially, uh, when you "
                 "deal with the, uh, open source, because, you know, I, I, if there's, um, one "
                 "very popular, open data, it's, uh, open source data."),
        ),
    ),
    "codings/2023-06-04-Interview 19 - PO.pdf": Case(
        104, 21, 28, 9, 0, "87692", "2023-06-04T17:45",
        (
            (3, "first problem that I face, uh, is the, maybe it's acquiring the data"),
            # the underline starts after the "Y" of "Yeah"
            (3, "eah, sometimes I, I have, uh, connection string, or I have access to a "
                "database, and this is of course, uh, um, the best way to, to, to acquire the "
                "data, but sometimes it's on, uh, files, like Excel files."),
        ),
    ),
    "codings/2023-06-04-Interview 2 - Rached.pdf": Case(
        88, 35, 46, 6, 14, "69274", "2023-06-04T17:46",
        (
            (5, "justement. En fait, il faut discuter avec la partie business pour savoir "
                "quelles informations en fait, est la vraie et juste."),
            (5, "Donc de temps en temps ça peut être assez difficile."),
        ),
    ),
    "moderation/2023-06-04-Interview 3 - Amin.pdf": Case(
        152, 103, 152, 18, 22, "98171", "2023-06-04T18:14",
        (
            (7, "I don't know. Because I haven't dealt with them enough. Yeah. It would be it "
                "would be okay. Right."),
            (7, "ohhh yes, the answer is yes. Sometimes you're going to use it when either the "
                "client's data is not ready. or it's not available, for example, we were doing "
                "dynamic pricing. We know the past data does not fluctuate. So there is data, "
                "but it's not suitable for the need we have. So we're searching also for public "
                "data. We are often looking for publicly available challenges\u2019 datasets."),
            # a typographic apostrophe in "challenges\u2019", seen at 300 dpi
        ),
    ),
    # printed without codes
    "moderation/2023-06-04-Interview 7 - Amin.pdf": Case(
        70, 0, 0, 0, 0, "109818", "2023-06-04T18:16"
    ),
}  # fmt: skip


def read(name: str) -> Document:
    path = PRINTS / name
    return delve_pdf.read(path.read_bytes(), path.name)


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {name: read(name) for name in CASES}


def figures(doc: Document) -> tuple[int, int, int, int, int]:
    ps = doc.paragraphs
    return (
        len(doc.turns),
        sum(p.coded for p in ps),
        sum(len(p.codes) + len(p.question_ids) for p in ps),
        len({c for p in ps for c in p.codes}),
        len({q for p in ps for q in p.question_ids}),
    )


@needs_corpus
@pytest.mark.parametrize("name", CASES)
def test_figures(name, docs):
    case = CASES[name]
    expected = (case.turns, case.coded, case.applications, case.codes, case.questions)
    assert figures(docs[name]) == expected


@needs_corpus
@pytest.mark.parametrize("name", CASES)
def test_figures_agree_with_pypdf(name, docs):
    doc = docs[name]
    labels, code_lines = separate_reading(PRINTS / name)
    case = CASES[name]
    assert labels == case.turns
    assert len(code_lines) == case.coded
    pills = [p for line in code_lines for p in line]
    assert len(pills) == case.applications
    assert len({p for p in pills if not QUESTION.fullmatch(p)}) == case.codes
    applied = Counter(c for p in doc.paragraphs for c in (*p.codes, *p.question_ids))
    assert applied == Counter(pills)
    in_order = [[*p.codes, *p.question_ids] for p in doc.paragraphs if p.coded]
    assert [sorted(x) for x in in_order] == [sorted(x) for x in code_lines]


@needs_corpus
@pytest.mark.parametrize("name", CASES)
def test_header_and_footer(name, docs):
    doc, case = docs[name], CASES[name]
    stem = Path(name).stem
    assert doc.title == stem
    assert doc.interview == int(re.search(r"Interview (\d+)", stem)[1])
    assert doc.person == stem.rsplit(" - ", 1)[1]
    assert (doc.delve_id, doc.printed, doc.kind, doc.format) == (
        case.delve_id,
        case.printed,
        None,
        "delve-pdf",
    )
    for p in doc.paragraphs:
        assert "delvetool.com" not in p.text
        assert not re.match(r"\d+/\d+/\d+, \d+:\d+ [AP]M", p.text)
        assert not p.text.startswith("Created with the Delve")


@needs_corpus
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.quotes])
def test_underlined_quotes(name, docs):
    doc = docs[name]
    for page, quote in CASES[name].quotes:
        found = [p for p in doc.paragraphs for s in p.spans if s.text == quote]
        assert len(found) == 1, quote
        assert found[0].page == page
        span = next(s for s in found[0].spans if s.text == quote)
        assert found[0].text[span.start : span.end] == quote
        assert found[0].coded


@needs_corpus
def test_spans_are_slices_of_their_paragraph(docs):
    for doc in docs.values():
        for p in doc.paragraphs:
            for s in p.spans:
                assert p.text[s.start : s.end] == s.text and s.text == s.text.strip()
            assert all(a.end < b.start for a, b in zip(p.spans, p.spans[1:], strict=False))


@needs_corpus
def test_one_paragraph_two_spans(docs):
    doc = docs["codings/2023-06-04-Interview 19 - PO.pdf"]
    p = next(p for p in doc.paragraphs if p.text.startswith("Uh, for, for example, the dup"))
    assert (p.page, p.codes) == (3, ("Data-integration-issues", "Data-metadata-issue"))
    assert [s.text for s in p.spans] == [
        "Uh, for, for example, the duplicates, the duplication, or that the, um, the joins "
        "between the data is, uh, is correctly done.",
        "One of the most issues also is the data description because, uh, or the column "
        "descriptions. Um, because yeah, as far as I, um, yeah. Until, until now I have. Um, "
        "encountered the, a situation where, um, where the data description is, um, supplied "
        "along with the data itself.",
    ]


@needs_corpus
def test_paragraph_joined_across_a_page_break(docs):
    doc = docs["codings/2023-06-04-Interview 7 - PO.pdf"]
    p = next(p for p in doc.paragraphs if p.text.startswith("To make sense of it."))
    assert p.page == 3 and p.text.endswith("And you have calibration of this sensor.")
    assert p.codes == ("Data-collection-system", "MLP-unstable-external-dependency")
    three = docs["moderation/2023-06-04-Interview 3 - Amin.pdf"]
    # one line each in transcripts/Interview 3.txt; both cut by a page break in the print
    for words in ("things like that. We had a few projects in NLP", "stores. And then we were"):
        assert sum(words in p.text for p in three.paragraphs) == 1


@needs_corpus
def test_positions_codes_and_speakers(docs):
    po = docs["codings/2023-06-04-Interview 7 - PO.pdf"]
    saw = next(p for p in po.paragraphs if p.text.startswith("I saw so many ways"))
    assert (saw.page, saw.line) == (4, 8)
    amin = docs["moderation/2023-06-04-Interview 7 - Amin.pdf"]
    assert amin.turns[0].speaker_label == "Interviewer1"
    assert (amin.turns[0].page, amin.turns[0].line, amin.paragraphs[0].line) == (1, 2, 3)
    assert [p.text for p in amin.turns[1].paragraphs][-1] == "Interviewee: No."
    assert not any(p.coded or p.spans for p in amin.paragraphs)
    assert [p.text for p in amin.paragraphs] == [p.text for p in po.paragraphs]
    three = docs["moderation/2023-06-04-Interview 3 - Amin.pdf"]
    well = next(p for p in three.paragraphs if p.text.startswith("Well, this one is, yeah,"))
    assert (well.page, well.question_ids, well.spans) == (7, ("Q2.1",), ())  # not underlined
    codes = {c for p in three.paragraphs for c in p.codes}
    assert {"Model-Evaluation-issues [ME]", "ML-pipeline-issues [MLP]"} <= codes
    labels = [t.speaker_label for t in three.turns]
    assert labels.count("Unknown Speaker") == 1
    assert Counter(t.role for t in three.turns)[SpeakerRole.UNKNOWN] == 1
    rached = docs["codings/2023-06-04-Interview 2 - Rached.pdf"]
    assert rached.language == "fr" and po.language == "en"
    # the code line at the top of page 5 belongs to the paragraph ending page 4
    ps = rached.paragraphs
    i = next(i for i, p in enumerate(ps) if p.text.startswith("je comprends et c'est les quelles"))
    assert (ps[i - 1].page, ps[i - 1].codes, ps[i - 1].question_ids) == (
        4,
        ("Data-unstable-provider", "Data-wrong-format"),
        ("Q1",),
    )


# --- the whole corpus ------------------------------------------------------------------------


def read_twice(path: Path) -> tuple[Document, tuple[int, list[list[str]]]]:
    """The reader's Document and pypdf's separate reading of one print."""
    return delve_pdf.read(path.read_bytes(), path.name), separate_reading(path)


@pytest.fixture(scope="module")
def every_print() -> dict[Path, tuple[Document, tuple[int, list[list[str]]]]]:
    """All 51 prints, read in two processes as a batch build would."""
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        return dict(zip(ALL, pool.map(read_twice, ALL), strict=True))


@needs_corpus
@pytest.mark.slow
def test_all_51_prints_read(every_print):
    assert len(every_print) == 51
    for path, (doc, _) in every_print.items():
        assert doc.turns and doc.delve_id and re.fullmatch(r"2023-06-\d\dT\d\d:\d\d", doc.printed)
        assert doc.interview == int(re.search(r"Interview (\d+)", path.stem)[1])
        assert doc.person == path.stem.rsplit("-", 1)[1].strip()
        for p in doc.paragraphs:
            assert p.text and "delvetool.com" not in p.text
            assert all(p.text[s.start : s.end] == s.text for s in p.spans)


@needs_corpus
@pytest.mark.slow
def test_all_prints_agree_with_pypdf(every_print):
    for path, (doc, (labels, code_lines)) in every_print.items():
        empty_labels = sum("has no speech" in note for note in doc.notes)
        assert labels == len(doc.turns) + empty_labels, path.name
        pills = Counter(p for line in code_lines for p in line)
        assert pills == Counter(c for p in doc.paragraphs for c in (*p.codes, *p.question_ids))


@needs_corpus
@pytest.mark.slow
def test_coverage_given_by_the_readme(every_print):
    docs = {path: doc for path, (doc, _) in every_print.items()}
    coded = {path for path, doc in docs.items() if any(p.coded for p in doc.paragraphs)}
    assert len(coded) == 24
    both = Counter(docs[path].interview for path in coded if path.parent.name == "codings")
    assert {n for n, k in both.items() if k == 2} == {2, 7, 12, 19}


# --- errors -------------------------------------------------------------------------------------


def pdf_bytes(password: str | None = None, pages: int = 1) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words", "page"),
    [
        (b"", "empty", None),
        (b"Interviewer 1: hello\n", "not a PDF", None),
        (pdf_bytes(password="secret"), "encrypted", 1),
        (pdf_bytes(password=""), "encrypted", 1),
        (pdf_bytes(), "not a Delve print", 1),
        (pdf_bytes()[:200], "truncated", None),
        (pdf_bytes()[:300] + b"\n%%EOF\n", "damaged or truncated", None),
    ],
    ids=["empty", "text", "password", "encrypted", "blank", "truncated", "damaged"],
)
def test_errors(data, words, page):
    with pytest.raises(ParseError) as err:
        delve_pdf.read(data, "print.pdf")
    assert err.value.file == "print.pdf"
    assert words in err.value.message
    assert err.value.page == page


@needs_corpus
def test_other_pdf_is_not_a_delve_print():
    guide = CORPUS / "guides" / "new.pdf"
    with pytest.raises(ParseError) as err:
        delve_pdf.read(guide.read_bytes(), guide.name)
    assert (err.value.file, err.value.page) == ("new.pdf", 1)
    assert "no Delve footer" in err.value.message


@needs_corpus
def test_missing_pages_are_noticed():
    path = PRINTS / "codings/2023-06-04-Interview 19 - PO.pdf"
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(path))
    writer.remove_page(len(writer.pages) - 1)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ParseError) as err:
        delve_pdf.read(out.getvalue(), path.name)
    assert err.value.page == 1 and "pages are missing" in err.value.message


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_parse_or_raise_parse_error(data):
    for candidate in (data, b"%PDF-1.7\n" + data + b"\n%%EOF\n"):
        with pytest.raises(ParseError):
            delve_pdf.read(candidate, "x.pdf")


@needs_corpus
@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_print_parses_or_raises_parse_error(data):
    original = (PRINTS / "codings/2023-06-04-Interview 19 - Rached.pdf").read_bytes()
    at = data.draw(st.integers(0, len(original) - 1))
    junk = data.draw(st.binary(min_size=1, max_size=64))
    damaged = original[:at] + junk + original[at + len(junk) :]
    try:
        doc = delve_pdf.read(damaged, "damaged.pdf")
    except ParseError:
        return
    assert doc.turns
