"""The example gateways: the vulnerable one leaks secrets into its built artifacts; the hardened one is silent."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import make_repo, run_scan
from edgeward.findings import Severity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MINE = ("SEC003", "SEC004", "SEC005", "SEC009")


def _scan(name: str, tmp_path: Path):
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root)
    return run_scan(make_repo(root))


def test_vulnerable_gateway_artifacts(tmp_path):
    result = _scan("vulnerable-gateway", tmp_path)
    got = sorted({(f.code, f.path, f.line) for f in result.findings if f.code in MINE})
    assert got == [
        ("SEC003", "legacy-worker/wrangler.toml", 12),
        ("SEC003", "worker/build.mjs", 12),
        ("SEC004", "fastly-app/pkg/api-gateway-compute.tar.gz", 1),
        ("SEC004", "worker/dist/index.js", 1),
        ("SEC004", "worker/dist/index.js.map", 1),
        ("SEC005", "fastly-app/src/tenant.rs", 7),
    ]
    msgs = " ".join(f.message for f in result.findings if f.code == "SEC004")
    assert "the secret value defined in `worker/.dev.vars` line 1 (`JWT_SIGNING_SECRET`)" in msgs
    assert "entry `api-gateway-compute/bin/main.wasm`, data segment 0" in msgs
    assert "original `worker/src/legacy-keys.ts` line 2" in msgs
    assert not [n for n in result.notes if n.kind in ("internal-error", "parse-error", "package")]


def test_hardened_gateway_is_silent(tmp_path):
    result = _scan("hardened-gateway", tmp_path)
    assert not [f for f in result.findings if f.code in MINE and f.severity >= Severity.LOW]
