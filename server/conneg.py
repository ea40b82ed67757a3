"""Content negotiation: the formats the endpoint writes and how a request picks one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept

from qikg.kg.store import ResultKind


@dataclass(frozen=True)
class Format:
    """One answer format: its short name, media type and W3C format IRI."""

    name: str
    media_type: str
    iri: str | None = None
    aliases: tuple[str, ...] = ()
    charset: bool = False

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


_W3C = "http://www.w3.org/ns/formats/"

JSON = Format(
    "json", "application/sparql-results+json", _W3C + "SPARQL_Results_JSON", ("application/json",)
)
XML = Format(
    "xml", "application/sparql-results+xml", _W3C + "SPARQL_Results_XML", ("application/xml",)
)
CSV = Format("csv", "text/csv", _W3C + "SPARQL_Results_CSV", charset=True)
TSV = Format("tsv", "text/tab-separated-values", _W3C + "SPARQL_Results_TSV", charset=True)
TURTLE = Format("turtle", "text/turtle", _W3C + "Turtle", charset=True)
NTRIPLES = Format("ntriples", "application/n-triples", _W3C + "N-Triples")
JSONLD = Format("jsonld", "application/ld+json", _W3C + "JSON-LD", aliases=("application/json",))
RDFXML = Format("rdfxml", "application/rdf+xml", _W3C + "RDF_XML", aliases=("application/xml",))
HTML = Format("html", "text/html", charset=True)

RESULT_FORMATS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
"""SELECT and ASK answers; the first is what ``*/*`` gets."""
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
"""CONSTRUCT and DESCRIBE answers (and the service description); Turtle for ``*/*``."""

OFFERS: dict[ResultKind, tuple[Format, ...]] = {
    ResultKind.SOLUTIONS: RESULT_FORMATS,
    ResultKind.BOOLEAN: RESULT_FORMATS,
    ResultKind.GRAPH: GRAPH_FORMATS,
}

# The ``format`` / ``output`` parameter: short names, each meaning one format per kind of answer.
_NAMES: dict[str, tuple[Format | None, Format | None]] = {
    "json": (JSON, JSONLD),
    "xml": (XML, RDFXML),
    "csv": (CSV, None),
    "tsv": (TSV, None),
    "turtle": (None, TURTLE),
    "ttl": (None, TURTLE),
    "ntriples": (None, NTRIPLES),
    "nt": (None, NTRIPLES),
    "n-triples": (None, NTRIPLES),
    "jsonld": (None, JSONLD),
    "json-ld": (None, JSONLD),
    "rdfxml": (None, RDFXML),
    "rdf": (None, RDFXML),
    "html": (None, None),
}
FORMAT_NAMES = ("json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml")
"""The short names documented for the ``format`` parameter."""


class UnknownFormat(ValueError):
    """A ``format`` parameter that names no format at all."""


def _by_media_type(value: str, offers: Sequence[Format]) -> Format | None:
    base = value.split(";", 1)[0].strip().lower()
    for fmt in offers:
        if base == fmt.media_type or base in fmt.aliases:
            return fmt
    return None


def choose(offers: Sequence[Format], accept: MIMEAccept, format_param: str | None) -> Format | None:
    """The format to answer in, or ``None`` when nothing offered fits the request.

    A ``format`` parameter (short name or media type) wins over the Accept header. Without an
    Accept header, the first offer is taken. Ties in quality go to the earlier offer.
    Raises :class:`UnknownFormat` for a parameter that names no known format.
    """
    if format_param:
        value = format_param.strip().lower()
        if "/" in value:
            return _by_media_type(value, offers)
        if value not in _NAMES:
            raise UnknownFormat(value)
        if HTML in offers and value == "html":
            return HTML
        results, graph = _NAMES[value]
        for candidate in (results, graph):
            if candidate is not None and candidate in offers:
                return candidate
        return None
    if not accept:
        return offers[0] if offers else None
    candidates = [fmt.media_type for fmt in offers]
    candidates += [alias for fmt in offers for alias in fmt.aliases]
    best = accept.best_match(candidates)
    return None if best is None else _by_media_type(best, offers)


def offered_list(offers: Sequence[Format]) -> str:
    """The offers as a readable list for an error message."""
    return ", ".join(fmt.media_type for fmt in offers)
