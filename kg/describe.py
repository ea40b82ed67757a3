"""The dataset's dumps and its description (VoID, DCAT, PROV), written by ``qikg build``.

Dumps are named ``{study}-{version}.{ext}`` after the study id and the package version, with
their SHA-256 sums in ``SHA256SUMS``. The description says what the dataset holds (figures
counted by SPARQL over the built store), where its dumps are, what terms of use apply and when
it was built. The build time lives here only, never in the per-document graphs, so that those
stay the same from one build of the same inputs to the next.

The description assumes the service root is the base IRI: the SPARQL endpoint is
``{base}sparql`` and the dumps are under ``{base}dumps/``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from qikg import __version__

from .iris import ONTOLOGY_IRI, QIKG, Iris
from .runs import Runs
from .store import Store

DCAT = Namespace("http://www.w3.org/ns/dcat#")
"""DCAT 3 (rdflib's own ``DCAT`` namespace object lacks the version terms)."""
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")

DUMPS_DIR = "dumps"
SUMS_FILE = "SHA256SUMS"
DESCRIPTION_TTL = "description.ttl"
SOFTWARE_IRI = "https://w3id.org/qikg/software"
MIT = "https://spdx.org/licenses/MIT"
PAPER_DOI = "10.1007/s10664-024-10536-7"
PAPER_CITATION = (
    "Côté, P.-O., Nikanjam, A., Bouchoucha, R., Basta, I., Abidi, M., & Khomh, F. (2024). "
    "Quality issues in machine learning software systems. "
    "Empirical Software Engineering, 29(6). https://doi.org/10.1007/s10664-024-10536-7"
)
TERMS_OF_USE = (
    "The replication package states no licence; its README asks that any use cite the paper."
)
"""The terms of use of the data, exactly as the corpus states them (no licence is claimed)."""

_IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class DumpFormat:
    """One dump: its file-name extension, media type and (if compressed) content encoding."""

    ext: str
    media_type: str
    encoding: str | None = None


DUMP_FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat("ttl", "text/turtle"),
    DumpFormat("nt.gz", "application/n-triples", "gzip"),
    DumpFormat("jsonld", "application/ld+json"),
    DumpFormat("trig", "application/trig"),
)
"""Turtle (all triples merged), gzipped N-Triples, JSON-LD and TriG (both keep the graphs)."""


@dataclass(frozen=True)
class Dump:
    """A dump file as written: its name, format, size in bytes and SHA-256."""

    name: str
    format: DumpFormat
    size: int
    sha256: str


def dataset_version(study: str) -> str:
    """The dataset's version: the study id and the version of the software that built it."""
    return f"{study}-{__version__}"


def dataset_iri(iris: Iris) -> URIRef:
    return URIRef(f"{iris.root}/dataset")


def version_iri(iris: Iris) -> URIRef:
    return URIRef(f"{iris.root}/dataset/{__version__}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_dumps(folder: Path, nquads: Path, turtle: Path, trig: Path, study: str) -> list[Dump]:
    """Write the versioned dumps of the dataset in ``nquads`` into ``folder`` with SHA256SUMS.

    ``turtle`` and ``trig`` are the build's own merged Turtle and TriG files, copied as they are.
    The others are written from ``nquads`` quad by quad: the dataset is never held in memory.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = dataset_version(study)
    dumps: list[Dump] = []
    for fmt in DUMP_FORMATS:
        path = folder / f"{stem}.{fmt.ext}"
        if fmt.ext == "ttl":
            shutil.copyfile(turtle, path)
        elif fmt.ext == "trig":
            shutil.copyfile(trig, path)
        elif fmt.ext == "nt.gz":
            write_ntriples(nquads, path)
        else:
            ox.serialize(_quads(nquads), path, ox.RdfFormat.JSON_LD)
        dumps.append(Dump(path.name, fmt, path.stat().st_size, sha256_of(path)))
    sums = "".join(f"{d.sha256}  {d.name}\n" for d in dumps)
    (folder / SUMS_FILE).write_text(sums, encoding="utf-8")
    return dumps


def write_ntriples(nquads: Path, path: Path) -> None:
    """Gzip the distinct triples of the sorted ``nquads`` as sorted N-Triples lines.

    Each line of the file is its triple's text, a space, then the graph: a triple's copies in
    several graphs are adjacent lines, and the distinct triples come in the order of their own
    N-Triples lines. Two lines first differ either inside both triples' text, at the same place
    as the triples' lines do, or where the shorter triple's text ends: it is followed by a
    space, the longer by a character of its object (``@``, ``^``, a blank node label's), all
    above the space, in both kinds of line. This holds while pyoxigraph writes each term as the
    file has it (the build writes the file with rdflib); a file that writes a term otherwise
    (``"a"^^xsd:string`` for ``"a"``) is caught out of order and its triples are sorted on
    disk instead.
    """
    if _gzip_sorted(path, _triple_lines(nquads)):
        return
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        runs = Runs(Path(tmp))
        lines = _triple_lines(nquads)
        while chunk := set(islice(lines, RUN_LINES)):
            runs.add(chunk)
        if not _gzip_sorted(path, runs.merged()):
            raise AssertionError("the merged runs are sorted")


RUN_LINES = 200_000
"""Triples sorted at once when a dataset's lines are not in the order of their triples."""
_GZIP_BLOCK = 1 << 20


def _quads(nquads: Path) -> Iterator[ox.Quad]:
    return iter(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS))


def _triple_lines(nquads: Path) -> Iterator[str]:
    return (str(q.triple) + " .\n" for q in _quads(nquads))


def _gzip_sorted(path: Path, lines: Iterable[str]) -> bool:
    """Gzip ``lines`` into ``path``, each once; False as soon as one comes before the last."""
    last = ""
    block: list[str] = []
    size = 0
    # mtime=0 and no file name in the header: the same data gives the same bytes
    with path.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        for line in lines:
            if line == last:
                continue
            if line < last:
                return False
            block.append(line)
            size += len(line)
            last = line
            if size >= _GZIP_BLOCK:
                gz.write("".join(block).encode("utf-8"))
                block, size = [], 0
        gz.write("".join(block).encode("utf-8"))
    return True


def _rows(store: Store, query: str) -> list[dict[str, str]]:
    result = store.query(query)
    data = json.loads(store.serialize_result(result, "application/sparql-results+json"))
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def _count(store: Store, query: str) -> int:
    rows = _rows(store, query)
    return int(rows[0]["n"]) if rows else 0


def _vocabulary(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def describe(
    store: Store, iris: Iris, dumps: list[Dump], *, issued: datetime | None = None
) -> Graph:
    """The VoID, DCAT and PROV description of the dataset in ``store``."""
    issued = issued or datetime.now(UTC).replace(microsecond=0)
    g = Graph()
    for prefix, ns in (
        ("void", VOID),
        ("dcat", DCAT),
        ("dcterms", DCTERMS),
        ("prov", PROV),
        ("spdx", SPDX),
        ("qikg", QIKG),
    ):
        g.bind(prefix, ns)
    ds, version = dataset_iri(iris), version_iri(iris)
    base = iris.base
    endpoint = URIRef(f"{base}sparql")
    paper = URIRef(f"https://doi.org/{PAPER_DOI}")
    software = URIRef(SOFTWARE_IRI)
    title = "Quality issues in machine learning software systems: the coded interviews"
    when = Literal(issued.isoformat(), datatype=XSD.dateTime)

    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCAT.hasVersion, version))
    g.add((ds, DCTERMS.title, Literal(title, lang="en")))
    for node in (ds, version):
        g.add((node, DCTERMS.bibliographicCitation, Literal(PAPER_CITATION)))
        g.add((node, DCTERMS.rights, Literal(TERMS_OF_USE, lang="en")))
        g.add((node, DCTERMS.source, paper))
        g.add((node, DCTERMS.isReferencedBy, paper))
    g.add((version, RDF.type, DCAT.Dataset))
    g.add((version, RDF.type, VOID.Dataset))
    g.add((version, DCTERMS.isVersionOf, ds))
    g.add((version, DCAT.version, Literal(__version__)))
    g.add((version, DCTERMS.title, Literal(f"{title} ({dataset_version(iris.study)})", lang="en")))
    g.add(
        (
            version,
            DCTERMS.description,
            Literal(
                "The coded interview transcripts of the study, with the study's codebook, as RDF: "
                "interviews, documents, speaker turns, paragraphs and coded excerpts.",
                lang="en",
            ),
        )
    )
    g.add((version, DCTERMS.issued, when))
    g.add((version, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)))

    # PROV: the build that made this version, and when.
    build = URIRef(f"{version}/build")
    g.add((version, PROV.wasGeneratedBy, build))
    g.add((build, RDF.type, PROV.Activity))
    g.add((build, PROV.endedAtTime, when))
    g.add((build, PROV.wasAssociatedWith, software))
    g.add((build, QIKG.softwareVersion, Literal(__version__)))
    g.add((software, DCTERMS.license, URIRef(MIT)))
    g.add((URIRef(ONTOLOGY_IRI), DCTERMS.license, URIRef(MIT)))

    # VoID: figures counted in the store.
    triples = store.triple_count()
    g.add((version, VOID.triples, Literal(triples, datatype=XSD.integer)))
    entities = _count(
        store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"
    )
    g.add((version, VOID.entities, Literal(entities, datatype=XSD.integer)))
    g.add((version, VOID.uriSpace, Literal(f"{iris.root}/")))
    g.add((version, VOID.sparqlEndpoint, endpoint))
    g.add((version, VOID.rootResource, iris.study_iri()))
    vocabularies: set[str] = set()
    classes = _rows(
        store,
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } "
        "GROUP BY ?c ORDER BY ?c",
    )
    g.add((version, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    for row in classes:
        part = BNode()
        g.add((version, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["c"])))
        g.add((part, VOID.entities, Literal(int(row["n"]), datatype=XSD.integer)))
        vocabularies.add(_vocabulary(row["c"]))
    props = _rows(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
    g.add((version, VOID.properties, Literal(len(props), datatype=XSD.integer)))
    for row in props:
        part = BNode()
        g.add((version, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["p"])))
        g.add((part, VOID.triples, Literal(int(row["n"]), datatype=XSD.integer)))
        vocabularies.add(_vocabulary(row["p"]))
    for vocab in sorted(vocabularies):
        g.add((version, VOID.vocabulary, URIRef(vocab)))

    # DCAT: the dumps and the SPARQL endpoint.
    for dump in dumps:
        url = URIRef(f"{base}{DUMPS_DIR}/{dump.name}")
        dist = URIRef(f"{version}/distribution/{dump.format.ext.replace('.', '-')}")
        g.add((version, VOID.dataDump, url))
        g.add((version, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(dump.name)))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, URIRef(_IANA + dump.format.media_type)))
        if dump.format.encoding == "gzip":
            g.add((dist, DCAT.compressFormat, URIRef(_IANA + "application/gzip")))
        g.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.rights, Literal(TERMS_OF_USE, lang="en")))
        checksum = BNode()
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    service = URIRef(f"{base}sparql")
    g.add((version, DCAT.distribution, URIRef(f"{version}/distribution/sparql")))
    g.add((URIRef(f"{version}/distribution/sparql"), RDF.type, DCAT.Distribution))
    g.add((URIRef(f"{version}/distribution/sparql"), DCAT.accessService, service))
    g.add((URIRef(f"{version}/distribution/sparql"), DCAT.accessURL, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, version))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    return g


def schema_org(description: Graph, iris: Iris) -> dict[str, object]:
    """The schema.org ``Dataset`` of the landing page, read off the description."""
    version = version_iri(iris)
    downloads: list[dict[str, object]] = []
    for dist in description.objects(version, DCAT.distribution):
        url = description.value(dist, DCAT.downloadURL)
        media = description.value(dist, DCAT.mediaType)
        if url is None or media is None:
            continue
        size = description.value(dist, DCAT.byteSize)
        downloads.append(
            {
                "@type": "DataDownload",
                "contentUrl": str(url),
                "encodingFormat": str(media).removeprefix(_IANA),
                "contentSize": f"{size} B" if size is not None else None,
            }
        )
    downloads.sort(key=lambda d: str(d["contentUrl"]))
    issued = description.value(version, DCTERMS.issued)
    triples = description.value(version, VOID.triples)
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": str(version),
        "name": str(description.value(dataset_iri(iris), DCTERMS.title) or ""),
        "description": str(description.value(version, DCTERMS.description) or ""),
        "version": __version__,
        "url": str(dataset_iri(iris)),
        "datePublished": str(issued) if issued is not None else None,
        "citation": PAPER_CITATION,
        "isBasedOn": f"https://doi.org/{PAPER_DOI}",
        "conditionsOfAccess": TERMS_OF_USE,
        "usageInfo": TERMS_OF_USE,
        "size": f"{triples} triples" if triples is not None else None,
        "distribution": downloads,
    }
