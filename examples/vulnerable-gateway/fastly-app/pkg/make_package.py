"""Writes api-gateway-compute.tar.gz: the package `fastly compute build` would produce, for edgeward's example.

Deliberately insecure: the build compiled the config-store token from fastly.toml and a payment key into the
wasm data segment. The module is written byte by byte (magic, version, sections); no toolchain is needed.
Run from this directory: `python3 make_package.py`. The output is deterministic.
"""

import gzip
import io
import tarfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb(len(payload)) + payload


def module(data: bytes, producers: bytes) -> bytes:
    seg = leb(1) + b"\x00\x41\x00\x0b" + leb(len(data)) + data
    name = b"producers"
    return (
        b"\0asm\x01\0\0\0"
        + section(5, b"\x01\x00\x01")
        + section(11, seg)
        + section(0, leb(len(name)) + name + producers)
    )


def main() -> None:
    conf = tomllib.loads((HERE.parent / "fastly.toml").read_text())
    token = conf["local_server"]["config_stores"]["settings"]["contents"]["origin_api_token"]
    payment = "sk_live_" + "FAKEfake0123456789FAKEfake1111"
    data = b"origin.example.com\0" + token.encode() + b"\0" + payment.encode() + b"\0/healthz\0"
    wasm = module(data, b"\x01\x0cprocessed-by\x01\x05rustc\x061.83.0")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, content in (
            ("api-gateway-compute/fastly.toml", (HERE.parent / "fastly.toml").read_bytes()),
            ("api-gateway-compute/bin/main.wasm", wasm),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(content), 0, 0o644
            tf.addfile(info, io.BytesIO(content))
    out = HERE / "api-gateway-compute.tar.gz"
    out.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    print(f"wrote {out.name}")


if __name__ == "__main__":
    main()
