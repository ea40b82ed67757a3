"""``qikg query``: named queries from the command line, on a built dataset or an endpoint."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from qikg.cli import main
from qikg.kg.build import build
from qikg.kg.store import OxigraphStore
from qikg.queries import named_queries
from qikg.queries.run import StoreExecutor, answer_columns, run
from qikg.server import create_app

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out: Path = tmp_path_factory.mktemp("cli") / "ds"
    build([EXAMPLE], out)
    return out


@pytest.fixture(scope="module")
def endpoint(dataset) -> Iterator[str]:
    app = create_app(OxigraphStore.open_read_only(dataset / "store"), {"QUERY_WORKERS": 0})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    thread.join()


def qikg(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["query", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_query_with_its_summary(capsys):
    code, out, _ = qikg(capsys, "--list")
    assert code == 0
    for name, q in named_queries().items():
        assert any(line.startswith(name) and q.summary in line for line in out.splitlines())
    assert "params: code=code label=string interview=integer document=iri" in out


def test_json_output_is_the_answer(capsys, dataset):
    code, out, _ = qikg(
        capsys, "evidence", "--data", str(dataset), "--param", "code=MM-drift", "--format", "json"
    )
    assert code == 0
    body = json.loads(out)
    expected = run(
        named_queries()["evidence"],
        {"code": "MM-drift"},
        StoreExecutor(OxigraphStore.open_read_only(dataset / "store")),
    )
    assert body["rows"] == expected.records()
    assert body["total"] == 10
    assert body["parameters"] == {"code": "MM-drift"}


def test_csv_output(capsys, dataset):
    code, out, _ = qikg(capsys, "catalogue", "--data", str(dataset), "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == list(answer_columns(named_queries()["catalogue"]))
    assert len(rows) == 19  # the 18 catalogued issues


def test_table_output(capsys, dataset):
    code, out, _ = qikg(capsys, "code-profile", "--data", str(dataset), "--param", "code=mm-drift")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["field", "value", "value_label"]
    assert any(line.startswith("notation") and "MM-drift" in line for line in lines)
    assert lines[-1] == "(10 rows)"


def test_the_bundled_example_is_built_on_first_use(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code, out, err = qikg(capsys, "issue-evidence", "--format", "json")
    assert code == 0
    assert "Building the bundled example" in err
    assert json.loads(out)["total"] == 13
    code, out, err = qikg(capsys, "issue-evidence", "--format", "json")
    assert err == ""  # built once


def test_an_endpoint_answers_as_the_dataset_does(capsys, dataset, endpoint):
    for name, q in named_queries().items():
        for example in q.examples:
            params = [arg for k, v in example for arg in ("--param", f"{k}={v}")]
            params += ["--format", "json"]
            _, local, _ = qikg(capsys, name, "--data", str(dataset), *params)
            code, remote, _ = qikg(capsys, name, "--endpoint", endpoint, *params)
            assert code == 0
            assert json.loads(remote) == json.loads(local), (name, example)


@pytest.mark.parametrize(
    "value", ['"} UNION { ?s ?p ?o } #', "x' || true || '", "<https://evil.example/>", "{}"]
)
def test_hostile_values_through_an_endpoint_stay_values(capsys, endpoint, value):
    code, out, _ = qikg(
        capsys, "evidence", "--endpoint", endpoint, "--param", f"label={value}", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["rows"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no named query 'nope'"),
        (["evidence", "--param", "code"], "--param takes KEY=VALUE"),
        (["evidence", "--param", "code=a", "--param", "code=b"], "given twice"),
        (["evidence", "--param", "interview=three"], "must be an integer"),
        (["evidence", "--param", "colour=red"], "has no parameter 'colour'"),
        (["code-profile"], "'code' is required"),
        (["evidence", "--param", "document=https://x.example/a>b"], "http(s) IRI"),
    ],
)
def test_mistakes_give_one_message_and_exit_2(capsys, dataset, args, message):
    code, out, err = qikg(capsys, *args, "--data", str(dataset))
    assert code == 2
    assert out == ""
    assert err.startswith("qikg: error: ") and message in err
    assert "Traceback" not in err


def test_an_unreachable_endpoint_is_a_store_error(capsys):
    code, _, err = qikg(capsys, "catalogue", "--endpoint", "http://127.0.0.1:9/sparql")
    assert code == 5
    assert "cannot reach the endpoint" in err


def test_data_and_endpoint_exclude_each_other(capsys, dataset):
    with pytest.raises(SystemExit) as exc:
        main(["query", "catalogue", "--data", str(dataset), "--endpoint", "http://x/sparql"])
    assert exc.value.code == 2
