"""Every reader of ``kg/readers``, fuzzed: any bytes parse or raise the project's ParseError
naming the file (and the line or page where there is one), never another exception, and each
input is read within a bounded time.

Besides plain random bytes (covered per reader in ``test_reader_*.py``), inputs here are real
files damaged by hypothesis (bytes replaced, cut out or repeated), which reach deeper into each
format than noise does, and files handed to :func:`qikg.kg.sources.read_source`, the one place
that picks a reader for a path.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qikg.errors import ParseError
from qikg.kg.model import Document
from qikg.kg.readers import delve_pdf, delve_text, text, transcript
from qikg.kg.sources import read_source
from qikg.kg.study import default_study

from .conftest import ROOT

EXAMPLE = ROOT / "kg/data/example/Interview 3 - Amin.txt"
CORPUS = ROOT.parent / "shared/corpus"
TRANSCRIPT = CORPUS / "transcripts/Interview 4.txt"
PRINT = CORPUS / "delve-pdf/codings/2023-06-04-Interview 19 - PO.pdf"
BOUND_S = 20.0
"""The longest one input may take: far above the slowest real file's reading time (a page of a
print takes about 33 ms), so that only a hang fails, even on a busy machine."""
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def _bounded(
    read: Callable[[bytes, str], object], data: bytes, source: str, bound: float = BOUND_S
) -> object:
    """``read(data, source)`` in a thread; fail if it runs past ``bound`` seconds."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(read(data, source))
        except BaseException as exc:  # handed back to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(bound)
    assert not worker.is_alive(), f"{source}: still reading after {bound} s ({len(data)} bytes)"
    return outcome[0]


def _check(read: Callable[[bytes, str], object], data: bytes, source: str) -> None:
    result = _bounded(read, data, source)
    if isinstance(result, BaseException):
        if not isinstance(result, ParseError):
            raise result
        assert result.file == source
        assert str(result).startswith(source)
        assert result.message.strip()


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with one to three spans replaced, deleted or repeated."""
    data = original
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        size = draw(st.integers(0, 64))
        how = draw(st.sampled_from(["replace", "delete", "repeat", "insert"]))
        if how == "replace":
            junk = draw(st.binary(min_size=1, max_size=64))
            data = data[:at] + junk + data[at + len(junk) :]
        elif how == "delete":
            data = data[:at] + data[at + size :]
        elif how == "repeat":
            data = data[:at] + data[at : at + size] * draw(st.integers(2, 50)) + data[at:]
        else:
            token = draw(
                st.sampled_from(
                    [
                        b"\n\n",
                        b"\r",
                        b"\x00",
                        b"\xff\xfe",
                        b"Interviewee\n\n",
                        b"MM-drift\n\n",
                        b"Interviewer 1: ",
                        b"\xe2\x80",
                        b"%%EOF",
                        b"obj",
                        b"<<",
                        b"stream\n",
                    ]
                )
            )
            data = data[:at] + token + data[at:]
    return data


def _decode(data: bytes, source: str) -> str:
    return text.decode(data, source, hint="re-save as UTF-8")


@SETTINGS
@given(damaged(EXAMPLE.read_bytes()))
def test_delve_text_damaged_export(data):
    _check(delve_text.read, data, "damaged.txt")


@pytest.mark.skipif(not TRANSCRIPT.is_file(), reason="needs the development corpus (../shared)")
@SETTINGS
@given(st.data())
def test_transcript_damaged(data):
    _check(transcript.read, data.draw(damaged(TRANSCRIPT.read_bytes())), "Interview 4.txt")


@SETTINGS
@given(
    st.binary(max_size=3000)
    | damaged("Déjà vu: ça \u201cmarche\u201d \u2013 oui\r\n".encode() * 20)
)
def test_text_decoding(data):
    result = _bounded(_decode, data, "any.txt")
    if isinstance(result, ParseError):
        assert result.file == "any.txt" and result.line is not None
        assert 1 <= result.line <= data.count(b"\n") + 1
    else:
        assert isinstance(result, str) and "\r" not in result


def _first_page() -> bytes:
    """Page 1 of a real print, as a PDF of its own (a small, fast seed)."""
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(PRINT).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.skipif(not PRINT.is_file(), reason="needs the development corpus (../shared)")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_delve_pdf_damaged_page(data):
    _check(delve_pdf.read, data.draw(damaged(_first_page())), "damaged.pdf")


@SETTINGS
@given(
    name=st.sampled_from(["Interview 7.txt", "export.txt", "print.pdf", "notes.TXT"]),
    data=st.binary(max_size=500)
    | damaged(EXAMPLE.read_bytes()[-3000:])
    | st.just(b"%PDF-1.4\n%%EOF\n"),
)
def test_any_file_through_read_source(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp("fuzz") / name

    def read(content: bytes, source: str) -> Document:
        path.write_bytes(content)
        return read_source(path, default_study()).document

    _check(read, data, name)


def test_the_bound_catches_a_hang():
    """The time bound itself works: a reader that never returns fails the check."""
    stop = threading.Event()

    def hangs(data: bytes, source: str) -> None:
        stop.wait(5)

    with pytest.raises(AssertionError, match="still reading"):
        _bounded(hangs, b"", "hang.txt", bound=0.2)
    stop.set()


@pytest.mark.skipif(not PRINT.is_file(), reason="needs the development corpus (../shared)")
def test_a_damaged_page_dictionary_is_a_parse_error():
    """Found by the fuzzing above: the PDF could not even be closed, and closing raised
    pdfplumber's own error in place of the ParseError."""
    page = _first_page()
    assert b"/Resources <<" in page
    with pytest.raises(ParseError) as info:
        delve_pdf.read(page.replace(b"/Resources <<", b"/Resources \x01<", 1), "damaged.pdf")
    assert info.value.file == "damaged.pdf" and "cannot be read" in info.value.message
