"""Fastly Compute packages (`pkg/<name>.tar.gz`): read in memory, entry by entry, never extracted.

Limits guard against hostile archives: the number of entries, the total uncompressed size, the size of one
entry and the compression ratio. Link entries, device files and names that escape the package (absolute
paths, `..`) are noted and skipped. Nothing is ever written to disk.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_ENTRIES = 10_000
MAX_TOTAL = 512 * 1024 * 1024
MAX_ENTRY = 128 * 1024 * 1024
MAX_RATIO = 200
RATIO_GRACE = 1024 * 1024  # tiny archives compress very well; judge the ratio after this many bytes


class PackageLimit(Exception):
    pass


@dataclass
class _Counting(io.RawIOBase):
    """Reads decompressed bytes and enforces the total size and compression ratio limits."""

    inner: BinaryIO
    compressed_size: int
    total: int = 0
    max_total: int = MAX_TOTAL
    max_ratio: int = MAX_RATIO

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.total += n
        if self.total > self.max_total:
            raise PackageLimit(f"uncompressed size exceeds {self.max_total:,} bytes")
        if self.total > RATIO_GRACE and self.total > self.max_ratio * max(1, self.compressed_size):
            raise PackageLimit(
                f"compression ratio above {self.max_ratio}:1 ({self.compressed_size:,} bytes compressed)"
            )
        return n


def entries(f: BinaryIO, compressed_size: int, notes: list[str]) -> Iterator[tuple[str, bytes]]:
    """(entry name, content) of every regular file in the package. Problems are appended to `notes`."""
    counting = _Counting(gzip.GzipFile(fileobj=f, mode="rb"), compressed_size)
    stream = io.BufferedReader(counting, buffer_size=256 * 1024)
    count = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tf:
            for member in tf:
                count += 1
                if count > MAX_ENTRIES:
                    notes.append(f"more than {MAX_ENTRIES:,} entries; the rest were not read")
                    return
                name = member.name
                norm = posixpath.normpath(name)
                if name.startswith("/") or norm == ".." or norm.startswith("../"):
                    notes.append(f"entry {name[:200]!r} escapes the package; not read")
                    continue
                if member.issym() or member.islnk():
                    notes.append(f"link entry {name[:200]!r} -> {member.linkname[:200]!r} not followed")
                    continue
                if not member.isreg():
                    continue
                if member.size > MAX_ENTRY:
                    notes.append(
                        f"entry {name[:200]!r} is {member.size:,} bytes, over {MAX_ENTRY:,}; not read"
                    )
                    continue
                fh = tf.extractfile(member)
                if fh is None:
                    continue
                yield norm, fh.read()
    except PackageLimit as exc:
        notes.append(f"stopped reading: {exc} (possible archive bomb)")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        notes.append(f"damaged package after {count} entries: {type(exc).__name__}: {str(exc)[:200]}")
