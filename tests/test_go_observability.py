"""OBS003 on Go Compute apps (compute-sdk-go `rtlog.Open`); OBS005 is Rust-only."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import found, make_repo, run_scan

FIX = Path(__file__).parent / "fixtures"


def test_rtlog_open_name_checked_exactly(tmp_path):
    dest = tmp_path / "go"
    shutil.copytree(FIX / "go/obs_endpoints", dest)
    result = run_scan(make_repo(dest))
    # rtlog.Open(auditName) resolves the constant and is declared; rtlog.Open("Audit") is not
    assert found(result, "OBS003") == [("OBS003", "main.go", 17)]
    assert found(result, "OBS005") == []
