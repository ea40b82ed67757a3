"""The project's exceptions: one hierarchy, mapped to exit codes by the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class QikgError(Exception):
    """Base of every error qikg raises on purpose."""

    exit_code = 1


@dataclass
class ParseError(QikgError):
    """An input file could not be read; names the file, the place and the fix."""

    file: str
    message: str
    line: int | None = None
    page: int | None = None
    hint: str = ""

    exit_code = 2

    def __str__(self) -> str:
        where = self.file
        if self.page is not None:
            where += f", page {self.page}"
        if self.line is not None:
            where += f", line {self.line}"
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class UnsupportedInput(ParseError):
    """The file is not of the format its reader reads (not merely malformed)."""


class ShapesError(QikgError):
    """The SHACL shapes or the ontology themselves could not be loaded."""

    exit_code = 3


class ValidationFailure(QikgError):
    """The data violates the shapes; carries the readable report."""

    exit_code = 4

    def __init__(self, report: str, violations: int) -> None:
        super().__init__(report)
        self.report = report
        self.violations = violations


class PrivacyFailure(QikgError):
    """The built dataset holds personal data the privacy policy neither accepts nor redacts."""

    exit_code = 6

    def __init__(self, findings: list[Any]) -> None:
        lines = [f"{f.kind} {f.match!r} in {f.location}" for f in findings[:50]]
        more = f"\n... and {len(findings) - 50} more" if len(findings) > 50 else ""
        super().__init__(
            f"refusing to publish: {len(findings)} finding(s) of personal data neither accepted "
            "nor redacted by the privacy policy (add a [redact] rule or an [[accept]] rule):\n"
            + "\n".join(lines)
            + more
        )
        self.findings = findings


class ConfigError(QikgError):
    """A configuration value or command-line option is wrong."""

    exit_code = 2


class StoreError(QikgError):
    """The triple store could not be opened, loaded or queried."""

    exit_code = 5
