"""The checks that span interviews and the shared graphs, run as SPARQL on the built store.

SHACL validates each interview with the codebook (``validate``); what relates one interview's
graphs to another's, to the codebook graph or to the study graph is checked here, once, on
the assembled store: a code or question missing from the codebook, an anchor in another
interview's transcript, an IRI described in two graphs, a participant of two interviews, a
researcher, guide or study the study graph does not describe. Each check is a query in
``ontology/crosschecks`` that returns no rows on good data; its first line gives the
message. Rows become SHACL-style results, so failures read like the per-interview ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

import pyoxigraph as ox

from qikg.errors import ShapesError

from .store import Store
from .validate import Report, Result

CHECKS = files("qikg.ontology") / "crosschecks"
SHAPE_PREFIX = "qikgcheck:"
"""How a result names the check that found it (the query's file name without ``.rq``)."""


@dataclass(frozen=True)
class Check:
    """One cross-document check: its name, the message template and the query."""

    name: str
    message: str
    query: str


def checks() -> list[Check]:
    """The cross-document checks shipped with the package, by name."""
    found = []
    for item in sorted(CHECKS.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".rq"):
            continue
        text = item.read_text(encoding="utf-8")
        m = re.match(r"# message: (.+)\n", text)
        if m is None:
            raise ShapesError(f"{item.name}: the first line must be '# message: ...'")
        found.append(Check(item.name.removesuffix(".rq"), m.group(1), text))
    return found


def crosscheck(store: Store) -> Report:
    """Run every cross-document check on ``store``; each row is a violation."""
    results = []
    for check in checks():
        answer = store.query(check.query).value
        assert isinstance(answer, ox.QuerySolutions)
        names = [v.value for v in answer.variables]
        for row in answer:
            values = {n: _text(row[n]) for n in names}
            results.append(
                Result(
                    severity="Violation",
                    focus=values.get("focus", ""),
                    path="",
                    message=_fill(check.message, values),
                    shape=SHAPE_PREFIX + check.name,
                    value=values.get("value", ""),
                    file=values.get("file") or None,
                    line=None,
                    page=None,
                )
            )
    return Report(tuple(sorted(results, key=lambda r: (r.file or "", r.shape, r.focus))))


def _fill(template: str, values: dict[str, str]) -> str:
    """The message with each ``{?name}`` replaced by the row's value (``?`` when unbound)."""
    return re.sub(r"\{\?(\w+)\}", lambda m: values.get(m.group(1)) or "?", template)


def _text(term: object) -> str:
    return str(getattr(term, "value", "")) if term is not None else ""
