"""Headless Chromium for the browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

Playwright's own browser download is never used: the browser is the one ``.ci/run`` installs
from Debian's ``chromium`` package, started with the flags that keep it off the network.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("QIKG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@dataclass
class Visit:
    """A page opened in the browser, with what it wrote to the console and failed to load."""

    page: object  # playwright.sync_api.Page
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.console_errors + self.failed_requests


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (a Playwright ``Browser``)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield instance
        instance.close()


def visit(
    browser: object,
    url: str,
    *,
    width: int = 1280,
    height: int = 900,
    response_headers: dict[str, str] | None = None,
) -> Visit:
    """Open ``url`` in a fresh context and record console errors, failed requests and the URL
    of every request; ``response_headers`` are added to every response the page gets.

    The caller closes the page's context (``visit.page.context.close()``) when done.
    """
    context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    if response_headers:

        def add_headers(route: Any) -> None:
            fetched = route.fetch()
            route.fulfill(response=fetched, headers={**fetched.headers, **response_headers})

        context.route("**/*", add_headers)
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda req: seen.requests.append(req.url))
    page.on(
        "console",
        lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: seen.console_errors.append(str(exc)))
    page.on("requestfailed", lambda req: seen.failed_requests.append(req.url))
    page.goto(url, wait_until="networkidle")
    return seen
