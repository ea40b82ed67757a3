"""Privacy audit of a built dataset, and redaction of names in speech.

The transcripts were pseudonymised for participants, companies and places, but the research
team's names remain in places (interviewers introducing themselves, the coders' names in the
titles of coded files). :func:`audit` finds what could identify a person in literal texts;
:func:`redact` replaces names in speech before it is published.

What is found (``Finding.kind``):

* ``name``: a name of the policy's ``deny`` list, as a whole word (not inside a longer word),
  case-insensitively unless the entry says ``case_sensitive = true``; inside a name a space or
  hyphen matches any run of spaces and hyphens (``Pierre-Olivier`` finds ``Pierre olivier``).
  Occurrences inside a phrase of ``deny.ordinary`` (where the word is ordinary language, such
  as French ``des PO``, product owners) are not names. Overlapping names give the longest.
* ``email``: ``user@host.tld``, and the spoken ``user at host dot com`` for common top-level
  domains.
* ``url``: anything starting ``http://``, ``https://``, ``ftp://`` or ``www.``, and bare
  domains with a common top-level domain (``someone.com/page``); trailing punctuation is not
  part of the URL.
* ``phone``: 10 to 15 digits written as one number or in groups (the first of 1 to 4 digits,
  the others of 2 to 4) separated by a space, dot or hyphen, optionally after ``+country`` and
  ``(area)``: ``+1 514 555 0199``, ``(514) 555-0199``, ``514.555.0199``, ``06 12 34 56 78``,
  ``5145550199``. Groups that read as a number with thousands separators (``10 000 000 000``)
  or as a list of years (``2006 2012 2015``) are not phone numbers.

Each finding has a status: ``accepted`` when an ``accept`` rule covers it (kind, the found text,
the location) or, for a URL, when the ``url.allow`` list holds it; else ``redacted`` when a
``redact`` rule of the policy covers it (so :func:`redact` takes it out); else ``open``: a
person has to decide.

Locations are free text handed in with each literal. For graph literals pass
``"<subject IRI> <predicate IRI>"`` (e.g. ``https://w3id.org/qikg/cote2024/researcher/amin
http://xmlns.com/foaf/0.1/name``) so that ``accept`` rules can name subjects and properties;
for lines of a file, ``"<file>:<line>"``.

The policy file (TOML; ``kg/data/privacy.toml`` holds the one for this study)::

    [deny]
    names = ["Amin", { name = "PO", case_sensitive = true }]   # names to flag
    ordinary = ['des PO\\b']          # regexes of phrases where a denied word is no name

    [[accept]]                        # any number of rules; each needs match or where
    kind = "name"                     # optional: name, email, phone or url
    match = "Amin|PO"                 # optional regex, matched case-insensitively against the
                                      #   whole found text
    where = '/researcher/'            # optional regex, searched in the location
    why = "..."                       # optional note

    [redact]                          # regex = replacement, applied to speech by redact()
    'Amin' = "[Researcher]"           # case-insensitive, whole words; (?-i:...) for case;
                                      #   the replacement is literal; no numbered groups

    [url]
    allow = ["doi.org/10.1007/s10664-024-10536-7", "delvetool.com"]  # host (and subdomains)
                                      #   with an optional path prefix

    [patterns]                        # optional: regexes replacing the built-in detectors
    email = '...'
    phone = '...'
    url = '...'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from qikg.errors import ParseError

KINDS = ("email", "phone", "url", "name")
"""What a finding can be."""

STATUSES = ("accepted", "redacted", "open")
"""What has been decided about a finding."""

_TLD = r"(?:com|org|net|edu|gov|io|ai|ca|fr|uk|de|co|me|dev|info|app)"

EMAIL = (
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
    rf"|(?<![\w.+-])[\w.+-]+\s+at\s+[A-Za-z0-9-]+(?:\s+dot\s+[A-Za-z0-9-]+)*\s+dot\s+{_TLD}\b"
)
"""Built-in e-mail detector: written and spoken forms."""

URL = (
    r"\b(?:https?://|ftp://|www\.)[^\s<>\"'`]+"
    rf"|(?<![\w.@/-])[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.{_TLD}\b(?:/[^\s<>\"'`]*)?"
)
"""Built-in URL detector: with a scheme or ``www.``, or a bare domain with a common TLD."""

PHONE = (
    r"(?<![\w+.])"
    r"(?:\+\d{1,3}[\s.-]?)?"  # country code
    r"(?:\(\d{1,4}\)[\s.-]?)?"  # area code in parentheses
    r"(?:\d{1,4}(?:[\s.-]\d{2,4}){1,5}|\d{10,15})"  # groups, or one run of digits
    r"(?![\w]|[.,]\d)"
)
"""Built-in phone detector (candidates; the digit count and number shapes are checked after)."""

# Necessary conditions of the built-in detectors, tested first because they scan fast.
_HINT_EMAIL = re.compile(r"@|\sdot\s", re.IGNORECASE)
_HINT_URL = re.compile(rf"://|www\.|\.{_TLD}\b", re.IGNORECASE)
_HINT_PHONE = re.compile(r"\d(?:\D{0,3}\d){9}")

_TRAILING = ".,;:!?)]}>'\""
_TOP_KEYS = {"deny", "accept", "redact", "url", "patterns"}


@dataclass(frozen=True)
class Finding:
    """Something in a literal that could identify a person, and what the policy says of it.

    ``kind`` is one of :data:`KINDS`, ``status`` one of :data:`STATUSES`; ``start`` is where
    ``match`` begins in the text.
    """

    location: str
    kind: str
    match: str
    status: str
    start: int | None = None


@dataclass(frozen=True)
class DenyName:
    """A name to flag, with the pattern that finds it."""

    name: str
    pattern: re.Pattern[str]
    case_sensitive: bool = False


@dataclass(frozen=True)
class AcceptRule:
    """Findings this rule covers are accepted (kind, found text, location: all must hold)."""

    kind: str | None
    match: re.Pattern[str] | None
    where: re.Pattern[str] | None
    why: str = ""

    def covers(self, location: str, kind: str, text: str) -> bool:
        return (
            (self.kind is None or self.kind == kind)
            and (self.match is None or self.match.fullmatch(text) is not None)
            and (self.where is None or self.where.search(location) is not None)
        )


@dataclass(frozen=True)
class RedactRule:
    """Text matching ``pattern`` (written as ``key`` in the policy) becomes ``replacement``."""

    key: str
    pattern: re.Pattern[str]
    replacement: str


@dataclass(frozen=True)
class Policy:
    """What to flag, what is accepted where, and what speech redaction replaces."""

    source: str
    deny: tuple[DenyName, ...] = ()
    ordinary: tuple[re.Pattern[str], ...] = ()
    accept: tuple[AcceptRule, ...] = ()
    redact: tuple[RedactRule, ...] = ()
    url_allow: tuple[str, ...] = ()
    email: re.Pattern[str] = re.compile(EMAIL, re.IGNORECASE)
    phone: re.Pattern[str] = re.compile(PHONE)
    url: re.Pattern[str] = re.compile(URL, re.IGNORECASE)

    @cached_property
    def name_finders(self) -> tuple[re.Pattern[str], ...]:
        """The deny names as one pattern per case mode, longest names first (fast scanning)."""
        finders: list[re.Pattern[str]] = []
        for case_sensitive in (False, True):
            names = sorted(
                (d for d in self.deny if d.case_sensitive == case_sensitive),
                key=lambda d: len(d.name),
                reverse=True,
            )
            if names:
                body = "|".join(_name_body(d.name) for d in names)
                flags = 0 if case_sensitive else re.IGNORECASE
                finders.append(re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags))
        return tuple(finders)

    @cached_property
    def redact_finder(self) -> re.Pattern[str] | None:
        """Any redact rule's pattern: where to try each rule (fast scanning)."""
        if not self.redact:
            return None
        body = "|".join(f"(?:{r.key})" for r in self.redact)
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.I)


# ---- public functions


def audit(texts: Iterable[tuple[str, str]], policy: Policy) -> list[Finding]:
    """Every finding in the (location, text) pairs, in input order then text order."""
    findings: list[Finding] = []
    detected: dict[str, list[tuple[str, int, int]]] = {}
    for location, text in texts:
        redacted: list[tuple[int, int]] | None = None
        # a paragraph's text recurs in each coder's document: detect once per distinct text
        if (found_in := detected.get(text)) is None:
            found_in = detected[text] = _detect(text, policy)
        for kind, start, end in found_in:
            found = text[start:end]
            if redacted is None:
                redacted = [(s, e) for s, e, _ in _redactions(text, policy)]
            if any(rule.covers(location, kind, found) for rule in policy.accept) or (
                kind == "url" and _allowed(found, policy.url_allow)
            ):
                status = "accepted"
            elif any(s < end and start < e for s, e in redacted):
                status = "redacted"
            else:
                status = "open"
            findings.append(Finding(location, kind, found, status, start))
    return findings


def redact(text: str, policy: Policy) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with the policy's redactions applied, and the (original, replacement) pairs.

    At each place the longest match of any rule wins (the first rule on a tie); matches inside
    an ``ordinary`` phrase are left alone. Pairs come in text order, one per replacement.
    """
    out: list[str] = []
    pairs: list[tuple[str, str]] = []
    pos = 0
    for start, end, replacement in _redactions(text, policy):
        out.append(text[pos:start])
        out.append(replacement)
        pairs.append((text[start:end], replacement))
        pos = end
    out.append(text[pos:])
    return "".join(out), pairs


def load_policy(text: str, source: str) -> Policy:
    """Read a privacy policy from TOML text; raise ParseError naming the line on any fault."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+)", str(exc))
        line = int(m.group(1)) if m else max(1, len(text.splitlines()))
        raise ParseError(source, f"not valid TOML: {exc}", line=line) from None
    return _Reader(text, source).policy(data)


def default_policy() -> Policy:
    """The privacy policy for the Côté et al. (2024) study shipped with the package."""
    path = resources.files("qikg.kg").joinpath("data/privacy.toml")
    return load_policy(path.read_text(encoding="utf-8"), "privacy.toml")


# ---- detection


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _longest_first(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Non-overlapping spans (start, end, rank), longest at each place, lowest rank on ties."""
    chosen: list[tuple[int, int, int]] = []
    for s, e, r in sorted(spans, key=lambda x: (x[0], x[0] - x[1], x[2])):
        if not chosen or s >= chosen[-1][1]:
            chosen.append((s, e, r))
    return chosen


def _ordinary(text: str, policy: Policy) -> list[tuple[int, int]]:
    return [span for p in policy.ordinary for span in _spans(p, text)]


def _maybe(pattern: re.Pattern[str], builtin: str, hint: re.Pattern[str], text: str) -> bool:
    """False only when the built-in detector cannot match (a cheap test before the slow one)."""
    return pattern.pattern != builtin or hint.search(text) is not None


def _detect(text: str, policy: Policy) -> list[tuple[str, int, int]]:
    emails = _spans(policy.email, text) if _maybe(policy.email, EMAIL, _HINT_EMAIL, text) else []
    urls = [
        (s, e)
        for s, e in (
            _trim(text, s, e)
            for s, e in (
                _spans(policy.url, text) if _maybe(policy.url, URL, _HINT_URL, text) else []
            )
        )
        if e > s and not _inside(s, e, emails)
    ]
    taken = emails + urls
    phones = [
        (s, e)
        for s, e in (
            _spans(policy.phone, text) if _maybe(policy.phone, PHONE, _HINT_PHONE, text) else []
        )
        if _is_phone(text[s:e]) and not any(a < e and s < b for a, b in taken)
    ]
    ordinary = _ordinary(text, policy)
    names = [
        (s, e, i)
        for i, finder in enumerate(policy.name_finders)
        for s, e in _spans(finder, text)
        if not _inside(s, e, ordinary) and not _inside(s, e, taken)
    ]
    found = [("email", s, e) for s, e in emails]
    found += [("url", s, e) for s, e in urls]
    found += [("phone", s, e) for s, e in phones]
    found += [("name", s, e) for s, e, _ in _longest_first(names)]
    return sorted(found, key=lambda f: (f[1], f[2]))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A URL without the punctuation that ends the sentence around it."""
    while end > start and text[end - 1] in _TRAILING:
        if text[end - 1] == ")" and text[start:end].count("(") >= text[start:end].count(")"):
            break
        end -= 1
    return start, end


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 10 <= digits <= 15:
        return False
    if candidate.startswith(("+", "(")):
        return True
    groups = re.findall(r"\d+", candidate)
    if len(groups) >= 3 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return False  # a number with thousands separators
    return not all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)  # a list of years


def _allowed(url: str, allow: tuple[str, ...]) -> bool:
    """True when the URL's host is an allowed host (or below it) and its path starts alike."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = (parts.hostname or "").removeprefix("www.")
        for entry in allow:
            e = urlsplit(entry if "://" in entry else f"http://{entry}")
            ehost = (e.hostname or "").removeprefix("www.")
            if (host == ehost or host.endswith(f".{ehost}")) and parts.path.startswith(e.path):
                return True
    except ValueError:
        return False
    return False


def _redactions(text: str, policy: Policy) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, replacement) of the policy's redact rules, in text order.

    Scans for any rule, then at that place takes the longest match of a single rule (the first
    rule on a tie) that is not inside an ``ordinary`` phrase.
    """
    finder = policy.redact_finder
    if finder is None:
        return []
    ordinary = _ordinary(text, policy)
    out: list[tuple[int, int, str]] = []
    pos = 0
    while (hit := finder.search(text, pos)) is not None:
        at = hit.start()
        best: tuple[int, str] | None = None
        for rule in policy.redact:
            m = rule.pattern.match(text, at)
            longer = m is not None and m.end() > (at if best is None else best[0])
            if m is not None and longer and not _inside(at, m.end(), ordinary):
                best = (m.end(), rule.replacement)
        if best is None:
            pos = at + 1
        else:
            out.append((at, best[0], best[1]))
            pos = best[0]
    return out


# ---- reading a policy


def name_pattern(name: str, *, case_sensitive: bool = False) -> re.Pattern[str]:
    """The pattern that finds ``name`` as a whole word (spaces and hyphens interchangeable)."""
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<!\w){_name_body(name)}(?!\w)", flags)


def _name_body(name: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s-]+", name.strip()) if p]
    return r"[\s-]+".join(parts)


class _Reader:
    """Checks a parsed policy table by table, naming the line of anything wrong."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def fail(self, message: str, table: str, key: str | None = None, nth: int = 0) -> ParseError:
        return ParseError(self.source, message, line=self.line(table, key, nth))

    def line(self, table: str, key: str | None = None, nth: int = 0) -> int | None:
        """Line of ``[table]`` (the nth ``[[table]]``), or of ``key`` inside it."""
        header = re.compile(rf"\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(?:#.*)?")
        starts = [i for i, line in enumerate(self.lines) if header.fullmatch(line)]
        if len(starts) <= nth:
            dotted = re.compile(rf"\s*['\"]?{re.escape(table)}['\"]?\s*[.=]")
            hits = [i for i, line in enumerate(self.lines) if dotted.match(line)]
            return hits[0] + 1 if hits else None
        start = starts[nth]
        if key is None:
            return start + 1
        quoted = rf"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
        key_line = re.compile(rf"\s*{quoted}\s*=")
        for i in range(start + 1, len(self.lines)):
            if re.match(r"\s*\[", self.lines[i]):
                break
            if key_line.match(self.lines[i]):
                return i + 1
        return start + 1

    def regex(self, value: Any, flags: int, table: str, key: str, nth: int = 0) -> re.Pattern[str]:
        if not isinstance(value, str) or not value:
            raise self.fail(f"{table}.{key} must be a non-empty string (a regex)", table, key, nth)
        try:
            return re.compile(value, flags)
        except re.error as exc:
            raise self.fail(f"{table}.{key}: bad regex {value!r}: {exc}", table, key, nth) from None

    def table(self, data: dict[str, Any], name: str, keys: set[str]) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(f"{name} must be a table", name)
        for key in value:
            if key not in keys:
                allowed = ", ".join(sorted(keys))
                raise self.fail(f"unknown key {key!r} in [{name}] (allowed: {allowed})", name, key)
        return value

    def policy(self, data: dict[str, Any]) -> Policy:
        for key in data:
            if key not in _TOP_KEYS:
                allowed = ", ".join(sorted(_TOP_KEYS))
                raise self.fail(f"unknown table or key {key!r} (allowed: {allowed})", key)
        patterns = self.table(data, "patterns", {"email", "phone", "url"})
        url = self.table(data, "url", {"allow"})
        allow = url.get("allow", [])
        if not isinstance(allow, list) or not all(isinstance(a, str) and a for a in allow):
            raise self.fail("url.allow must be a list of non-empty strings", "url", "allow")
        policy = Policy(
            source=self.source,
            deny=self.deny(data),
            ordinary=self.ordinary(data),
            accept=self.accept(data),
            redact=self.redact(data),
            url_allow=tuple(allow),
            email=self.regex(patterns.get("email", EMAIL), re.I, "patterns", "email"),
            phone=self.regex(patterns.get("phone", PHONE), 0, "patterns", "phone"),
            url=self.regex(patterns.get("url", URL), re.I, "patterns", "url"),
        )
        try:
            policy.redact_finder  # noqa: B018 - compiles the rules together, once, here
        except re.error as exc:
            raise self.fail(
                f"the redact rules do not combine into one regex: {exc}", "redact"
            ) from None
        return policy

    def deny(self, data: dict[str, Any]) -> tuple[DenyName, ...]:
        deny = self.table(data, "deny", {"names", "ordinary"})
        names = deny.get("names", [])
        if not isinstance(names, list):
            raise self.fail("deny.names must be a list", "deny", "names")
        out: list[DenyName] = []
        for entry in names:
            name: Any = entry
            case_sensitive: Any = False
            if isinstance(entry, dict) and set(entry) <= {"name", "case_sensitive"}:
                name, case_sensitive = entry.get("name"), entry.get("case_sensitive", False)
            if (
                not isinstance(name, str)
                or not name.strip()
                or not isinstance(case_sensitive, bool)
            ):
                raise self.fail(
                    f"deny.names: {entry!r} is neither a name nor "
                    '{ name = "...", case_sensitive = true|false }',
                    "deny",
                    "names",
                )
            out.append(
                DenyName(name, name_pattern(name, case_sensitive=case_sensitive), case_sensitive)
            )
        return tuple(out)

    def ordinary(self, data: dict[str, Any]) -> tuple[re.Pattern[str], ...]:
        phrases = self.table(data, "deny", {"names", "ordinary"}).get("ordinary", [])
        if not isinstance(phrases, list):
            raise self.fail("deny.ordinary must be a list of regexes", "deny", "ordinary")
        return tuple(self.regex(p, re.I, "deny", "ordinary") for p in phrases)

    def accept(self, data: dict[str, Any]) -> tuple[AcceptRule, ...]:
        rules = data.get("accept", [])
        if not isinstance(rules, list):
            raise self.fail("accept must be an array of tables ([[accept]])", "accept")
        out: list[AcceptRule] = []
        for nth, rule in enumerate(rules):
            if not isinstance(rule, dict):
                raise self.fail("each accept rule must be a table", "accept", nth=nth)
            for key in rule:
                if key not in {"kind", "match", "where", "why"}:
                    raise self.fail(
                        f"unknown key {key!r} in accept rule {nth + 1} "
                        "(allowed: kind, match, where, why)",
                        "accept",
                        key,
                        nth,
                    )
            if "match" not in rule and "where" not in rule:
                raise self.fail(f"accept rule {nth + 1} needs match or where", "accept", nth=nth)
            kind = rule.get("kind")
            if kind is not None and kind not in KINDS:
                raise self.fail(
                    f"accept rule {nth + 1}: kind must be one of {', '.join(KINDS)}",
                    "accept",
                    "kind",
                    nth,
                )
            why = rule.get("why", "")
            if not isinstance(why, str):
                raise self.fail(
                    f"accept rule {nth + 1}: why must be a string", "accept", "why", nth
                )
            out.append(
                AcceptRule(
                    kind=kind,
                    match=self.regex(rule["match"], re.I, "accept", "match", nth)
                    if "match" in rule
                    else None,
                    where=self.regex(rule["where"], 0, "accept", "where", nth)
                    if "where" in rule
                    else None,
                    why=why,
                )
            )
        return tuple(out)

    def redact(self, data: dict[str, Any]) -> tuple[RedactRule, ...]:
        table = data.get("redact", {})
        if not isinstance(table, dict):
            raise self.fail("redact must be a table of regex = replacement", "redact")
        out: list[RedactRule] = []
        for key, replacement in table.items():
            if not isinstance(replacement, str):
                raise self.fail(
                    f"redact: the replacement for {key!r} must be a string", "redact", key
                )
            if self.regex(key, re.I, "redact", key).fullmatch("") is not None:
                raise self.fail(f"redact: {key!r} matches the empty string", "redact", key)
            pattern = self.regex(rf"(?<!\w)(?:{key})(?!\w)", re.I, "redact", key)
            out.append(RedactRule(key, pattern, replacement))
        return tuple(out)
