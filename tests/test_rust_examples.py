"""The Fastly Compute (Rust) app of the example gateways: every Rust/Go rule of this topic at its line in the
vulnerable app, nothing at low or above in the hardened one."""

from __future__ import annotations

import shutil
from pathlib import Path

from test_rust_rules import compute_findings

from conftest import make_repo, run_scan
from edgeward.findings import Severity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _repo(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest)
    return make_repo(dest)


def test_vulnerable_fastly_app(tmp_path):
    got = [
        f
        for f in compute_findings(_repo("vulnerable-gateway", tmp_path))
        if f[1].startswith("fastly-app/src/")
    ]
    assert got == [
        ("ISO003", "fastly-app/src/tenant.rs", 12),  # KV key from the x-tenant header
        ("OBS003", "fastly-app/src/logging.rs", 17),  # "security-events" vs declared "security_events"
        ("OBS004", "fastly-app/src/logging.rs", 20),  # denial event without FASTLY_TRACE_ID
        ("OBS004", "fastly-app/src/logging.rs", 25),  # 403 logged as free text
        ("OBS005", "fastly-app/src/main.rs", 8),  # no set_panic_endpoint
        ("OBS006", "fastly-app/src/logging.rs", 18),  # elapsed time as "ts"
        ("REQ001", "fastly-app/src/auth.rs", 32),  # insecure_disable_signature_validation
        ("REQ002", "fastly-app/src/auth.rs", 23),  # validate_exp = false
        ("REQ002", "fastly-app/src/auth.rs", 26),  # no issuer / audience
        ("REQ002", "fastly-app/src/auth.rs", 33),  # no issuer / audience
        ("REQ003", "fastly-app/src/auth.rs", 22),  # Validation::new(header.alg)
        ("REQ004", "fastly-app/src/tenant.rs", 16),  # append_header("x-user-id")
        ("REQ009", "fastly-app/src/tenant.rs", 19),  # backend host from the x-region header
        ("REQ013", "fastly-app/src/tenant.rs", 19),  # Backend::builder
        ("REQ014", "fastly-app/src/auth.rs", 16),  # api key compared with ==
        ("SEC005", "fastly-app/src/tenant.rs", 7),  # env!("ORIGIN_API_TOKEN")
        ("SEC006", "fastly-app/src/auth.rs", 14),  # prefix of the api key printed
        ("SEC007", "fastly-app/src/auth.rs", 24),  # ConfigStore "jwt_signing_secret"
    ]


def test_checklist_fails_for_the_vulnerable_compute_app(tmp_path):
    dest = tmp_path / "fastly-only"
    shutil.copytree(EXAMPLES / "vulnerable-gateway" / "fastly-app", dest)
    result = run_scan(make_repo(dest))
    rows = {r.item: r for r in result.checklist}
    for item, code in ((2, "SEC006"), (5, "ISO003"), (11, "REQ002"), (14, "OBS003"), (15, "OBS004")):
        assert rows[item].status == "fail", (item, rows[item].status)
        assert code in rows[item].note, (item, rows[item].note)


def test_hardened_fastly_app_is_silent(tmp_path):
    root = _repo("hardened-gateway", tmp_path)
    assert [f for f in compute_findings(root) if f[1].startswith("fastly-app/")] == []
    result = run_scan(root)
    loud = [(f.code, f.path, f.line) for f in result.findings if f.severity >= Severity.LOW]
    assert loud == []
    rows = {r.item: r.status for r in result.checklist}
    for item in (2, 5, 11, 15):
        assert rows[item] == "pass", (item, rows[item])
