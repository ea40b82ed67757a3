"""The REFI-QDA reader: the tools' samples, a hand-made project, and bad projects."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF

from qikg.errors import ParseError, UnsupportedInput
from qikg.kg.model import Document, DocumentKind
from qikg.kg.readers import qdpx
from qikg.kg.sources import read_file, reader_for
from qikg.kg.study import default_study

from .conftest import SHARED

SAMPLES = SHARED / "refi-qda" / "samples"
ATLAS = SAMPLES / "atlas-ti-23-codebook-only.qdpx"
MAXQDA = SAMPLES / "maxqda-24-codebook-only.qde"
QDA = "{urn:QDA-XML:project:1.0}"

U1 = "11111111-1111-1111-1111-111111111111"
U2 = "22222222-2222-2222-2222-222222222222"
C1 = "AAAAAAAA-0000-0000-0000-000000000001"
C2 = "AAAAAAAA-0000-0000-0000-000000000002"
S1 = "BBBBBBBB-0000-0000-0000-000000000001"
# Positions worked out by hand, in code points: "Interviewer: " is 13, "Hello " 6, the emoji 1,
# " there" 6, the CR LF pair 2 (28 so far), "Interviewee: " 13: "Data drift" is 41..51 and
# the whole paragraph "Data drift hurts us." 41..61; with its CR LF the text is 63 long.
TEXT = "Interviewer: Hello \U0001f600 there\r\nInterviewee: Data drift hurts us.\r\n"


def need_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/refi-qda is not beside the project")


def project_xml(selections: str, source_attrs: str = 'plainTextPath="internal://s1.txt"') -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="hand-made" creatingUserGUID="{U1}">
  <Users><User guid="{U1}" name="Ana"/><User guid="{U2}" name="Ben"/></Users>
  <CodeBook><Codes>
    <Code guid="{C1}" name="MM" isCodable="true">
      <Description>Family of maintenance issues</Description>
      <Code guid="{C2}" name="MM-drift" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{S1}" name="Interview 7 - hand" {source_attrs}>{selections}</TextSource>
  </Sources>
</Project>
"""


def selection(start: int, end: int, code: str = C2, user: str = U2, n: int = 1) -> str:
    return (
        f'<PlainTextSelection guid="CCCCCCCC-0000-0000-0000-00000000000{n}" '
        f'startPosition="{start}" endPosition="{end}" creatingUser="{user}">'
        f'<Coding guid="DDDDDDDD-0000-0000-0000-00000000000{n}"><CodeRef targetGUID="{code}"/>'
        "</Coding></PlainTextSelection>"
    )


def archive(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def hand_project(selections: str) -> bytes:
    return archive({"project.qde": project_xml(selections), "sources/s1.txt": TEXT})


# ---------------------------------------------------------------- the tools' samples


def test_atlas_sample_users_and_two_level_code_book() -> None:
    need_samples()
    project = qdpx.read_project(ATLAS.read_bytes(), ATLAS.name)
    xml = zipfile.ZipFile(ATLAS).read("project.qde").decode("utf-8")
    assert project.users == tuple(re.findall(r'<User guid="[^"]+" name="([^"]+)"', xml))
    assert len(project.users) == 2
    names = re.findall(r'<Code guid="[^"]+" name="([^"]+)"', xml)
    assert [c.name for c in project.codes] == names
    parents = {c.name: c.parent for c in project.codes}
    assert parents == {
        "Commits": None,
        "2022-05-10T02:05:59Z 19e4dce": "Commits",
        "2022-02-11T10:39:25Z cdbfd92": "Commits",
    }
    assert project.documents == ()


def test_maxqda_sample_code_hierarchy_and_descriptions() -> None:
    need_samples()
    project = qdpx.read_project(MAXQDA.read_bytes(), MAXQDA.name)
    root = ET.parse(MAXQDA).getroot()  # a separate reading with the standard library
    codes = list(root.iter(f"{QDA}Code"))
    assert len(project.codes) == len(codes) > 100
    top = root.find(f"{QDA}CodeBook/{QDA}Codes")
    assert top is not None
    top_names = [c.get("name") for c in top.findall(f"{QDA}Code")]
    assert [c.name for c in project.codes if c.parent is None] == top_names
    children = {
        child.get("name"): parent.get("name")
        for parent in codes
        for child in parent.findall(f"{QDA}Code")
    }
    assert {c.name: c.parent for c in project.codes if c.parent} == children
    described = sum(1 for c in codes if (c.findtext(f"{QDA}Description") or "").strip())
    assert sum(1 for c in project.codes if c.description) == described
    assert project.users == ("johnb",)
    # The ten sources are referenced in an archive this bare file came from: left out, named.
    assert len(project.skipped) == len(root.findall(f"{QDA}Sources/{QDA}TextSource")) == 10
    assert project.documents == ()


# ---------------------------------------------------------------- a hand-made project


def test_positions_count_code_points_and_both_characters_of_a_crlf() -> None:
    project = qdpx.read_project(hand_project(selection(41, 51)), "hand.qdpx")
    (doc,) = project.documents
    assert (doc.interview, doc.title, doc.kind, doc.person) == (
        7,
        "Interview 7 - hand",
        DocumentKind.CODING,
        "Ben",
    )
    assert [t.speaker_label for t in doc.turns] == ["Interviewer", "Interviewee"]
    para = doc.turns[1].paragraphs[0]
    assert para.text == "Data drift hurts us."
    assert para.codes == ("MM-drift",)
    assert [(s.start, s.end, s.text) for s in para.spans] == [(0, 10, "Data drift")]
    assert not doc.turns[0].paragraphs[0].coded
    assert {c.name: c.description for c in doc.codebook}["MM"] == "Family of maintenance issues"


def test_a_selection_of_the_whole_paragraph_has_no_span() -> None:
    project = qdpx.read_project(hand_project(selection(41, 61)), "hand.qdpx")
    para = project.documents[0].turns[1].paragraphs[0]
    assert (para.codes, para.spans) == (("MM-drift",), ())


def test_one_document_per_coder_and_a_transcript_when_uncoded() -> None:
    two = selection(41, 61, user=U2) + selection(13, 26, code=C1, user=U1, n=2)
    project = qdpx.read_project(hand_project(two), "hand.qdpx")
    by_person = {d.person: d for d in project.documents}
    assert set(by_person) == {"Ben", "Ana"}
    assert by_person["Ana"].turns[0].paragraphs[0].codes == ("MM",)
    assert not by_person["Ana"].turns[1].paragraphs[0].coded
    (plain,) = qdpx.read_project(hand_project(""), "hand.qdpx").documents
    assert plain.kind is DocumentKind.TRANSCRIPT and plain.person is None


def test_text_in_the_xml_and_a_bare_project_qde() -> None:
    content = "<PlainTextContent>Some notes without labels\nsecond line</PlainTextContent>"
    xml = project_xml(selection(5, 10), source_attrs="").replace(
        'name="Interview 7 - hand" >', f'name="Interview 7 - hand">{content}'
    )
    (doc,) = qdpx.read_project(xml.encode("utf-8"), "project.qde").documents
    (turn,) = doc.turns
    assert [p.text for p in turn.paragraphs] == ["Some notes without labels", "second line"]
    assert turn.paragraphs[0].spans[0].text == "notes"


def test_sources_choose_the_project_reader(tmp_path: Path) -> None:
    path = tmp_path / "hand.qdpx"
    path.write_bytes(hand_project(selection(41, 51)))
    (source,) = read_file(path, default_study())
    assert source.document.format == qdpx.FORMAT and source.path == path
    assert source.text is None  # a coding: its text is the transcript's business
    path.write_bytes(hand_project(""))
    (transcript,) = read_file(path, default_study())
    # An uncoded source is the interview's transcript: its text (line ends as \n) is the
    # canonical text that codings of the interview are anchored in.
    assert transcript.document.kind is DocumentKind.TRANSCRIPT
    assert transcript.text == TEXT.replace("\r\n", "\n")
    with pytest.raises(UnsupportedInput, match="REFI-QDA"):
        reader_for(tmp_path / "notes.docx", b"")


# ---------------------------------------------------------------- bad projects


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"plain text, not a zip", "p.qdpx", r"p\.qdpx: not a zip archive"),
        (archive({"other.xml": "<a/>"}), "p.qdpx", r"p\.qdpx: the archive holds no project\.qde"),
        (
            archive({"project.qde": "<Project>\n<Users>\n</Project>"}),
            "p.qdpx",
            r"p\.qdpx: project\.qde, line 3: not well-formed XML",
        ),
        (
            archive({"project.qde": '<a xmlns="urn:QDA-XML:project:1.0"/>'}),
            "p.qdpx",
            r"line 1: the root element is <a>",
        ),
        (b"\x00 not XML", "project.qde", r"project\.qde, line 1: not well-formed XML"),
    ],
)
def test_bad_files_name_file_member_and_line(data: bytes, name: str, says: str) -> None:
    with pytest.raises(ParseError, match=says):
        qdpx.read_project(data, name)


def test_schema_invalid_element_is_named_with_its_line() -> None:
    xml = project_xml("").replace(
        '<Code guid="' + C2 + '" name="MM-drift" isCodable="true"/>',
        '<Code guid="' + C2 + '" name="MM-drift"/>',
    )
    line = xml.splitlines().index(next(x for x in xml.splitlines() if 'name="MM-drift"' in x)) + 1
    with pytest.raises(ParseError) as info:
        qdpx.read_project(archive({"project.qde": xml, "sources/s1.txt": TEXT}), "p.qdpx")
    assert info.value.line == line
    assert "REFI-QDA schema" in info.value.message and "isCodable" in info.value.message


def test_positions_outside_the_text() -> None:
    with pytest.raises(
        ParseError, match=r"spans positions 60\.\.99, outside .* 63 characters"
    ) as e:
        qdpx.read_project(hand_project(selection(60, 99)), "p.qdpx")
    assert e.value.file == "p.qdpx: project.qde" and e.value.line is not None
    with pytest.raises(ParseError, match=r"spans positions 5\.\.5"):
        qdpx.read_project(hand_project(selection(5, 5)), "p.qdpx")


def test_missing_source_member_and_unknown_code() -> None:
    no_text = archive({"project.qde": project_xml(selection(41, 51))})
    with pytest.raises(ParseError, match=r"no member 'sources/s1\.txt'"):
        qdpx.read_project(no_text, "p.qdpx")
    unknown = hand_project(selection(41, 51, code="EEEEEEEE-0000-0000-0000-000000000009"))
    with pytest.raises(ParseError, match="the code book does not define"):
        qdpx.read_project(unknown, "p.qdpx")
    bare = project_xml(selection(41, 51)).encode("utf-8")
    with pytest.raises(ParseError, match="has codings but its text is not in hand"):
        qdpx.read_project(bare, "project.qde")


def test_no_remote_schema_or_entity_is_loaded() -> None:
    evil = (
        '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY x SYSTEM "http://example.org/x">]>\n'
        + project_xml("").split("\n", 1)[1].replace('name="hand-made"', 'name="&x;"')
    )
    started = time.monotonic()
    with pytest.raises(ParseError, match="external entity"):
        qdpx.read_project(archive({"project.qde": evil, "sources/s1.txt": TEXT}), "p.qdpx")
    assert time.monotonic() - started < 5


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["p.qdpx", "project.qde"]))
def test_any_bytes_parse_or_raise_parse_error(data: bytes, name: str) -> None:
    started = time.monotonic()
    with contextlib.suppress(ParseError):
        qdpx.read_project(data, name)
    assert time.monotonic() - started < 2


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_damaged_projects_parse_or_raise_parse_error(data: st.DataObject) -> None:
    good = hand_project(selection(41, 51))
    at = data.draw(st.integers(0, len(good) - 1))
    damage = data.draw(st.binary(min_size=1, max_size=8))
    with contextlib.suppress(ParseError):
        qdpx.read_project(good[:at] + damage + good[at + len(damage) :], "p.qdpx")


# ---------------------------------------------------------------- into the codebook graph


def test_imported_codes_join_the_codebook_with_parent_and_description() -> None:
    from rdflib import Literal, URIRef
    from rdflib.namespace import SKOS

    from qikg.kg.codebook import default_codebook
    from qikg.kg.graph import Builder
    from qikg.kg.iris import QIKG, Iris
    from qikg.kg.model import CodeDefinition

    defined = (
        CodeDefinition("Commits", None, "Commits of the project"),
        CodeDefinition("2022 cdbfd92", "Commits", None),
        CodeDefinition("MM-drift", "Commits", "not the curated definition"),
    )
    (doc,) = qdpx.read_project(hand_project(""), "hand.qdpx").documents
    doc = dataclasses.replace(doc, codebook=defined)
    builder = Builder(
        Iris("https://w3id.org/qikg/", "cote2024"), default_study(), default_codebook()
    )
    g = builder.graphs([doc])[1]
    code = "https://w3id.org/qikg/cote2024/code/"
    commits, child, drift = (
        URIRef(code + "commits"),
        URIRef(code + "2022-cdbfd92"),
        URIRef(code + "mm-drift"),
    )
    assert (child, SKOS.broader, commits) in g
    assert (commits, SKOS.definition, Literal("Commits of the project", lang="en")) in g
    assert (commits, RDF.type, QIKG.UncuratedCode) in g and (child, SKOS.notation, None) in g
    # A curated code keeps what the curated codebook says.
    assert (drift, SKOS.broader, commits) not in g
    assert (drift, SKOS.definition, Literal("not the curated definition", lang="en")) not in g
    assert (drift, RDF.type, QIKG.UncuratedCode) not in g


# ---------------------------------------------------------------- export of what was read


def test_spans_and_coders_survive_export_and_import(tmp_path: Path) -> None:
    from qikg.kg.build import nquad_lines
    from qikg.kg.codebook import default_codebook
    from qikg.kg.graph import Builder
    from qikg.kg.iris import Iris
    from qikg.kg.qdpx_export import project_of
    from qikg.kg.store import OxigraphStore

    # "Data drift" starts its paragraph (no prefix); the emoji is 19..20, after "Hello ".
    read = qdpx.read_project(
        hand_project(selection(41, 51) + selection(19, 20, code=C1, user=U1, n=2)), "hand.qdpx"
    )
    graphs = Builder(
        Iris("https://w3id.org/qikg/", "cote2024"), default_study(), default_codebook()
    )
    nq = tmp_path / "data.nq"
    nq.write_text(
        "".join(line for g in graphs.graphs(list(read.documents)) for line in nquad_lines(g)),
        encoding="utf-8",
    )
    store = OxigraphStore()
    store.load_dataset(nq)
    xml, members, counts = project_of(store, "hand")
    assert counts[2:] == (2, 2, 2)  # selections, codings, users
    root = ET.fromstring(xml)
    # Written with \n line ends and a blank line between turns: the positions, by hand, are
    # 19..20 and (26 + 1 + 1 + 13 =) 41..51.
    spans = sorted(
        (int(s.get("startPosition", "")), int(s.get("endPosition", "")))
        for s in root.iter(f"{QDA}PlainTextSelection")
    )
    assert spans == [(19, 20), (41, 51)]
    again = qdpx.read_project(archive({"project.qde": xml, **members}), "again.qdpx")

    def shape(docs: tuple[Document, ...]) -> dict[str | None, list[tuple[object, ...]]]:
        return {
            d.person: [
                (t.speaker_label, p.text, p.codes, tuple((s.start, s.end, s.text) for s in p.spans))
                for t in d.turns
                for p in t.paragraphs
            ]
            for d in docs
        }

    assert shape(again.documents) == shape(read.documents)
    assert {c.name: c.parent for c in again.codes}["MM-drift"] == "MM"


def test_the_commands_report_a_bad_project_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qikg.cli import main

    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(hand_project(selection(60, 99)))
    assert main(["build", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qikg: error: bad.qdpx: project.qde, line ") and "60..99" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    assert main(["export", "--format", "qdpx", str(tmp_path), str(tmp_path / "x.qdpx")]) == 2
    assert "not a dataset folder written by 'qikg build'" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.qdpx"]
