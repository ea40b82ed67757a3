"""Binding variables in query text, for SPARQL servers whose protocol cannot bind them.

The embedded engine binds a variable before evaluation (pyoxigraph's substitutions): the outer
query sees the value, and so does a sub-query that projects the variable; a nested group
evaluated on its own does not. :func:`bind_values` gives a server the same query by writing a
one-row ``VALUES`` block first in the outer ``WHERE`` group and in each sub-query's group whose
projection names the variable (or is ``*``). Terms are pyoxigraph's N-Triples forms, so a value
can only ever be one term.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from qikg.errors import QikgError

from .sparql_scan import token_matches

__all__ = ["bind_values"]

_FORMS = frozenset({"SELECT", "ASK", "DESCRIBE"})


def _block(bindings: Mapping[str, ox.NamedNode | ox.Literal], names: list[str]) -> str:
    variables = " ".join(f"?{name}" for name in names)
    terms = " ".join(str(bindings[name]) for name in names)
    return f"\n  VALUES ({variables}) {{ ({terms}) }}\n"


def bind_values(sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with ``VALUES`` blocks binding ``bindings`` (variable name -> term).

    Raises :class:`~qikg.errors.QikgError` when the query has no group to bind them in (a
    ``DESCRIBE`` without ``WHERE``, the ``CONSTRUCT WHERE`` short form).
    """
    if not bindings:
        return sparql
    inserts: list[tuple[int, list[str]]] = []
    pending: list[str] | None = None  # the variables the next group binds
    projection: list[str] | None = None  # a sub-query's projected names, while it is read
    outer_seen = False
    previous = ""
    for match in token_matches(sparql):
        kind, text = match.lastgroup, match.group()
        word = text.upper() if kind == "word" else ""
        if word in _FORMS:
            if outer_seen:
                projection = []
            else:
                outer_seen = True
                pending = list(bindings)
        elif word == "CONSTRUCT" and not outer_seen:
            outer_seen = True
        elif word == "WHERE" and pending is None and projection is None:
            if previous == "CONSTRUCT":
                raise QikgError(
                    "cannot bind values in the CONSTRUCT WHERE short form; write the template"
                )
            pending = list(bindings)
        elif projection is not None and kind == "var":
            projection.append(text[1:])
        elif projection is not None and text == "*":
            projection.extend(bindings)
        elif text == "{" and projection is not None:
            pending = [name for name in bindings if name in projection]
            projection = None
        if text == "{" and pending is not None:
            if pending:
                inserts.append((match.end(), pending))
            pending = None
        previous = word
    if not inserts or inserts[0][1] != list(bindings):
        raise QikgError("the query has no group pattern to bind values in")
    out = sparql
    for end, names in reversed(inserts):
        out = out[:end] + _block(bindings, names) + out[end:]
    return out
