"""Chunked, decoded reading of large files with flat memory."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

CHUNK = 4 * 1024 * 1024


def text_chunks(f: BinaryIO, *, chunk: int = CHUNK, encoding: str = "utf-8") -> Iterator[str]:
    """Decoded chunks of a binary stream (invalid bytes replaced); never holds more than one chunk."""
    dec = codecs.getincrementaldecoder(encoding)(errors="replace")
    while True:
        b = f.read(chunk)
        if not b:
            rest = dec.decode(b"", final=True)
            if rest:
                yield rest
            return
        yield dec.decode(b)


def bytes_chunks(data: bytes | memoryview, start: int, end: int, *, chunk: int = CHUNK) -> Iterator[str]:
    """Latin-1 view (one character per byte, offsets preserved) of data[start:end], chunk by chunk."""
    for i in range(start, end, chunk):
        yield bytes(data[i : min(end, i + chunk)]).decode("latin-1")
