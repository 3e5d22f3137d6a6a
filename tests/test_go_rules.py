"""Go (compute-sdk-go) parts of the source rules over the shared taint engine; `safe.go` is the near miss."""

from __future__ import annotations

import shutil
from pathlib import Path

from test_rust_rules import compute_findings

from conftest import make_repo

FIX = Path(__file__).parent / "fixtures"


def test_go_app(tmp_path):
    dest = tmp_path / "go"
    shutil.copytree(FIX / "go/app", dest)
    assert compute_findings(make_repo(dest)) == [
        ("ISO003", "main.go", 37),  # kv.Lookup(r.URL.Query().Get("user"))
        ("OBS004", "main.go", 29),  # 401 with no security event
        ("REQ001", "main.go", 35),  # ParseUnverified
        ("REQ002", "main.go", 32),  # jwt.Parse without WithIssuer/WithAudience/WithExpirationRequired
        ("REQ003", "main.go", 32),  # jwt.Parse without WithValidMethods
        ("REQ004", "main.go", 39),  # r.Header.Add("X-User-Id", ...)
        ("REQ009", "main.go", 41),  # dynamic backend target from the query
        ("REQ009", "main.go", 42),  # fsthttp.NewRequest URL from the query
        ("REQ013", "main.go", 41),  # fsthttp.RegisterDynamicBackend
        ("REQ014", "main.go", 27),  # bytes.Equal on the secret
        ("REQ014", "main.go", 28),  # == on the secret
        ("SEC006", "main.go", 24),  # log.Printf of a slice of the secret
        ("SEC006", "main.go", 45),  # secret in a response header
        ("SEC007", "main.go", 26),  # configstore key "legacy_api_key"
    ]


def test_go_package_scope_across_files(tmp_path):
    # `debugKey(key)` is defined in another file of package main; logging the length is fine
    dest = tmp_path / "pkg"
    shutil.copytree(FIX / "go/pkg", dest)
    assert [f for f in compute_findings(make_repo(dest)) if f[0] == "SEC006"] == [("SEC006", "debug.go", 6)]
