"""A code's facts and evidence for its page, in two light queries and a lookup.

The named queries ``code-profile`` and ``evidence`` give the same facts, but they count and find
the question in effect for every excerpt inside SPARQL, which costs a page view too much. Here
the question in effect (the last question id applied at or before the paragraph, in the same
coding) is looked up in Python from the question ids' positions, read once per page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import pyoxigraph as ox
from flask import current_app

from qikg.kg.store import Store

from .memo import memo_for
from .pages import select
from .state import state_of

FACTS = """SELECT ?code ?field ?value ?value_label WHERE {
  {
    ?code skos:notation ?value . BIND("notation" AS ?field) BIND(1 AS ?order)
  } UNION {
    ?code skos:prefLabel ?value . BIND("label" AS ?field) BIND(2 AS ?order)
  } UNION {
    ?code skos:altLabel ?value . BIND("variant" AS ?field) BIND(3 AS ?order)
  } UNION {
    ?code skos:definition ?value . BIND("definition" AS ?field) BIND(4 AS ?order)
  } UNION {
    ?code a ?kind .
    VALUES (?kind ?value) {
      (qikg:QualityIssue "quality issue") (qikg:Mitigation "mitigation")
      (qikg:GenericMitigation "generic mitigation") (qikg:CodeFamily "code family")
      (qikg:DataCollectionTechnique "data collection technique")
      (qikg:PositiveFinding "positive finding") (qikg:CodingNote "coding note")
      (qikg:UncuratedCode "uncurated code")
    }
    BIND("kind" AS ?field) BIND(5 AS ?order)
  } UNION {
    ?code qikg:codeFamily ?value . OPTIONAL { ?value skos:notation ?value_label }
    BIND("family" AS ?field) BIND(6 AS ?order)
  } UNION {
    ?code qikg:mlPhase ?phase .
    BIND(LCASE(REPLACE(STRAFTER(STR(?phase), "#Phase"), "(.)([A-Z])", "$1-$2")) AS ?value)
    BIND("ml phase" AS ?field) BIND(7 AS ?order)
  } UNION {
    ?code qikg:addresses ?value . OPTIONAL { ?value skos:notation ?value_label }
    BIND("addresses" AS ?field) BIND(8 AS ?order)
  } UNION {
    ?value qikg:addresses ?code . OPTIONAL { ?value skos:notation ?value_label }
    BIND("addressed by" AS ?field) BIND(9 AS ?order)
  } UNION {
    ?code ?match ?value .
    VALUES (?match ?field) {
      (skos:exactMatch "exact match") (skos:closeMatch "close match")
      (skos:broadMatch "broad match") (skos:narrowMatch "narrow match")
      (skos:relatedMatch "related match")
    }
    OPTIONAL { ?value skos:notation ?n . OPTIONAL { ?value skos:prefLabel ?l } }
    OPTIONAL { ?value rdfs:label ?rl }
    BIND(COALESCE(CONCAT(?n, " ", ?l), ?n, STR(?rl)) AS ?value_label)
    BIND(10 AS ?order)
  }
} ORDER BY ?order STR(?value)"""

EVIDENCE = """SELECT ?code ?excerpt ?quote ?turn ?tp ?pp ?speaker ?role ?number ?document
       ?class ?coder WHERE {
  ?excerpt qikg:hasCode ?code ; qikg:inDocument ?document ; qikg:quote ?quote ;
           qikg:excerptOf ?para .
  ?document a ?class ; qikg:ofInterview ?i .
  VALUES ?class { qikg:ModeratedCoding qikg:Coding }
  ?i qikg:interviewNumber ?number .
  ?para qikg:inTurn ?turn ; qikg:position ?pp .
  ?turn qikg:position ?tp ; qikg:speakerLabel ?speaker ; qikg:speakerRole ?roleNode .
  BIND(LCASE(STRAFTER(STR(?roleNode), "#Role")) AS ?role)
  OPTIONAL { ?excerpt prov:wasAttributedTo/foaf:name ?coder }
} ORDER BY ?number ?coder ?tp ?pp"""

AGREED = """SELECT DISTINCT ?number WHERE {
  ?d a qikg:ModeratedCoding ; qikg:ofInterview ?i . ?i qikg:interviewNumber ?number .
  FILTER EXISTS { ?e qikg:inDocument ?d ; qikg:hasCode ?c }
}"""
"""The interviews whose moderated coding carries codes: their evidence is the moderated one."""

QUESTIONS = """SELECT ?document ?tp ?pp ?id ?text WHERE {
  ?e qikg:answersQuestion ?q ; qikg:inDocument ?document ; qikg:excerptOf ?para .
  ?para qikg:position ?pp ; qikg:inTurn ?turn . ?turn qikg:position ?tp .
  ?q skos:notation ?id .
  OPTIONAL {
    ?document qikg:ofInterview/qikg:usesGuide ?guide .
    ?q qikg:hasWording ?w . ?w qikg:inGuide ?guide ; qikg:questionText ?text .
  }
}"""


MODERATED = "https://w3id.org/qikg/ontology#ModeratedCoding"


def facts(store: Store, code: str) -> list[dict[str, str]]:
    """Field, value and value label of every fact about ``code`` (an IRI)."""
    return select(store, FACTS, {"code": ox.NamedNode(code)})


@dataclass(frozen=True)
class Asked:
    """The question ids applied at one place of a coding, with their wording."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]


def questions(store: Store) -> dict[str, tuple[list[tuple[int, int]], list[Asked]]]:
    """Per coding, the places where question ids were applied (sorted) and what was asked."""
    found: dict[str, dict[tuple[int, int], tuple[set[str], set[str]]]] = {}
    for r in select(store, QUESTIONS):
        place = (int(r["tp"]), int(r["pp"]))
        ids, texts = found.setdefault(r["document"], {}).setdefault(place, (set(), set()))
        ids.add(r["id"])
        if r.get("text"):
            texts.add(r["text"])
    return {
        doc: (
            sorted(places),
            [
                Asked(tuple(sorted(places[p][0])), tuple(sorted(places[p][1])))
                for p in sorted(places)
            ],
        )
        for doc, places in found.items()
    }


def evidence(store: Store, code: str) -> list[dict[str, str]]:
    """Every coded paragraph of ``code`` with its question in effect (``question`` and
    ``question_text``; empty where none was asked before it)."""
    found = select(store, EVIDENCE, {"code": ox.NamedNode(code)})
    if not found:
        return []
    memo = memo_for(state_of(current_app), store)
    agreed = memo.get("agreed", lambda s: {int(r["number"]) for r in select(s, AGREED)})
    asked = memo.get("questions", questions)
    rows = []
    for row in found:
        moderated = row["class"] == MODERATED
        if moderated != (int(row["number"]) in agreed):
            continue
        row["coding"] = "moderated" if moderated else "coder"
        rows.append(row)
        places, what = asked.get(row["document"], ([], []))
        at = bisect.bisect_right(places, (int(row["tp"]), int(row["pp"]))) - 1
        row["question"] = " ".join(what[at].ids) if at >= 0 else ""
        row["question_text"] = " | ".join(what[at].texts) if at >= 0 else ""
    return rows
