"""Pages derive their dataset-wide figures once per store, and a new store drops them."""

from __future__ import annotations

import gc
import re
import weakref
from pathlib import Path
from typing import Any

from qikg.kg.store import OxigraphStore, QueryResult
from qikg.server import create_app
from qikg.server.state import state_of

from .test_landing import EXPECTED_COUNTS
from .test_store import FIXTURE_STATEMENTS, make_store


class CountingStore(OxigraphStore):
    """An in-memory store that counts what is asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def query(self, sparql: str, **options: Any) -> QueryResult:
        self.reads += 1
        return super().query(sparql, **options)

    def triple_count(self) -> int:
        self.reads += 1
        return super().triple_count()

    def named_graphs(self) -> list[str]:
        self.reads += 1
        return super().named_graphs()


def _fixture_store(tmp_path: Path) -> CountingStore:
    store = CountingStore()
    make_store(tmp_path, store)
    return store


def _counts(html: str) -> dict[str, int]:
    return {label: int(n) for label, n in re.findall(r'data-count="([^"]+)">(\d+)</td>', html)}


def test_a_second_landing_request_does_not_query_the_store(tmp_path: Path) -> None:
    store = _fixture_store(tmp_path)
    client = create_app(store).test_client()
    first = client.get("/")
    assert first.status_code == 200 and store.reads > 0
    store.reads = 0
    second = client.get("/")
    assert second.status_code == 200
    assert store.reads == 0
    assert second.text == first.text
    assert _counts(second.text) == EXPECTED_COUNTS
    for path in ("/charts/issue-phase", "/charts/issue-frequency.csv"):
        assert client.get(path).status_code == 200
    assert store.reads == 0, "the chart tables reuse the landing page's figures"


def test_switching_the_store_drops_the_memo(tmp_path: Path) -> None:
    old = _fixture_store(tmp_path)
    app = create_app(old)
    client = app.test_client()
    assert _counts(client.get("/").text) == EXPECTED_COUNTS
    new = CountingStore()  # empty: every count is 0
    state_of(app).switch_store(new)
    assert _counts(client.get("/").text) == dict.fromkeys(EXPECTED_COUNTS, 0)
    assert new.reads > 0 and "landing" in state_of(app).memo
    gone = weakref.ref(old)
    del old
    gc.collect()
    assert gone() is None, "nothing the app keeps holds the old store"


def test_the_service_description_and_query_page_read_the_store_once(tmp_path: Path) -> None:
    store = _fixture_store(tmp_path)
    client = create_app(store).test_client()
    for accept in ("text/turtle", "text/html"):
        first = client.get("/sparql", headers={"Accept": accept})
        assert first.status_code == 200, accept
        store.reads = 0
        again = client.get("/sparql", headers={"Accept": accept})
        assert again.status_code == 200 and store.reads == 0, accept
        if accept == "text/turtle":  # blank nodes come in any order: compare the figures
            assert re.search(rf"void:triples {FIXTURE_STATEMENTS}\b", again.text)
            assert again.text.count("sd:NamedGraph") == first.text.count("sd:NamedGraph") == 7
        else:
            assert again.text == first.text
