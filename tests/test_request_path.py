"""The shortcuts of the SPARQL request path answer exactly as the full checks do."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from qikg.kg.sparql_scan import has_dataset_clause
from qikg.server.conneg import (
    GRAPH_FORMATS,
    JSON,
    RESULT_FORMATS,
    TSV,
    TURTLE,
    XML,
    UnknownFormat,
    choose_for_header,
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", False),
        ("select * from <http://ex/g> where { ?s ?p ?o }", True),
        ("SELECT * FrOm NaMeD <http://ex/g> WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ('SELECT * WHERE { ?s ?p "from <http://ex/g>" }', False),
        ("SELECT ?from WHERE { ?from ?p ?o } # FROM <http://ex/g>", False),
    ],
)
def test_dataset_clause_found_with_or_without_the_scan(query: str, expected: bool) -> None:
    assert has_dataset_clause(query) is expected


@pytest.mark.parametrize(
    ("offers", "header", "values", "expected"),
    [
        (RESULT_FORMATS, "application/sparql-results+json", (), JSON),
        (RESULT_FORMATS, "", (), JSON),  # no header: the first offer
        (RESULT_FORMATS, "text/tab-separated-values;q=0.9, application/xml;q=0.5", (), TSV),
        (RESULT_FORMATS, "text/html", (), None),
        (RESULT_FORMATS, "application/sparql-results+json", ("xml",), XML),
        (GRAPH_FORMATS, "*/*", (), TURTLE),
    ],
)
def test_choice_by_header_is_remembered_unchanged(
    offers: tuple[object, ...], header: str, values: tuple[str, ...], expected: object
) -> None:
    for _ in range(2):  # the second answer comes from memory
        assert choose_for_header(offers, header, values) is expected  # type: ignore[arg-type]
    if header:  # the same header made too long to remember: chosen afresh, the same way
        long_header = header + ", " + ", ".join(f"x/y{i};q=0.001" for i in range(60))
        assert len(long_header) > 512 and len(parse_accept_header(long_header, MIMEAccept)) > 60
        assert choose_for_header(offers, long_header, values) is expected  # type: ignore[arg-type]


def test_unknown_format_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(UnknownFormat):
            choose_for_header(RESULT_FORMATS, "", ("yaml",))
