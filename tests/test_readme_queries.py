"""The README's "Named queries" section: one example call per query, each working as written."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from qikg.cli import main
from qikg.kg.build import build
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries
from qikg.server import create_app

from .conftest import ROOT


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Named queries\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def calls(prefix: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", section(), re.S)
    return [line for b in blocks for line in b.splitlines() if line.startswith(prefix)]


def test_every_query_is_listed_with_one_curl_call():
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", section(), re.M))
    assert listed == set(named_queries())
    called = [urlsplit(shlex.split(c)[-1]).path.removeprefix("/api/") for c in calls("curl ")]
    assert sorted(called) == sorted(named_queries())


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from qikg.kg.build import example_inputs

    out: Path = tmp_path_factory.mktemp("readme") / "ds"
    build(example_inputs(), out)  # what 'qikg serve' serves by default
    app = create_app(OxigraphStore.open_read_only(out / "store"), {"QUERY_WORKERS": 0})
    return app.test_client()


@pytest.mark.parametrize("call", calls("curl "))
def test_curl_calls_work_as_written(client, call):
    argv = shlex.split(call)
    assert argv[:2] == ["curl", "-s"] and len(argv) == 3
    url = urlsplit(argv[2])
    assert (url.scheme, url.netloc) == ("http", "localhost:8000")
    r = client.get(url.path, query_string=url.query)
    assert r.status_code == 200, r.get_data(as_text=True)
    if "format=csv" in url.query:
        rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
        total = len(rows) - 1
    else:
        total = r.get_json()["total"]
    if not url.path.endswith("/coder-agreement"):  # one coding in the example: nothing to compare
        assert total > 0, call


@pytest.mark.parametrize("call", calls("qikg query"))
def test_qikg_query_calls_work_as_written(call, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the bundled example, built on first use
    argv = shlex.split(call)
    assert main(argv[1:]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if "--format" in argv and argv[argv.index("--format") + 1] == "json":
        assert json.loads(out)["rows"]
