"""The SPARQL 1.1 Service Description of the endpoint, answered to a GET without a query."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from .conneg import GRAPH_FORMATS, JSONLD, NTRIPLES, RDFXML, RESULT_FORMATS, TURTLE, Format

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")

_RDFLIB_FORMATS: dict[Format, str] = {
    TURTLE: "turtle",
    NTRIPLES: "nt",
    JSONLD: "json-ld",
    RDFXML: "xml",
}


def service_description(
    endpoint: str, named_graphs: Iterable[str], *, triples: int, title: str
) -> Graph:
    """Describe the endpoint at ``endpoint``: language, formats, features and its dataset."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    service = BNode("service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        assert fmt.iri is not None
        g.add((service, SD.resultFormat, URIRef(fmt.iri)))
    dataset = BNode("dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, DCTERMS.title, Literal(title, lang="en")))
    default_graph = BNode("defaultGraph")
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    g.add((default_graph, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for name in named_graphs:
        node = BNode()
        g.add((dataset, SD.namedGraph, node))
        g.add((node, RDF.type, SD.NamedGraph))
        g.add((node, SD.name, URIRef(name)))
    return g


def serialize_description(graph: Graph, fmt: Format) -> bytes:
    """Write the description in one of the graph formats."""
    return graph.serialize(format=_RDFLIB_FORMATS[fmt], encoding="utf-8")
