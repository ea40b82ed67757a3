"""qikg: a knowledge graph and query service for coded interview studies."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qikg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
