"""Which queries may run in the request thread, past the query workers, because their cost is
provably small.

The workers exist to stop a query at ``QUERY_TIMEOUT_S``: the engine cannot cancel a running
query. A query needs no stopping when its work is bounded before it starts. That is proved here
for one shape only: a SELECT or ASK whose WHERE is one basic graph pattern in which every triple
pattern has a constant subject, and nothing else (no property paths, ``FILTER``, ``OPTIONAL``,
``GRAPH``, ``VALUES``, subqueries, aggregates, ``ORDER BY``, dataset clauses; ``LIMIT`` and
``OFFSET`` only cut work). Each pattern's matches are counted in the store (any graph, object
literals and variables counted as anything), at least 1 each, and their product must stay within
``FAST_PATH_MAX_MATCHES``: whatever order the engine joins the patterns in, each step then looks
up at most that many partial solutions, and the answer has at most that many rows.

The shape is read from the query's tokens (:func:`qikg.kg.sparql_scan.scan_query`) by a small
recogniser that accepts only what it fully understands: any other token, keyword or construct
sends the query to the workers as before. The usual checks (updates, ``SERVICE``, ``FROM``, row
cap) apply to both paths alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

from qikg.errors import StoreError
from qikg.kg.sparql_scan import QueryScan

__all__ = [
    "DEFAULT_MAX_MATCHES",
    "CountsMatches",
    "MatchCounts",
    "Pattern",
    "basic_patterns",
    "fast_bound",
    "match_bound",
    "match_counts",
]

DEFAULT_MAX_MATCHES = 10_000
"""The default ``FAST_PATH_MAX_MATCHES``: ten thousand index lookups take milliseconds."""

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_PREFIX_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*|")
_KEYWORDS = (
    "A", "ADD", "AS", "ASK", "BASE", "BIND", "BY", "CLEAR", "CONSTRUCT", "COPY", "CREATE",
    "DATA", "DEFAULT", "DELETE", "DESCRIBE", "DISTINCT", "DROP", "EXISTS", "FALSE", "FILTER",
    "FROM", "GRAPH", "GROUP", "HAVING", "IN", "INSERT", "INTO", "LIMIT", "LOAD", "MINUS", "MOVE",
    "NAMED", "NOT", "OFFSET", "OPTIONAL", "ORDER", "PREFIX", "REDUCED", "SELECT", "SERVICE",
    "SILENT", "TO", "TRUE", "UNDEF", "UNION", "USING", "VALUES", "WHERE", "WITH",
)  # fmt: skip
"""Words the engine may read as a keyword at the start of a longer name (its grammar needs no
boundary after a keyword): a prefix starting with one is not trusted."""


@dataclass(frozen=True)
class Pattern:
    """A triple pattern with a constant subject; ``None`` where any term may match."""

    subject: str
    predicate: str | None
    object: str | None


@runtime_checkable
class CountsMatches(Protocol):
    """A store that counts the quads matching a pattern (in any graph)."""

    def count_matches(
        self, subject: str, predicate: str | None, obj: str | None, at_most: int
    ) -> int:
        """How many quads match, counting no further than ``at_most``."""
        ...


Token = tuple[str, str]


class _NotBasic(Exception):
    """The query is not of the one shape the fast path accepts."""


class _Reader:
    """Walks the tokens of one query; every unexpected token raises :class:`_NotBasic`."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.prefixes: dict[str, str] = {}

    def peek(self) -> Token:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def word(self) -> str:
        kind, text = self.peek()
        return text.upper() if kind == "word" else ""

    def expect_other(self, char: str) -> None:
        if self.take() != ("other", char):
            raise _NotBasic

    def absolute_iri(self) -> str:
        kind, text = self.take()
        if kind != "iri" or not _ABSOLUTE.match(text[1:-1]):
            raise _NotBasic
        return text[1:-1]

    def constant(self, token: Token) -> str:
        """The IRI of an absolute ``<iri>`` or a prefixed name with a trusted, declared prefix."""
        kind, text = token
        if kind == "iri" and _ABSOLUTE.match(text[1:-1]):
            return text[1:-1]
        if kind == "pname" and "\\" not in text and not text.endswith("."):
            prefix, _, local = text.partition(":")
            if prefix in self.prefixes:
                return self.prefixes[prefix] + local
        raise _NotBasic

    def prologue(self) -> None:
        while True:
            if self.word() == "BASE":
                self.take()
                self.absolute_iri()
            elif self.word() == "PREFIX":
                self.take()
                kind, name = self.take()
                prefix = name[:-1]
                if kind != "pname" or not name.endswith(":") or not _trusted_prefix(prefix):
                    raise _NotBasic
                self.prefixes[prefix] = self.absolute_iri()
            else:
                return

    def head(self) -> None:
        form = self.take()
        if form[0] != "word":
            raise _NotBasic
        if form[1].upper() == "ASK":
            return
        if form[1].upper() != "SELECT":
            raise _NotBasic
        if self.word() in ("DISTINCT", "REDUCED"):
            self.take()
        if self.peek() == ("other", "*"):
            self.take()
            return
        count = 0
        while _is_variable(self.peek()):
            self.take()
            count += 1
        if not count:
            raise _NotBasic

    def triples(self) -> list[Pattern]:
        patterns: list[Pattern] = []
        while self.peek() != ("other", "}"):
            subject = self.constant(self.take())
            while True:
                predicate = self.verb()
                while True:
                    patterns.append(Pattern(subject, predicate, self.object()))
                    if self.peek() != ("other", ","):
                        break
                    self.take()
                if self.peek() != ("other", ";"):
                    break
                while self.peek() == ("other", ";"):
                    self.take()
                if self.peek() in (("other", "."), ("other", "}")):
                    break
            if self.peek() == ("other", "."):
                self.take()
            elif self.peek() != ("other", "}"):
                raise _NotBasic
        return patterns

    def verb(self) -> str | None:
        token = self.take()
        if token == ("word", "a"):
            return RDF_TYPE
        if _is_variable(token):
            return None
        return self.constant(token)

    def object(self) -> str | None:
        token = self.take()
        kind, text = token
        if _is_variable(token) or kind == "bnode":
            return None
        if kind == "string":
            if self.peek()[0] == "lang":
                self.take()
            elif self.peek() == ("other", "^"):
                self.take()
                self.expect_other("^")
                self.constant(self.take())
            return None
        if kind == "word" and text in ("true", "false"):
            return None
        return self.constant(token)

    def modifiers(self) -> None:
        while self.word() in ("LIMIT", "OFFSET"):
            self.take()
            digits = 0
            while self.peek()[0] == "other" and self.peek()[1].isdigit():
                self.take()
                digits += 1
            if not digits:
                raise _NotBasic
        if self.peek()[0] != "end":
            raise _NotBasic


def _is_variable(token: Token) -> bool:
    # a lone ``?`` is the path modifier, not a variable
    return token[0] == "var" and len(token[1]) > 1


def _trusted_prefix(prefix: str) -> bool:
    return bool(_PREFIX_NAME.fullmatch(prefix)) and not prefix.upper().startswith(_KEYWORDS)


def basic_patterns(tokens: Sequence[Token]) -> tuple[Pattern, ...] | None:
    """The triple patterns of a SELECT or ASK made of one basic graph pattern whose subjects are
    all constant (see the module docstring), or ``None`` for any other query."""
    reader = _Reader(tokens)
    try:
        reader.prologue()
        reader.head()
        if reader.word() == "WHERE":
            reader.take()
        reader.expect_other("{")
        patterns = reader.triples()
        reader.expect_other("}")
        reader.modifiers()
    except _NotBasic:
        return None
    return tuple(patterns) if patterns else None


def match_bound(store: CountsMatches, patterns: Sequence[Pattern], limit: int) -> int | None:
    """The product of the patterns' match counts (each taken as at least 1), or ``None`` as soon
    as it passes ``limit``. It bounds the join's partial solutions and the answer's rows."""
    product = 1
    for pattern in patterns:
        room = limit // product
        count = store.count_matches(pattern.subject, pattern.predicate, pattern.object, room + 1)
        if count > room:
            return None
        product *= max(count, 1)
    return product


MAX_REMEMBERED = 10_000
"""The most pattern counts a :class:`MatchCounts` keeps (a few MB at most)."""


class MatchCounts:
    """A store's pattern counts, remembered: the store does not change while it is served (the
    server's per-store memo holds this and is dropped with the store), so a pattern counted
    again costs a dictionary look-up instead of an index scan. Forgets all when full."""

    def __init__(self, store: CountsMatches) -> None:
        self._store = store
        self._counts: dict[tuple[str, str | None, str | None, int], int] = {}

    def count_matches(
        self, subject: str, predicate: str | None, obj: str | None, at_most: int
    ) -> int:
        """:meth:`CountsMatches.count_matches` of the store, each pattern counted once."""
        key = (subject, predicate, obj, at_most)
        count = self._counts.get(key)
        if count is None:
            count = self._store.count_matches(subject, predicate, obj, at_most)
            if len(self._counts) >= MAX_REMEMBERED:
                self._counts.clear()
            self._counts[key] = count
        return count


def match_counts(store: object) -> MatchCounts | None:
    """Remembered counts of ``store``, or ``None`` if it cannot count matches (a remote store:
    the fast path is then off)."""
    if not hasattr(store, "count_matches"):  # cheaper than isinstance of a protocol
        return None
    return MatchCounts(cast(CountsMatches, store))


def fast_bound(
    counts: CountsMatches | None, scan: QueryScan, *, dataset_given: bool, limit: int
) -> int | None:
    """The bound on work and rows of a query that may run in the request thread, or ``None``
    when it must go to the query runner: the fast path is off (``limit`` 0, or no ``counts``),
    the request names a dataset, or the query is not of the accepted shape or passes
    ``limit``."""
    if counts is None or limit <= 0 or dataset_given or scan.form not in ("SELECT", "ASK"):
        return None
    patterns = basic_patterns(scan.tokens)
    if patterns is None:
        return None
    try:
        return match_bound(counts, patterns, limit)
    except (ValueError, StoreError):  # an IRI the store does not take: leave it to the engine
        return None
