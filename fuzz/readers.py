"""Coverage-guided fuzzing of the input readers with atheris (libFuzzer), run on demand.

    python fuzz/readers.py TARGET [libFuzzer options...] [CORPUS_DIR...]

TARGET is one of ``delve_text``, ``transcript``, ``delve_pdf``, ``text`` (the UTF-8 decoding the
text readers share). Any input must parse or raise :class:`qikg.errors.ParseError` naming the
file; any other exception is a finding, and libFuzzer writes the input to ``crash-*``. Hangs are
caught with ``-timeout=SECONDS``. Seed it with real files, e.g. ``kg/data/example``.
Needs the ``fuzz`` extra: ``pip install -e '.[fuzz]'``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import atheris

with atheris.instrument_imports():
    from qikg.errors import ParseError
    from qikg.kg.readers import delve_pdf, delve_text, text, transcript

SOURCE = "fuzz-input"


def _decode(data: bytes, source: str) -> object:
    return text.decode(data, source, hint="re-save as UTF-8")


TARGETS: dict[str, Callable[[bytes, str], object]] = {
    "delve_text": delve_text.read,
    "transcript": transcript.read,
    "delve_pdf": delve_pdf.read,
    "text": _decode,
}


def _one_input(read: Callable[[bytes, str], object]) -> Callable[[bytes], None]:
    def test(data: bytes) -> None:
        try:
            read(data, SOURCE)
        except ParseError as err:
            if err.file != SOURCE:
                raise AssertionError(f"the error names {err.file!r}, not the input") from err

    return test


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python fuzz/readers.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = argv.pop(1)
    atheris.Setup(argv, _one_input(TARGETS[target]))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
