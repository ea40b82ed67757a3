"""HTML documentation of the qikg ontology: one self-contained page, made at build time.

Every class, property and named individual gets an anchor (its local name) with its label,
definition, notes, domain and range, super- and subclasses, property chains and the mappings
the alignment modules give it. The page has its style inline and loads nothing from elsewhere:
it reads the same offline as served at the ontology's IRI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup, escape
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from qikg import ontology

from .iris import ONTOLOGY_IRI, QIKG

PREFIXES = {
    "qikg": str(QIKG),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": str(SKOS),
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "dcterms": str(DCTERMS),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "disco": "http://rdf-vocabulary.ddialliance.org/discovery#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "mls": "http://www.w3.org/ns/mls#",
    "airo": "https://w3id.org/airo#",
    "vair": "https://w3id.org/vair#",
    "squap": "https://w3id.org/squap/SoftwareQuality/",
    "cote2024": "https://w3id.org/qikg/cote2024/",
}
KINDS = (
    ("classes", "Classes", OWL.Class),
    ("object-properties", "Object properties", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
    ("individuals", "Named individuals", OWL.NamedIndividual),
)
MAPPINGS = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)


@dataclass
class Term:
    """What the page says about one term of the ontology."""

    anchor: str
    iri: str
    label: str
    definition: str
    notes: list[str] = field(default_factory=list)
    facts: list[tuple[str, Markup]] = field(default_factory=list)
    mappings: list[tuple[str, Markup]] = field(default_factory=list)


def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and iri != ns:
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def link(node: Node) -> Markup:
    """A term as a link: to its anchor on this page for qikg terms, to its IRI otherwise."""
    iri = str(node)
    if iri.startswith(str(QIKG)):
        return Markup('<a href="#{0}">{1}</a>').format(iri[len(str(QIKG)) :], curie(iri))
    return Markup('<a href="{0}">{1}</a>').format(iri, curie(iri))


def expression(graph: Graph, node: Node) -> Markup:
    """A class or property expression in words: unions, intersections, restrictions."""
    if isinstance(node, URIRef):
        return link(node)
    if not isinstance(node, BNode):
        return Markup(escape(str(node)))
    for op, word in ((OWL.unionOf, " or "), (OWL.intersectionOf, " and ")):
        members = graph.value(node, op)
        if members is not None:
            parts = [expression(graph, m) for m in Collection(graph, members)]
            return Markup("(") + Markup(word).join(parts) + Markup(")")
    inverse = graph.value(node, OWL.inverseOf)
    if inverse is not None:
        return Markup("inverse of ") + expression(graph, inverse)
    prop = graph.value(node, OWL.onProperty)
    if prop is not None:
        for op, word in (
            (OWL.someValuesFrom, "some"),
            (OWL.allValuesFrom, "only"),
            (OWL.hasValue, "value"),
        ):
            value = graph.value(node, op)
            if value is not None:
                inner = expression(graph, value)
                if isinstance(value, BNode) and graph.value(value, OWL.onProperty) is not None:
                    inner = Markup("(") + inner + Markup(")")
                return Markup("{0} {1} {2}").format(expression(graph, prop), word, inner)
    return Markup("(an anonymous expression)")


def _text(graph: Graph, s: Node, p: URIRef) -> str:
    values = [o for o in graph.objects(s, p) if isinstance(o, Literal)]
    english = [o for o in values if o.language in (None, "en")]
    chosen = english or values
    return str(chosen[0]) if chosen else ""


def _term(graph: Graph, alignments: Graph, node: URIRef) -> Term:
    iri = str(node)
    term = Term(
        anchor=iri[len(str(QIKG)) :],
        iri=iri,
        label=_text(graph, node, RDFS.label),
        definition=_text(graph, node, SKOS.definition),
        notes=[str(o) for o in graph.objects(node, SKOS.scopeNote)],
    )
    facts: list[tuple[str, Node]] = []
    for p, name in (
        (RDF.type, "type"),
        (RDFS.subClassOf, "subclass of"),
        (OWL.equivalentClass, "equivalent to"),
        (RDFS.subPropertyOf, "subproperty of"),
        (RDFS.domain, "domain"),
        (RDFS.range, "range"),
        (SKOS.inScheme, "in scheme"),
    ):
        for o in sorted(graph.objects(node, p), key=str):
            if p == RDF.type and o in (OWL.Class, OWL.NamedIndividual):
                continue
            facts.append((name, o))
    facts += [("has subclass", s) for s in sorted(graph.subjects(RDFS.subClassOf, node), key=str)]
    for chain in graph.objects(node, OWL.propertyChainAxiom):
        steps = [expression(graph, step) for step in Collection(graph, chain)]
        term.facts.append(("property chain", Markup(" then ").join(steps)))
    term.facts[:0] = [(name, expression(graph, o)) for name, o in facts]
    for p in MAPPINGS:
        for o in sorted(alignments.objects(node, p), key=str):
            term.mappings.append((curie(str(p)), expression(alignments, o)))
    return term


def terms(graph: Graph, alignments: Graph) -> dict[str, list[Term]]:
    """The ontology's own terms by kind, each sorted by local name."""
    out: dict[str, list[Term]] = {}
    for key, _, kind in KINDS:
        nodes = {
            s
            for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and str(s).startswith(str(QIKG))
        }
        out[key] = [_term(graph, alignments, n) for n in sorted(nodes, key=str)]
    return out


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1d1d1f; }
h1 { font-size: 1.8rem; } h2 { border-bottom: 2px solid #ccc; margin-top: 2.5rem; }
section.term { border-left: 4px solid #5b7db1; padding: .2rem 1rem; margin: 1.2rem 0; }
section.term h3 { margin: .3rem 0; font-size: 1.15rem; }
code, .iri { font-family: ui-monospace, monospace; font-size: .9em; color: #444; }
dl { display: grid; grid-template-columns: 10rem 1fr; gap: .2rem 1rem; margin: .4rem 0; }
dt { font-weight: 600; color: #555; } dd { margin: 0; }
nav ul { columns: 3; font-size: .9rem; } a { color: #1a4f9c; }
.note { color: #555; font-style: italic; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<dl>
<dt>IRI</dt><dd><code>{{ iri }}</code></dd>
<dt>version</dt><dd>{{ version }} (<code>{{ version_iri }}</code>)</dd>
<dt>licence</dt><dd><a href="{{ licence }}">{{ licence }}</a></dd>
<dt>creator</dt><dd>{{ creator }}</dd>
<dt>namespace</dt><dd><code>{{ namespace }}</code> (prefix <code>qikg:</code>)</dd>
</dl>
<p>{{ description }}</p>
{% for note in changes %}<p class="note">{{ note }}</p>{% endfor %}
</header>
<nav><h2>Contents</h2>
{% for key, heading, items in sections %}<h3><a href="#{{ key }}">{{ heading }}</a></h3>
<ul>{% for t in items %}<li><a href="#{{ t.anchor }}">{{ t.anchor }}</a></li>{% endfor %}</ul>
{% endfor %}
<h3><a href="#alignments">Alignment modules</a></h3>
</nav>
{% for key, heading, items in sections %}
<h2 id="{{ key }}">{{ heading }}</h2>
{% for t in items %}
<section class="term" id="{{ t.anchor }}">
<h3>{{ t.label }} <span class="iri">qikg:{{ t.anchor }}</span></h3>
<p>{{ t.definition }}</p>
{% for note in t.notes %}<p class="note">{{ note }}</p>{% endfor %}
<dl>
<dt>IRI</dt><dd><code>{{ t.iri }}</code></dd>
{% for name, value in t.facts %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}
{% for name, value in t.mappings %}<dt>{{ name }} (alignment)</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
</section>
{% endfor %}
{% endfor %}
<h2 id="alignments">Alignment modules</h2>
<p>Declared in <code>ontology/alignments</code>, never imported;
the mappings above come from them.</p>
<ul>
{% for m in modules %}<li><code>{{ m.iri }}</code>: <strong>{{ m.title }}</strong>.
{{ m.description }}</li>
{% endfor %}
</ul>
</body>
</html>
"""


@dataclass(frozen=True)
class Module:
    iri: str
    title: str
    description: str


def render_html(graph: Graph | None = None, alignments: Graph | None = None) -> str:
    """The documentation page of the ontology (by default the shipped one) as HTML text."""
    graph = graph if graph is not None else ontology.ontology_graph()
    alignments = alignments if alignments is not None else ontology.alignments_graph()
    onto = URIRef(ONTOLOGY_IRI)
    by_kind = terms(graph, alignments)
    modules = [
        Module(
            str(m), _text(alignments, m, DCTERMS.title), _text(alignments, m, DCTERMS.description)
        )
        for m in sorted(alignments.subjects(RDF.type, OWL.Ontology), key=str)
    ]
    env = Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(TEMPLATE).render(
        title=_text(graph, onto, DCTERMS.title),
        iri=ONTOLOGY_IRI,
        version=_text(graph, onto, OWL.versionInfo),
        version_iri=str(graph.value(onto, OWL.versionIRI)),
        licence=str(graph.value(onto, DCTERMS.license)),
        creator=_text(graph, onto, DCTERMS.creator),
        namespace=str(QIKG),
        description=_text(graph, onto, DCTERMS.description),
        changes=sorted((str(o) for o in graph.objects(onto, SKOS.changeNote)), reverse=True),
        sections=[(key, heading, by_kind[key]) for key, heading, _ in KINDS],
        modules=modules,
    )


def write_docs(out_dir: Path) -> Path:
    """Write ``index.html``, the ontology's documentation, into ``out_dir``; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    path.write_text(render_html(), encoding="utf-8")
    return path
