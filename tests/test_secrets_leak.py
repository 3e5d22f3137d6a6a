"""Never leak: a repository full of fake secrets, in source, config, bundles, maps, wasm and packages, is
scanned and rendered in every format; no secret may appear in full anywhere in the output or the notes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from test_secrets_artifacts import _tar

from conftest import make_repo, run_scan
from edgeward.report import render
from edgeward.secrets.artifacts.wasm import build_module

FIX = Path(__file__).parent / "fixtures" / "secrets"


def _planted() -> set[str]:
    """Every quoted or assigned fake secret of the leaky fixture."""
    out: set[str] = set()
    for p in (FIX / "leaky").rglob("*"):
        if p.is_file():
            text = p.read_text()
            out.update(re.findall(r"\"([^\"\s]{16,})\"", text))
            out.update(re.findall(r"^[A-Z_]+=(\S{16,})$", text, re.M))
    out = {s for s in out if not s.startswith(("src/", "-----BEGIN", "postgres://"))}
    out.add("Tr0ub4dor-FAKE-9xQ")  # the password of the database URL
    out.add("MIIEvFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake")  # PEM body
    return out


def test_no_output_format_contains_a_secret(tmp_path):
    secrets = _planted()
    assert len(secrets) >= 14
    root = tmp_path / "r"
    shutil.copytree(FIX / "leaky", root)
    blob = ";".join(f'var v{i}="{s}"' for i, s in enumerate(sorted(secrets)))
    (root / "dist").mkdir()
    (root / "dist" / "index.js").write_text(blob + "\n")
    (root / "dist" / "index.js.map").write_text(
        json.dumps(
            {
                "version": 3,
                "sources": ["../src/index.js"],
                "sourcesContent": [(root / "src/index.js").read_text()],
            }
        )
    )
    (root / "bin").mkdir()
    (root / "bin" / "main.wasm").write_bytes(build_module([blob.encode()], {"producers": blob.encode()}))
    (root / "pkg").mkdir()
    (root / "pkg" / "app.tar.gz").write_bytes(
        _tar(
            [
                ("app/bin/main.wasm", build_module([blob.encode()]), "file"),
                ("app/x.js", blob.encode(), "file"),
            ]
        )
    )
    make_repo(root)
    result = run_scan(root)
    codes = {f.code for f in result.findings}
    assert {"SEC001", "SEC002", "SEC004", "SEC009"} <= codes
    assert len([f for f in result.findings if f.code == "SEC004"]) > 40
    outputs = {fmt: render(result, fmt) for fmt in ("text", "json", "sarif", "markdown")}
    outputs["dict"] = repr(result.to_dict())
    outputs["notes"] = repr([n.to_dict() for n in result.notes])
    for fmt, text in outputs.items():
        for s in secrets:
            assert s not in text, f"{fmt} output leaks a secret of {len(s)} chars ({s[:4]}…)"
            # no long slice of it either (more than redact() ever shows)
            for i in range(0, len(s) - 12):
                assert s[i : i + 12] not in text, f"{fmt} output leaks 12 characters of a secret ({s[:4]}…)"
