"""The example repositories: the vulnerable gateway's CI and lockfile findings, exactly; the hardened one silent."""

from __future__ import annotations

from pathlib import Path

from conftest import run_scan
from edgeward.findings import Severity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MINE = ("SUP", "SEC010", "OBS002")
WF = ".github/workflows/deploy.yml"


def _mine(result):
    return sorted((f.code, f.path, f.line) for f in result.findings if f.code.startswith(MINE))


def test_vulnerable_example_ci_and_lockfile_findings():
    result = run_scan(EXAMPLES / "vulnerable-gateway")
    assert _mine(result) == sorted(
        [
            ("SEC010", WF, 12),  # WRANGLER_LOG=debug with the log directory uploaded as an artifact
            ("SUP001", "fastly-app/Cargo.toml", 1),
            ("SUP001", "worker/package.json", 1),
            ("SUP002", WF, 18),  # npm install with the deploy tokens exposed job-wide
            ("SUP002", "fastly-app/fastly.toml", 8),  # cargo build without --locked
            ("SUP003", WF, 8),  # no cargo audit for the Compute app
            ("SUP003", WF, 20),  # npm audit || true
            ("SUP004", WF, 22),  # npm i -g wrangler
            ("SUP004", WF, 23),  # npx wrangler with no pinned local install
            ("SUP004", WF, 25),  # Fastly CLI set-up without cli_version
            ("SUP004", WF, 26),  # cargo install without --locked and a version
            ("SUP004", "fastly-app/Cargo.toml", 1),
            ("SUP004", "fastly-app/Cargo.toml", 8),
            ("SUP004", "worker/package.json", 14),
            ("SUP005", WF, 14),
            ("SUP005", WF, 15),
            ("SUP005", WF, 25),
            ("SUP005", WF, 29),
            ("SUP006", "fastly-app/Cargo.toml", 1),
            ("SUP011", WF, 23),
        ]
    )
    sup002 = [f for f in result.findings if f.code == "SUP002" and f.path == WF]
    assert sup002[0].severity == Severity.HIGH and "CLOUDFLARE_API_TOKEN" in sup002[0].message


def test_hardened_example_is_silent_and_passes_supply_items():
    result = run_scan(EXAMPLES / "hardened-gateway")
    assert [(f.code, f.path, f.line) for f in result.findings if f.severity >= Severity.LOW] == []
    rows = {r.item: r.status for r in result.checklist}
    assert rows[7] == rows[8] == rows[9] == rows[10] == "pass"
