"""Web safety: transcript markup is inert in every page, every response carries the security
headers, no path leads outside what the service publishes, and no error shows internals.

A dataset is built from the bundled Delve export with markup and script planted in two of its
paragraphs. Every HTML page reachable from the landing page (crawled, bounded) is checked: the
planted text shows as text, and no element or attribute it holds became markup. Pages added
later are covered as soon as a link leads to them.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qikg.errors import StoreError
from qikg.kg.build import build
from qikg.kg.store import OxigraphStore
from qikg.server import close_app, create_app, pages
from qikg.server.memo import StoreMemo
from qikg.server.state import state_of

from .conftest import EXAMPLE, ROOT
from .test_clients import LiveServer, start_server

PAYLOAD = (
    "<script>alert('planted-1')</script> <img src=x onerror=\"alert('planted-2')\"> "
    "<a href=\"javascript:alert('planted-3')\">click</a> ]]> \"double\" 'single' & "
    "<svg onload=alert('planted-4')>"
)
ESCAPED_MARK = "&lt;script&gt;alert("
CRAWL_LIMIT = 60
SAME_SHAPE = 3
"""Pages of one shape (the path with its numbers blanked, and the parameter names) crawled at
most: enough to see each kind of page a few times without walking every turn."""
NOT_HTML = (".json", ".ttl", ".jsonld", ".nt", ".rdf", ".trig", ".gz", ".css", ".csv", "SUMS")
"""Links not followed by the crawl: files of other formats."""
HTML_ACCEPT = {"Accept": "text/html"}
EXPECTED_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
LEAKS = re.compile(r"Traceback|File \"|site-packages|\.py\b|/tmp/|/work/|/home/|/usr/")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset built from the example with the payload in three paragraphs (turns 1 and 2,
    and the first coded one)."""
    folder = tmp_path_factory.mktemp("planted")
    text = EXAMPLE.read_text(encoding="utf-8")
    for anchor in ("So you can go ahead.", "Okay, perfect.", "And again, it's a high level view,"):
        assert anchor in text
        text = text.replace(anchor, f"{anchor} {PAYLOAD}", 1)
    source = folder / EXAMPLE.name
    source.write_text(text, encoding="utf-8")
    build([source], folder / "ds")
    return folder / "ds"


@pytest.fixture(scope="module")
def app(planted: Path) -> Iterator[Flask]:
    store = OxigraphStore.open_read_only(planted / "store")
    application = create_app(store, {"QUERY_WORKERS": 0})
    yield application
    close_app(application)
    store.close()


@pytest.fixture(scope="module")
def live(planted: Path) -> Iterator[LiveServer]:
    """``qikg serve`` over the planted dataset, in its own process."""
    server = start_server(["--data", str(planted)], cwd=ROOT)
    yield server
    server.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class _Page(HTMLParser):
    """The elements, attributes and links of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.links.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _unsafe(page: _Page) -> list[str]:
    """What in a page could run script: script elements other than data blocks and the app's
    own files under ``/static/``, event-handler attributes, ``javascript:`` URLs, and the planted
    elements themselves."""
    found = []
    for tag, attrs in page.tags:
        values = dict(attrs)
        data_block = values.get("type") in ("application/ld+json", "application/json")
        own_file = (values.get("src") or "").startswith("/static/")
        if tag == "script" and not (data_block or own_file):
            found.append(f"<script {values}>")
        if tag in ("svg", "img") and any(n.startswith("on") for n, _ in attrs):
            found.append(f"<{tag}> with a handler")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"{tag} {name}={value!r}")
            if value and value.strip().lower().startswith("javascript:"):
                found.append(f"{tag} {name}={value!r}")
    return found


def _shape(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    names = sorted(k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return re.sub(r"[0-9]+", "N", parts.path) + "?" + "&".join(names)


def _crawl(client: FlaskClient, starts: list[str]) -> dict[str, tuple[str, _Page]]:
    """Same-origin HTML pages reachable from ``starts``, breadth first: at most CRAWL_LIMIT,
    and at most SAME_SHAPE of each shape after the starting pages."""
    seen: dict[str, tuple[str, _Page]] = {}
    queue = list(starts)
    visited: set[str] = set()
    shapes: dict[str, int] = {}
    while queue and len(seen) < CRAWL_LIMIT:
        url = queue.pop(0)
        shape = _shape(url)
        if url in visited or (url not in starts and shapes.get(shape, 0) >= SAME_SHAPE):
            continue
        visited.add(url)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(url, headers=HTML_ACCEPT, follow_redirects=True)
        response.close()
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (url, name)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        page = _Page()
        page.feed(html)
        seen[url] = (html, page)
        for link in page.links:
            parts = urllib.parse.urlsplit(urllib.parse.urljoin("http://localhost" + url, link))
            if parts.netloc in ("", "localhost") and not parts.path.endswith(NOT_HTML):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


TURN_1 = "/cote2024/interview/3/moderation-amin/turn/1"


def test_planted_markup_is_inert_in_every_page(client: FlaskClient) -> None:
    starts = ["/", f"{TURN_1}.html", "/api/quote-search?q=planted&format=html", "/sparql"]
    crawled = _crawl(client, starts)
    assert len(crawled) >= 10, sorted(crawled)
    showing = [url for url, (html, _) in crawled.items() if ESCAPED_MARK in html]
    assert f"{TURN_1}.html" in showing
    assert any(url.startswith("/api/quote-search") for url in showing)
    for url, (html, page) in crawled.items():
        assert _unsafe(page) == [], url
        assert "<script>alert(" not in html, url
        assert "]]>" not in html or "]]&gt;" in html, url
    # the planted text is shown as text, whole
    text = "".join(crawled[f"{TURN_1}.html"][1].text)
    assert "<script>alert('planted-1')</script>" in text
    assert "javascript:alert('planted-3')" in text


def test_planted_markup_runs_nothing_in_a_browser(live: LiveServer, browser: object) -> None:
    root = live.url.removesuffix("/sparql")
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        dialogs: list[str] = []
        errors: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        # a planted script blocked by the Content-Security-Policy would be reported here
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for path in (f"{TURN_1}.html", "/api/quote-search?q=planted&format=html", "/"):
            page.goto(root + path, wait_until="load")
            live_elements = page.evaluate(
                "document.querySelectorAll('script:not([type]), img[onerror], svg[onload], "
                'a[href^="javascript:"]\').length'
            )
            assert live_elements == 0, path
            if path != "/":
                assert "<script>alert('planted-1')</script>" in page.inner_text("body"), path
        assert dialogs == [] and errors == []
    finally:
        context.close()


def test_headers_on_every_kind_of_response(client: FlaskClient) -> None:
    for url, method in [
        ("/", "GET"),
        ("/sparql?query=ASK%7B%7D", "GET"),
        ("/sparql", "DELETE"),
        ("/sparql?query=nonsense", "GET"),
        ("/api/", "GET"),
        ("/api/nope", "GET"),
        ("/static/qikg.css", "GET"),
        ("/dumps/SHA256SUMS", "GET"),
        ("/.well-known/void", "GET"),
        ("/ontology", "GET"),
        ("/no/such/thing", "GET"),
        (f"{TURN_1}", "GET"),
    ]:
        response = client.open(url, method=method)
        response.close()
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (url, method, name)


TRAVERSALS = [
    "/dumps/../build.json",
    "/dumps/..%2fbuild.json",
    "/dumps/%2e%2e/build.json",
    "/dumps/%2e%2e%2fbuild.json",
    "/dumps/..%5cbuild.json",
    "/dumps/..\\build.json",
    "/dumps/%2fetc%2fpasswd",
    "/dumps//etc/passwd",
    "/dumps/SHA256SUMS%00",
    "/dumps/SHA256SUMS%00.txt",
    "/dumps/../store/",
    "/dumps/.",
    "/static/../__init__.py",
    "/static/..%2f__init__.py",
    "/static/%2e%2e/__init__.py",
    "/static/%2e%2e%2f__init__.py",
    "/static/..%5c__init__.py",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/qikg.css%00",
    "/static/",
    "/static",
    "/store/",
    "/store",
    "/build.json",
    "/dataset.nq",
    "/ontology/../build.json",
    "/ontology/..%2f..%2fbuild.json",
    "/cote2024/..%2f..%2fbuild.json",
    "/cote2024/%2e%2e/%2e%2e/etc/passwd",
    "/cote2024/interview/3/..%2f..%2f..%2fbuild.json",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2fetc%2fpasswd",
    "/C:%5cWindows%5cwin.ini",
    "/api/..%2fbuild.json",
    "/api/%2e%2e",
]
SECRETS = ("root:", '"inputs"', "create_app", "<Index of", "Directory listing", "qikg:Turn")


def _raw_get(host: str, port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` exactly as written (no client-side normalisation)."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_no_path_leads_outside_the_published_files(planted: Path, live: LiveServer) -> None:
    assert (planted / "build.json").is_file() and (planted / "store").is_dir()
    parts = urllib.parse.urlsplit(live.url)
    assert parts.hostname and parts.port
    for path in TRAVERSALS:
        status, headers, body = _raw_get(parts.hostname, parts.port, path)
        text = body.decode("utf-8", "replace")
        if status in (301, 302, 303, 307, 308):
            # a redirect may only lead to a clean path of this server
            target = urllib.parse.urlsplit(headers["Location"]).path
            assert ".." not in target and "%2e" not in target.lower(), (path, target)
            status, _, body = _raw_get(parts.hostname, parts.port, target)
            text = body.decode("utf-8", "replace")
        assert status in (400, 404), (path, status, text[:200])
        assert not any(secret in text for secret in SECRETS), (path, text[:200])
        assert not LEAKS.search(text), (path, text[:300])
    # what is published stays reachable
    status, _, body = _raw_get(parts.hostname, parts.port, "/dumps/SHA256SUMS")
    assert status == 200 and b"cote2024-" in body


def test_a_failure_inside_shows_a_plain_message(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(store: object) -> dict[str, int]:
        raise RuntimeError(f"boom in {ROOT}/server/pages.py")

    monkeypatch.setattr(pages, "counts", broken)
    # The landing page's figures are computed once per store: start from a fresh memo.
    monkeypatch.setattr(state_of(app), "memo", StoreMemo(state_of(app).store))
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert "internal error" in body
    assert "boom" not in body and not LEAKS.search(body)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value


def test_a_store_error_does_not_show_its_folder(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = state_of(app).runner

    def failing(*args: object, **kwargs: object) -> object:
        raise StoreError("cannot open the store at /srv/secret/store: I/O error")

    monkeypatch.setattr(runner, "run", failing)
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "/srv/secret" not in body and "logged on the server" in body
