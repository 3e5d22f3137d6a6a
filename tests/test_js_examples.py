"""The example gateways: the vulnerable one shows each source-analysis mistake at its line, the hardened one
stays silent at low and above."""

from __future__ import annotations

import shutil
from pathlib import Path

from test_js_rules import MINE

from conftest import make_repo, run_scan
from edgeward.findings import Severity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _scan(name: str, tmp_path: Path):
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest)
    return run_scan(make_repo(dest))


def test_vulnerable_gateway_source_findings(tmp_path):
    result = _scan("vulnerable-gateway", tmp_path)
    got = sorted(
        (f.code, f.path, f.line)
        for f in result.findings
        if f.code in MINE
        and f.path
        and f.path.startswith("worker/")  # fastly-app: tests/test_rust_examples.py
    )
    assert got == [
        ("ISO001", "worker/src/tenant.ts", 9),
        ("ISO003", "worker/src/tenant.ts", 10),
        ("ISO004", "worker/src/tenant.ts", 8),
        ("OBS004", "worker/src/index.ts", 19),
        ("REQ001", "worker/src/auth.ts", 23),
        ("REQ002", "worker/src/auth.ts", 15),
        ("REQ004", "worker/src/index.ts", 25),
        ("REQ005", "worker/src/ratelimit.ts", 5),
        ("REQ006", "worker/src/tenant.ts", 16),
        ("REQ007", "worker/src/ratelimit.ts", 5),
        ("REQ008", "worker/src/index.ts", 26),
        ("REQ014", "worker/src/auth.ts", 13),
        ("SEC006", "worker/src/auth.ts", 12),
    ]


def test_hardened_gateway_is_clean(tmp_path):
    result = _scan("hardened-gateway", tmp_path)
    loud = [(f.code, f.path, f.line) for f in result.findings if f.severity >= Severity.LOW]
    assert loud == []
    rows = {r.item: r.status for r in result.checklist}
    for item in (2, 4, 6, 11, 12, 13, 15):
        assert rows[item] == "pass", (item, rows[item])
