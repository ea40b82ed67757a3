"""Run the service under a production WSGI server (waitress) over a built dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qikg.errors import StoreError
from qikg.kg.build import STORE_DIR
from qikg.kg.store import OxigraphStore

from . import create_app


def open_dataset(data: Path) -> OxigraphStore:
    """Open the store of a dataset folder written by ``qikg build``, read-only."""
    folder = data / STORE_DIR
    if not folder.is_dir():
        raise StoreError(
            f"{data}: no store in this folder; "
            f"build one first with 'qikg build INPUT... --out {data}'"
        )
    return OxigraphStore.open_read_only(folder)


def serve(
    data: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 4,
    config: dict[str, Any] | None = None,
) -> None:
    """Serve ``data`` on ``host:port`` until interrupted; print the URLs it answers on."""
    import waitress

    app = create_app(open_dataset(data), config or {})
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="qikg")
    bound = server.effective_port  # type: ignore[union-attr]
    shown = f"[{host}]" if ":" in host else host
    print(f"Landing page:    http://{shown}:{bound}/", flush=True)
    print(f"SPARQL endpoint: http://{shown}:{bound}/sparql", flush=True)
    server.run()
