"""The package as a user gets it: a wheel in a fresh virtual environment, run from elsewhere."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line.rstrip("\n"))
        if needle in line:
            return seen
    proc.kill()
    raise AssertionError(f"{needle!r} not printed; output was:\n" + "\n".join(seen))


def get(url: str, accept: str) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.headers["Content-Type"], resp.read()


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A virtual environment holding the wheel built from this tree (dependencies shared)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
        check=True,
        timeout=600,
    )
    wheel = next(work.glob("qikg-*.whl"))
    env_dir = work / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True
    )
    # The test environment's own packages too (where pip put the dependencies), after the
    # environment's own, so that the wheel's qikg is the one imported.
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = env_dir / "lib" / version / "site-packages"
    (site_packages / "test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    subprocess.run(
        [
            str(env_dir / "bin" / "pip"),
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    return env_dir


@pytest.mark.slow
def test_wheel_ships_its_data_and_runs_from_any_folder(venv, tmp_path):
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import qikg, qikg.kg; print(qikg.kg.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    done = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from qikg.kg.build import example_inputs; from qikg.ontology import SHAPES_FILE;"
            "from qikg.queries import named_queries;"
            "print(len(example_inputs()), SHAPES_FILE.is_file(), len(named_queries()))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    count, shapes, queries = done.stdout.split()
    assert count == "1" and shapes == "True" and int(queries) >= 1


@pytest.mark.slow
def test_qikg_serve_builds_the_example_and_answers(venv, tmp_path):
    port = free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [str(venv / "bin" / "qikg"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = wait_for_line(proc, "SPARQL endpoint:", timeout=180)
        assert f"Landing page:    http://127.0.0.1:{port}/" in lines
        assert f"SPARQL endpoint: http://127.0.0.1:{port}/sparql" in lines
        status, ctype, body = get(f"http://127.0.0.1:{port}/", "text/html")
        assert status == 200 and ctype.startswith("text/html")
        assert b"10.1007/s10664-024-10536-7" in body
        assert b'href="/sparql"' in body or b"/sparql" in body
        query = "SELECT (COUNT(?t) AS ?n) WHERE { ?t a <https://w3id.org/qikg/ontology#Turn> }"
        url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": query})
        status, ctype, body = get(url, "application/sparql-results+json")
        assert ctype.startswith("application/sparql-results+json")
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "152"
        # The query page's editor was bundled into the wheel and is served from it.
        status, ctype, body = get(f"http://127.0.0.1:{port}/sparql", "text/html")
        assert b'src="/static/vendor/editor.js"' in body
        status, ctype, body = get(f"http://127.0.0.1:{port}/static/vendor/editor.js", "*/*")
        assert status == 200 and "javascript" in ctype and b"QikgEditor" in body
        status, ctype, body = get(f"http://127.0.0.1:{port}/healthz", "application/json")
        assert status == 200 and json.loads(body) == {"status": "ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
