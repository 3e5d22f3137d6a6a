"""A minimal WebAssembly binary reader: the sections that hold bytes an attacker can read.

Only data segments (section 11) and custom sections (section 0: `name`, `producers`, debug info, anything a
toolchain embedded) are returned; code is never grepped. Sizes are checked against the file: a section or
segment that claims more bytes than there are gives a note and stops the reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

MAGIC = b"\0asm"


class WasmError(ValueError):
    pass


@dataclass(frozen=True)
class Region:
    label: str  # "data segment 2", "custom section `name`"
    start: int  # offset of the bytes in the module
    end: int


def _leb_u(data, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WasmError(f"truncated LEB128 number at offset {pos:#x}")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 35:
            raise WasmError(f"LEB128 number too long at offset {pos:#x}")


def _skip_const_expr(data, pos: int, end: int) -> int:
    """Skip an init expression (i32.const / i64.const / global.get ... end)."""
    for _ in range(64):
        if pos >= end:
            break
        op = data[pos]
        pos += 1
        if op == 0x0B:
            return pos
        if op in (0x41, 0x42, 0x23, 0x24, 0xD2):  # const / global.get / ref.func: one LEB operand
            while pos < end and data[pos] & 0x80:
                pos += 1
            pos += 1
        elif op == 0x44:
            pos += 8
        elif op == 0x43:
            pos += 4
        elif op == 0xD0:
            pos += 1
    raise WasmError(f"unterminated init expression before offset {pos:#x}")


def regions(data) -> Iterator[Region]:
    """Data segments and custom sections of a module held in `data` (bytes, memoryview or mmap)."""
    size = len(data)
    if size < 8 or bytes(data[:4]) != MAGIC:
        raise WasmError("not a WebAssembly module (bad magic)")
    if bytes(data[4:8]) != b"\x01\0\0\0":
        raise WasmError(f"unsupported WebAssembly version {bytes(data[4:8]).hex()}")
    pos = 8
    while pos < size:
        sid = data[pos]
        sec_size, body = _leb_u(data, pos + 1, size)
        sec_end = body + sec_size
        if sec_end > size:
            raise WasmError(
                f"section {sid} at offset {pos:#x} claims {sec_size:,} bytes; only {size - body:,} remain"
            )
        if sid == 0:
            nlen, p = _leb_u(data, body, sec_end)
            if p + nlen > sec_end:
                raise WasmError(f"custom section name at offset {body:#x} runs past its section")
            name = bytes(data[p : p + nlen]).decode("utf-8", "replace")[:64]
            yield Region(f"custom section `{name}`", p + nlen, sec_end)
        elif sid == 11:
            count, p = _leb_u(data, body, sec_end)
            for i in range(count):
                flag, p = _leb_u(data, p, sec_end)
                if flag == 2:
                    _, p = _leb_u(data, p, sec_end)
                if flag in (0, 2):
                    p = _skip_const_expr(data, p, sec_end)
                elif flag != 1:
                    raise WasmError(f"data segment {i}: unknown flag {flag}")
                n, p = _leb_u(data, p, sec_end)
                if p + n > sec_end:
                    raise WasmError(f"data segment {i} at offset {p:#x} claims {n:,} bytes past its section")
                yield Region(f"data segment {i}", p, p + n)
                p += n
        elif sid > 13:
            raise WasmError(f"unknown section id {sid} at offset {pos:#x}")
        pos = sec_end


def build_module(data_segments: list[bytes] = (), customs: dict[str, bytes] | None = None) -> bytes:
    """Write a small valid module (for tests and the benchmark): one memory, active data segments at
    offset 0, then custom sections."""

    def leb(n: int) -> bytes:
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def section(sid: int, payload: bytes) -> bytes:
        return bytes([sid]) + leb(len(payload)) + payload

    out = bytearray(MAGIC + b"\x01\0\0\0")
    out += section(5, b"\x01\x00\x01")  # one memory, min 1 page
    if data_segments:
        body = leb(len(data_segments))
        for seg in data_segments:
            body += b"\x00\x41\x00\x0b" + leb(len(seg)) + seg
        out += section(11, body)
    for name, payload in (customs or {}).items():
        nb = name.encode()
        out += section(0, leb(len(nb)) + nb + payload)
    return bytes(out)
