"""Following a dataset folder's releases: a running server switches to a new build by itself.

``qikg build`` switches a new release in by moving the folder's ``current`` link
(:mod:`qikg.kg.release`). The watcher looks at that link every ``interval_s`` seconds; when it
points elsewhere, it opens the new store, moves the query workers and the app to it
(:meth:`ServerState.switch_store`), and closes the old store only after ``grace_s`` seconds, once
the requests that were reading it have finished. Requests never fail during a switch: until the
new store is ready, the old one answers.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask

from qikg.errors import StoreError
from qikg.kg.build import STORE_DIR
from qikg.kg.store import OxigraphStore

from .state import state_of

__all__ = ["ReleaseWatcher"]

log = logging.getLogger("qikg.server")


class ReleaseWatcher:
    """Switches ``app`` to the store of ``folder``'s current release whenever it changes."""

    def __init__(
        self, app: Flask, folder: Path, *, interval_s: float = 1.0, grace_s: float = 60.0
    ) -> None:
        self.app = app
        self.folder = folder
        self.interval_s = interval_s
        self.grace_s = grace_s
        self.switches = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="qikg-releases", daemon=True)
        self._retired: list[OxigraphStore] = []

    def start(self) -> ReleaseWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching and close the stores switched away from."""
        self._stop.set()
        self._thread.join(10)
        for store in self._retired:
            store.close()
        self._retired.clear()

    def check(self) -> bool:
        """Switch to the current release if it is not the one served; whether it switched."""
        target = (self.folder / STORE_DIR).resolve()
        state = state_of(self.app)
        served = state.store
        if not target.is_dir() or (
            isinstance(served, OxigraphStore)
            and served.path is not None
            and Path(served.path).resolve() == target
        ):
            return False
        try:
            fresh = OxigraphStore.open_read_only(target)
        except StoreError as err:
            log.error("a new release could not be opened; still serving the previous one: %s", err)
            return False
        try:
            state.switch_store(fresh)
        except StoreError as err:
            fresh.close()
            log.error(
                "could not switch to the new release; still serving the previous one: %s", err
            )
            return False
        self.switches += 1
        log.warning("now serving the release at %s", target.parent)
        if isinstance(served, OxigraphStore):
            self._retire(served)
        return True

    def _retire(self, store: OxigraphStore) -> None:
        self._retired.append(store)
        timer = threading.Timer(self.grace_s, self._close, args=(store,))
        timer.daemon = True
        timer.start()

    def _close(self, store: OxigraphStore) -> None:
        if store in self._retired:
            self._retired.remove(store)
            store.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one failed check
                log.exception("checking for a new release failed")
