"""Minting of every IRI in a dataset: readable, scoped by study, deterministic.

All data IRIs hang below one configurable base (``https://w3id.org/qikg/`` by default)::

    {base}{study}                                   the study
    {base}{study}/interview/{n}                     an interview
    {base}{study}/interview/{n}/participant         its interviewee
    {base}{study}/interview/{n}/interviewer/{k}     interviewer k (unnumbered: ``.../interviewer``)
    {base}{study}/interview/{n}/{doc}               a document: ``transcript``, ``coding-{coder}``
                                                    or ``moderation-{moderator}``
    {base}{study}/interview/{n}/{doc}/turn/{t}      turn t (1-based)
    {base}{study}/interview/{n}/{doc}/turn/{t}/{p}  paragraph p of turn t
    {base}{study}/interview/{n}/{doc}/excerpt/{t}.{p}  the coded excerpt of that paragraph
    {base}{study}/code/{notation}                   a code of the study's codebook
    {base}{study}/question/{id}                     a guide question id as coders used it
    {base}{study}/guide/{name}                      an interview guide
    {base}{study}/researcher/{name}                 a coder or moderator
    {base}{study}/codebook                          the codebook (a SKOS concept scheme)

Named graphs: each document's triples in ``{document}/graph``, an interview's own facts in
``{interview}/graph``, the codebook in ``{base}{study}/codebook/graph``, the study's
metadata in ``{base}{study}/graph`` and the ontology in its own IRI.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rdflib import Namespace, URIRef

from .model import Document, DocumentKind

DEFAULT_BASE = "https://w3id.org/qikg/"
ONTOLOGY_IRI = "https://w3id.org/qikg/ontology"
QIKG = Namespace(ONTOLOGY_IRI + "#")
"""The ontology's namespace; fixed, whatever base the data is published under."""


def slug(text: str) -> str:
    """A readable, IRI-safe path segment: ASCII letters, digits, ``-`` and ``.``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9.]+", "-", ascii_text).strip("-.")
    return cleaned.lower() or "x"


def code_slug(notation: str) -> str:
    """The path segment of a code: its notation lower-cased, ``[ME]`` written ``-me``."""
    return slug(notation.replace("[", "-").replace("]", ""))


@dataclass(frozen=True)
class Iris:
    """Mints the IRIs of one study under one base IRI."""

    base: str = DEFAULT_BASE
    study: str = "cote2024"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+/", self.base):
            raise ValueError(f"base IRI must be an http(s) IRI ending in '/': {self.base!r}")
        if slug(self.study) != self.study:
            raise ValueError(
                f"study id must be a lower-case slug such as 'cote2024': {self.study!r}"
            )

    @property
    def root(self) -> str:
        return f"{self.base}{self.study}"

    def study_iri(self) -> URIRef:
        return URIRef(self.root)

    def study_graph(self) -> URIRef:
        return URIRef(f"{self.root}/graph")

    def interview(self, number: int) -> URIRef:
        return URIRef(f"{self.root}/interview/{number}")

    def interview_graph(self, number: int) -> URIRef:
        return URIRef(f"{self.interview(number)}/graph")

    def participant(self, number: int) -> URIRef:
        return URIRef(f"{self.interview(number)}/participant")

    def interviewer(self, number: int, k: int | None) -> URIRef:
        """Interviewer k of an interview; an unnumbered label gives ``.../interviewer``."""
        suffix = "" if k is None else f"/{k}"
        return URIRef(f"{self.interview(number)}/interviewer{suffix}")

    def document_slug(self, doc: Document) -> str:
        kind = doc.kind or DocumentKind.CODING
        if kind is DocumentKind.TRANSCRIPT:
            return "transcript"
        return f"{kind.value}-{slug(doc.person or 'unnamed')}"

    def document(self, doc: Document) -> URIRef:
        return URIRef(f"{self.interview(doc.interview)}/{self.document_slug(doc)}")

    def document_graph(self, doc: Document) -> URIRef:
        return URIRef(f"{self.document(doc)}/graph")

    def turn(self, doc: Document, t: int) -> URIRef:
        return URIRef(f"{self.document(doc)}/turn/{t}")

    def paragraph(self, doc: Document, t: int, p: int) -> URIRef:
        return URIRef(f"{self.document(doc)}/turn/{t}/{p}")

    def excerpt(self, doc: Document, t: int, p: int) -> URIRef:
        return URIRef(f"{self.document(doc)}/excerpt/{t}.{p}")

    def code(self, notation: str) -> URIRef:
        return URIRef(f"{self.root}/code/{code_slug(notation)}")

    def codebook(self) -> URIRef:
        return URIRef(f"{self.root}/codebook")

    def codebook_graph(self) -> URIRef:
        return URIRef(f"{self.root}/codebook/graph")

    def question(self, qid: str) -> URIRef:
        return URIRef(f"{self.root}/question/{qid}")

    def guide(self, name: str) -> URIRef:
        return URIRef(f"{self.root}/guide/{slug(name)}")

    def researcher(self, name: str) -> URIRef:
        return URIRef(f"{self.root}/researcher/{slug(name)}")
