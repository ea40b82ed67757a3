"""Reading a SPARQL query before it runs: its form, its dataset clause, and any ``SERVICE``.

The endpoint refuses queries that would make the engine fetch something remote. The engine
(pyoxigraph) opens real HTTP connections for ``SERVICE``, and its parser reads keywords without
requiring a boundary after them (``SERVICEex:x { }`` is a ``SERVICE`` call), so two checks run:

* :func:`scan_query`, a tokenizer that is cheap enough for every request. Strings, IRIs, comments,
  variables and prefixed names are single tokens, so ``"SERVICE"`` or ``?service`` are not
  mistaken for the keyword; a word or prefix that merely *contains* ``SERVICE`` is taken for it.
* :func:`check_no_service`, run just before execution: a query whose text contains ``service``
  anywhere (in any case) is also parsed with rdflib's SPARQL grammar, which tells an IRI from a
  ``<`` operator and a fragment from a comment where a tokenizer cannot. A query that grammar
  cannot read is refused rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

from qikg.errors import QikgError

__all__ = [
    "SERVICE_REFUSAL",
    "QueryScan",
    "RefusedQuery",
    "check_no_service",
    "has_dataset_clause",
    "scan_query",
    "token_matches",
]

SERVICE_REFUSAL = (
    "SERVICE (federated query) is not allowed: this endpoint never contacts other services. "
    "Query the remote endpoint yourself and combine the answers."
)


class RefusedQuery(QikgError):
    """A query the endpoint will not run (it would reach outside the store); says why."""


_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>
          '''(?:[^'\\]|\\.|'(?!''))*'''
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        | '(?:[^'\\\n\r]|\\.)*'
        | "(?:[^"\\\n\r]|\\.)*"
      )
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w*)
    | (?P<bnode>_:[\w.\-]*)
    | (?P<lang>@[A-Za-z]+(?:-{1,2}[A-Za-z0-9]+)*)
    | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:[\w:%.\-]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
    | (?P<word>[^\W\d][\w\-]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
_UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
# Python's case-insensitive match also folds a few non-ASCII letters (the long s, the Kelvin
# sign) onto ASCII ones: that only makes the check stricter.
_SERVICE_WORD = re.compile("service", re.IGNORECASE)
_FROM_WORD = re.compile("from", re.IGNORECASE)


@dataclass(frozen=True)
class QueryScan:
    """What :func:`scan_query` found in a query text.

    ``form`` is ``SELECT``, ``CONSTRUCT``, ``DESCRIBE``, ``ASK`` or ``None`` if the text does not
    start like a query; ``is_update`` if it starts like a SPARQL Update; ``uses_service`` if a
    word or prefixed name outside strings, IRIs and comments is or contains ``SERVICE``
    (``service_token`` is that token); the ``FROM`` and ``FROM NAMED`` IRIs, resolved against
    ``BASE`` and ``PREFIX``; ``unresolved_from`` holds the text of any ``FROM`` target that could
    not be resolved; ``depth`` is the deepest nesting of brackets (``{``, ``(``, ``[``).
    """

    form: str | None = None
    is_update: bool = False
    uses_service: bool = False
    service_token: str | None = None
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    unresolved_from: tuple[str, ...] = field(default=())
    depth: int = 0
    tokens: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    """The significant tokens as ``(kind, text)`` (see :func:`token_matches`), for further
    readers of the same text."""

    @property
    def has_dataset_clause(self) -> bool:
        return bool(self.from_graphs or self.from_named_graphs or self.unresolved_from)


def token_matches(sparql: str) -> Iterator[re.Match[str]]:
    """The significant tokens of a query, with their places; whitespace and comments skipped.

    A match's ``lastgroup`` is its kind: ``string``, ``iri``, ``var``, ``bnode``, ``lang``,
    ``pname``, ``word`` or ``other`` (one character, such as a brace).
    """
    for match in _TOKEN.finditer(sparql):
        if match.lastgroup not in ("ws", "comment"):
            yield match


def _tokens_and_depth(sparql: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """The significant tokens as ``(kind, text)`` and the deepest nesting of brackets, in one
    pass."""
    tokens: list[tuple[str, str]] = []
    depth = level = 0
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind == "ws" or kind == "comment" or kind is None:
            continue
        text = match.group()
        if kind == "other":
            if text in "{([":
                level += 1
                depth = max(depth, level)
            elif text in "})]":
                level -= 1
        tokens.append((kind, text))
    return tuple(tokens), depth


def _may_be_service(kind: str, text: str) -> bool:
    """Whether the engine could read the keyword ``SERVICE`` in this token.

    Keywords need no boundary after them in the engine's grammar, and ``true``, ``false`` or a
    number's exponent need none before the next keyword either: a word containing ``SERVICE``
    anywhere, or a prefix such as ``SERVICEex`` in ``SERVICEex:x``, can be the keyword. The prefix
    ``service`` on its own (``service:x``) is left to the grammar check, which reads it as the
    engine does.
    """
    if kind == "word":
        return "SERVICE" in text.upper()
    if kind == "pname":
        prefix = text.partition(":")[0].upper()
        return "SERVICE" in prefix and prefix != "SERVICE"
    return False


def scan_query(sparql: str, *, base: str | None = None) -> QueryScan:
    """Read a query's form, its dataset clause and any ``SERVICE``, without parsing it fully.

    ``base`` resolves relative ``FROM`` IRIs until the query's own ``BASE`` replaces it.
    """
    tokens, depth = _tokens_and_depth(sparql)
    prefixes: dict[str, str] = {}
    form: str | None = None
    is_update = False
    service_token: str | None = None
    from_graphs: list[str] = []
    from_named: list[str] = []
    unresolved: list[str] = []

    def resolve(kind: str, text: str) -> str | None:
        if kind == "iri":
            iri = text[1:-1]
            if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri):
                return iri
            return urljoin(base, iri) if base else None
        if kind == "pname":
            prefix, _, local = text.partition(":")
            if prefix not in prefixes:
                return None
            local = re.sub(r"\\(.)", r"\1", local.rstrip("."))
            return prefixes[prefix] + local
        return None

    i = 0
    in_prologue = True
    while i < len(tokens):
        kind, text = tokens[i]
        upper = text.upper() if kind == "word" else ""
        if in_prologue and upper == "BASE" and i + 1 < len(tokens):
            base = resolve(*tokens[i + 1]) or base
            i += 2
            continue
        if in_prologue and upper == "PREFIX" and i + 2 < len(tokens):
            name_kind, name = tokens[i + 1]
            if name_kind == "pname" and name.endswith(":"):
                iri = resolve(*tokens[i + 2])
                if iri is not None:
                    prefixes[name[:-1]] = iri
            i += 3
            continue
        if in_prologue:
            in_prologue = False
            if upper in _FORMS:
                form = upper
            elif upper in _UPDATE_KEYWORDS:
                is_update = True
        if service_token is None and _may_be_service(kind, text):
            service_token = text
        if upper == "FROM":
            j = i + 1
            named = j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "NAMED"
            if named:
                j += 1
            target = tokens[j] if j < len(tokens) else ("other", "")
            iri = resolve(*target)
            if iri is None:
                unresolved.append(target[1])
            else:
                (from_named if named else from_graphs).append(iri)
            i = j + 1
            continue
        i += 1
    return QueryScan(
        form=form,
        is_update=is_update,
        uses_service=service_token is not None,
        service_token=service_token,
        from_graphs=tuple(from_graphs),
        from_named_graphs=tuple(from_named),
        unresolved_from=tuple(unresolved),
        depth=depth,
        tokens=tokens,
    )


def has_dataset_clause(sparql: str, *, base: str | None = None) -> bool:
    """Whether the query has ``FROM`` or ``FROM NAMED``; a query without the letters ``from``
    (in any case) has neither and is not scanned."""
    return bool(_FROM_WORD.search(sparql)) and scan_query(sparql, base=base).has_dataset_clause


def service_refusal(scan: QueryScan) -> str:
    """The message refusing a query in which :func:`scan_query` found ``SERVICE``."""
    token = scan.service_token or "SERVICE"
    if token.upper() == "SERVICE":
        return SERVICE_REFUSAL
    return (
        f"{SERVICE_REFUSAL} (The query engine reads {token!r} as the keyword SERVICE followed "
        "by more text; if it is meant as a name, rename it or put a space after SERVICE-like "
        "words.)"
    )


def check_no_service(sparql: str) -> None:
    """Raise :class:`RefusedQuery` unless the query certainly contains no ``SERVICE`` call.

    Without the letters ``service`` (in any case) a query cannot call a service: the engine
    neither expands escapes in keywords nor folds other letters onto them. With them, the query
    must pass the tokenizer's check and then parse with rdflib's grammar without a
    ``SERVICE`` pattern in its tree.
    """
    if not _SERVICE_WORD.search(sparql):
        return
    scan = scan_query(sparql)
    if scan.uses_service:
        raise RefusedQuery(service_refusal(scan))
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(sparql)
    except Exception as err:  # pyparsing's errors, and RecursionError on deep nesting
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise RefusedQuery(
            "The query contains the word 'service', and this endpoint could not read it well "
            f"enough to make sure it calls no remote SERVICE ({reason}). Federated query is not "
            "allowed here. If 'service' only appears in a name, an IRI or a string, check the "
            "query's syntax; SPARQL 1.1 without extensions is always read."
        ) from err
    if _has_service_pattern(tree):
        raise RefusedQuery(SERVICE_REFUSAL)


def _has_service_pattern(tree: object) -> bool:
    """Whether rdflib's parse tree holds a ``ServiceGraphPattern`` anywhere."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, Iterable) and not isinstance(node, str | bytes):
            stack.extend(node)  # the parser's result lists; terms are strings and stop here
    return False
