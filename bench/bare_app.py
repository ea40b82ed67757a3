"""The HTTP baseline: a bare Flask app answering SPARQL GET requests from a pyoxigraph store.

No checks, no worker processes, no limits: what a minimal service over the same store costs,
served by waitress with the same number of threads as ``qikg serve``.

    python -m bench.bare_app STORE_DIR --port 8001 [--threads 4]
"""

from __future__ import annotations

import argparse

import pyoxigraph as ox
from flask import Flask, Response, request

JSON = "application/sparql-results+json"


def create_app(store: ox.Store) -> Flask:
    """A Flask app answering ``GET /sparql?query=`` with SPARQL JSON results over ``store``."""
    app = Flask(__name__)
    app.extensions["bench_store"] = store

    @app.get("/sparql")
    def sparql() -> Response:
        native: ox.Store = app.extensions["bench_store"]
        result = native.query(request.args["query"], use_default_graph_as_union=True)
        if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            return Response("SELECT and ASK only", 400)
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, mimetype=JSON)

    return app


def main() -> None:
    import waitress

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    app = create_app(ox.Store.read_only(args.store))
    print(f"Serving http://{args.host}:{args.port}/sparql", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="bare")


if __name__ == "__main__":
    main()
