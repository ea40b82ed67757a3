"""What the app keeps between requests: held in ``app.extensions``, never in module globals."""

from __future__ import annotations

from flask import Flask

from qikg.errors import StoreError
from qikg.kg.store import Store

from .execute import QueryRunner
from .memo import StoreMemo
from .workers import WorkerPool

EXTENSION_KEY = "qikg"


class ServerState:
    """The store the app reads (service description, landing page) and the runner that
    answers SPARQL queries over the same data."""

    def __init__(self, store: Store, runner: QueryRunner) -> None:
        self.store = store
        self.runner = runner
        self.memo = StoreMemo(store)
        """Figures pages derive from the whole store; replaced with the store."""

    def switch_store(self, store: Store) -> None:
        """Serve ``store`` from now on (a new release of the data).

        Worker processes are moved first, and only once they have opened the new store does the
        app itself read from it; on failure nothing changes and :class:`StoreError` is raised.
        """
        if isinstance(self.runner, WorkerPool):
            opener = store.reopener()
            if opener is None:
                raise StoreError("the query workers cannot open a store held in memory")
            self.runner.reopen(opener)
        else:
            from .execute import InProcessRunner

            self.runner = InProcessRunner(store)
        self.store = store
        self.memo = StoreMemo(store)

    def close(self) -> None:
        """Stop the query workers, if any."""
        self.runner.close()


def state_of(app: Flask) -> ServerState:
    """The state :func:`qikg.server.create_app` put into ``app``."""
    state = app.extensions[EXTENSION_KEY]
    assert isinstance(state, ServerState)
    return state
