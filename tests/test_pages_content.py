"""The pages people read, over the bundled example (Interview 3), against figures counted from
the example file and the curated tables with plain Python, not with the service's queries."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from qikg.kg.build import build

from .conftest import EXAMPLE, ROOT
from .test_linked_data import _app

DATA = ROOT / "kg" / "data"
INTERVIEW = "/cote2024/interview/3"
MODERATED = "moderation-amin"
DOI = "doi:10.1007/s10664-024-10536-7"
PLANTED = '<script>alert("planted")</script> & <b>bold</b>'
SVG = "{http://www.w3.org/2000/svg}"


# -- independent figures ------------------------------------------------------------------


def _codebook() -> list[dict[str, str]]:
    with (DATA / "codebook.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _notations() -> set[str]:
    rows = _codebook()
    return {r["notation"].lower() for r in rows} | {
        v.lower() for r in rows for v in r["variants"].split()
    }


_QUESTION = re.compile(r"Q\d+(\.\d+)*$")


def _blocks(path: Path) -> list[tuple[str, list[str]]]:
    """The export's text lines, each with the tag lines (codes, question ids) after it."""
    names = _notations()
    blocks: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if (line.lower() in names or _QUESTION.match(line)) and blocks:
            blocks[-1][1].append(line)
        else:
            blocks.append((line, []))
    return blocks


def _coded_paragraphs(path: Path) -> int:
    names = _notations()
    return sum(1 for _, tags in _blocks(path) if any(t.lower() in names for t in tags))


def _code_counts(path: Path) -> dict[str, int]:
    """How many paragraphs each code (as written) tags."""
    counts: dict[str, int] = {}
    names = _notations()
    for _, tags in _blocks(path):
        for tag in {t for t in tags if t.lower() in names}:
            counts[tag] = counts.get(tag, 0) + 1
    return counts


# -- the app ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    out = tmp_path_factory.mktemp("pages") / "ds"
    build([EXAMPLE], out)
    for app in _app(out):
        yield app.test_client()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """The example with markup planted in a coded paragraph (turn 51, coded MM-drift)."""
    folder = tmp_path_factory.mktemp("planted")
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count("it was a business decision") == 1
    (folder / EXAMPLE.name).write_text(
        text.replace("it was a business decision", f"it was a {PLANTED} decision"),
        encoding="utf-8",
    )
    out = folder / "ds"
    build([folder / EXAMPLE.name], out)
    for app in _app(out):
        yield app.test_client()


def _html(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status, response.text[:500]
    assert response.mimetype == "text/html"
    return response.text


# -- code page ----------------------------------------------------------------------------


def test_code_page_shows_every_quote_with_context_and_citation(client: FlaskClient) -> None:
    expected = _code_counts(EXAMPLE)["MM-drift"]
    html = _html(client, "/cote2024/code/mm-drift.html")
    assert "Data drift" in html
    assert "Marks changes over time in the data" in html  # the definition of codebook.csv
    assert "model-maintenance" in html  # its phase in codebook.csv
    assert "/cote2024/catalogue/I6.1" in html  # its mapping (catalogue column)
    assert html.count('<figure class="quote"') == expected
    assert html.count("Cite this:") == expected
    assert html.count(DOI) == expected
    turns = re.findall(r'href="(/cote2024/interview/3\.html\?document=[^"#]+)#turn-(\d+)"', html)
    assert len(turns) == expected
    page = _html(client, turns[0][0])
    assert f'id="turn-{turns[0][1]}"' in page


def test_the_catalogue_page_lists_the_18_issues_by_dimension(client: FlaskClient) -> None:
    with (DATA / "catalogue.csv").open(encoding="utf-8", newline="") as f:
        issues = list(csv.DictReader(f))
    with (DATA / "dimensions.csv").open(encoding="utf-8", newline="") as f:
        dimensions = list(csv.DictReader(f))
    html = _html(client, "/catalogue")
    rows = re.findall(r'<tr id="(I\d+\.\d+)">', html)
    assert sorted(rows) == sorted(i["id"] for i in issues)
    assert html.count("<h2 id=") == len(dimensions)
    # the catalogue's IRI serves the same page
    assert re.findall(r'<tr id="(I\d+\.\d+)">', _html(client, "/cote2024/catalogue.html")) == rows
    # I6.1 is supported by MM-drift (codebook.csv) and links to the code's page
    i61 = html.split('<tr id="I6.1">')[1].split("</tr>")[0]
    assert 'href="/cote2024/code/mm-drift"' in i61
    assert f'<td class="num">{_code_counts(EXAMPLE)["MM-drift"]}</td>' in i61


# -- interview page -----------------------------------------------------------------------


def test_interview_page_marks_the_coded_paragraphs_with_their_codes(client: FlaskClient) -> None:
    html = _html(client, f"{INTERVIEW}.html")
    coded = _coded_paragraphs(EXAMPLE)
    paragraphs = html.split('<div class="para">')[1:]
    marked = [p for p in paragraphs if "<mark>" in p]
    assert len(marked) == coded
    assert all('<p class="codes">Codes: ' in p for p in marked)
    assert sum('<p class="codes">' in p for p in paragraphs) == coded
    assert f'href="?document={MODERATED}" aria-current="page"' in html
    # the coding strip: one mark per coded turn (one coded paragraph per turn in this file)
    svg = html.split('<div class="figure">')[1].split("</svg>")[0] + "</svg>"
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "mark"]) == coded


def test_an_unknown_document_is_refused_naming_the_parameter(client: FlaskClient) -> None:
    html = _html(client, f"{INTERVIEW}.html?document=nope", status=400)
    assert "The document parameter &#39;nope&#39; names no document of interview 3" in html
    assert f"choose one of: {MODERATED}" in html


def test_excerpt_page_has_a_permalink_and_a_cite_line(client: FlaskClient) -> None:
    iri = "https://w3id.org/qikg/cote2024/interview/3/moderation-amin/excerpt/51.1"
    html = _html(client, "/cote2024/interview/3/moderation-amin/excerpt/51.1.html")
    assert f'Permalink: <a href="{iri}">' in html
    cite = re.search(r'<span class="cite-text">([^<]*)</span>', html)
    assert cite is not None
    assert cite.group(1) == (
        "Interviewee of interview 3, in Côté et al. (2024), &#34;Quality issues in machine "
        f"learning software systems&#34;, Empirical Software Engineering. {DOI}. {iri}"
    )
    assert 'href="/cote2024/code/mm-drift"' in html


# -- pictures and their numbers -----------------------------------------------------------


def _csv(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.text)))


def test_heatmap_numbers_equal_the_example_and_the_csv(client: FlaskClient) -> None:
    phases = {r["notation"]: r["phases"].split() for r in _codebook() if r["kind"] == "issue"}
    counts = {k: v for k, v in _code_counts(EXAMPLE).items() if k in phases}
    rows = _csv(client, "/charts/issue-phase.csv")
    assert {r["issue"] for r in rows} == set(counts)
    columns = [c for c in rows[0] if c not in ("issue", "label")]
    for row in rows:
        for column in columns:
            expected = counts[row["issue"]] if column in phases[row["issue"]] else 0
            assert int(row[column]) == expected, (row["issue"], column)
    landing = _html(client, "/")
    svg = landing.split('<div class="figure">')[1].split("</svg>")[0] + "</svg>"
    root = ET.fromstring(svg)
    assert root.get("id") == "issue-phase"
    cells = {
        (g.get("data-row"), g.get("data-column")): int(g.get("data-count", "-1"))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "cell"
    }
    assert len(cells) == len(rows) * len(columns)
    assert cells == {(r["issue"], c): int(r[c]) for r in rows for c in columns}
    table = _html(client, "/charts/issue-phase")
    assert table.count('<tr><th scope="row">') == len(rows)


def test_heatmap_counts_equal_a_sparql_count(client: FlaskClient) -> None:
    rows = {r["issue"]: r for r in _csv(client, "/charts/issue-phase.csv")}
    query = """PREFIX qikg: <https://w3id.org/qikg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
  ?e qikg:hasCode/skos:notation "Data-low-quality" ; qikg:excerptOf ?p .
}"""
    response = client.get("/sparql", query_string={"query": query, "format": "csv"})
    assert response.status_code == 200
    n = int(response.text.splitlines()[1])
    assert int(rows["Data-low-quality"]["data-collection"]) == n
    assert int(rows["Data-low-quality"]["data-preparation"]) == n


def test_frequency_bars_equal_the_csv(client: FlaskClient) -> None:
    phases = {r["notation"] for r in _codebook() if r["kind"] == "issue"}
    counts = {k: v for k, v in _code_counts(EXAMPLE).items() if k in phases}
    rows = _csv(client, "/charts/issue-frequency.csv")
    assert {r["issue"]: int(r["paragraphs"]) for r in rows} == counts
    assert all(r["interviews"] == "1" for r in rows)
    landing = _html(client, "/")
    svg = landing.split('<div class="figure">')[2].split("</svg>")[0] + "</svg>"
    root = ET.fromstring(svg)
    values = [int(g.get("data-value", "-1")) for g in root.iter(f"{SVG}g") if g.get("class")]
    assert values == [int(r["paragraphs"]) for r in rows]
    assert 'href="/charts/issue-frequency.csv"' in landing


# -- search -------------------------------------------------------------------------------


def test_search_finds_the_quotes_that_hold_the_words(client: FlaskClient) -> None:
    # "COVID" is said once in the example, in a paragraph coded MM-drift and QM-scalability-issues
    holding = [(t, tags) for t, tags in _blocks(EXAMPLE) if "covid" in t.lower() and tags]
    html = _html(client, "/search?q=covid")
    assert html.count('<figure class="quote"') == len(holding) == 1
    assert "1 quote found for <q>covid</q>" in html
    assert "COVID is probably a very good example" in html
    assert 'href="/cote2024/interview/3.html?document=moderation-amin#turn-' in html


def test_search_handles_empty_bad_and_marked_up_input(client: FlaskClient) -> None:
    assert "Type one or more words" in _html(client, "/search")
    assert "Type one or more words" in _html(client, "/search?q=+")
    too_long = _html(client, "/search?q=" + "a" * 201, status=400)
    assert "The search cannot run" in too_long and "q" in too_long
    marked = _html(client, "/search?q=%3Cb%3Ex%3C%2Fb%3E")
    assert "<b>x</b>" not in marked
    assert "&lt;b&gt;x&lt;/b&gt;" in marked
    assert "0 quotes found" in marked


# -- escaping -----------------------------------------------------------------------------


def test_markup_in_transcripts_is_escaped_on_every_page(planted: FlaskClient) -> None:
    escaped = "&lt;script&gt;alert(&#34;planted&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    for path in (
        "/cote2024/code/mm-drift.html",
        f"{INTERVIEW}.html",
        "/cote2024/interview/3/moderation-amin/excerpt/51.1.html",
        "/search?q=planted",
    ):
        html = _html(planted, path)
        assert '<script>alert("planted")' not in html, path
        assert "<b>bold</b>" not in html, path
        assert escaped in html, path


def test_code_page_evidence_agrees_with_the_evidence_named_query(client: FlaskClient) -> None:
    """The page's lighter lookup gives the same excerpts and questions as ``evidence``."""
    from qikg.queries import named_queries
    from qikg.queries.run import StoreExecutor, run
    from qikg.server.code_evidence import evidence
    from qikg.server.state import state_of

    store = state_of(client.application).store
    for notation in ("MM-drift", "Data-low-quality", "how-to-evaluate-model"):
        named = run(named_queries()["evidence"], {"code": notation}, StoreExecutor(store))
        expected = sorted(
            (r["excerpt"], r["question"] or "", r["question_text"] or "") for r in named.records()
        )
        iri = f"https://w3id.org/qikg/cote2024/code/{notation.lower()}"
        with client.application.app_context():
            mine = evidence(store, iri)
        found = sorted((r["excerpt"], r["question"], r["question_text"]) for r in mine)
        assert found == expected, notation
        assert expected
