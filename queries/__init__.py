"""The study's research questions as named SPARQL queries (``queries/*.rq``).

Each file starts with a header of ``#+ key: value`` lines followed by the query. Keys:

``summary``      one line: what the query answers
``description``  what it counts and how (indented ``#+`` lines continue any value)
``tags``         comma-separated keywords
``param``        one parameter (repeatable): ``NAME TYPE [required] [default=V] [example=V]
                 [min=N] [max=N] description``. Values holding spaces are written in double
                 quotes (``default="a b"``). The parameter is bound to the variable ``?NAME``.
``example``      one example call as a query string (``code=MM-drift&lang=en``; repeatable)
``computed``     the name of a Python step run over the query's rows (:mod:`qikg.queries.run`)

Parameter types (:data:`TYPES`): ``string`` (a plain literal), ``integer`` (``xsd:integer``),
``iri`` (an absolute http(s) IRI), ``code`` (a code notation of the codebook, looked up and
bound as the code's IRI), ``language`` (a language tag such as ``en`` or ``fr-CA``, bound as a
plain literal), ``enum(a|b|c)`` (one of the listed words, a plain literal) and ``text`` (search
text: split into at most :data:`MAX_TERMS` lower-cased terms bound to ``?NAME_1`` ...,
their regular-expression-escaped forms to ``?NAME_re_1`` ..., and their number to
``?NAME_terms``).

Values are bound to variables when the query runs, never written into the query text
(:mod:`qikg.queries.params`). Because the embedded engine treats a bound variable as part of
the answer, every parameter variable is projected by the query; :mod:`qikg.queries.run`
removes those columns from the rows it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import parse_qsl

from qikg.errors import QikgError

__all__ = [
    "MAX_TERMS",
    "RESERVED",
    "TYPES",
    "NamedQuery",
    "NamedQueryError",
    "Param",
    "bound_variables",
    "named_queries",
    "parse",
]

TYPES = frozenset({"string", "integer", "iri", "code", "language", "enum", "text"})
"""The parameter types a header may declare."""
MAX_TERMS = 6
"""The most terms a ``text`` parameter is split into."""
RESERVED = frozenset({"page", "per_page", "format"})
"""Query-string names the API itself uses; no parameter may take them."""

_HEADER = re.compile(r"#\+\s?(?:(\w[\w-]*):\s?)?(.*)")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ENUM = re.compile(r"enum\(([^()]*)\)")
_OPTION = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)|(required)\b')
_REPEATABLE = frozenset({"param", "example"})


class NamedQueryError(QikgError):
    """A named query's header is malformed (a programming error in ``queries/*.rq``)."""


@dataclass(frozen=True)
class Param:
    """One parameter of a named query, as its header declares it."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: str | None = None
    example: str | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def type_label(self) -> str:
        """The type as the header writes it (``enum(a|b)`` for an enumeration)."""
        return f"enum({'|'.join(self.choices)})" if self.type == "enum" else self.type


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its name (the file stem), header fields and SPARQL text."""

    name: str
    summary: str
    description: str
    sparql: str
    tags: tuple[str, ...] = field(default=())
    params: tuple[Param, ...] = field(default=())
    examples: tuple[tuple[tuple[str, str], ...], ...] = field(default=())
    computed: str | None = None

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, if the query has one."""
        return next((p for p in self.params if p.name == name), None)

    @property
    def columns(self) -> tuple[str, ...]:
        """The variables the SELECT clause projects, in order, parameters left out.

        For a computed query these are the columns of its SPARQL step, not of its answer.
        """
        hidden = bound_variables(self)
        return tuple(v for v in _projection(self.sparql) if v not in hidden)


@cache
def _projection(sparql: str) -> tuple[str, ...]:
    from rdflib.plugins.sparql import prepareQuery

    try:
        algebra = prepareQuery(sparql).algebra
    except Exception as err:  # the parser raises pyparsing's and its own exceptions
        raise NamedQueryError(f"cannot read the query: {err}") from err
    return tuple(str(v) for v in algebra.get("PV") or ())


def bound_variables(query: NamedQuery) -> frozenset[str]:
    """Every variable a call may bind: one per parameter, more for a ``text`` parameter."""
    names: set[str] = set()
    for p in query.params:
        if p.type != "text":
            names.add(p.name)
        else:
            names.add(f"{p.name}_terms")
            for i in range(1, MAX_TERMS + 1):
                names.update({f"{p.name}_{i}", f"{p.name}_re_{i}"})
    return frozenset(names)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _integer(name: str, key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NamedQueryError(f"{name}: {key}={value!r} is not an integer") from None


def parse_param(query: str, text: str) -> Param:
    """Read one ``#+ param:`` value (see the module docstring)."""
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise NamedQueryError(f"{query}: 'param: {text}' needs at least a name and a type")
    name, type_text = parts[0], parts[1]
    rest = parts[2] if len(parts) > 2 else ""
    if not _NAME.fullmatch(name) or name in RESERVED:
        raise NamedQueryError(f"{query}: {name!r} cannot name a parameter")
    choices: tuple[str, ...] = ()
    enum = _ENUM.fullmatch(type_text)
    if enum:
        choices = tuple(c.strip() for c in enum.group(1).split("|") if c.strip())
        if not choices:
            raise NamedQueryError(f"{query}: parameter {name} lists no choices")
        type_text = "enum"
    if type_text not in TYPES:
        raise NamedQueryError(f"{query}: parameter {name} has an unknown type {type_text!r}")
    options: dict[str, str] = {}
    required = False
    while True:
        m = _OPTION.match(rest)
        if not m:
            break
        if m.group(3):
            required = True
        else:
            options[m.group(1)] = _unquote(m.group(2))
        rest = rest[m.end() :].lstrip()
    unknown = set(options) - {"default", "example", "min", "max"}
    if unknown:
        raise NamedQueryError(f"{query}: parameter {name} has unknown options {sorted(unknown)}")
    param = Param(
        name=name,
        type=type_text,
        description=rest.strip(),
        required=required,
        default=options.get("default"),
        example=options.get("example"),
        choices=choices,
        minimum=_integer(query, "min", options["min"]) if "min" in options else None,
        maximum=_integer(query, "max", options["max"]) if "max" in options else None,
    )
    if param.required and param.default is not None:
        raise NamedQueryError(f"{query}: parameter {name} is required and has a default")
    for value in (param.default, param.example):
        if value is not None and param.choices and value not in param.choices:
            raise NamedQueryError(f"{query}: {value!r} is not a choice of parameter {name}")
    return param


def parse(name: str, text: str) -> NamedQuery:
    """Split a ``.rq`` file into its header fields and its query."""
    fields: dict[str, list[str]] = {}
    key = None
    for line in text.splitlines():
        m = _HEADER.fullmatch(line.rstrip())
        if not m:
            break
        if m.group(1):
            key = m.group(1)
            if key in fields and key not in _REPEATABLE:
                raise NamedQueryError(f"{name}: header key {key!r} given twice")
            fields.setdefault(key, []).append(m.group(2).strip())
        elif key:
            fields[key][-1] = f"{fields[key][-1]} {m.group(2).strip()}".strip()

    def one(key: str) -> str:
        return fields.get(key, [""])[0]

    params = tuple(parse_param(name, p) for p in fields.get("param", []))
    if len({p.name for p in params}) != len(params):
        raise NamedQueryError(f"{name}: a parameter is declared twice")
    examples = tuple(tuple(parse_qsl(e, keep_blank_values=True)) for e in fields.get("example", []))
    known = {p.name for p in params}
    for example in examples:
        for key_, _ in example:
            if key_ not in known:
                raise NamedQueryError(f"{name}: example names an unknown parameter {key_!r}")
    return NamedQuery(
        name=name,
        summary=one("summary"),
        description=one("description"),
        sparql=text,
        tags=tuple(t.strip() for t in one("tags").split(",") if t.strip()),
        params=params,
        examples=examples,
        computed=one("computed") or None,
    )


@cache
def named_queries() -> dict[str, NamedQuery]:
    """Every named query shipped with the package, by name."""
    folder = resources.files("qikg.queries")
    return {
        p.name[:-3]: parse(p.name[:-3], p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".rq")
    }
