"""The landing page: what the dataset is, its source and terms, its counts, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from qikg.kg.store import OxigraphStore
from qikg.server import create_app

from .test_store import make_store

DOI_URL = "https://doi.org/10.1007/s10664-024-10536-7"
TERMS = "The replication package states no licence; its README asks that any use cite the paper."
# Counted by hand in tests/test_store.py's FIXTURE_TRIG.
EXPECTED_COUNTS = {
    "interviews": 2,
    "documents": 3,
    "turns": 6,
    "coded excerpts": 3,
    "codes": 3,
}


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return create_app(make_store(tmp_path)).test_client()


class _Collector(HTMLParser):
    """Collects tags, attributes and any script element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts += 1


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_landing_page_says_what_the_dataset_is(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    assert "Quality issues in machine learning software systems" in html
    assert "coded interview" in html
    for author in ("Côté", "Nikanjam", "Bouchoucha", "Basta", "Abidi", "Khomh"):
        assert author in html
    assert "Empirical Software Engineering" in html and "2024" in html
    assert TERMS in html
    links = [attrs.get("href") for tag, attrs in parse(html).tags if tag == "a"]
    assert DOI_URL in links
    assert "/sparql" in links


def test_landing_page_shows_the_counts_from_the_store(client: FlaskClient) -> None:
    html = client.get("/").text
    shown = {label: int(n) for label, n in re.findall(r'data-count="([^"]+)">(\d+)</td>', html)}
    assert shown == EXPECTED_COUNTS


def test_counts_follow_the_store() -> None:
    html = create_app(OxigraphStore()).test_client().get("/").text
    shown = dict(re.findall(r'data-count="([^"]+)">(\d+)</td>', html))
    assert set(shown.values()) == {"0"}


def test_titles_from_the_data_are_escaped(client: FlaskClient) -> None:
    html = client.get("/").text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;planted&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;study&#39;)&lt;/script&gt;" in html
    assert parse(html).scripts == 0


def test_page_is_accessible_and_self_contained(client: FlaskClient) -> None:
    html = client.get("/").text
    tags = parse(html).tags
    assert ("html", {"lang": "en"}) in tags
    assert sum(1 for tag, _ in tags if tag == "h1") == 1
    assert any(tag == "h2" for tag, _ in tags)
    ids = {attrs.get("id") for _, attrs in tags}
    for tag, attrs in tags:
        if tag == "label":
            assert attrs.get("for") in ids
        if tag in ("textarea", "select", "input") and attrs.get("type") != "hidden":
            assert attrs.get("id") in {a.get("for") for t, a in tags if t == "label"}
    stylesheets = [a["href"] for t, a in tags if t == "link" and a.get("rel") == "stylesheet"]
    assert stylesheets == ["/static/qikg.css"]
    assert not re.search(r'(src|href)="(https?:)?//[^"]*\.(css|js)', html)  # no CDN
    css = client.get("/static/qikg.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()
