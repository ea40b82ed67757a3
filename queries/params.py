"""Parameter values of a named-query call: checked, typed, turned into RDF terms.

A value arrives as text (a query-string parameter, ``--param KEY=VALUE``) and leaves as a
pyoxigraph term bound to a query variable; it is never written into query text. Anything that
does not fit its declared type is refused with :class:`ParameterError` (400 in the API, exit
code 2 in the CLI). Common to every type: at most :data:`MAX_LENGTH` characters, no control
characters and no backslash (no value of the study needs one, and refusing it keeps every
value a plain term for engines that read ``\\u`` escapes anywhere in a query).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from qikg.errors import QikgError

from . import MAX_TERMS, NamedQuery, Param

__all__ = [
    "MAX_INTEGER",
    "MAX_LENGTH",
    "Bindings",
    "CodeResolver",
    "ParameterError",
    "bind",
    "regex_escape",
    "split_terms",
]

MAX_LENGTH = 200
"""The longest parameter value accepted, in characters."""
MAX_INTEGER = 10**9
"""Integers beyond plus or minus this are refused (no count in a study comes near)."""
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

_INTEGER = re.compile(r"[+-]?[0-9]{1,10}")
_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")
_EDGE_PUNCTUATION = string.punctuation + "\u2018\u2019\u201c\u201d\u00ab\u00bb\u2026"

Bindings = dict[str, ox.NamedNode | ox.Literal]
CodeResolver = Callable[[str], "ox.NamedNode | None"]
"""Looks a code notation up (case-insensitively, spelling variants too); None if unknown."""


@dataclass
class ParameterError(QikgError):
    """A parameter value that does not fit its type, an unknown or a missing parameter."""

    message: str
    param: str | None = None

    exit_code = 2

    def __str__(self) -> str:
        return self.message


def regex_escape(text: str) -> str:
    """``text`` as a regular expression matching exactly itself (XPath and Rust syntax)."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def split_terms(text: str) -> list[str]:
    """Search text as lower-cased terms: split at white space, punctuation trimmed from the
    ends of each term, duplicates dropped, order kept."""
    terms: list[str] = []
    for word in text.lower().split():
        term = word.strip(_EDGE_PUNCTUATION)
        if term and term not in terms:
            terms.append(term)
    return terms


def _check_text(param: Param, value: str) -> None:
    if len(value) > MAX_LENGTH:
        raise ParameterError(
            f"parameter {param.name!r} is longer than {MAX_LENGTH} characters", param.name
        )
    for c in value:
        if c == "\\" or unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn"):
            raise ParameterError(
                f"parameter {param.name!r} contains a character that is not accepted "
                f"({c!r}): control characters and backslashes are refused",
                param.name,
            )


def _integer(param: Param, value: str) -> ox.Literal:
    if not _INTEGER.fullmatch(value):
        raise ParameterError(
            f"parameter {param.name!r} must be an integer, not {value!r}", param.name
        )
    number = int(value)
    low = param.minimum if param.minimum is not None else -MAX_INTEGER
    high = param.maximum if param.maximum is not None else MAX_INTEGER
    if not low <= number <= high:
        raise ParameterError(
            f"parameter {param.name!r} must be between {low} and {high}, not {number}", param.name
        )
    return ox.Literal(str(number), datatype=XSD_INTEGER)


def _iri(param: Param, value: str) -> ox.NamedNode:
    if not _IRI.fullmatch(value):
        raise ParameterError(
            f"parameter {param.name!r} must be an absolute http(s) IRI without spaces or any of "
            '<>"{}|\\^`',
            param.name,
        )
    try:
        return ox.NamedNode(value)
    except ValueError as err:
        raise ParameterError(
            f"parameter {param.name!r} is not a valid IRI: {err}", param.name
        ) from None


def _term(param: Param, value: str, resolve_code: CodeResolver) -> ox.NamedNode | ox.Literal:
    if param.type == "integer":
        return _integer(param, value)
    if param.type == "iri":
        return _iri(param, value)
    if param.type == "language":
        if not _LANGUAGE.fullmatch(value):
            raise ParameterError(
                f"parameter {param.name!r} must be a language tag such as 'en' or 'fr-CA'",
                param.name,
            )
        return ox.Literal(value.lower())
    if param.type == "enum":
        if value not in param.choices:
            raise ParameterError(
                f"parameter {param.name!r} must be one of {', '.join(param.choices)}", param.name
            )
        return ox.Literal(value)
    if param.type == "code":
        code = resolve_code(value)
        if code is None:
            raise ParameterError(
                f"parameter {param.name!r}: no code of the codebook is written {value!r}",
                param.name,
            )
        return code
    return ox.Literal(value)


def _text_terms(param: Param, value: str) -> Bindings:
    terms = split_terms(value)
    if not terms:
        raise ParameterError(f"parameter {param.name!r} holds no word to search for", param.name)
    if len(terms) > MAX_TERMS:
        raise ParameterError(
            f"parameter {param.name!r} holds {len(terms)} terms; at most {MAX_TERMS} are searched",
            param.name,
        )
    out: Bindings = {f"{param.name}_terms": ox.Literal(str(len(terms)), datatype=XSD_INTEGER)}
    for i, term in enumerate(terms, 1):
        out[f"{param.name}_{i}"] = ox.Literal(term)
        out[f"{param.name}_re_{i}"] = ox.Literal(regex_escape(term))
    return out


def bind(query: NamedQuery, values: Mapping[str, str], resolve_code: CodeResolver) -> Bindings:
    """The terms a call binds, by variable name: given values checked and typed, defaults
    filled in, required parameters enforced; unknown names refused.

    An empty value counts as not given.
    """
    unknown = sorted(set(values) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise ParameterError(
            f"{query.name} has no parameter {', '.join(map(repr, unknown))} "
            f"(its parameters: {known})",
            unknown[0],
        )
    out: Bindings = {}
    for param in query.params:
        value = values.get(param.name) or param.default
        if not value:
            if param.required:
                raise ParameterError(f"parameter {param.name!r} is required", param.name)
            continue
        _check_text(param, value)
        if param.type == "text":
            out.update(_text_terms(param, value))
        else:
            out[param.name] = _term(param, value, resolve_code)
    return out
