"""The OpenAPI 3.1 description of the named-query API, generated from the query headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qikg.queries import NamedQuery, Param
from qikg.queries.params import MAX_INTEGER, MAX_LENGTH
from qikg.queries.run import answer_columns

__all__ = ["DEFAULT_PER_PAGE", "FORMATS", "MAX_PER_PAGE", "openapi_document"]

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
FORMATS = ("json", "csv", "html")
"""Values of the ``format`` parameter."""

_ACCEPTED_TEXT = r"^[^\\\x00-\x1f\x7f]*$"
"""What a text parameter may hold: no control characters and no backslash."""
_CELL = {"type": ["string", "number", "integer", "boolean", "null"]}


def _schema(param: Param) -> dict[str, Any]:
    schema: dict[str, Any]
    if param.type == "integer":
        schema = {
            "type": "integer",
            "minimum": param.minimum if param.minimum is not None else -MAX_INTEGER,
            "maximum": param.maximum if param.maximum is not None else MAX_INTEGER,
        }
    elif param.type == "enum":
        schema = {"type": "string", "enum": list(param.choices)}
    elif param.type == "iri":
        schema = {
            "type": "string",
            "format": "iri",
            "maxLength": MAX_LENGTH,
            "pattern": r"^https?://[^\s<>\"{}|\\^`]+$",
        }
    elif param.type == "language":
        schema = {"type": "string", "pattern": r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"}
    else:
        schema = {"type": "string", "maxLength": MAX_LENGTH, "pattern": _ACCEPTED_TEXT}
    if param.default is not None:
        schema["default"] = int(param.default) if param.type == "integer" else param.default
    return schema


_TYPE_NOTES = {
    "code": " A code notation of the codebook (any case; spelling variants accepted); an "
    "unknown code is answered with 400.",
    "text": " Split at white space into at most 6 terms.",
    "language": " A language tag.",
    "iri": " An absolute http(s) IRI.",
}


def _parameter(param: Param) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": (param.description + _TYPE_NOTES.get(param.type, "")).strip(),
        "schema": _schema(param),
    }
    if param.example is not None:
        out["example"] = int(param.example) if param.type == "integer" else param.example
    return out


def _rows_schema(columns: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["query", "parameters", "columns", "rows", "total", "page", "per_page"],
        "properties": {
            "query": {"type": "string"},
            "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
            "columns": {"type": "array", "items": {"type": "string", "enum": list(columns)}},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {c: _CELL for c in columns},
                    "required": list(columns),
                    "additionalProperties": False,
                },
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "notes": {"type": "array", "items": {"type": "string"}},
        },
    }


def _operation(query: NamedQuery) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    paging = {
        "Link": {
            "description": "first, prev, next and last pages (RFC 8288)",
            "schema": {"type": "string"},
        },
        "X-Total-Count": {
            "description": "the number of rows of the whole answer",
            "schema": {"type": "integer"},
        },
    }
    description = query.description
    if query.computed:
        description += (
            f" The answer is computed in Python ({query.computed}) from the rows of the query."
        )
    return {
        "operationId": query.name.replace("-", "_"),
        "summary": query.summary,
        "description": description,
        "tags": list(query.tags),
        "parameters": [
            *(_parameter(p) for p in query.params),
            {"$ref": "#/components/parameters/page"},
            {"$ref": "#/components/parameters/per_page"},
            {"$ref": "#/components/parameters/format"},
        ],
        "responses": {
            "200": {
                "description": "the answer, one page of it",
                "headers": paging,
                "content": {
                    "application/json": {"schema": _rows_schema(answer_columns(query))},
                    "text/csv": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            },
            "400": {"description": "a parameter value that is refused", "content": problem},
            "406": {"description": "no format the request accepts", "content": problem},
        },
    }


def openapi_document(queries: Mapping[str, NamedQuery], version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/<name>`` for every named query."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qikg named queries",
            "version": version,
            "summary": "The research questions of the interview study, as a REST API",
            "description": (
                "Each named query of the dataset at /api/<name>: parameters in the query string, "
                "typed and bound as values (never pasted into query text); answers as JSON, CSV "
                "or an HTML table, chosen by the Accept header or the format parameter, and paged "
                "(page, per_page; Link and X-Total-Count headers). Errors are problem details "
                "(RFC 9457). Data: the coded interviews of Côté et al., Quality issues in machine "
                "learning software systems, Empirical Software Engineering 29(6), 2024; the "
                "replication package states no licence and asks that any use cite the paper."
            ),
            "license": {"name": "MIT (the qikg software)", "identifier": "MIT"},
        },
        "paths": {f"/api/{name}": {"get": _operation(q)} for name, q in sorted(queries.items())},
        "components": {
            "parameters": {
                "page": {
                    "name": "page",
                    "in": "query",
                    "description": "the page of the answer, from 1",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_INTEGER,
                        "default": 1,
                    },
                },
                "per_page": {
                    "name": "per_page",
                    "in": "query",
                    "description": f"rows per page, at most {MAX_PER_PAGE}",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_PER_PAGE,
                        "default": DEFAULT_PER_PAGE,
                    },
                },
                "format": {
                    "name": "format",
                    "in": "query",
                    "description": "the answer's format; overrides the Accept header",
                    "schema": {"type": "string", "enum": list(FORMATS)},
                },
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "problem details (RFC 9457)",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "parameter": {"type": "string"},
                    },
                }
            },
        },
    }
