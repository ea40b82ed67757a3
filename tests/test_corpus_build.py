"""The whole study in one build: documents, evidence anchored in the transcripts, provenance."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from rdflib import Dataset, URIRef

from qikg.errors import PrivacyFailure
from qikg.kg.anchor import FUZZY_THRESHOLD, normalize, similarity
from qikg.kg.audit import default_policy, redact
from qikg.kg.build import DATASET_TRIG, MANIFEST, build

from .conftest import CORPUS, need_shared

S = "https://w3id.org/qikg/cote2024"
PDFS = sorted((CORPUS / "delve-pdf").rglob("*.pdf")) if CORPUS.is_dir() else []
TRANSCRIPTS = sorted((CORPUS / "transcripts").glob("*.txt")) if CORPUS.is_dir() else []


@pytest.fixture(scope="module")
def dataset(corpus_build) -> Dataset:
    _, out = corpus_build
    ds = Dataset(default_union=True)
    ds.parse(out / DATASET_TRIG, format="trig")
    return ds


def q(ds: Dataset, query: str) -> list[tuple]:
    return [
        tuple(r)
        for r in ds.query(
            "PREFIX qikg: <https://w3id.org/qikg/ontology#>\n"
            "PREFIX oa: <http://www.w3.org/ns/oa#>\n"
            "PREFIX prov: <http://www.w3.org/ns/prov#>\n" + query
        )
    ]


@pytest.mark.slow
def test_every_supported_file_is_imported(corpus_build):
    result, out = corpus_build
    files = {f.file for f in result.files}
    assert files >= {p.name for p in PDFS} | {p.name for p in TRANSCRIPTS}
    assert "Interview 3 - Amin.txt" in files
    skipped = {p.path.name for p in result.skipped}
    # The guides and the questionnaire are PDFs but not Delve prints; CSV and README are data.
    assert {"old.pdf", "new.pdf", "Quality issues in MLSSs form.pdf"} <= skipped
    manifest = json.loads((out / MANIFEST).read_text())
    assert len(manifest["inputs"]) == len(PDFS) + len(TRANSCRIPTS) + 1


@pytest.mark.slow
def test_one_interview_several_documents(dataset):
    rows = q(dataset, f"SELECT ?d ?k WHERE {{ ?d qikg:ofInterview <{S}/interview/7> ; a ?k }}")
    kinds = {(str(d).rsplit("/", 1)[1], str(k).rsplit("#", 1)[1]) for d, k in rows}
    assert kinds == {
        ("transcript", "Transcript"),
        ("coding-po", "Coding"),
        ("coding-rached", "Coding"),
        ("moderation-amin", "ModeratedCoding"),
    }
    mod = URIRef(f"{S}/interview/2/moderation-ilan")
    assert (
        mod,
        URIRef("https://w3id.org/qikg/ontology#moderatedBy"),
        URIRef(f"{S}/researcher/ilan"),
    ) in dataset


@pytest.mark.slow
def test_delve_text_export_is_the_moderated_pdf_counted_once(dataset, corpus_build):
    result, _ = corpus_build
    docs = q(
        dataset,
        f"SELECT DISTINCT ?d WHERE {{ ?d qikg:ofInterview <{S}/interview/3> ;"
        " a qikg:ModeratedCoding }",
    )
    assert len(docs) == 1
    files = {
        str(f)
        for (f,) in q(
            dataset,
            f"SELECT ?f WHERE {{ <{S}/interview/3/moderation-amin>"
            " prov:wasDerivedFrom/qikg:fileName ?f }",
        )
    }
    assert files == {"2023-06-04-Interview 3 - Amin.pdf", "Interview 3 - Amin.txt"}
    row = next(f for f in result.files if f.file == "Interview 3 - Amin.txt")
    assert "counted once" in row.note
    # The corpus README: 103 coded paragraphs in the moderated coding of Interview 3.
    (n,) = q(
        dataset,
        "SELECT (COUNT(?x) AS ?n) WHERE { ?x a qikg:CodedExcerpt ;"
        f" qikg:inDocument <{S}/interview/3/moderation-amin> }}",
    )[0]
    assert int(n) == 103


@pytest.mark.slow
def test_sources_carry_their_checksums(dataset):
    rows = q(
        dataset, "SELECT ?f ?h WHERE { ?s a qikg:SourceFile ; qikg:fileName ?f ; qikg:sha256 ?h }"
    )
    by_name = {str(f): str(h) for f, h in rows}
    for path in [*PDFS[:5], *TRANSCRIPTS[:5]]:
        assert by_name[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_every_anchor_matches_its_quote_under_the_normalisation(dataset):
    rows = q(
        dataset,
        """SELECT ?quote ?text ?start ?end ?method WHERE {
      ?x oa:hasTarget ?span , ?anchor .
      ?span oa:hasSource ?p ; oa:hasSelector/oa:exact ?quote .
      FILTER(STRENDS(STR(?anchor), "/transcript") && STRSTARTS(STR(?anchor), STR(?span)))
      ?anchor qikg:anchorMethod ?method ; oa:hasSource ?t ;
              oa:hasSelector [ a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end ] .
      ?t qikg:fullText ?text }""",
    )
    assert len(rows) > 1000
    for quote, text, start, end, method in rows:
        found = str(text)[int(start) : int(end)]
        if str(method) == "exact":
            assert normalize(found)[0] == normalize(str(quote))[0]
        else:
            assert similarity(found, str(quote)) >= FUZZY_THRESHOLD


@pytest.mark.slow
def test_full_text_is_the_redacted_transcript(dataset):
    policy = default_policy()
    for path in TRANSCRIPTS[:6]:
        number = re.search(r"\d+", path.name).group()
        expected = redact(path.read_text(encoding="utf-8-sig").replace("\r\n", "\n"), policy)[0]
        (text,) = q(
            dataset,
            f"SELECT ?t WHERE {{ <{S}/interview/{number}/transcript> qikg:fullText ?t }}",
        )[0]
        assert str(text) == expected


@pytest.mark.slow
def test_unanchored_excerpts_are_listed_not_forced(corpus_build, dataset):
    result, out = corpus_build
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["unanchored"] == result.unanchored
    (anchored,) = q(dataset, "SELECT (COUNT(?a) AS ?n) WHERE { ?a qikg:anchorMethod ?m }")[0]
    total = sum(f.unanchored or 0 for f in result.files)
    assert total == len(result.unanchored)
    assert int(anchored) > 10 * total


@pytest.mark.slow
def test_team_names_are_redacted_in_speech(dataset):
    rows = q(dataset, """SELECT ?t WHERE { ?x a qikg:Turn ; qikg:text ?t }""")
    speech = " ".join(str(t) for (t,) in rows)
    for name in ("Foutse", "Rached", "Pierre-Olivier", "SWAT lab"):
        assert name not in speech
    assert "[Researcher]" in speech
    (n,) = q(dataset, "SELECT (SUM(?r) AS ?n) WHERE { ?a qikg:redactions ?r }")[0]
    assert int(n) > 0


@pytest.mark.slow
def test_participant_profiles_point_to_the_turn(dataset):
    rows = q(
        dataset,
        f"""SELECT ?v ?text WHERE {{
      <{S}/interview/3/participant> qikg:profileValue ?p .
      ?p qikg:profileText ?v ; qikg:evidence ?turn .
      ?turn qikg:text ?text }}""",
    )
    values = {str(v): str(t) for v, t in rows}
    assert "AI delivery manager" in values
    assert "AI Delivery Manager" in values["AI delivery manager"]


def test_planted_personal_data_stops_the_build(tmp_path):
    need_shared()
    planted = tmp_path / "Interview 98.txt"
    planted.write_text(
        "Interviewer 1: Welcome.\n\nInterviewee: Write to jane.doe@example.org or call "
        "+1 514 555 0199, my page is https://jane.example.org/about\n",
        encoding="utf-8",
    )
    with pytest.raises(PrivacyFailure) as info:
        build([planted], tmp_path / "ds")
    kinds = {f.kind for f in info.value.findings}
    assert {"email", "phone", "url"} <= kinds
    assert not (tmp_path / "ds").exists()


def test_a_redacted_name_is_recorded_in_provenance(tmp_path):
    planted = tmp_path / "Interview 97.txt"
    planted.write_text("Interviewer 1: Hello, I am Rached.\n\nInterviewee: Hi Rached.\n", "utf-8")
    build([planted], tmp_path / "ds")
    ds = Dataset(default_union=True)
    ds.parse(tmp_path / "ds" / DATASET_TRIG, format="trig")
    texts = [str(o) for o in ds.objects(None, URIRef("https://w3id.org/qikg/ontology#text"))]
    assert all("Rached" not in t for t in texts)
    assert any("[Researcher]" in t for t in texts)
    counts = list(ds.objects(None, URIRef("https://w3id.org/qikg/ontology#redactions")))
    assert counts and sum(int(c) for c in counts) >= 2


def test_audit_command_reports_a_dataset(tmp_path):
    import subprocess
    import sys

    from .conftest import EXAMPLE

    build([EXAMPLE], tmp_path / "ds")
    done = subprocess.run(
        [sys.executable, "-m", "qikg", "audit", str(tmp_path / "ds"), "--all"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # The coder's name "Amin" is in the document's title and in the researcher's name.
    assert "accepted: name 'Amin'" in done.stdout
    assert " 0 open" in done.stdout
    nq = (tmp_path / "ds" / "dataset.nq").read_text(encoding="utf-8")
    planted = nq + (
        "<https://w3id.org/qikg/cote2024/interview/3/moderation-amin/turn/1> "
        '<https://w3id.org/qikg/ontology#text> "mail me at a.b@example.org"@en '
        "<https://w3id.org/qikg/cote2024/interview/3/moderation-amin/graph> .\n"
    )
    (tmp_path / "ds" / "dataset.nq").write_text(planted, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "qikg", "audit", str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 6
    assert "open: email 'a.b@example.org'" in done.stdout


def test_bad_files_stop_the_build_or_are_listed_with_keep_going(tmp_path):
    need_shared()
    from qikg.errors import ParseError

    from .conftest import EXAMPLE

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    pdf = PDFS[0].read_bytes()
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (folder / "Interview 90.txt").write_bytes(b"")
    (folder / "Interview 91.txt").write_bytes("Interviewee: été".encode("utf-16"))
    with pytest.raises(ParseError) as info:
        build([folder], tmp_path / "ds")
    assert info.value.file in {"truncated.pdf", "Interview 90.txt", "Interview 91.txt"}
    assert not (tmp_path / "ds").exists()
    result = build([folder], tmp_path / "ds", keep_going=True)
    failed = {e.file: e for e in result.errors}
    assert set(failed) == {"truncated.pdf", "Interview 90.txt", "Interview 91.txt"}
    assert "truncated" in failed["truncated.pdf"].message
    assert failed["Interview 90.txt"].line == 1
    assert "UTF-8" in failed["Interview 91.txt"].message
    assert [f.file for f in result.files] == [EXAMPLE.name]


@pytest.mark.slow
def test_speech_carries_its_language(dataset):
    rows = q(
        dataset,
        """SELECT ?i (GROUP_CONCAT(DISTINCT LANG(?t)) AS ?langs) WHERE {
          ?x qikg:inDocument ?d ; qikg:text ?t . ?d qikg:ofInterview ?i } GROUP BY ?i""",
    )
    langs = {str(i).rsplit("/", 1)[1]: set(str(v).split()) for i, v in rows}
    assert langs["2"] == {"fr"}
    assert all(v == {"en"} for k, v in langs.items() if k != "2")
    assert len(langs) == 36
