"""Links between the reading pages: a turn shown in context, a resource's other formats."""

from __future__ import annotations

from .linkeddata import local_link

Alternates = list[tuple[str, str, str]]
"""The other representations of a resource: (label, link, media type)."""


def in_context(turn_iri: str) -> str | None:
    """The interview page showing ``turn_iri``'s document, scrolled to the turn."""
    document, _, position = turn_iri.rpartition("/turn/")
    interview, _, slug = document.rpartition("/")
    link = local_link(interview)
    if link is None or not position:
        return None
    return f"{link}.html?document={slug}#turn-{position}"
