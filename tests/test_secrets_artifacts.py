"""SEC004: secrets in bundles, source maps, wasm modules and Fastly packages; hostile inputs become notes."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

from conftest import found, make_repo, run_scan
from edgeward.secrets.artifacts.wasm import build_module

STRIPE = "sk_live_FAKEfake0123456789FAKEfake3333"
GH = "ghp_FAKEfake0123456789FAKEfake0123456789"


def _tar(entries: list[tuple[str, bytes | None, str]]) -> bytes:
    """entries: (name, content, type) with type "file", "symlink" or "hardlink"."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, content, typ in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if typ == "file":
                info.size = len(content or b"")
                tf.addfile(info, io.BytesIO(content or b""))
            else:
                info.type = tarfile.SYMTYPE if typ == "symlink" else tarfile.LNKTYPE
                info.linkname = "/etc/passwd"
                tf.addfile(info)
    return gzip.compress(buf.getvalue(), mtime=0)


def _sec004(result):
    return [f for f in result.findings if f.code == "SEC004"]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts}


def test_minified_bundle_with_megabyte_line(tmp_path):
    line = "var a=1;" * 150_000 + f'var k="{STRIPE}";' + "var b=2;" * 1000
    root = make_repo(
        tmp_path / "r",
        {"worker/dist/index.js": "// built\n" + line + "\n", ".wrangler/tmp/x/index.js": f"x='{GH}'\n"},
    )
    result = run_scan(root)
    assert found(result, "SEC004") == [
        ("SEC004", ".wrangler/tmp/x/index.js", 1),
        ("SEC004", "worker/dist/index.js", 2),
    ]
    f = [f for f in _sec004(result) if f.path == "worker/dist/index.js"][0]
    assert f.column == 150_000 * 8 + 8
    assert "Stripe secret key" in f.message and STRIPE not in f.message + f.evidence


def test_streamed_bundle_across_chunks(tmp_path):
    chunk = 4 * 1024 * 1024
    body = bytearray(b"x" * (chunk * 2 + 1000))
    at = [chunk - 10, chunk * 2 - 3, len(body) - 200]
    for i, pos in enumerate(at):
        tok = (GH if i % 2 else STRIPE).encode()
        body[pos : pos + len(tok)] = tok
        body[pos - 1 : pos] = b'"'
        body[pos + len(tok) : pos + len(tok) + 1] = b'"'
    body[100:101] = b"\n"
    root = make_repo(tmp_path / "r", {"dist/big.js": bytes(body)})
    result = run_scan(root)
    got = sorted((f.line, f.column) for f in _sec004(result))
    assert got == [(2, pos - 100) for pos in at]


def test_source_map_reports_original_file_and_line(tmp_path):
    original = "export const x = 1;\n\nexport const KEY = '" + STRIPE + "';\n"
    smap = {
        "version": 3,
        "sources": ["../src/keys.ts", "../src/gone.ts"],
        "sourcesContent": [original, f"// old\nconst t = '{GH}';\n"],
        "mappings": "",
    }
    root = make_repo(
        tmp_path / "r",
        {
            "src/keys.ts": "export const x = 1;\n",
            "dist/index.js.map": json.dumps(smap),
            "dist/index.js": "var x=1;\n",
        },
    )
    result = run_scan(root)
    got = sorted((f.path, f.line) for f in _sec004(result))
    assert got == [("dist/index.js.map", 1), ("src/keys.ts", 3)]
    by_path = {f.path: f for f in _sec004(result)}
    assert "source map `dist/index.js.map`" in by_path["src/keys.ts"].message
    assert by_path["src/keys.ts"].extra["artifact"] == "dist/index.js.map"
    assert "original `src/gone.ts` line 2" in by_path["dist/index.js.map"].message


def test_wasm_data_segment_and_custom_sections_not_code(tmp_path):
    module = build_module(
        [b"hello\0" + STRIPE.encode() + b"\0"],
        {
            "producers": b"\x01\x0cprocessed-by\x01\x05rustc\x061.83.0",
            "name": b"\x00\x05" + GH.encode()[:0] + b"abcde",
            "build-info": b"token=" + GH.encode(),
        },
    )
    code_section = (
        bytes([10]) + bytes([len(STRIPE) + 2]) + b"\x00\x00" + STRIPE.encode()
    )  # must not be grepped
    root = make_repo(tmp_path / "r", {"bin/main.wasm": module + code_section})
    result = run_scan(root)
    msgs = sorted(f.message for f in _sec004(result))
    assert len(msgs) == 2
    assert "data segment 0 at byte offset" in msgs[1] and "Stripe" in msgs[1]
    assert "custom section `build-info`" in msgs[0]
    assert all(f.path == "bin/main.wasm" for f in _sec004(result))
    assert [n for n in result.notes if n.path == "bin/main.wasm"] == []


def test_fastly_package_read_in_memory(tmp_path):
    wasm = build_module([b"\0" + STRIPE.encode() + b"\0"])
    pkg = _tar(
        [
            ("app/bin/main.wasm", wasm, "file"),
            ("app/fastly.toml", b'name = "app"\n', "file"),
            ("app/src/index.js", f"\n\nconst t = '{GH}';\n".encode(), "file"),
        ]
    )
    root = make_repo(tmp_path / "r", {"pkg/app.tar.gz": pkg})
    before = _tree(root)
    result = run_scan(root)
    msgs = sorted(f.message for f in _sec004(result))
    assert len(msgs) == 2, msgs
    assert "entry `app/bin/main.wasm`, data segment 0" in msgs[1]
    assert "entry `app/src/index.js` line 3" in msgs[0]
    assert _tree(root) == before


def test_provenance_dev_vars_value_in_bundle(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            ".dev.vars": "SIGNING_SECRET=Hx4kP9wL2qV7nR3tZ8mC5bJ1dF6gFAKE\n",
            ".gitignore": ".dev.vars\n",
            "src/index.js": f"export const k = '{GH}';\n",
            "dist/index.js": 'var s="Hx4kP9wL2qV7nR3tZ8mC5bJ1dF6gFAKE",k="' + GH + '";\n',
        },
        commit="respect",
    )
    result = run_scan(root)
    msgs = sorted(f.message for f in _sec004(result))
    assert len(msgs) == 2
    assert "the secret value defined in `.dev.vars` line 1 (`SIGNING_SECRET`)" in msgs[1]
    assert "GitHub personal access token — it comes from `src/index.js` line 1" in msgs[0]


def test_hostile_inputs_give_notes_not_crashes_and_write_nothing(tmp_path):
    good = _tar([("app/a.js", f"k='{GH}'\n".encode(), "file")])
    bomb_raw = io.BytesIO()
    with tarfile.open(fileobj=bomb_raw, mode="w") as tf:
        info = tarfile.TarInfo("app/zeros.bin")
        info.size = 24 * 1024 * 1024
        tf.addfile(info, io.BytesIO(b"\0" * info.size))
    lying = bytearray(build_module([STRIPE.encode()]))
    lying[9] = 0x7F  # the memory section now claims 127 bytes
    seg_lie = build_module([b"abc"])
    seg_lie = seg_lie.replace(b"\x00\x41\x00\x0b\x03abc", b"\x00\x41\x00\x0b\x7fabc")
    files = {
        "pkg/traversal.tar.gz": _tar(
            [
                ("../../evil.js", f"k='{GH}'\n".encode(), "file"),
                ("/abs.js", b"x", "file"),
                ("app/ok.js", b"ok", "file"),
            ]
        ),
        "pkg/links.tar.gz": _tar([("app/passwd", None, "symlink"), ("app/hard", None, "hardlink")]),
        "pkg/bomb.tar.gz": gzip.compress(bomb_raw.getvalue(), mtime=0),
        "pkg/truncated.tar.gz": good[: len(good) // 2],
        "pkg/notgzip.tar.gz": b"this is not a gzip file",
        "bin/lying.wasm": bytes(lying),
        "bin/seglie.wasm": seg_lie,
        "bin/notwasm.wasm": b"\0asm\x02\0\0\0",
        "dist/broken.js.map": b'{"sources": ["a.js"], "sourcesContent": [',
    }
    root = make_repo(tmp_path / "r", files)
    before = _tree(root)
    cwd_before = set(os.listdir(Path.cwd()))
    result = run_scan(root)
    assert not _sec004(result)
    notes = {(n.path, n.kind): n.message for n in result.notes}
    assert "escapes the package" in notes[("pkg/traversal.tar.gz", "package")]
    assert "link entry" in notes[("pkg/links.tar.gz", "package")]
    assert "compression ratio" in notes[("pkg/bomb.tar.gz", "package")]
    assert "damaged package" in notes[("pkg/truncated.tar.gz", "package")]
    assert "damaged package" in notes[("pkg/notgzip.tar.gz", "package")]
    assert "claims 127 bytes" in notes[("bin/lying.wasm", "parse-error")]
    assert "past its section" in notes[("bin/seglie.wasm", "parse-error")]
    assert "version" in notes[("bin/notwasm.wasm", "parse-error")]
    assert ("dist/broken.js.map", "parse-error") in notes
    assert not [n for n in result.notes if n.kind == "internal-error"]
    for n in result.notes:
        assert GH not in n.message and STRIPE not in n.message
    assert _tree(root) == before
    assert set(os.listdir(Path.cwd())) == cwd_before


def test_parallel_scan_equals_serial(tmp_path, monkeypatch):
    import edgeward.secrets.scan as scan_mod

    files = {f"dist/chunk{i}.js": ("var a=1;" * 2000 + f'k="{STRIPE}";\n') * 3 for i in range(6)}
    root = make_repo(tmp_path / "r", files)
    serial = found(run_scan(root), "SEC004")
    monkeypatch.setattr(scan_mod, "PARALLEL_BYTES", 1)
    parallel = found(run_scan(root), "SEC004")
    assert serial == parallel and len(serial) == 18


def test_streaming_keeps_memory_below_file_size(tmp_path):
    import tracemalloc

    from edgeward.secrets.artifacts.stream import CHUNK
    from edgeward.secrets.scan import scan_job

    big = tmp_path / "big.js"
    with open(big, "wb") as fh:
        for i in range(48):
            fh.write(b"a.b(c,d);" * (1024 * 1024 // 9))
            if i == 40:
                fh.write(f'var k="{STRIPE}";'.encode())
    size = big.stat().st_size
    tracemalloc.start()
    try:
        found, notes = scan_job(("bundle", str(big), "big.js", ()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(f.line, f.match.kind) for f in found] == [(1, "Stripe secret key")]
    # bounded by a few 4 MB chunks, whatever the size of the file
    assert size > 11 * CHUNK
    assert peak < 10 * CHUNK, f"peak {peak:,} bytes for a {size:,}-byte file"


def test_bundle_finding_names_the_original_line_through_mappings():
    from edgeward.secrets.artifacts.sourcemap import original_positions

    # generated line 1: col 0 -> src 0 line 0; col 10 -> src 1 line 4. line 2: col 2 -> src 1 line 6
    smap = json.dumps(
        {"version": 3, "sources": ["../src/a.ts", "../src/keys.ts"], "mappings": "AAAA,UCIA;EAEA"}
    )
    got = original_positions(smap, "dist/index.js.map", [(1, 5), (1, 30), (2, 3), (3, 1)])
    assert got == {(1, 5): ("src/a.ts", 1), (1, 30): ("src/keys.ts", 5), (2, 3): ("src/keys.ts", 7)}


def test_bundle_with_map_without_sources_content(tmp_path):
    bundle = 'var a=1;var k="' + STRIPE + '";\n'
    smap = {"version": 3, "sources": ["../src/keys.ts"], "mappings": "AAAA,QAEA"}
    root = make_repo(tmp_path / "r", {"dist/index.js": bundle, "dist/index.js.map": json.dumps(smap)})
    (f,) = _sec004(run_scan(root))
    assert (f.path, f.line, f.column) == ("dist/index.js", 1, 16)
    assert "original `src/keys.ts` line 3, per `dist/index.js.map`" in f.message


def test_webpack_style_source_names_resolve_from_the_project_root(tmp_path):
    smap = {
        "version": 3,
        "sources": ["webpack://gateway/./src/keys.ts"],
        "sourcesContent": [f"// k\nexport const K = '{GH}';\n"],
        "mappings": "",
    }
    root = make_repo(
        tmp_path / "r", {"src/keys.ts": "export const K = env.K;\n", "build/main.js.map": json.dumps(smap)}
    )
    (f,) = _sec004(run_scan(root))
    assert (f.path, f.line) == ("src/keys.ts", 2)
    assert f.extra["artifact"] == "build/main.js.map"
