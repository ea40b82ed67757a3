"""What the app keeps between requests: held in ``app.extensions``, never in module globals."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from qikg.kg.store import Store

EXTENSION_KEY = "qikg"


@dataclass(frozen=True)
class ServerState:
    """The store the app was built with."""

    store: Store


def state_of(app: Flask) -> ServerState:
    """The state :func:`qikg.server.create_app` put into ``app``."""
    state = app.extensions[EXTENSION_KEY]
    assert isinstance(state, ServerState)
    return state
