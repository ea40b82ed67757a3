"""What the query page's editor is given: the endpoint, the dataset's prefixes, and the named
queries as example tabs.

The page reads it from a JSON element (never inline script), so that it runs under a
Content-Security-Policy of ``script-src 'self'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app

from qikg.errors import QikgError
from qikg.kg.store import PREFIXES, Store
from qikg.queries import NamedQuery, named_queries
from qikg.queries.params import bind
from qikg.queries.run import StoreExecutor, resolver, with_values

from .memo import memo_for
from .state import state_of

__all__ = [
    "DATA_PREFIX",
    "DEFAULT_QUERY",
    "editor_bundled",
    "editor_config",
    "example_text",
    "examples",
]

DATA_PREFIX = "data"
"""The prefix the editor offers for the dataset's base IRI."""

DEFAULT_QUERY = """PREFIX qikg: <https://w3id.org/qikg/ontology#>

SELECT ?interview (COUNT(?turn) AS ?turns) WHERE {
  ?turn a qikg:Turn ; qikg:inDocument/qikg:ofInterview ?interview .
}
GROUP BY ?interview
ORDER BY ?interview"""
"""The query the page opens with."""


def editor_bundled(static_folder: str | None) -> bool:
    """Whether the package was built with the editor bundle (else the page is a plain form)."""
    return static_folder is not None and (Path(static_folder) / "vendor" / "editor.js").is_file()


def example_text(query: NamedQuery, store: Store) -> str:
    """The query's text for a tab: its summary as a comment, and the values of its first
    example in a ``VALUES`` block (as ``qikg query --endpoint`` sends it), so it runs as is."""
    lines = query.sparql.strip().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#+"))
    if query.examples:
        try:
            bindings = bind(query, dict(query.examples[0]), resolver(StoreExecutor(store)))
            text = with_values(text, bindings)
        except QikgError:
            pass  # an example the data cannot bind (a code it lacks): the tab shows the query
    return f"# {query.name}: {query.summary}\n{text}\n"


def editor_config(store: Store, *, endpoint: str, base_iri: str, query: str) -> dict[str, Any]:
    """The editor's configuration, as the page's JSON element carries it."""
    return {
        "endpoint": endpoint,
        "query": query,
        "prefixes": {**PREFIXES, DATA_PREFIX: base_iri},
        "examples": memo_for(state_of(current_app), store).get("query-examples", examples),
    }


def examples(store: Store) -> list[dict[str, str]]:
    """Each named query as an example tab: name, summary and runnable text."""
    return [
        {"name": q.name, "summary": q.summary, "query": example_text(q, store)}
        for q in named_queries().values()
    ]
