"""The study's research questions as named SPARQL queries (``queries/*.rq``).

Each file starts with a header of ``#+ key: value`` lines (summary, description, tags;
indented ``#+`` lines continue the previous value) followed by the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_HEADER = re.compile(r"#\+\s?(?:(\w[\w-]*):\s?)?(.*)")


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its name (the file stem), header fields and SPARQL text."""

    name: str
    summary: str
    description: str
    sparql: str
    tags: tuple[str, ...] = field(default=())


def parse(name: str, text: str) -> NamedQuery:
    """Split a ``.rq`` file into its header fields and its query."""
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        m = _HEADER.fullmatch(line.rstrip())
        if not m:
            break
        if m.group(1):
            key = m.group(1)
            fields[key] = m.group(2).strip()
        elif key:
            fields[key] = f"{fields[key]} {m.group(2).strip()}".strip()
    return NamedQuery(
        name=name,
        summary=fields.get("summary", ""),
        description=fields.get("description", ""),
        sparql=text,
        tags=tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()),
    )


@cache
def named_queries() -> dict[str, NamedQuery]:
    """Every named query shipped with the package, by name."""
    folder = resources.files("qikg.queries")
    return {
        p.name[:-3]: parse(p.name[:-3], p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".rq")
    }
