"""Atomic releases: a build that fails validation, crashes or is killed half-way never replaces
the release being served, and a good build is switched in while a running server goes on
answering, without one failed request.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qikg.errors import ParseError, ValidationFailure
from qikg.kg import build as build_module
from qikg.kg.build import DATASET_NQ, MANIFEST, build
from qikg.kg.codebook import parse_table
from qikg.kg.release import CURRENT, RELEASES, current_release, publish

from .conftest import EXAMPLE, ROOT
from .test_clients import LiveServer, start_server

MARK = "RELEASE-TWO"
HAS_MARK = f'ASK {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{MARK}")) }}'
BAD_CODEBOOK = (
    "notation,kind,family,phases,addresses,variants\n"
    "Data-issues,family,,data-collection,,\n"
    "Data-low-quantity-fix,mitigation,Data-issues,data-collection,Data-issues,\n"
)


def _ask(live: LiveServer, query: str) -> bool:
    url = live.url + "?" + urllib.parse.urlencode({"query": query, "format": "json"})
    with urllib.request.urlopen(url, timeout=60) as response:
        return b'"boolean":true' in response.read().replace(b" ", b"")


class Hammer:
    """Clients asking the server all the time; every answer must be a success."""

    def __init__(self, live: LiveServer) -> None:
        root = live.url.removesuffix("/sparql")
        count = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        self.urls = [f"{live.url}?{count}", f"{root}/", f"{root}/dumps/SHA256SUMS"]
        self.done = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(2)]

    def _run(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            url = self.urls[n % len(self.urls)]
            n += 1
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    response.read()
                self.done += 1
            except (urllib.error.URLError, OSError) as err:
                self.failures.append(f"{url}: {err}")
            time.sleep(0.02)

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, LiveServer]]:
    out = tmp_path_factory.mktemp("releases") / "ds"
    build([EXAMPLE], out)
    server = start_server(["--data", str(out)], cwd=ROOT)
    yield out, server
    server.stop()


def _snapshot(out: Path) -> tuple[Path | None, bytes]:
    return current_release(out), (out / DATASET_NQ).read_bytes()


def test_a_build_writes_a_release_behind_links(served: tuple[Path, LiveServer]) -> None:
    out, _ = served
    release = current_release(out)
    assert release is not None and release.parent == (out / RELEASES).resolve()
    assert os.readlink(out / CURRENT) == f"{RELEASES}/{release.name}"
    for name in (DATASET_NQ, MANIFEST, "store", "dumps"):
        assert (out / name).is_symlink() and (out / name).resolve() == release / name


def test_failed_builds_never_replace_the_served_release(
    served: tuple[Path, LiveServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out, live = served
    before = _snapshot(out)
    with Hammer(live) as hammer:
        # fails validation
        with pytest.raises(ValidationFailure):
            build([EXAMPLE], out, codebook=parse_table(BAD_CODEBOOK))
        assert _snapshot(out) == before

        # crashes half-way through writing
        def crash(folder: Path) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(build_module, "write_docs", crash)
        with pytest.raises(RuntimeError, match="disk full"):
            build([EXAMPLE], out)
        assert _snapshot(out) == before
        # killed while writing: SIGKILL once the build has started writing its folder
        parent = out.parent
        process = subprocess.Popen(
            [sys.executable, "-m", "qikg", "build", str(EXAMPLE), "--out", str(out)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            writing = [p for p in parent.iterdir() if p.name.startswith(f".{out.name}.")]
            if writing and any(writing[0].iterdir()):
                break
            time.sleep(0.02)
        assert process.poll() is None, "the build ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        assert process.returncode == -signal.SIGKILL
        assert _snapshot(out) == before
        time.sleep(1.5)  # a watcher tick: the server must not have moved
        assert _ask(live, "ASK { ?s ?p ?o }") and not _ask(live, HAS_MARK)
    assert hammer.failures == []
    assert hammer.done >= 10


def test_a_good_build_is_switched_in_without_a_failed_request(
    served: tuple[Path, LiveServer], tmp_path: Path
) -> None:
    out, live = served
    old_release = current_release(out)
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "So you can go ahead.", f"So you can go ahead. {MARK}", 1
    )
    source = tmp_path / EXAMPLE.name
    source.write_text(text, encoding="utf-8")
    assert not _ask(live, HAS_MARK)
    with Hammer(live) as hammer:
        build([source], out)
        assert current_release(out) != old_release
        deadline = time.monotonic() + 120
        while not _ask(live, HAS_MARK):
            assert time.monotonic() < deadline, "the server did not switch to the new release"
            time.sleep(0.2)
        time.sleep(1)  # requests go on after the switch
    assert hammer.failures == []
    assert hammer.done >= 10
    # the previous release is kept for readers still on it; the one before is gone
    assert old_release is not None and old_release.is_dir()
    assert len(list((out / RELEASES).iterdir())) == 2


def _finished(parent: Path, text: str) -> Path:
    """A finished build folder (as the build leaves it before publishing)."""
    folder = parent / f".ds.{text}"
    (folder / "store").mkdir(parents=True)
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return folder


def test_publish_switches_links_and_keeps_two_releases(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = publish(_finished(tmp_path, "one"), out, manifest=MANIFEST)
    assert (out / MANIFEST).read_text() == "one" and current_release(out) == first.resolve()
    second = publish(_finished(tmp_path, "two"), out, manifest=MANIFEST)
    assert (out / MANIFEST).read_text() == "two" and current_release(out) == second.resolve()
    third = publish(_finished(tmp_path, "three"), out, manifest=MANIFEST)
    assert (out / MANIFEST).read_text() == "three"
    assert sorted(p.name for p in (out / RELEASES).iterdir()) == sorted([second.name, third.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_publish_replaces_a_dataset_of_the_old_layout_once(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    out.mkdir()
    (out / MANIFEST).write_text("old", encoding="utf-8")
    (out / "dataset.nq").write_text("", encoding="utf-8")
    publish(_finished(tmp_path, "new"), out, manifest=MANIFEST)
    assert (out / MANIFEST).read_text() == "new" and (out / CURRENT).is_symlink()
    assert not (out / "dataset.nq").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_publish_refuses_a_folder_that_is_not_a_dataset(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ParseError, match="not a qikg dataset"):
        publish(_finished(tmp_path, "new"), out, manifest=MANIFEST)
    assert (out / "notes.txt").read_text() == "keep me"
