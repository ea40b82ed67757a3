"""The dumps, checksums and dataset description written by ``qikg build``."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF

from qikg import __version__
from qikg.kg.build import build, example_inputs
from qikg.kg.describe import TERMS_OF_USE

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
QIKG = Namespace("https://w3id.org/qikg/ontology#")
STEM = f"cote2024-{__version__}"
NAMES = {f"{STEM}.ttl", f"{STEM}.nt.gz", f"{STEM}.jsonld", f"{STEM}.trig"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dumps") / "ds"
    build(example_inputs(), out)
    return out


def _nq_lines(out: Path) -> int:
    text = (out / "dataset.nq").read_text(encoding="utf-8")
    return sum(1 for line in text.splitlines() if line.strip())


def _description(out: Path) -> Graph:
    return Graph().parse(out / "description.ttl", format="turtle")


def test_dump_files_are_versioned_and_summed(built: Path) -> None:
    dumps = built / "dumps"
    assert {p.name for p in dumps.iterdir()} == NAMES | {"SHA256SUMS"}
    sums = {}
    for line in (dumps / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ")
        sums[name] = digest
    assert set(sums) == NAMES
    for name, digest in sums.items():
        assert hashlib.sha256((dumps / name).read_bytes()).hexdigest() == digest
    manifest = json.loads((built / "build.json").read_text(encoding="utf-8"))
    assert manifest["version"] == STEM
    assert {d["file"]: d["sha256"] for d in manifest["dumps"]} == sums


def test_gzipped_ntriples_hold_every_triple(built: Path) -> None:
    data = gzip.decompress((built / "dumps" / f"{STEM}.nt.gz").read_bytes())
    g = Graph().parse(data=data.decode("utf-8"), format="nt")
    assert len(g) == _nq_lines(built)


def test_jsonld_and_trig_keep_the_quads(built: Path) -> None:
    expected = _nq_lines(built)
    for name, fmt in (
        (f"{STEM}.jsonld", ox.RdfFormat.JSON_LD),
        (f"{STEM}.trig", ox.RdfFormat.TRIG),
    ):
        quads = list(ox.parse(path=built / "dumps" / name, format=fmt))
        assert len(quads) == expected, name
        assert all(isinstance(q.graph_name, ox.NamedNode) for q in quads)


def test_void_counts_match_the_dump(built: Path) -> None:
    g = _description(built)
    version = URIRef(f"https://w3id.org/qikg/cote2024/dataset/{__version__}")
    assert (version, RDF.type, VOID.Dataset) in g
    assert int(g.value(version, VOID.triples)) == _nq_lines(built)  # type: ignore[arg-type]
    assert g.value(version, VOID.uriSpace) == Literal("https://w3id.org/qikg/cote2024/")
    assert g.value(version, VOID.sparqlEndpoint) == URIRef("https://w3id.org/qikg/sparql")
    dumps = {str(o) for o in g.objects(version, VOID.dataDump)}
    assert dumps == {f"https://w3id.org/qikg/dumps/{n}" for n in NAMES}
    vocabularies = {str(o) for o in g.objects(version, VOID.vocabulary)}
    assert "https://w3id.org/qikg/ontology#" in vocabularies
    # the class partition of interviews counts the one interview of the example
    parts = {
        g.value(p, VOID["class"]): int(g.value(p, VOID.entities))  # type: ignore[arg-type]
        for p in g.objects(version, VOID.classPartition)
    }
    assert parts[QIKG.Interview] == 1
    props = {
        g.value(p, VOID.property): int(g.value(p, VOID.triples))  # type: ignore[arg-type]
        for p in g.objects(version, VOID.propertyPartition)
    }
    assert sum(props.values()) == _nq_lines(built)


def test_dcat_distributions_state_type_size_and_checksum(built: Path) -> None:
    g = _description(built)
    dists = [d for d in g.subjects(RDF.type, DCAT.Distribution) if g.value(d, DCAT.downloadURL)]
    assert len(dists) == len(NAMES)
    for d in dists:
        name = str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]
        path = built / "dumps" / name
        assert int(g.value(d, DCAT.byteSize)) == path.stat().st_size  # type: ignore[arg-type]
        checksum = g.value(d, SPDX.checksum)
        assert (
            str(g.value(checksum, SPDX.checksumValue))
            == hashlib.sha256(path.read_bytes()).hexdigest()
        )
        assert str(g.value(d, DCAT.mediaType)).startswith("https://www.iana.org/assignments/")


def test_terms_citation_licences_and_build_time(built: Path) -> None:
    g = _description(built)
    version = URIRef(f"https://w3id.org/qikg/cote2024/dataset/{__version__}")
    assert TERMS_OF_USE == (
        "The replication package states no licence; its README asks that any use cite the paper."
    )
    assert str(g.value(version, DCTERMS.rights)) == TERMS_OF_USE
    assert g.value(version, DCTERMS.license) is None  # no licence is claimed for the data
    assert "10.1007/s10664-024-10536-7" in str(g.value(version, DCTERMS.bibliographicCitation))
    mit = URIRef("https://spdx.org/licenses/MIT")
    assert (URIRef("https://w3id.org/qikg/software"), DCTERMS.license, mit) in g
    assert (URIRef("https://w3id.org/qikg/ontology"), DCTERMS.license, mit) in g
    activity = g.value(version, PROV.wasGeneratedBy)
    assert g.value(activity, PROV.endedAtTime) == g.value(version, DCTERMS.issued) is not None


def test_document_graphs_carry_no_build_time(built: Path) -> None:
    text = (built / "dataset.nq").read_text(encoding="utf-8")
    assert "endedAtTime" not in text and "dcterms/issued" not in text


def test_every_document_traces_to_its_source_file(built: Path) -> None:
    store = ox.Store()
    store.load(path=built / "dataset.nq", format=ox.RdfFormat.N_QUADS)
    docs = store.query(
        "SELECT ?d WHERE { GRAPH ?g { ?d a <https://w3id.org/qikg/ontology#ModeratedCoding> } }"
    )
    assert len(list(docs)) == 1
    missing = list(
        store.query(
            """PREFIX prov: <http://www.w3.org/ns/prov#>
            PREFIX qikg: <https://w3id.org/qikg/ontology#>
            SELECT ?doc WHERE {
              GRAPH ?g { VALUES ?c { qikg:Transcript qikg:Coding qikg:ModeratedCoding } ?doc a ?c }
              FILTER NOT EXISTS { GRAPH ?g {
                ?doc prov:wasDerivedFrom ?src ; prov:wasGeneratedBy ?act .
                ?src qikg:sha256 ?sum ; qikg:fileName ?file .
                ?act prov:wasAssociatedWith ?tool ; qikg:softwareVersion ?v } }
            }"""
        )
    )
    assert missing == []


def test_citation_file_matches_the_package() -> None:
    yaml = pytest.importorskip("yaml")

    root = Path(__file__).resolve().parents[1]
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["version"] == __version__
    assert cff["license"] == "MIT"
    assert cff["references"][0]["doi"] == "10.1007/s10664-024-10536-7"
