"""The study's codebook: what each code is (kind, family, ML phase) and how variants fold.

The curated table ``kg/data/codebook.csv`` lists every code found in the corpus, with its
kind and family read from its prefix and suffix (``curation=prefix``) or, for unprefixed
codes, from the corpus README and the code's wording (``curation=reading``). A code the
table does not know is kept as an uncurated code whose kind and family are guessed the
same way from prefix and suffix.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

KINDS = (
    "issue",
    "family",
    "mitigation",
    "generic-mitigation",
    "collection-technique",
    "positive-finding",
    "note",
)
PHASES = (
    "data-collection",
    "data-preparation",
    "model-training",
    "model-evaluation",
    "model-deployment",
    "model-maintenance",
    "cross-cutting",
)
_FAMILY_OF_PREFIX = {
    "Data": "Data-issues",
    "ME": "Model-Evaluation-issues [ME]",
    "MD": "Model-deployment-issues [MD]",
    "MLP": "ML-pipeline-issues [MLP]",
    "MM": "MM",
    "MT": "Model-Training-issues (MT)",
    "QM": "Quality-Measures (QM)",
}
_PHASES_OF_PREFIX = {
    "Data": ("data-collection", "data-preparation"),
    "ME": ("model-evaluation",),
    "MD": ("model-deployment",),
    "MM": ("model-maintenance",),
    "MT": ("model-training",),
    "QM": ("cross-cutting",),
    "MLP": ("cross-cutting",),
}
_PREFIX = re.compile(r"(Data|MLP|ME|MD|MM|MT|QM)-", re.I)


@dataclass(frozen=True)
class CodeInfo:
    """One concept of the codebook."""

    notation: str
    kind: str
    family: str | None
    phases: tuple[str, ...]
    addresses: str | None = None
    variants: tuple[str, ...] = ()
    curated: bool = True
    mappings: tuple[tuple[str, str], ...] = ()
    """SKOS mappings to concepts of other schemes (another study's codebook): (property, IRI)."""


def guess(notation: str) -> CodeInfo:
    """Kind, family and phases of a code the codebook does not know, from prefix and suffix."""
    m = _PREFIX.match(notation)
    prefix = next((p for p in _FAMILY_OF_PREFIX if m and p.lower() == m.group(1).lower()), None)
    family = _FAMILY_OF_PREFIX.get(prefix or "")
    phases = _PHASES_OF_PREFIX.get(prefix or "", ())
    is_family = family is not None and family.lower() == notation.lower()
    if is_family or re.search(r"[\[(][A-Za-z]+[\])]\s*$", notation):
        kind, family = "family", None
    elif notation.lower().startswith("data-collection-"):
        kind, family, phases = "collection-technique", None, ("data-collection",)
    elif notation.lower().endswith("-fix"):
        kind = "mitigation"
    else:
        kind = "issue"
    return CodeInfo(notation, kind, family, phases, curated=False)


class Codebook:
    """Looks codes up by notation, folding case and the listed spelling variants."""

    def __init__(self, entries: list[CodeInfo]) -> None:
        self.entries = {e.notation: e for e in entries}
        self._index: dict[str, CodeInfo] = {}
        for e in entries:
            for name in (e.notation, *e.variants):
                self._index[name.lower()] = e

    def lookup(self, written: str) -> CodeInfo:
        """The concept a code as written belongs to; an uncurated guess if unknown."""
        return self._index.get(written.strip().lower()) or guess(written.strip())

    def known(self, written: str) -> bool:
        return written.strip().lower() in self._index


def parse_table(text: str, source: str = "codebook.csv") -> Codebook:
    """Read a codebook table (CSV with notation, kind, family, phases, addresses, variants)."""
    from qikg.errors import ParseError

    entries = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        kind = row.get("kind", "")
        phases = tuple((row.get("phases") or "").split())
        if kind not in KINDS:
            raise ParseError(
                source, f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", line=line
            )
        if bad := [p for p in phases if p not in PHASES]:
            raise ParseError(
                source, f"unknown phase {bad[0]!r}; use {', '.join(PHASES)}", line=line
            )
        entries.append(
            CodeInfo(
                notation=row["notation"],
                kind=kind,
                family=row.get("family") or None,
                phases=phases,
                addresses=row.get("addresses") or None,
                variants=tuple(v for v in (row.get("variants") or "").split("|") if v),
                mappings=_mappings(row.get("mappings") or "", source, line),
            )
        )
    return Codebook(entries)


MAPPING_PROPERTIES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def _mappings(text: str, source: str, line: int) -> tuple[tuple[str, str], ...]:
    """Read ``closeMatch=<IRI> ...`` pairs: how a code relates to another study's codes."""
    from qikg.errors import ParseError

    out = []
    for item in text.split():
        prop, _, iri = item.partition("=")
        iri = iri.strip("<>")
        if prop not in MAPPING_PROPERTIES or not _IRI.fullmatch(iri):
            raise ParseError(
                source,
                f"bad mapping {item!r}",
                line=line,
                hint=f"write PROPERTY=IRI with PROPERTY one of {', '.join(MAPPING_PROPERTIES)}",
            )
        out.append((prop, iri))
    return tuple(out)


@cache
def default_codebook() -> Codebook:
    """The curated codebook of the Côté et al. (2024) study, shipped with the package."""
    text = resources.files("qikg.kg").joinpath("data/codebook.csv").read_text(encoding="utf-8")
    return parse_table(text)
