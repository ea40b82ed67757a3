"""Decoding of text inputs, shared by the text readers."""

from __future__ import annotations

from qikg.errors import ParseError


def decode(data: bytes, source: str, hint: str) -> str:
    """UTF-8 text (a byte-order mark dropped, line ends as ``\\n``), or a ParseError at the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(
            source,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            line=line,
            hint=hint,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
