"""`edgeward probe` against Cloudflare's real runtime: the two probe-lab gateways (examples/probe-lab) run in
workerd (pinned in package-lock.json, installed by `npm ci`) on 127.0.0.1 with free ports, in front of
reflecting echo origins. Every PRB rule fires on the vulnerable gateway at its expected check; none fires on
the hardened one. In CI (CI=true) a missing or broken workerd is a failure, elsewhere a skip."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

from edgeward.cli import main

REPO = Path(__file__).resolve().parents[1]
LAB_PY = REPO / "examples" / "probe-lab" / "lab.py"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

EXPECTED_VULNERABLE = [
    ("PRB001", "missing-token"),
    ("PRB002", "alg-none"),
    ("PRB003", "hs256-public-key"),
    ("PRB004", "expired"),
    ("PRB004", "not-yet-valid"),
    ("PRB005", "no-exp"),
    ("PRB006", "wrong-issuer"),
    ("PRB007", "wrong-audience"),
    *[("PRB008", "trusted-headers")] * 7,
    ("PRB009", "rate-limit-rotation"),
    ("PRB010", "origin-direct"),
]


def _lab_module():
    spec = importlib.util.spec_from_file_location("probe_lab", LAB_PY)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("probe_lab", mod)
    spec.loader.exec_module(mod)
    return mod


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI must run these tests: `npm ci` installs workerd from package-lock.json)")
    pytest.skip(f"{reason}; run `npm ci` in the repository root to test the probe against the real runtime")


def _start(tmp_path: Path, kind: str):
    lab_mod = _lab_module()
    if lab_mod.workerd_binary() is None:
        _unavailable("workerd is not installed (no node_modules/.bin/workerd, no $WORKERD_BIN)")
    lab = lab_mod.Lab(lab_mod.write_test_key(tmp_path, kind))
    try:
        lab.start()
    except RuntimeError as exc:
        lab.stop()
        _unavailable(f"workerd cannot start here: {exc}")
    return lab_mod, lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab_mod, lab = _start(tmp_path_factory.mktemp("probe-lab"), "RSA")
    try:
        yield lab_mod, lab
    finally:
        lab.stop()


def probe(lab_mod, lab, gateway: str, origin: str, tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    out = tmp_path / f"{gateway}.json"
    argv = [
        "probe",
        f"{lab.urls[gateway]}/api/me",
        "--signing-key",
        str(lab.key_path),
        "--kid",
        lab_mod.KID,
        "--issuer",
        lab_mod.ISSUER,
        "--audience",
        lab_mod.AUDIENCE,
        "--origin",
        f"{lab.urls[origin]}/api/me",
        "--timeout",
        "5",
        "--format",
        "json",
        "--output",
        str(out),
        "--quiet",
        *extra,
    ]
    rc = main(argv)
    text = out.read_text()
    return rc, json.loads(text), text


def test_vulnerable_gateway_every_rule_fires_at_its_check(lab, tmp_path):
    lab_mod, lab = lab
    rc, data, text = probe(
        lab_mod, lab, "vulnerable", "open_origin", tmp_path, "--rate-limit", lab_mod.RATE_LIMIT
    )
    assert rc == 1
    got = [(f["code"], f["check"]) for f in data["findings"]]
    assert got == EXPECTED_VULNERABLE
    assert {c for c, _ in got} == {f"PRB{n:03d}" for n in range(1, 11)}
    by_check = {f["check"]: f for f in data["findings"]}
    # the gateway keys HMAC with its PEM as the environment holds it: without the final newline
    assert by_check["hs256-public-key"]["encoding"] == "PEM (SubjectPublicKeyInfo) without final newline"
    assert by_check["rate-limit-rotation"]["header"] == "X-Forwarded-For"
    assert by_check["rate-limit-rotation"]["confidence"] == "high"  # still 429 without the header
    spoofed = [f for f in data["findings"] if f["code"] == "PRB008"]
    assert sorted(f["header"] for f in spoofed) == sorted(
        [
            "X-Verified-User",
            "X-Verified-Email",
            "X-User-Id",
            "X-User-Email",
            "X-User-Roles",
            "X-Internal-User",
            "X-Internal-Auth",
        ]
    )
    assert all(f["variants"] == ["as-written", "lower-case", "upper-case", "repeated"] for f in spoofed)
    assert all(f["response"]["status"] == 200 and f["request"]["headers"] for f in data["findings"])
    checks = {c["check"]: c["outcome"] for c in data["checks"]}
    assert checks["garbage-token"] == "pass" and checks["wrong-signature"] == "pass"
    assert checks["rate-limit"] == "pass"  # a limit exists; it is the rotation that beats it
    assert {r["item"]: r["status"] for r in data["checklist"]} == {
        6: "fail",
        11: "fail",
        12: "fail",
        13: "fail",
    }
    assert data["stats"]["requests"] <= data["stats"]["max_requests"]
    assert data["notes"] == []
    # tokens and keys are redacted everywhere in the report
    assert not re.search(r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}", text)
    assert "BEGIN PUBLIC KEY" not in text


def test_hardened_gateway_nothing_fires(lab, tmp_path):
    lab_mod, lab = lab
    rc, data, _ = probe(
        lab_mod, lab, "hardened", "protected_origin", tmp_path, "--rate-limit", lab_mod.RATE_LIMIT
    )
    assert data["findings"] == []
    assert rc == 0
    assert {c["check"]: c["outcome"] for c in data["checks"]} == {
        "baseline": "pass",
        "missing-token": "pass",
        "garbage-token": "pass",
        "alg-none": "pass",
        "wrong-signature": "pass",
        "hs256-public-key": "pass",
        "expired": "pass",
        "not-yet-valid": "pass",
        "no-exp": "pass",
        "wrong-issuer": "pass",
        "wrong-audience": "pass",
        "trusted-headers": "pass",
        "rate-limit": "pass",
        "rate-limit-rotation": "pass",
        "origin-direct": "pass",
    }
    assert {r["item"]: r["status"] for r in data["checklist"]} == {
        6: "pass",
        11: "pass",
        12: "pass",
        13: "pass",
    }
    assert data["stats"]["requests"] <= data["stats"]["max_requests"]
    assert data["stats"]["reflecting_origin"] is True


def test_ec_key_token_checks(tmp_path):
    """The same token battery with an EC (P-256, ES256) test key, no rate-limit burst."""
    lab_mod, lab = _start(tmp_path, "EC")
    try:
        rc, vuln, _ = probe(lab_mod, lab, "vulnerable", "open_origin", tmp_path)
        assert rc == 1
        assert [
            (f["code"], f["check"]) for f in vuln["findings"] if f["code"] < "PRB008"
        ] == EXPECTED_VULNERABLE[:8]
        hs = next(f for f in vuln["findings"] if f["code"] == "PRB003")
        assert hs["encoding"] == "PEM (SubjectPublicKeyInfo) without final newline"
        rc, hard, _ = probe(lab_mod, lab, "hardened", "protected_origin", tmp_path)
        assert (rc, hard["findings"]) == (0, [])
        skipped = [c["check"] for c in hard["checks"] if c["outcome"] != "pass"]
        assert skipped == ["rate-limit", "rate-limit-rotation"]  # no --rate-limit given
    finally:
        lab.stop()
