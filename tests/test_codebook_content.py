"""Content of the curated tables: codebook coverage and texts, catalogue, guide questions."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from qikg.errors import ParseError
from qikg.kg import catalogue as cat
from qikg.kg.codebook import PHASES, default_codebook

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CODES_IN_PDFS = CORPUS / "derived" / "codes_in_pdfs.csv"
CATALOGUE_18 = CORPUS / "derived" / "catalogue_18_issues_from_questionnaire.csv"
DELVE_TEXT = CORPUS / "delve-text"
QUESTION = re.compile(r"Q\d+(\.\d+)*")


def corpus() -> Path:
    if not CODES_IN_PDFS.is_file():
        pytest.skip(f"the study corpus is not at {CORPUS}")
    return CORPUS


def written_codes() -> list[str]:
    corpus()
    with CODES_IN_PDFS.open(encoding="utf-8", newline="") as f:
        return [row["code_as_written"].strip() for row in csv.DictReader(f)]


def delve_question_ids() -> set[str]:
    """Question ids standing alone on a line of the Delve text export (one code per block)."""
    corpus()
    ids: set[str] = set()
    for path in sorted(DELVE_TEXT.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if QUESTION.fullmatch(line.strip()):
                ids.add(line.strip())
    return ids


# ------------------------------------------------------------------ codebook
def test_codebook_covers_every_code_in_the_corpus():
    book = default_codebook()
    codes = [c for c in written_codes() if not QUESTION.fullmatch(c)]
    assert len(codes) > 80
    missing = [c for c in codes if not book.known(c)]
    assert missing == []


def test_variants_fold_to_their_canonical_notation():
    book = default_codebook()
    assert book.lookup("Data-missing-values").notation == "Data-missing-value"
    assert (
        book.lookup("ME-Metrics-Meaningless-For-Stakeholder").notation
        == "ME-metrics-meaningless-for-stakeholder"
    )
    assert book.lookup("data-missing-VALUES").curated


def test_every_code_has_a_label_and_a_definition():
    texts = cat.load_code_texts()
    book = default_codebook()
    assert set(texts) == set(book.entries)
    for notation, t in texts.items():
        assert t.label and t.definition, notation
        assert len(t.definition) > 30, notation


def test_catalogue_ids_of_codes_exist_and_carry_a_match():
    _, issues = cat.load_catalogue()
    known = {i.id for i in issues}
    mapped = [t for t in cat.load_code_texts().values() if t.catalogue]
    assert mapped, "some codes support catalogued issues"
    for t in mapped:
        assert set(t.catalogue) <= known, t.notation
        assert t.match in cat.MATCHES, t.notation


def test_key_codes_map_to_their_catalogued_issue():
    texts = cat.load_code_texts()
    assert "I6.1" in texts["MM-drift"].catalogue
    assert "I6.2" in texts["Data-unstable-provider"].catalogue
    assert "I5.3" in texts["MD-issues-with-dependencies"].catalogue
    assert texts["Data-collection-API"].catalogue == ()
    assert texts["Data-collection-API"].match is None


def test_mitigations_address_the_code_their_stem_names():
    book = default_codebook()
    for e in book.entries.values():
        if e.kind != "mitigation" or not e.notation.endswith("-fix"):
            continue
        stem = e.notation.removesuffix("-fix")
        named = [n for n in (stem, f"{stem}-issues") if n in book.entries]
        assert e.addresses == (named[0] if named else None), e.notation


# ------------------------------------------------------------------ catalogue
def test_catalogue_has_18_issues_in_6_dimensions_matching_the_derived_ids():
    corpus()
    dimensions, issues = cat.load_catalogue()
    assert len(issues) == 18
    assert len(dimensions) == 6
    assert {i.dimension for i in issues} == {d.id for d in dimensions}
    with CATALOGUE_18.open(encoding="utf-8", newline="") as f:
        derived = list(csv.DictReader(f))
    assert [i.id for i in issues] == [r["issue_id"] for r in derived]
    labels = {d.id: d.label for d in dimensions}
    assert {i.id: labels[i.dimension] for i in issues} == {
        r["issue_id"]: r["quality_dimension"] for r in derived
    }
    for i in issues:
        assert i.phases and set(i.phases) <= set(PHASES), i.id


# ------------------------------------------------------------------ questions
def test_questions_cover_every_id_the_coders_used():
    used = {c for c in written_codes() if QUESTION.fullmatch(c)} | delve_question_ids()
    assert len(used) >= 25
    questions = cat.load_questions()
    assert used - set(questions) == set()


def test_question_notes_flag_absent_and_differing_ids():
    q = cat.load_questions()
    for qid in ("Q2.2", "Q8.1", "Q8.2"):
        assert q[qid].text_new is None, qid
        assert "Not in the new guide" in q[qid].note, qid
    for qid in ("Q3.1", "Q3.2", "Q4.2", "Q4.4"):
        assert q[qid].text_new and q[qid].text_old, qid
        assert "Differs between the guides" in q[qid].note, qid
    assert q["Q1"].phase is None
    assert q["Q2.1"].phase == "data-collection"
    assert q["Q5.3"].phase == "model-deployment"


# ------------------------------------------------------------------ bad rows
DIMS = "id,label,definition\nD1,Evaluability,How well quality can be assessed.\n"
ISSUES_HEAD = "id,dimension,label,statement,phases\n"
GOOD_ISSUE = "I1.1,D1,Offline evaluation,Offline scores mislead.,model-evaluation\n"


def dims() -> list[cat.Dimension]:
    return cat.parse_dimensions(DIMS)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("I1.2,D1,x,y,model-testing\n", "unknown phase"),
        ("I1.2,D7,x,y,model-evaluation\n", "unknown dimension"),
        ("I12,D1,x,y,model-evaluation\n", "malformed issue id"),
        ("I2.1,D1,x,y,model-evaluation\n", "belongs to D2"),
        ("I1.1,D1,x,y,model-evaluation\n", "duplicate id"),
        ("I1.2,D1,,y,model-evaluation\n", "empty label"),
    ],
)
def test_bad_catalogue_rows_raise_with_their_line(row, message):
    with pytest.raises(ParseError) as err:
        cat.parse_catalogue(ISSUES_HEAD + GOOD_ISSUE + row, dims())
    assert err.value.line == 3
    assert message in err.value.message
    assert "line 3" in str(err.value)


def test_bad_dimension_and_missing_column_raise():
    with pytest.raises(ParseError) as err:
        cat.parse_dimensions(DIMS + "Dx,Other,Text.\n")
    assert err.value.line == 3 and "malformed dimension id" in err.value.message
    with pytest.raises(ParseError) as err:
        cat.parse_catalogue("id,dimension,label\nI1.1,D1,x\n", dims())
    assert err.value.line == 1 and "missing column" in err.value.message


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Q2.1,data collection,data-gathering,Text,,Note\n", "unknown phase"),
        ("Question 4,model evaluation,,Text,,Note\n", "malformed question id"),
        ("Q1,opening,,Text,,Note\n", "duplicate id"),
        ("Q4.1,model evaluation,,,,Note\n", "no text"),
    ],
)
def test_bad_question_rows_raise_with_their_line(row, message):
    head = "id,section,phase,text_new,text_old,note\nQ1,opening,,Text,Text,Same question.\n"
    with pytest.raises(ParseError) as err:
        cat.parse_questions(head + row)
    assert err.value.line == 3
    assert message in err.value.message


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("MM-x,Label,A definition.,I9.9,closeMatch\n", "not in the catalogue"),
        ("MM-x,Label,A definition.,I1-1,closeMatch\n", "malformed catalogue id"),
        ("MM-x,Label,A definition.,I1.1,sameAs\n", "match"),
        ("MM-x,Label,A definition.,,closeMatch\n", "without catalogue ids"),
        ("MM-x,,A definition.,,\n", "empty label"),
    ],
)
def test_bad_code_text_rows_raise_with_their_line(row, message):
    issues = cat.parse_catalogue(ISSUES_HEAD + GOOD_ISSUE, dims())
    head = "notation,label,definition,catalogue,match\nMM-drift,Data drift,Drift.,I1.1,closeMatch\n"
    with pytest.raises(ParseError) as err:
        cat.parse_code_texts(head + row, issues)
    assert err.value.line == 3
    assert message in err.value.message


def test_line_numbers_count_physical_lines_of_quoted_fields():
    text = ISSUES_HEAD + 'I1.1,D1,x,"two\nlines",model-evaluation\nI1.2,D1,x,y,nowhere\n'
    with pytest.raises(ParseError) as err:
        cat.parse_catalogue(text, dims())
    assert err.value.line == 4
