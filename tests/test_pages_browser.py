"""The pages people read, in headless Chromium, from a real server: no console error or failed
request, keyboard reach, text contrast, the heatmap rendered; and the README's screenshots,
taken from the whole corpus."""

from __future__ import annotations

import csv
import io
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qikg.kg.build import build

from .browser import visit
from .conftest import EXAMPLE, ROOT
from .test_clients import LiveServer, start_server

SCREENSHOTS = ROOT / "docs" / "screenshots"

PAGES = {
    "landing": "/",
    "catalogue": "/catalogue",
    "search": "/search?q=data+quality",
    "figures table": "/charts/issue-phase",
    "code": "/cote2024/code/mm-drift.html",
    "interview": "/cote2024/interview/3.html",
    "excerpt": "/cote2024/interview/3/moderation-amin/excerpt/51.1.html",
    "generic resource": "/cote2024/interview/3/moderation-amin/turn/51.html",
}
"""One page of each kind."""

CONTRAST = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const v = m[1].split(',').map(Number);
    return {r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1};
  };
  const lum = (c) => {
    const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || el.closest('.skip')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const fg = parse(getComputedStyle(el).color), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({tag: el.tagName, text: el.textContent.trim().slice(0, 40),
              ratio: (a + 0.05) / (b + 0.05)});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server over the bundled example; its root URL."""
    folder = tmp_path_factory.mktemp("pages-live")
    build([EXAMPLE], folder / "ds")
    live = start_server(["--data", str(folder / "ds")], cwd=folder)
    try:
        yield live.url.removesuffix("/sparql")
    finally:
        live.stop()


def test_every_kind_of_page_loads_cleanly_with_readable_text(
    browser: object,
    server: str,
) -> None:
    """No console error or failed request, one heading, no script, and every text element's
    colour against its background at the WCAG AA ratio (4.5:1), computed in the page."""
    for kind, path in PAGES.items():
        seen = visit(browser, server + path)
        page = seen.page
        try:
            assert seen.problems() == [], (kind, seen.problems())
            assert page.title(), kind  # type: ignore[attr-defined]
            assert page.locator("main h1").count() == 1, kind  # type: ignore[attr-defined]
            # no script at all runs on these pages (only JSON-LD data blocks)
            scripts = page.locator("script:not([type='application/ld+json'])")  # type: ignore[attr-defined]
            assert scripts.count() == 0, kind
            found = page.evaluate(CONTRAST)  # type: ignore[attr-defined]
            assert len(found) > 5, kind
            low = [f for f in found if f["ratio"] < 4.5]
            assert low == [], (kind, low[:5])
        finally:
            page.context.close()  # type: ignore[attr-defined]


def _focus_trail(page: object, presses: int) -> list[str]:
    trail = []
    for _ in range(presses):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        trail.append(
            page.evaluate(  # type: ignore[attr-defined]
                "() => { const e = document.activeElement;"
                " return e.id || e.getAttribute('href') || e.tagName; }"
            )
        )
    return trail


def test_the_keyboard_reaches_the_main_controls(browser: object, server: str) -> None:
    seen = visit(browser, server + "/")
    try:
        trail = _focus_trail(seen.page, 25)
        assert "#main" in trail  # the skip link comes first
        assert trail.index("#main") < trail.index("search-q")
        assert "mode-all" in trail
        assert "BUTTON" in trail
        assert "/catalogue" in trail
    finally:
        seen.page.context.close()  # type: ignore[attr-defined]
    seen = visit(browser, server + PAGES["interview"])
    try:
        trail = _focus_trail(seen.page, 25)
        assert "?document=moderation-amin" in trail  # the document switch
    finally:
        seen.page.context.close()  # type: ignore[attr-defined]


def _distinct_colours(png: bytes) -> set[tuple[int, ...]]:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {tuple(c) for _, c in image.getcolors(maxcolors=1 << 20) or []}


def test_the_heatmap_renders_its_cells_in_several_colours(browser: object, server: str) -> None:
    with urllib.request.urlopen(server + "/charts/issue-phase.csv") as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
    columns = [c for c in rows[0] if c not in ("issue", "label")]
    seen = visit(browser, server + "/")
    try:
        heatmap = seen.page.locator("svg#issue-phase")  # type: ignore[attr-defined]
        assert heatmap.locator("g.cell").count() == len(rows) * len(columns)
        box = heatmap.bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        colours = _distinct_colours(heatmap.screenshot())
        # the zero fill, the darkest fill of the largest count, and text in between
        assert (0xF7, 0xFB, 0xFF) in colours
        assert (0x08, 0x30, 0x6B) in colours
        assert len(colours) > 3
    finally:
        seen.page.context.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def corpus_server(corpus_build: tuple[object, Path], tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    _, out = corpus_build
    live = start_server(["--data", str(out)], cwd=tmp_path_factory.mktemp("pages-corpus"))
    try:
        yield live
    finally:
        live.stop()


def test_screenshots_of_the_whole_corpus(browser: object, corpus_server: LiveServer) -> None:
    """Writes docs/screenshots/landing.png and interview.png, which the README shows."""
    root = corpus_server.url.removesuffix("/sparql")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "landing.png": ("/", "svg#issue-phase"),
        "interview.png": ("/cote2024/interview/12.html", "svg#coding-strip"),
    }
    for name, (path, picture) in shots.items():
        seen = visit(browser, root + path, width=1100, height=1400)
        try:
            page = seen.page
            assert seen.problems() == [], (path, seen.problems())
            assert page.locator(picture).count() == 1  # type: ignore[attr-defined]
            if name == "interview.png":
                # two coders' codings and the moderated one to switch between
                switch = page.locator("nav.documents a")  # type: ignore[attr-defined]
                assert switch.count() >= 3
                assert page.locator("mark").count() > 0  # type: ignore[attr-defined]
                # the participant's role as participants.csv gives it for Interview 12
                profile = page.locator("section[aria-labelledby=profile]").inner_text()  # type: ignore[attr-defined]
                assert "AI delivery manager" in profile
            png = page.screenshot(full_page=False)  # type: ignore[attr-defined]
            assert len(_distinct_colours(png)) > 3
            (SCREENSHOTS / name).write_bytes(png)
        finally:
            seen.page.context.close()  # type: ignore[attr-defined]
