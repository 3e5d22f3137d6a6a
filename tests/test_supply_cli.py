"""`--osv-db` / `osv-db` config, SUP001 on real git state, Cargo and Go advisories."""

from __future__ import annotations

import json

from conftest import found, make_repo, run_scan
from edgeward.cli import main
from edgeward.config import Config
from edgeward.engine import scan

LOCK = '{"lockfileVersion": 3, "packages": {"node_modules/left-pad": {"version": "1.2.0"}}}\n'


def _osv(tmp_path, eco: str, name: str, fixed: str):
    d = tmp_path / "osv" / eco
    d.mkdir(parents=True, exist_ok=True)
    rec = {
        "id": f"TEST-{name}",
        "affected": [
            {
                "package": {"ecosystem": eco, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }
    (d / f"TEST-{name.replace('/', '_')}.json").write_text(json.dumps(rec))
    return tmp_path / "osv"


def test_cli_osv_db_flag_and_config_key(tmp_path, capsys):
    root = make_repo(tmp_path / "r", {"package-lock.json": LOCK})
    db = _osv(tmp_path, "npm", "left-pad", "1.3.0")
    code = main(["scan", str(root), "--osv-db", str(db), "--select", "SUP009", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(f["code"], f["line"]) for f in out["findings"]] == [("SUP009", 1)]
    assert any("local OSV export" in n["message"] for n in out["notes"])
    assert main(["scan", str(root), "--osv-db", str(tmp_path / "nope")]) == 2
    (root / ".edgeward.toml").write_text(f'osv-db = "{db}"\nselect = ["SUP009"]\n')
    assert main(["scan", str(root), "--format", "json"]) == 1
    capsys.readouterr()


def test_sup009_cargo_and_go(tmp_path):
    files = {
        "Cargo.lock": 'version = 3\n\n[[package]]\nname = "fastly"\nversion = "0.11.7"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
        "go.sum": "github.com/fastly/compute-sdk-go v1.3.0 h1:x=\n",
    }
    root = make_repo(tmp_path / "r", files)
    _osv(tmp_path, "crates.io", "fastly", "0.11.8")
    db = _osv(tmp_path, "Go", "github.com/fastly/compute-sdk-go", "1.3.1")
    assert found(scan(root, Config(osv_db=str(db))), "SUP009") == [
        ("SUP009", "Cargo.lock", 3),
        ("SUP009", "go.sum", 1),
    ]
    db2 = tmp_path / "o2"
    _osv(db2, "crates.io", "fastly", "0.11.7")
    assert found(scan(root, Config(osv_db=str(db2 / "osv"))), "SUP009") == []


WORKER = {
    "wrangler.toml": 'name = "w"\nmain = "src/index.js"\n',
    "src/index.js": "export default {}\n",
    "package.json": '{"name": "w", "dependencies": {"hono": "4.12.2"}}\n',
    "package-lock.json": '{"lockfileVersion": 3, "packages": {"node_modules/hono": {"version": "4.12.2"}}}\n',
}


def test_sup001_ignored_and_uncommitted_lockfile(tmp_path):
    files = {**WORKER, ".gitignore": "package-lock.json\n"}
    root = make_repo(tmp_path / "r", files, commit="respect")
    assert found(run_scan(root), "SUP001") == [("SUP001", "package-lock.json", 1)]


def test_sup001_near_miss_committed_lockfile(tmp_path):
    assert found(run_scan(make_repo(tmp_path / "r", WORKER, commit="respect")), "SUP001") == []


def test_cli_online_api_unreachable_is_a_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EDGEWARD_OSV_API", "http://127.0.0.1:9")  # discard port: connection refused
    root = make_repo(tmp_path / "r", {"package-lock.json": LOCK})
    code = main(["scan", str(root), "--online", "--select", "SUP009", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["findings"] == []
    assert any("OSV API query failed" in n["message"] for n in out["notes"])
