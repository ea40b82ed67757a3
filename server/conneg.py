"""Content negotiation: the formats the endpoint writes and how a request picks one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

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

# The ``format`` / ``output`` / ``results`` parameters: short names, each meaning one format per
# kind of answer (rows and booleans, then triples). SPARQLWrapper sends its own names (``n3``,
# ``rdf+xml``, ``json-ld``) in all three parameters, sometimes with the media type as a second
# value.
_NAMES: dict[str, tuple[Format | None, Format | None]] = {
    "json": (JSON, JSONLD),
    "xml": (XML, RDFXML),
    "csv": (CSV, None),
    "tsv": (TSV, None),
    "turtle": (None, TURTLE),
    "ttl": (None, TURTLE),
    "n3": (None, TURTLE),
    "ntriples": (None, NTRIPLES),
    "nt": (None, NTRIPLES),
    "n-triples": (None, NTRIPLES),
    "jsonld": (None, JSONLD),
    "json-ld": (None, JSONLD),
    "rdfxml": (None, RDFXML),
    "rdf+xml": (None, RDFXML),
    "rdf": (None, RDFXML),
    "html": (None, None),
}
FORMAT_NAMES = ("json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml")
"""The short names documented for the ``format`` parameter."""
FORMAT_PARAMETERS = ("format", "output", "results")
"""The request parameters that name an answer format (all mean the same)."""


class UnknownFormat(ValueError):
    """A ``format`` parameter that names no format at all."""


class ConflictingFormats(ValueError):
    """Several ``format`` values that name different formats for the same answer."""


def _by_media_type(value: str, offers: Sequence[Format]) -> Format | None:
    base = value.split(";", 1)[0].strip().lower()
    for fmt in offers:
        if base == fmt.media_type or base in fmt.aliases:
            return fmt
    return None


def _by_parameter(value: str, offers: Sequence[Format]) -> Format | None:
    value = value.strip().lower()
    if "/" in value:
        return _by_media_type(value, offers)
    if value not in _NAMES:
        raise UnknownFormat(value)
    if HTML in offers and value == "html":
        return HTML
    for candidate in _NAMES[value]:
        if candidate is not None and candidate in offers:
            return candidate
    return None


def choose(
    offers: Sequence[Format], accept: MIMEAccept, format_values: Sequence[str] = ()
) -> Format | None:
    """The format to answer in, or ``None`` when nothing offered fits the request.

    ``format`` parameter values (short names or media types) win over the Accept header; several
    values may be given as long as those naming an offered format name the same one. Without
    an Accept header, the first offer is taken. Ties in quality go to the earlier offer.
    Raises :class:`UnknownFormat` for a value that names no known format, and
    :class:`ConflictingFormats` for values naming different offered formats.
    """
    if format_values:
        found = {_by_parameter(value, offers) for value in format_values}
        offered = {fmt for fmt in found if fmt is not None}
        if len(offered) > 1:
            raise ConflictingFormats(", ".join(sorted(f.media_type for f in offered)))
        return offered.pop() if offered else None
    if not accept:
        return offers[0] if offers else None
    candidates = [fmt.media_type for fmt in offers]
    candidates += [alias for fmt in offers for alias in fmt.aliases]
    best = accept.best_match(candidates)
    return None if best is None else _by_media_type(best, offers)


_REMEMBERED_CHARS = 512
"""Requests whose Accept header and format values are this short have their choice remembered."""


def choose_for_header(
    offers: tuple[Format, ...], accept_header: str, format_values: tuple[str, ...] = ()
) -> Format | None:
    """:func:`choose` for a raw Accept header. Clients send the same few headers again and
    again, so the choice for short ones is remembered (the same errors are raised)."""
    if len(accept_header) + sum(map(len, format_values)) <= _REMEMBERED_CHARS:
        return _remembered_choice(offers, accept_header, format_values)
    return choose(offers, parse_accept_header(accept_header, MIMEAccept), format_values)


@lru_cache(maxsize=256)
def _remembered_choice(
    offers: tuple[Format, ...], accept_header: str, format_values: tuple[str, ...]
) -> Format | None:
    return choose(offers, parse_accept_header(accept_header, MIMEAccept), format_values)


def offered_list(offers: Sequence[Format]) -> str:
    """The offers as a readable list for an error message."""
    return ", ".join(fmt.media_type for fmt in offers)
