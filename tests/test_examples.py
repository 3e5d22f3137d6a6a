"""The shipped examples: the vulnerable gateway shows each configuration rule at its line, the hardened
gateway gives nothing at severity low or above."""

from conftest import REPO
from edgeward.engine import scan
from edgeward.findings import Severity

VULNERABLE = REPO / "examples" / "vulnerable-gateway"
HARDENED = REPO / "examples" / "hardened-gateway"
CONFIG_FILES = {
    "worker/wrangler.toml",
    "worker/.dev.vars",
    "worker/package.json",
    "fastly-app/fastly.toml",
    "fastly-app/Cargo.toml",
    "legacy-worker/wrangler.toml",
}


MINE = {
    "SEC001",
    "SEC002",
    "SEC003",
    "SEC007",
    "SEC008",
    "ISO005",
    "PLT001",
    "PLT002",
    "PLT003",
    "PLT004",
    "OBS001",
    "OBS007",
    "SUP001",
    "SUP004",
}


def test_vulnerable_gateway_configuration_findings():
    result = scan(VULNERABLE)
    got = sorted(
        (f.code, f.path, f.line) for f in result.findings if f.path in CONFIG_FILES and f.code in MINE
    )
    assert got == sorted(
        [
            ("ISO005", "worker/wrangler.toml", 35),
            ("OBS001", "legacy-worker/wrangler.toml", 2),
            ("OBS001", "worker/wrangler.toml", 1),
            ("OBS007", "worker/wrangler.toml", 24),
            ("PLT001", "worker/wrangler.toml", 4),
            ("PLT002", "legacy-worker/wrangler.toml", 5),
            ("PLT003", "legacy-worker/wrangler.toml", 4),
            ("PLT001", "worker/wrangler.toml", 28),
            ("PLT004", "worker/package.json", 6),
            ("SEC001", "worker/wrangler.toml", 11),
            ("SEC002", "worker/.dev.vars", 1),
            ("SEC002", "worker/.dev.vars", 2),
            ("SEC003", "legacy-worker/wrangler.toml", 12),
            ("SEC007", "fastly-app/fastly.toml", 19),
            ("SEC008", "fastly-app/fastly.toml", 23),
            ("SUP001", "fastly-app/Cargo.toml", 1),
            ("SUP001", "worker/package.json", 1),
            ("SUP004", "fastly-app/Cargo.toml", 1),
            ("SUP004", "fastly-app/Cargo.toml", 8),
            ("SUP004", "worker/package.json", 14),
        ]
    )
    rows = {row.item: row.status for row in result.checklist}
    assert rows[1] == "fail" and rows[7] == "fail" and rows[14] == "fail"


def test_hardened_gateway_is_clean():
    result = scan(HARDENED)
    loud = [(f.code, f.path, f.line, f.message) for f in result.findings if f.severity >= Severity.LOW]
    assert loud == []
    rows = {row.item: row.status for row in result.checklist}
    assert rows[3] == "pass"  # the README documents secret rotation
    assert "fail" not in rows.values()
