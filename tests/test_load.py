"""A bounded load test on loopback: many clients for a fixed time against a live ``qikg serve``,
mixing cheap lookups, named queries, pages and heavy queries.

It ends by itself after :data:`DURATION_S`. No cheap request may fail, no answer may be a 5xx
other than the 503 of a stopped query (or of workers busy with stopped queries), and the p99
of cheap requests is reported. The figures, with the machine they were measured on, are
printed, and written to the file that ``QIKG_LOAD_TEST_RESULTS`` names when it is set
(``bench/results/load-test.json`` keeps the figures the README quotes).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_clients import LiveServer, serve_limited

DURATION_S = 12.0
CLIENTS = 16
LIMIT_S = 4
THINK_S = 0.1
"""Each client's pause between two requests (a person or a script reading the answer)."""
WORKERS = 3
THREADS = 16
RESULTS_ENV = "QIKG_LOAD_TEST_RESULTS"
TURN = "<https://w3id.org/qikg/ontology#Turn>"


def _sparql(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, "format": "json"})


MIX: dict[str, list[str]] = {
    "cheap": [
        _sparql("ASK { <https://w3id.org/qikg/cote2024/interview/3> ?p ?o }"),
        _sparql(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?t a {TURN} }}"),
        "/cote2024/interview/3.ttl",
        "/static/qikg.css",
    ],
    "named": [
        "/api/issue-evidence?format=json",
        "/api/evidence?code=MM-drift&format=json",
        "/api/catalogue?format=csv",
    ],
    "page": [
        "/",
        "/cote2024/interview/3/moderation-amin/turn/12.html",
        "/api/code-profile?code=MM-drift&format=html",
    ],
    "heavy": [
        _sparql("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"),
        _sparql("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 1000000000000000000"),
    ],
}
ROLES = ["heavy"] + ["named", "page"] * 3 + ["cheap"] * (CLIENTS - 7)
"""What each client asks: one heavy client (backing off after a 503, as Retry-After asks),
three asking named queries, three asking for pages, the rest cheap lookups."""


@pytest.fixture(scope="module")
def live(example_dataset: Path) -> Iterator[LiveServer]:
    yield from serve_limited(example_dataset, LIMIT_S, WORKERS, "--threads", str(THREADS), cwd=ROOT)


class Client(threading.Thread):
    """Asks the URLs of its role in turn until the end time, recording each answer."""

    def __init__(self, live: LiveServer, role: str, index: int, until: float) -> None:
        super().__init__(daemon=True)
        parts = urllib.parse.urlsplit(live.url)
        assert parts.hostname and parts.port
        self.address = (parts.hostname, parts.port)
        self.role = role
        self.index = index
        self.until = until
        self.records: list[tuple[str, str, int, float]] = []

    def run(self) -> None:
        urls = MIX[self.role]
        n = self.index
        while time.monotonic() < self.until:
            url = urls[n % len(urls)]
            n += 1
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection(*self.address, timeout=60)
                connection.request("GET", url)
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError as err:
                status = 0
                url = f"{url} ({err})"
            self.records.append((self.role, url, status, time.monotonic() - started))
            time.sleep(LIMIT_S if status == 503 else THINK_S)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _machine() -> dict[str, object]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def test_load(live: LiveServer) -> None:
    machine = _machine()
    until = time.monotonic() + DURATION_S
    clients = [Client(live, role, i, until) for i, role in enumerate(ROLES)]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join(DURATION_S + 120)
    elapsed = time.monotonic() - started
    assert not any(c.is_alive() for c in clients), "the load test did not end by itself"
    records = [r for c in clients for r in c.records]
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    by_role: dict[str, dict[str, object]] = {}
    for role in MIX:
        mine = [r for r in records if r[0] == role]
        times = [r[3] * 1000 for r in mine]
        by_role[role] = {
            "requests": len(mine),
            "statuses": dict(sorted(Counter(str(r[2]) for r in mine).items())),
            "p50_ms": round(statistics.median(times), 1) if times else None,
            "p99_ms": round(_percentile(times, 0.99), 1) if times else None,
            "max_ms": round(max(times), 1) if times else None,
        }
    figures = {
        "what": (
            f"{CLIENTS} clients on loopback for {DURATION_S:g} s against qikg serve on the "
            f"bundled example (Interview 3): {ROLES.count('cheap')} cheap lookups, "
            f"{ROLES.count('named')} named queries, {ROLES.count('page')} pages, "
            f"{ROLES.count('heavy')} heavy (cartesian products, stopped at {LIMIT_S} s); "
            f"{THINK_S:g} s between two requests of a client"
        ),
        "server": {
            "query_timeout_s": LIMIT_S,
            "query_workers": WORKERS,
            "threads": THREADS,
        },
        "machine": machine,
        "seconds": round(elapsed, 1),
        "requests": len(records),
        "requests_per_s": round(len(records) / elapsed, 1),
        "by_kind": by_role,
    }
    if os.environ.get(RESULTS_ENV):
        kept = ROOT / os.environ[RESULTS_ENV]
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\n" + json.dumps(figures, indent=2))

    cheap = [r for r in records if r[0] == "cheap"]
    assert len(cheap) >= 50
    assert [r for r in cheap if r[2] != 200] == []
    assert [r for r in records if r[2] == 0 or (r[2] >= 500 and r[2] != 503)] == []
    assert [r for r in records if r[0] in ("page", "named") and r[2] not in (200, 503)] == []
    heavy = [r for r in records if r[0] == "heavy"]
    assert heavy and all(r[2] in (200, 503) for r in heavy)
