"""Rust parts of the source rules, over the shared taint engine: exact findings on trigger fixtures, and
the near-miss files (`safe.rs`, `good.rs`, `audit.rs`) stay silent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import make_repo, run_scan
from edgeward.rules.registry import PENDING_PARTS, get, load_all
from edgeward.workspace.project import Project

FIX = Path(__file__).parent / "fixtures"
CODES = {
    "SEC005",
    "SEC006",
    "SEC007",
    "ISO001",
    "ISO003",
    "REQ001",
    "REQ002",
    "REQ003",
    "REQ004",
    "REQ009",
    "REQ013",
    "REQ014",
    "OBS003",
    "OBS004",
    "OBS005",
    "OBS006",
}


def compute_findings(root: Path) -> list[tuple[str, str, int]]:
    """(code, path, line) of the codes above: from a full scan for registered rules, and from the pending
    parts (rules whose `@rule` lives on another branch) run directly."""
    result = run_scan(root)
    out = {(f.code, f.path, f.line) for f in result.findings if f.code in CODES}
    load_all()
    project = Project.load(root)
    for code, funcs in PENDING_PARTS.items():
        if get(code) is not None:
            continue
        for func in funcs:
            out |= {(code, h.path, h.line) for h in func(project)}
    return sorted(out)


@pytest.fixture
def fixture(tmp_path):
    def _load(name: str) -> list[tuple[str, str, int]]:
        dest = tmp_path / name.replace("/", "_")
        shutil.copytree(FIX / name, dest)
        return compute_findings(make_repo(dest))

    return _load


def test_secrets(fixture):
    assert fixture("rust/secrets") == [
        ("SEC005", "src/main.rs", 6),  # env!("DEPLOY_API_TOKEN")
        ("SEC005", "src/main.rs", 7),  # include_bytes!("../keys/signing.pem")
        ("SEC006", "src/main.rs", 16),  # println! of a slice of the Secret Store value
        ("SEC006", "src/main.rs", 21),  # panic! with the secret captured in the format string
        ("SEC006", "src/main.rs", 24),  # response header
        ("SEC007", "src/main.rs", 18),  # ConfigStore "origin_api_token"
    ]


def test_jwt(fixture):
    assert fixture("rust/jwt") == [
        ("REQ001", "src/main.rs", 18),  # dangerous_insecure_decode, claims used
        ("REQ002", "src/main.rs", 24),  # validate_exp = false
        ("REQ002", "src/main.rs", 26),  # no set_issuer / set_audience
        ("REQ002", "src/simple.rs", 4),  # jwt-simple verify_token(.., None)
        ("REQ002", "src/simple.rs", 17),  # VerificationOptions without allowed_audiences
        ("REQ003", "src/main.rs", 23),  # Validation::new(header.alg)
    ]


def test_requests(fixture):
    assert fixture("rust/requests") == [
        ("ISO003", "src/main.rs", 16),  # KV lookup key from a query parameter
        ("OBS004", "src/main.rs", 12),  # 401 without a security event
        ("REQ004", "src/main.rs", 18),  # x-tenant-id set only on one path
        ("REQ004", "src/main.rs", 20),  # x-user-id appended
        ("REQ009", "src/main.rs", 22),  # dynamic backend target from the query
        ("REQ009", "src/main.rs", 23),  # outbound URL from the query
        ("REQ013", "src/main.rs", 22),  # Backend::builder
        ("REQ014", "src/main.rs", 11),  # secret compared with !=
    ]


def test_events(fixture):
    assert fixture("rust/events") == [
        ("OBS004", "src/main.rs", 18),  # 401, nothing logged
        ("OBS004", "src/main.rs", 22),  # free text log
        ("OBS004", "src/main.rs", 31),  # JSON without a correlation id
        ("OBS006", "src/main.rs", 25),  # elapsed time as timestamp
        ("OBS006", "src/main.rs", 30),  # no timestamp
    ]


def test_workers_rs(fixture):
    # workers-rs: Env::secret logged, Durable Object name and KV key from the request path; a name from
    # Env::var and logging whether the key is set stay silent
    assert fixture("rust/workers") == [
        ("ISO001", "src/lib.rs", 9),
        ("ISO003", "src/lib.rs", 11),
        ("ISO003", "src/lib.rs", 26),  # Router handler: KV key from `ctx.param("key")`
        ("SEC006", "src/lib.rs", 6),
    ]


def test_jwt_compact_needs_expiration_check(fixture):
    found_ = [f for f in fixture("rust/jwt_compact") if f[0].startswith("REQ")]
    assert found_ == [("REQ002", "src/main.rs", 10)]  # `with_expiry` calls validate_expiration: silent


def test_data_flows_across_crate_modules(fixture):
    # `mod helpers;` + `helpers::debug_value(&key)` and `use crate::util::keys;` + `keys::show(&key)`: the
    # engine inlines functions of other files of the crate, so the secret is reported where it is logged
    assert [f for f in fixture("rust/crossfile") if f[0] == "SEC006"] == [
        ("SEC006", "src/helpers.rs", 2),
        ("SEC006", "src/util/keys.rs", 4),
    ]
