"""REFI-QDA projects of a code book only: their codes join the study's codebook.

Expected codes, parents and descriptions are read from the sample files with the standard
library's XML parser, not with qikg's reader.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from qikg.errors import ParseError
from qikg.kg.build import BuildResult, build
from qikg.kg.graph import label_of
from qikg.kg.sources import CodeBookFile, read_file
from qikg.kg.store import OxigraphStore
from qikg.kg.study import default_study

from .conftest import EXAMPLE, SHARED

SAMPLES = SHARED / "refi-qda" / "samples"
ATLAS = SAMPLES / "atlas-ti-23-codebook-only.qdpx"
MAXQDA = SAMPLES / "maxqda-24-codebook-only.qde"
QDA = "{urn:QDA-XML:project:1.0}"
CODES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?notation ?parent ?definition ?family WHERE {
    ?c skos:inScheme/a qikg:Codebook ; skos:notation ?notation ; a qikg:UncuratedCode .
    OPTIONAL { ?c skos:broader/skos:notation ?parent }
    OPTIONAL { ?c skos:definition ?definition }
    BIND (EXISTS { ?c a qikg:CodeFamily } AS ?family)
}"""

Expected = dict[str, tuple[str | None, str | None]]


def expected(path: Path) -> Expected:
    """Each code of a sample: its parent's name and its description, read with ElementTree."""
    data = path.read_bytes()
    if path.suffix == ".qdpx":
        with zipfile.ZipFile(path) as z:
            data = z.read("project.qde")
    out: Expected = {}

    def walk(element: ET.Element, parent: str | None) -> None:
        for code in element.findall(f"{QDA}Code"):
            text = (code.findtext(f"{QDA}Description") or "").strip()
            out[code.attrib["name"]] = (parent, text or None)
            walk(code, code.attrib["name"])

    walk(ET.fromstring(data).find(f"{QDA}CodeBook/{QDA}Codes"), None)  # type: ignore[arg-type]
    return out


def built(folder: Path) -> dict[str, tuple[str | None, str | None, bool]]:
    """The uncurated codes of a built store: parent, definition, whether typed a family."""
    store = OxigraphStore.open_read_only(folder / "store")
    try:
        result = store.query(CODES).value
        found: dict[str, tuple[str | None, str | None, bool]] = {}
        for r in result:  # type: ignore[union-attr]
            name = r["notation"].value
            assert name not in found, f"{name} has two parents or two definitions"
            found[name] = (
                None if r["parent"] is None else r["parent"].value,
                None if r["definition"] is None else r["definition"].value,
                r["family"].value == "true",
            )
        return found
    finally:
        store.close()


def need_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/refi-qda is not beside the project")


def row(result: BuildResult, name: str) -> str:
    return next(line for line in result.table().splitlines() if line.startswith(name))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "codes", "parented"),
    # Counted by hand: ATLAS.ti's "Commits" and its two children; MAXQDA's 307 codes, of
    # which the 18 top-level categories (counted with grep) have no parent.
    [(ATLAS, 3, 2), (MAXQDA, 307, 289)],
    ids=["atlas", "maxqda"],
)
def test_a_code_book_alone_builds_into_the_codebook(
    tmp_path: Path, sample: Path, codes: int, parented: int
) -> None:
    need_samples()
    want = expected(sample)
    assert (len(want), sum(p is not None for p, _ in want.values())) == (codes, parented)
    result = build([sample], tmp_path / "out", use_cache=False)
    got = built(tmp_path / "out")
    assert {n: (p, d) for n, (p, d, _) in got.items()} == want
    # A code under another is no top concept, whatever its name suggests ("... (Gee)").
    assert not [n for n, (p, _, family) in got.items() if p and family]
    assert result.imported == codes
    assert f"code book only: {codes} codes joined the codebook" in row(result, sample.name)
    assert f"{codes} code(s) from code books" in result.table()
    assert result.reports == []
    assert (tmp_path / "out" / "build.json").read_text().count(sample.name) == 1


@pytest.mark.slow
def test_code_books_beside_an_interview(tmp_path: Path) -> None:
    need_samples()
    result = build([EXAMPLE, ATLAS, MAXQDA], tmp_path / "out", use_cache=False)
    got = built(tmp_path / "out")
    for sample in (ATLAS, MAXQDA):
        for name, (parent, description) in expected(sample).items():
            assert got[name][:2] == (parent, description), name
    assert result.imported == 3 + 307
    assert len(result.reports) == 1 and result.reports[0].conforms
    # The interview's own row is unchanged by the code books beside it.
    assert row(result, EXAMPLE.name).split()[4:8] == ["152", "103", "18", "-"]


def code_book(description: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="codes">
  <CodeBook><Codes>
    <Code guid="AAAAAAAA-0000-0000-0000-000000000001" name="Tooling" isCodable="true">
      <Description>{description}</Description>
    </Code>
    <Code guid="AAAAAAAA-0000-0000-0000-000000000002" name="MM-drift" isCodable="true"/>
  </Codes></CodeBook>
</Project>
"""


@pytest.mark.slow
def test_a_changed_code_book_is_read_again_from_a_warm_cache(tmp_path: Path) -> None:
    book, cache = tmp_path / "project.qde", tmp_path / "cache"
    book.write_text(code_book("Tools the team uses"), encoding="utf-8")
    first = build([book], tmp_path / "out", cache=cache)
    assert built(tmp_path / "out")["Tooling"][1] == "Tools the team uses"
    # MM-drift is a code of the curated codebook (kg/data/codebook.csv).
    assert "code book only: 2 codes joined the codebook (1 of them curated)" in first.table()
    book.write_text(code_book("Build and test tools"), encoding="utf-8")
    build([book], tmp_path / "out", cache=cache)
    assert built(tmp_path / "out")["Tooling"][1] == "Build and test tools"


def test_a_project_with_neither_codes_nor_text_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "project.qde"
    empty.write_text('<Project xmlns="urn:QDA-XML:project:1.0" name="empty"/>', encoding="utf-8")
    with pytest.raises(ParseError, match="no code and no text source") as caught:
        read_file(empty, default_study())
    assert caught.value.file == "project.qde"
    with pytest.raises(ParseError, match="nothing to build"):
        build([empty], tmp_path / "out", use_cache=False)
    assert not (tmp_path / "out").exists()


def test_the_reader_hands_over_the_code_book_and_users() -> None:
    need_samples()
    read = read_file(ATLAS, default_study())
    assert isinstance(read, CodeBookFile)
    assert [c.name for c in read.codes] == list(expected(ATLAS))
    assert read.users == ("Enric Llagostera", "ATLAS.ti")


def coded_project() -> bytes:
    """A project with one source whose one paragraph is coded with a child code."""
    # Positions by hand: "Interviewer: Why?\n" is 18 code points, "Interviewee: " 13,
    # "The tools break." 16: the paragraph is 31..47.
    xml = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="coded">
  <Users><User guid="11111111-1111-1111-1111-111111111111" name="Ana"/></Users>
  <CodeBook><Codes>
    <Code guid="AAAAAAAA-0000-0000-0000-000000000001" name="Tooling" isCodable="true">
      <Description>Tools the team uses</Description>
      <Code guid="AAAAAAAA-0000-0000-0000-000000000002" name="Tooling-breaks" isCodable="true">
        <Description>A tool fails</Description>
      </Code>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="Interview 9 - Ana"
        plainTextPath="internal://s1.txt">
      <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000001" startPosition="31"
          endPosition="47" creatingUser="11111111-1111-1111-1111-111111111111">
        <Coding guid="DDDDDDDD-0000-0000-0000-000000000001">
          <CodeRef targetGUID="AAAAAAAA-0000-0000-0000-000000000002"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("project.qde", xml)
        z.writestr("sources/s1.txt", "Interviewer: Why?\nInterviewee: The tools break.\n")
    return buffer.getvalue()


@pytest.mark.slow
def test_the_code_book_of_a_project_with_sources_reaches_the_codebook(tmp_path: Path) -> None:
    project = tmp_path / "coded.qdpx"
    project.write_bytes(coded_project())
    build([project], tmp_path / "out", use_cache=False)
    got = built(tmp_path / "out")
    assert got["Tooling"][:2] == (None, "Tools the team uses")
    assert got["Tooling-breaks"][:2] == ("Tooling", "A tool fails")


def test_a_code_book_name_keeps_its_spaced_dash_in_the_label() -> None:
    assert label_of("THEME - Affinity Spaces (Gee)") == "THEME - Affinity Spaces (Gee)"
    assert label_of("MM-drift") == "MM drift"
