"""The ``qikg`` command: a thin shell over the build, query and serve functions."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qikg import __version__
from qikg.errors import QikgError, ValidationFailure

if TYPE_CHECKING:
    from qikg.kg.remote_store import SparqlService


def _default_data_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "qikg" / f"example-{__version__}"


def cmd_build(args: argparse.Namespace) -> int:
    from qikg.kg import codebook, study
    from qikg.kg.build import build

    described = (
        study.parse(args.study.read_text(encoding="utf-8"), str(args.study)) if args.study else None
    )
    table = (
        codebook.parse_table(args.codebook.read_text(encoding="utf-8"), str(args.codebook))
        if args.codebook
        else None
    )
    result = build(
        args.inputs,
        args.out,
        base=args.base_iri,
        keep_going=args.keep_going,
        study=described,
        codebook=table,
        jobs=args.jobs,
        cache=args.cache,
        use_cache=not args.no_cache,
    )
    print(result.table())
    if args.store:
        _print_load(args.out, _service(args, None))
    for report in result.reports:
        for warning in report.warnings:
            print(warning, file=sys.stderr)
    for item in result.unanchored:
        print(f"unanchored excerpt: {item}", file=sys.stderr)
    for error in result.errors:
        print(f"qikg: skipped after error: {error}", file=sys.stderr)
    return 3 if result.errors else 0


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def cmd_audit(args: argparse.Namespace) -> int:
    from qikg.kg.audit import default_policy, load_policy
    from qikg.kg.build import audit_dataset

    policy = (
        load_policy(args.policy.read_text(encoding="utf-8"), str(args.policy))
        if args.policy
        else default_policy()
    )
    findings = audit_dataset(args.data, policy)
    open_ = [f for f in findings if f.status == "open"]
    for f in findings if args.all else open_:
        print(f"{f.status}: {f.kind} {f.match!r} in {f.location}")
    print(
        f"{len(findings)} finding(s): {len(open_)} open, "
        f"{sum(f.status == 'accepted' for f in findings)} accepted, "
        f"{sum(f.status == 'redacted' for f in findings)} redacted"
    )
    return 6 if open_ else 0


def cmd_export(args: argparse.Namespace) -> int:
    from qikg.kg.qdpx_export import export_qdpx

    print(f"wrote {export_qdpx(args.data, args.out)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from qikg.errors import ConfigError
    from qikg.kg.build import build, example_inputs
    from qikg.server.run import graph_option, serve

    graphs = dict(graph_option(text) for text in args.graph)
    data = args.data
    remote = _service(args, args.query_timeout) if args.store else None
    if remote and (data or graphs):
        raise ConfigError("--store serves what the SPARQL server holds: leave out --data, --graph")
    if data is None and not graphs and remote is None:
        folder = _default_data_dir()
        print(f"Building the bundled example (Interview 3 of Côté et al. 2024) into {folder}")
        print(build(example_inputs(), folder, base=args.base_iri).table())
        data = [folder]
    config: dict[str, object] = {"BASE_IRI": args.base_iri}
    for key, value in (
        ("QUERY_TIMEOUT_S", args.query_timeout),
        ("QUERY_WORKERS", args.query_workers),
        ("MAX_RESULT_ROWS", args.max_rows),
        ("FAST_PATH_MAX_MATCHES", args.fast_path_max),
        ("PUBLIC_URL", args.public_url),
    ):
        if value is not None:
            config[key] = value
    serve(
        data or [],
        graphs=graphs,
        host=args.host,
        port=args.port,
        threads=args.threads,
        config=config,
        remote=remote,
    )
    return 0


def _service(args: argparse.Namespace, timeout_s: float | None) -> SparqlService:
    from qikg.kg.remote_store import SparqlService

    return SparqlService.from_base(
        args.store,
        query=args.store_query,
        update=args.store_update,
        graph_store=args.store_graphs,
        timeout_s=timeout_s or 30.0,
    )


def _print_load(folder: Path, service: SparqlService) -> None:
    from qikg.kg.remote_store import load_release

    report = load_release(folder, service)
    print(
        f"Loaded {report.statements} statements into {report.graphs} graphs of "
        f"{service.query_url} (each graph replaced)."
    )


def cmd_load(args: argparse.Namespace) -> int:
    _print_load(args.data, _service(args, args.timeout))
    return 0


def _add_store_options(p: argparse.ArgumentParser, what: str, *, required: bool = False) -> None:
    p.add_argument(
        "--store",
        metavar="URL",
        required=required,
        help=f"{what}; URL is the root of a SPARQL 1.1 server, where Oxigraph answers on /query, "
        "/update and /store (see 'Running on a SPARQL server' in the README)",
    )
    for option, name, path in (
        ("--store-query", "query", "/query"),
        ("--store-update", "SPARQL Update", "/update"),
        ("--store-graphs", "Graph Store Protocol", "/store"),
    ):
        p.add_argument(
            option,
            metavar="URL",
            help=f"the server's {name} URL (default: URL{path}; 'none' if it has none)",
        )


def cmd_reason(args: argparse.Namespace) -> int:
    from qikg.kg.reason import reason_dataset

    report = reason_dataset(
        args.data,
        java=args.java,
        alignments=not args.no_alignments,
        property_values=not args.classes_only,
        interviews=args.interview or None,
    )
    state = "consistent" if report.consistent else "INCONSISTENT"
    print(
        f"{state}: {len(report.units)} interview(s), {report.individuals} individuals, "
        f"{report.seconds:.1f} s (HermiT)"
    )
    for name in report.inconsistent_units:
        print(f"  inconsistent: {name}")
    for title, counts in (("class memberships", report.memberships), ("links", report.links)):
        print(f"inferred {title}:")
        for term, count in counts.items():
            print(f"  {count:>6}  {report.label(term)} <{term}>")
    notable = report.notable()
    print(f"notable inferences ({len(notable)}):")
    for line in notable[: args.limit]:
        print(f"  {line}")
    if len(notable) > args.limit:
        print(f"  ... {len(notable) - args.limit} more (--limit)")
    return 0 if report.consistent else 1


def cmd_docs(args: argparse.Namespace) -> int:
    from qikg.kg.ontodoc import write_docs

    print(write_docs(args.out))
    return 0


def _add_ontology_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser("reason", help="check a built dataset with the HermiT reasoner (needs Java)")
    r.add_argument("data", type=Path, help="dataset folder written by 'qikg build'")
    r.add_argument("--java", help="the java program to run HermiT with (default: java on PATH)")
    r.add_argument("--interview", type=int, action="append", help="only this interview (repeat)")
    r.add_argument("--no-alignments", action="store_true", help="leave the alignment modules out")
    r.add_argument(
        "--classes-only", action="store_true", help="infer class memberships only (faster)"
    )
    r.add_argument("--limit", type=int, default=20, help="notable inferences shown (default 20)")
    r.set_defaults(func=cmd_reason)

    d = sub.add_parser("docs", help="write the HTML documentation of the ontology")
    d.add_argument("--out", type=Path, required=True, help="folder to write index.html into")
    d.set_defaults(func=cmd_docs)


def cmd_query(args: argparse.Namespace) -> int:
    from qikg.errors import ConfigError
    from qikg.queries import named_queries
    from qikg.queries.formats import to_csv, to_json, to_text
    from qikg.queries.run import EndpointExecutor, Executor, StoreExecutor, run

    queries = named_queries()
    if args.list or not args.name:
        width = max(len(n) for n in queries)
        for name, q in queries.items():
            params = " ".join(f"{p.name}={p.type_label}" for p in q.params)
            print(
                f"{name:<{width}}  {q.summary}"
                + (f"\n{'':<{width}}  params: {params}" if params else "")
            )
        return 0
    query = queries.get(args.name)
    if query is None:
        raise ConfigError(f"no named query {args.name!r}; 'qikg query --list' lists them")
    values: dict[str, str] = {}
    for text in args.param:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param takes KEY=VALUE, not {text!r}")
        if key in values:
            raise ConfigError(f"--param {key} is given twice")
        values[key] = value
    executor: Executor
    if args.endpoint:
        executor = EndpointExecutor(args.endpoint)
    else:
        from qikg.kg.store import OxigraphStore

        executor = StoreExecutor(OxigraphStore.open_read_only(_dataset_store(args)))
    table = run(query, values, executor)
    if args.format == "json":
        meta = {"query": query.name, "parameters": values, "total": len(table.rows)}
        sys.stdout.write(to_json(table, meta).decode("utf-8") + "\n")
    elif args.format == "csv":
        sys.stdout.write(to_csv(table, bom=False).decode("utf-8"))
    else:
        print(to_text(table))
    return 0


def _dataset_store(args: argparse.Namespace) -> Path:
    """The store of ``--data``, or of the bundled example (built on first use)."""
    from qikg.kg.build import STORE_DIR, build, example_inputs

    if args.data is not None:
        folder: Path = args.data
        return folder / STORE_DIR if (folder / STORE_DIR).is_dir() else folder
    folder = _default_data_dir()
    if not (folder / STORE_DIR).is_dir():
        print(f"Building the bundled example into {folder}", file=sys.stderr)
        build(example_inputs(), folder)
    return folder / STORE_DIR


def _add_query_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    q = sub.add_parser(
        "query",
        help="answer a named query (the study's research questions) on a dataset or an endpoint",
    )
    q.add_argument("name", nargs="?", help="the named query ('qikg query --list' lists them)")
    q.add_argument("--list", action="store_true", help="list the named queries and exit")
    q.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter of the query (repeatable)",
    )
    q.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output (default table)"
    )
    where = q.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="a dataset folder written by 'qikg build' (default: the bundled example)",
    )
    where.add_argument(
        "--endpoint", metavar="URL", help="a SPARQL endpoint, such as http://localhost:8000/sparql"
    )
    q.set_defaults(func=cmd_query)


def parser() -> argparse.ArgumentParser:
    from qikg.kg.iris import DEFAULT_BASE

    p = argparse.ArgumentParser(prog="qikg", description=__doc__)
    p.add_argument("--version", action="version", version=f"qikg {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="convert, validate and write a dataset")
    b.add_argument("inputs", nargs="+", type=Path, help="input files or folders")
    b.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    b.add_argument(
        "--study", type=Path, help="study description (TOML; default: the Côté et al. study)"
    )
    b.add_argument(
        "--codebook", type=Path, help="codebook table (CSV; default: the Côté et al. codebook)"
    )
    b.add_argument(
        "--keep-going",
        action="store_true",
        help="build the files that can be read; list the others and exit with status 3",
    )
    b.add_argument(
        "--base-iri", default=DEFAULT_BASE, help="base IRI of the data (default %(default)s)"
    )
    _add_store_options(b, "then load the built graphs into the SPARQL server at URL")
    b.add_argument(
        "--jobs", type=_positive, help="worker processes (default: one per core)", metavar="N"
    )
    b.add_argument(
        "--cache",
        type=Path,
        help="cache folder of unchanged inputs (default: .OUT.cache beside OUT)",
    )
    b.add_argument("--no-cache", action="store_true", help="convert and validate every input")
    b.set_defaults(func=cmd_build)

    ld = sub.add_parser(
        "load", help="load a built dataset into a SPARQL server, replacing each of its graphs"
    )
    ld.add_argument("data", type=Path, help="dataset folder written by 'qikg build'")
    _add_store_options(ld, "the server to load into", required=True)
    ld.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="time allowed each request (default 30)"
    )
    ld.set_defaults(func=cmd_load)

    a = sub.add_parser("audit", help="scan a built dataset for personal data")
    a.add_argument("data", type=Path, help="dataset folder written by 'qikg build'")
    a.add_argument("--policy", type=Path, help="privacy policy TOML (default: the study's)")
    a.add_argument("--all", action="store_true", help="list accepted and redacted findings too")
    a.set_defaults(func=cmd_audit)

    e = sub.add_parser("export", help="write a built dataset as a REFI-QDA project (.qdpx)")
    e.add_argument("--format", choices=("qdpx",), default="qdpx", help="the format (qdpx)")
    e.add_argument("data", type=Path, help="dataset folder written by 'qikg build'")
    e.add_argument("out", type=Path, help="the project file to write (.qdpx)")
    e.set_defaults(func=cmd_export)

    s = sub.add_parser(
        "serve", help="serve a built dataset or RDF files (the bundled example by default)"
    )
    s.add_argument(
        "--data",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="a dataset folder written by 'qikg build', or RDF files (.ttl .nt .n3 .rdf .jsonld "
        ".trig .nq) loaded at start-up; quad files keep their graph names",
    )
    s.add_argument(
        "--graph",
        action="append",
        default=[],
        metavar="IRI=FILE",
        help="load the triples of FILE into the named graph IRI (repeatable)",
    )
    s.add_argument(
        "--query-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a query after this long and answer 503 (default 30)",
    )
    s.add_argument(
        "--query-workers",
        type=int,
        metavar="N",
        help="worker processes running queries (default 2; 0 runs them in-process, no time limit)",
    )
    s.add_argument(
        "--max-rows", type=int, metavar="N", help="most rows or triples sent (default 10000)"
    )
    s.add_argument(
        "--fast-path-max",
        type=int,
        metavar="N",
        help="run a SELECT or ASK of constant-subject triple patterns whose matches multiply to "
        "at most N in the web server's thread, without a worker (default 10000; 0: never)",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    s.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    s.add_argument("--threads", type=int, default=4, help="worker threads (default %(default)s)")
    s.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL the service is reached at behind a reverse proxy (default: from requests)",
    )
    s.add_argument(
        "--base-iri", default=DEFAULT_BASE, help="base IRI of the data (default %(default)s)"
    )
    _add_store_options(s, "serve what the SPARQL server at URL holds, instead of --data")
    s.set_defaults(func=cmd_serve)
    _add_ontology_commands(sub)
    _add_query_command(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; map the project's errors to exit codes and one message."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationFailure as exc:
        print(
            f"qikg: the data does not conform to the shapes ({exc.violations} violation(s)):",
            file=sys.stderr,
        )
        print(exc.report, file=sys.stderr)
        return exc.exit_code
    except QikgError as exc:
        print(f"qikg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
