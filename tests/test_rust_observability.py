"""OBS003 (undeclared log endpoint) and OBS005 (no panic logging) on Rust Compute apps."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import found, make_repo, run_scan

FIX = Path(__file__).parent / "fixtures"


def fixture_repo(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name.replace("/", "_")
    shutil.copytree(FIX / name, dest)
    return make_repo(dest)


def test_undeclared_endpoints_exact_case(tmp_path):
    result = run_scan(fixture_repo(tmp_path, "rust/obs_endpoints"))
    assert found(result, "OBS003") == [
        ("OBS003", "src/main.rs", 13),  # default_endpoint("Security_Events"): case differs
        ("OBS003", "src/main.rs", 14),  # endpoint("acces")
        ("OBS003", "src/main.rs", 20),  # "audit" is declared nowhere
    ]
    by_line = {f.line: f for f in result.findings if f.code == "OBS003"}
    assert '"security_events"' in by_line[13].message and "case-sensitive" in by_line[13].message
    assert str(by_line[13].confidence) == "high"
    assert found(result, "OBS005") == [("OBS005", "src/main.rs", 10)]


def test_declared_endpoints_and_panic_endpoint_are_silent(tmp_path):
    result = run_scan(fixture_repo(tmp_path, "rust/obs_endpoints_ok"))
    assert found(result, "OBS003") == []
    assert found(result, "OBS005") == []


def test_terraform_logging_blocks_declare_names(tmp_path):
    result = run_scan(fixture_repo(tmp_path, "rust/obs_tf"))
    # "siem" is declared in Terraform; "access_log" differs in case from "Access_Log"
    assert found(result, "OBS003") == [("OBS003", "src/main.rs", 13)]
    # a custom panic hook counts as panic logging
    assert found(result, "OBS005") == []


def test_bl28_case_shape(tmp_path):
    files = {
        "fastly.toml": 'language = "rust"\nmanifest_version = 3\nname = "x"\n\n'
        '[setup.log_endpoints.splunk_audit]\nprovider = "Splunk"\n',
        "Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n\n[dependencies]\nfastly = "=0.11.9"\n',
        "src/main.rs": (
            "use fastly::log::Endpoint;\n"
            "#[fastly::main]\n"
            "fn main(req: fastly::Request) -> Result<fastly::Response, fastly::Error> {\n"
            '    fastly::log::set_panic_endpoint("splunk_audit").ok();\n'
            '    let mut e = Endpoint::from_name("Splunk_Audit");\n'
            '    Ok(req.send("origin")?)\n'
            "}\n"
        ),
    }
    result = run_scan(make_repo(tmp_path / "r", files))
    assert found(result, "OBS003") == [("OBS003", "src/main.rs", 5)]
    assert found(result, "OBS005") == []


def test_no_declarations_anywhere_is_low_confidence(tmp_path):
    files = {
        "fastly.toml": 'language = "rust"\nmanifest_version = 3\nname = "x"\n',
        "src/main.rs": (
            "#[fastly::main]\n"
            "fn main(req: fastly::Request) -> Result<fastly::Response, fastly::Error> {\n"
            '    let e = fastly::log::Endpoint::from_name("events");\n'
            '    Ok(req.send("origin")?)\n'
            "}\n"
        ),
    }
    result = run_scan(make_repo(tmp_path / "r", files))
    hits = [f for f in result.findings if f.code == "OBS003"]
    assert [(f.path, f.line, str(f.confidence)) for f in hits] == [("src/main.rs", 3, "low")]
    assert found(result, "OBS005") == [("OBS005", "src/main.rs", 2)]


def test_fastly_js_logger_names_checked_too(tmp_path):
    # OBS003 covers every Compute SDK: `new Logger(AUDIT)` resolves the constant; "Audit_Log" differs in case
    result = run_scan(fixture_repo(tmp_path, "js_fastly_logger"))
    assert found(result, "OBS003") == [("OBS003", "src/index.js", 10)]
