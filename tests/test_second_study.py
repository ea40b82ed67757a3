"""A second study: its own IRIs, study description and codebook, related by SKOS mappings."""

from __future__ import annotations

import subprocess
import sys

from rdflib import Dataset, URIRef
from rdflib.namespace import SKOS

from qikg.kg.build import DATASET_TRIG, build

from .conftest import EXAMPLE

STUDY = """
[study]
id = "pilot2025"
title = "A pilot study"
citation = "A. Author, A pilot study, 2025."
terms = "Cite the pilot study."

[documents."Interview 3 - Amin.txt"]
kind = "coding"
"""
CODEBOOK = (
    "notation,kind,family,phases,addresses,variants,mappings\n"
    "MM-drift,issue,,model-maintenance,,,"
    "closeMatch=https://w3id.org/qikg/cote2024/code/mm-drift\n"
)


def test_second_study_keeps_its_own_iris_and_maps_its_codes(tmp_path):
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    (tmp_path / "codebook.csv").write_text(CODEBOOK, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qikg",
            "build",
            str(EXAMPLE),
            "--out",
            str(tmp_path / "pilot"),
            "--study",
            str(tmp_path / "study.toml"),
            "--codebook",
            str(tmp_path / "codebook.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    build([EXAMPLE], tmp_path / "cote")
    ds = Dataset(default_union=True)
    ds.parse(tmp_path / "pilot" / DATASET_TRIG, format="trig")
    ds.parse(tmp_path / "cote" / DATASET_TRIG, format="trig")
    pilot = URIRef("https://w3id.org/qikg/pilot2025/code/mm-drift")
    cote = URIRef("https://w3id.org/qikg/cote2024/code/mm-drift")
    # Both concepts exist side by side, each in its own scheme, related and not merged.
    assert (pilot, SKOS.closeMatch, cote) in ds
    schemes = {str(o) for o in ds.objects(pilot, SKOS.inScheme)}
    assert schemes == {"https://w3id.org/qikg/pilot2025/codebook"}
    assert {str(o) for o in ds.objects(cote, SKOS.inScheme)} == {
        "https://w3id.org/qikg/cote2024/codebook"
    }
    alone = Dataset(default_union=True)
    alone.parse(tmp_path / "pilot" / DATASET_TRIG, format="trig")
    subjects = {str(r[0]) for r in alone.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }")}
    assert not any("/cote2024" in s for s in subjects)
    assert "https://w3id.org/qikg/pilot2025/interview/3/coding-amin" in subjects
    # The pilot's codebook knows only MM-drift: the other codes are kept, uncurated.
    uncurated = set(ds.subjects(None, URIRef("https://w3id.org/qikg/ontology#UncuratedCode")))
    assert URIRef("https://w3id.org/qikg/pilot2025/code/data-low-quality") in uncurated
