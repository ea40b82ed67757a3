"""The query page at ``/sparql``: a SPARQL editor in a real browser, under the strict
Content-Security-Policy, with the named queries as example tabs and answers as a table."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from qikg.kg.build import example_inputs
from qikg.queries import named_queries
from qikg.server import create_app

from .browser import visit
from .test_clients import LiveServer, start_server
from .test_store import make_store

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PUBLIC_URL = "https://qikg.example.org/"
SPEAKERS_QUERY = """PREFIX qikg: <https://w3id.org/qikg/ontology#>
SELECT ?speaker (COUNT(?turn) AS ?turns) WHERE {
  ?turn a qikg:Turn ; qikg:speakerLabel ?speaker .
} GROUP BY ?speaker ORDER BY ?speaker"""


def example_lines() -> list[str]:
    (transcript,) = example_inputs()
    return [line.strip() for line in transcript.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qikg serve`` on the bundled example, built into a fresh cache, as if behind a proxy."""
    work = tmp_path_factory.mktemp("query-page")
    live = start_server(
        ["--public-url", PUBLIC_URL],
        cwd=work,
        env={"XDG_CACHE_HOME": str(work / "cache")},
        within_s=240,
    )
    yield live
    live.stop()


def test_the_page_runs_queries_in_a_browser_under_the_strict_policy(server, browser) -> None:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(server.url))
    seen = visit(browser, server.url, response_headers={"Content-Security-Policy": CSP})
    page = seen.page
    try:
        policy = "fetch(location.href).then(r => r.headers.get('content-security-policy'))"
        assert page.evaluate(policy) == CSP

        # The page states the public URL, yet sends queries to the origin it was loaded from.
        assert PUBLIC_URL + "sparql" in page.locator("main p").first.inner_text()

        # Highlighted: CodeMirror's tokens, by kind.
        page.wait_for_selector(".cm-content .tok-keyword")
        keywords = page.locator(".cm-content .tok-keyword").all_inner_texts()
        assert {"PREFIX", "SELECT", "WHERE"} <= set(keywords)
        assert "?interview" in page.locator(".cm-content .tok-variableName").all_inner_texts()
        assert page.locator("#query").is_hidden()

        # The dataset's prefixes are known: completing "sko" adds the PREFIX line it needs.
        page.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text("SELECT * WHERE { ?c a ")
        page.keyboard.type("sko")
        page.locator(".cm-tooltip-autocomplete li", has_text="skos:").first.wait_for()
        # CodeMirror ignores Enter for its interactionDelay (75 ms) after the list opens.
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        lines = page.locator(".cm-content").inner_text().splitlines()
        assert lines[0] == "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"
        assert lines[1].startswith("SELECT * WHERE { ?c a skos:")

        # The example tabs are the named queries, after the user's own query.
        tabs = page.locator("#examples [role=tab]").all_inner_texts()
        assert tabs == ["your query", *sorted(named_queries())]

        # A query typed into the editor, run with Ctrl+Enter: one row per speaker label.
        page.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(SPEAKERS_QUERY)
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#result-table tbody tr")
        header = page.locator("#result-table thead th").all_inner_texts()
        assert header == ["speaker", "turns"]
        rows = {
            cells[0]: int(cells[1])
            for cells in (
                row.locator("td").all_inner_texts()
                for row in page.locator("#result-table tbody tr").all()
            )
        }
        speakers = Counter(
            line
            for line in example_lines()
            if re.fullmatch(r"Interviewee|Interviewer \d+|Unknown Speaker", line)
        )
        assert rows == dict(speakers)
        assert sum(rows.values()) == 152  # the README's figure for Interview 3

        # An example tab, run with the button: the evidence of MM-drift, a row per coded paragraph.
        page.get_by_role("tab", name="evidence", exact=True).click()
        assert "VALUES" in page.locator(".cm-content").inner_text()
        page.locator("#run").click()
        drift = example_lines().count("MM-drift")
        page.locator("#status", has_text=f"{drift} rows in").wait_for()
        notations = page.locator("#result-table tbody tr td:first-child").all_inner_texts()
        assert notations == ["MM-drift"] * drift

        assert seen.problems() == []
        # A refused query: the endpoint's message, shown as text (Chromium logs the 403).
        page.get_by_role("tab", name="your query").click()
        page.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(
            "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
        )
        page.locator("#run").click()
        page.wait_for_selector("#status.error")
        assert page.locator("#status").inner_text().startswith("403")
        assert page.locator("#result-table").count() == 0
    finally:
        page.context.unroute_all(behavior="ignoreErrors")
        page.context.close()
    assert seen.problems() == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
    assert all(url.startswith(origin + "/") for url in seen.requests), seen.requests
    assert any(url.endswith("/static/vendor/editor.js") for url in seen.requests)

    # The server's access log: a line per request, without the queries or what they answered.
    log = [line for line in server.output if " qikg.access " in line]
    assert any(re.search(r"POST /sparql 200 [\d.]+ms in=\d+ out=\d+$", line) for line in log)
    assert any(" GET /static/<path:filename> 200 " in line for line in log)
    quote = "it was a business decision"  # evidence of MM-drift in the example transcript
    assert quote in " ".join(example_lines())
    for line in server.output:
        assert quote not in line and "speakerLabel" not in line and "Interviewee" not in line


def test_the_editor_is_configured_by_a_json_element_and_no_inline_script(tmp_path: Path) -> None:
    app = create_app(make_store(tmp_path), {"BASE_IRI": "https://example.org/</script>/"})
    html = app.test_client().get("/sparql", headers={"Accept": "text/html"}).text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [
        attrs for attrs, body in scripts if body.strip() and "application/json" not in attrs
    ] == []
    (config_text,) = [body for attrs, body in scripts if 'id="qikg-editor-config"' in attrs]
    config = json.loads(config_text)
    assert config["prefixes"]["data"] == "https://example.org/</script>/"
    assert config["prefixes"]["qikg"] == "https://w3id.org/qikg/ontology#"
    assert [e["name"] for e in config["examples"]] == sorted(named_queries())
    assert all(
        not line.startswith("#+") for e in config["examples"] for line in e["query"].splitlines()
    )
    # Without JavaScript, the form still sends the query.
    assert '<form action="/sparql" method="get">' in html
    assert '<textarea id="query" name="query"' in html


def test_without_the_bundle_the_page_is_the_plain_form(tmp_path: Path) -> None:
    app = create_app(make_store(tmp_path))
    app.static_folder = str(tmp_path / "no-bundle")
    html = app.test_client().get("/sparql", headers={"Accept": "text/html"}).text
    assert "<script" not in html
    assert '<textarea id="query" name="query"' in html
