"""Figures computed once per store: the store of a release never changes, so what pages derive
from the whole dataset (counts, charts, the question index) is kept until the store is switched.

A :class:`StoreMemo` belongs to one store and holds a reference to it only; the server state
replaces its memo when it switches stores, so the old store and its figures are dropped together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from qikg.kg.store import Store

if TYPE_CHECKING:
    from .state import ServerState

__all__ = ["StoreMemo", "memo_for"]

T = TypeVar("T")


class StoreMemo:
    """Values made from ``store`` by name, each made at most once (thread-safe)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._values: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str, make: Callable[[Store], T]) -> T:
        """The value called ``name``, made by ``make(store)`` on first use."""
        if name not in self._values:
            with self._guard:
                lock = self._locks.setdefault(name, threading.Lock())
            with lock:  # concurrent first requests wait for one computation
                if name not in self._values:
                    self._values[name] = make(self.store)
        value: T = self._values[name]  # type: ignore[assignment]
        return value

    def named_graphs(self) -> list[str]:
        """The store's named graphs, sorted."""
        return self.get("named-graphs", lambda store: store.named_graphs())

    def triple_count(self) -> int:
        """The store's number of statements."""
        return self.get("triple-count", lambda store: store.triple_count())

    def __contains__(self, name: str) -> bool:
        return name in self._values


def memo_for(state: ServerState, store: Store) -> StoreMemo:
    """The state's memo when it serves ``store``; else a memo for this call only."""
    memo = state.memo
    return memo if memo.store is store else StoreMemo(store)
