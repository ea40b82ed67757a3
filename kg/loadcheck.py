"""Load a built dataset's N-Quads into its store and run the checks across interviews.

The build runs this in a child interpreter (``python -m qikg.kg.loadcheck NQUADS STORE``)
while it writes the other files; the outcome comes back pickled on stdout. A new interpreter,
not a fork: a process that has opened a store before has the store engine's threads, and a
child forked from it can hang on their locks.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from qikg.errors import QikgError, StoreError

from .crosscheck import crosscheck
from .store import OxigraphStore
from .validate import Report


def load_and_check(nquads: Path, store_dir: Path) -> tuple[Report, float]:
    """Bulk-load ``nquads`` into a new store at ``store_dir`` and run the checks on it;
    return their report and the CPU seconds they took."""
    store = OxigraphStore(store_dir)
    try:
        store.load_dataset(nquads)
        started = time.process_time()
        report = crosscheck(store)
        return report, time.process_time() - started
    finally:
        store.close()


class Background:
    """:func:`load_and_check` in a child interpreter; :meth:`result` waits for it. Leaving
    the ``with`` block stops the child if it still runs."""

    def __init__(self, nquads: Path, store_dir: Path) -> None:
        self._nquads = nquads
        command = [sys.executable, "-m", __name__, str(nquads), str(store_dir)]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def __enter__(self) -> Background:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()

    def result(self) -> tuple[Report, float]:
        out, err = self._process.communicate()
        if self._process.returncode == 0:
            status, *outcome = pickle.loads(out)
            if status == "ok":
                return outcome[0], outcome[1]
            raise StoreError(outcome[0])
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise StoreError(f"{self._nquads}: loading the store failed: {last[0]}")


def main(argv: list[str] | None = None) -> int:
    nquads, store_dir = sys.argv[1:3] if argv is None else argv[:2]
    try:
        outcome: tuple[object, ...] = ("ok", *load_and_check(Path(nquads), Path(store_dir)))
    except QikgError as exc:
        outcome = ("error", str(exc))
    sys.stdout.buffer.write(pickle.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
