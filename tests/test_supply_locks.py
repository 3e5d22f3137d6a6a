"""Lockfile readers, version ranges, OSV matching and the lockfile rules SUP007-SUP010."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import found, git, make_repo, run_scan
from edgeward.config import Config
from edgeward.engine import scan
from edgeward.osv import Database, load_dir
from edgeward.osv.versions import cargo_satisfies, npm_satisfies, parse
from edgeward.workspace.lockfiles import lock_info, read
from edgeward.workspace.project import Project

FIX = Path(__file__).parent / "fixtures" / "supply"


def _project(tmp_path, name: str, as_name: str) -> Project:
    root = make_repo(tmp_path / "r", {as_name: (FIX / name).read_text()})
    return Project.load(root)


def _rows(p: Project, rel: str):
    return sorted(
        (x.name, x.version, x.line, x.source, x.has_install_script) for x in lock_info(p, rel).all()
    )


# ------------------------------------------------------------------------------------------ readers


def test_yarn_classic(tmp_path):
    p = _project(tmp_path, "yarn-classic.lock", "yarn.lock")
    info = lock_info(p, "yarn.lock")
    assert info.kind == "yarn-classic"
    assert _rows(p, "yarn.lock") == [
        ("@scope/util", "1.2.0", 5, "registry", False),
        ("hono", "4.6.3", 10, "registry", False),
        ("jwt-utils", "0.3.0", 15, "git", False),
    ]
    assert "@scope/util@^1.1.0" in info.descriptors


def test_yarn_berry(tmp_path):
    p = _project(tmp_path, "yarn-berry.lock", "yarn.lock")
    assert lock_info(p, "yarn.lock").kind == "yarn-berry"
    assert _rows(p, "yarn.lock") == [
        ("hono", "4.6.3", 7, "registry", False),
        ("legacy", "1.0.0", 20, "tarball", False),
    ]


def test_pnpm_v6(tmp_path):
    p = _project(tmp_path, "pnpm-v6.yaml", "pnpm-lock.yaml")
    info = lock_info(p, "pnpm-lock.yaml")
    assert info.importers == {"": {"hono": "^4.6.0", "esbuild": "0.21.5"}}
    assert _rows(p, "pnpm-lock.yaml") == [
        ("esbuild", "0.21.5", 18, "registry", True),
        ("hono", "4.6.3", 25, "registry", False),
    ]


def test_pnpm_v9_workspaces(tmp_path):
    p = _project(tmp_path, "pnpm-v9.yaml", "pnpm-lock.yaml")
    info = lock_info(p, "pnpm-lock.yaml")
    assert info.version == "9.0"
    assert info.importers == {
        "": {"wrangler": "4.164.0"},
        "packages/api": {"hono": "^4.11.0", "shared": "workspace:*"},
    }
    assert _rows(p, "pnpm-lock.yaml") == [
        ("forked", "1.0.0", 34, "git", False),
        ("hono", "4.11.3", 26, "registry", False),
        ("wrangler", "4.164.0", 30, "registry", False),
    ]


def test_bun_lock(tmp_path):
    p = _project(tmp_path, "bun.lock", "bun.lock")
    assert lock_info(p, "bun.lock").importers[""] == {"hono": "^4.6.0", "esbuild": "0.21.5"}
    assert _rows(p, "bun.lock") == [
        ("esbuild", "0.21.5", 18, "registry", True),
        ("hono", "4.6.3", 19, "registry", False),
    ]


def test_cargo_and_gosum(tmp_path):
    p = _project(tmp_path, "Cargo.lock", "Cargo.lock")
    assert _rows(p, "Cargo.lock") == [
        ("app", "0.1.0", 4, "link", False),
        ("fastly", "0.11.7", 11, "registry", False),
        ("jwt-fork", "0.2.0", 17, "git", False),
    ]
    p = _project(tmp_path / "g", "go.sum", "go.sum")
    assert _rows(p, "go.sum") == [
        ("github.com/fastly/compute-sdk-go", "1.3.0", 1, "registry", False),
        ("golang.org/x/net", "0.17.0", 3, "registry", False),
    ]


def test_npm_v1(tmp_path):
    p = _project(tmp_path, "npm-v1.json", "a/b/package-lock.json")
    assert _rows(p, "a/b/package-lock.json") == [
        ("hono", "3.12.0", 6, "registry", False),
        ("local-lib", "file:../../../outside/lib", 11, "link", False),
        ("tar-dep", "1.0.0", 14, "tarball", False),
    ]


@pytest.mark.parametrize("text", ["{", "[1, 2]", '{"packages": {"node_modules/x": 5}}', "\x00\x01binary"])
def test_hostile_npm_lock_gives_notes_not_crashes(tmp_path, text):
    root = make_repo(tmp_path / "r", {"package-lock.json": text})
    p = Project.load(root)
    assert read(p, "package-lock.json") == {}


def test_hostile_yaml_locks(tmp_path):
    root = make_repo(
        tmp_path / "r", {"pnpm-lock.yaml": "packages:\n  : :\n  - [\n", "yarn.lock": "\t\n:::\n"}
    )
    p = Project.load(root)
    assert read(p, "pnpm-lock.yaml") == {} and read(p, "yarn.lock") == {}


# ------------------------------------------------------------------------------------------ versions


@pytest.mark.parametrize(
    ("version", "spec", "want"),
    [
        ("4.6.3", "^4.6.0", True),
        ("5.0.0", "^4.6.0", False),
        ("0.3.5", "^0.3.1", True),
        ("0.4.0", "^0.3.1", False),
        ("1.2.9", "~1.2", True),
        ("1.3.0", "1.2.x", False),
        ("2.0.0-rc.1", ">=1.0.0", False),
        ("2.0.0-rc.2", ">=2.0.0-rc.1 <3", True),
        ("2.0.1-rc.1", ">=2.0.0-rc.1", False),
        ("1.5.0", "1.0.0 - 2.0.0", True),
        ("3.1.0", "^1 || ^3", True),
        ("4.0.0", "*", True),
        ("1.0.0", "latest", None),
        ("1.0.0", "workspace:*", None),
    ],
)
def test_npm_ranges(version, spec, want):
    assert npm_satisfies(version, spec) is want


@pytest.mark.parametrize(
    ("version", "spec", "want"),
    [
        ("0.11.7", "0.11", True),
        ("0.12.0", "0.11", False),
        ("0.11.7", "=0.11.7", True),
        ("1.4.0", ">=1.2, <1.4", False),
        ("1.3.9", ">=1.2, <1.4", True),
        ("1.0.0-beta.2", "1.0.0-beta.1", True),
        ("1.0.0-beta.2", "1", False),
        ("1.2.3", "~1.2", True),
    ],
)
def test_cargo_ranges(version, spec, want):
    assert cargo_satisfies(version, spec) is want


def test_prerelease_ordering():
    order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    assert sorted(order, key=parse) == order


def test_osv_range_semantics():
    db = Database("t")
    db.add(
        {
            "id": "X-1",
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": "p"},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "1.0.0-rc.1"}, {"fixed": "1.2.0"}]},
                        {"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"last_affected": "2.1.0"}]},
                    ],
                }
            ],
        },
        "t",
    )
    hit = {
        v: bool(db.affected("npm", "p", v))
        for v in ("0.9.0", "1.0.0-beta", "1.0.0-rc.1", "1.1.9", "1.2.0", "2.1.0", "2.1.1", "1.2.0-rc.1")
    }
    assert hit == {
        "0.9.0": False,
        "1.0.0-beta": False,
        "1.0.0-rc.1": True,
        "1.1.9": True,
        "1.2.0": False,
        "2.1.0": True,
        "2.1.1": False,
        "1.2.0-rc.1": True,
    }


# ------------------------------------------------------------------------------------------ SUP009


def _osv_dir(tmp_path) -> Path:
    d = tmp_path / "osv" / "npm"
    d.mkdir(parents=True)
    rec = {
        "id": "TEST-2026-1",
        "summary": "test advisory",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "left-pad"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}],
            }
        ],
    }
    (d / "TEST-2026-1.json").write_text(json.dumps(rec))
    (tmp_path / "osv" / "broken.json").write_text('{"affected": [{"package": {"name": "left-pad"')
    return tmp_path / "osv"


LOCK = """{
  "name": "a",
  "lockfileVersion": 3,
  "packages": {
    "": {"dependencies": {"left-pad": "^1.0.0", "wrangler": "3.18.0"}},
    "node_modules/left-pad": {
      "version": "1.2.0"
    },
    "node_modules/wrangler": {
      "version": "3.18.0"
    }
  }
}
"""


def test_sup009_local_osv_dir_and_builtin(tmp_path):
    root = make_repo(tmp_path / "r", {"package-lock.json": LOCK})
    db = _osv_dir(tmp_path)
    assert load_dir(db).count == 1
    res = scan(root, Config(osv_db=str(db)))
    assert found(res, "SUP009") == [("SUP009", "package-lock.json", 6)]
    assert any("local OSV export" in n.message for n in res.notes)
    assert any("unreadable OSV record" in n.message for n in res.notes)
    res = run_scan(root)  # default: built-in curated set knows wrangler 3.18.0
    assert found(res, "SUP009") == [("SUP009", "package-lock.json", 9)]
    assert "GHSA-f8mp-x433-5wpf" in res.findings[[f.code for f in res.findings].index("SUP009")].message


def test_sup009_near_miss_fixed_versions(tmp_path):
    lock = LOCK.replace('"version": "1.2.0"', '"version": "1.3.0"').replace(
        '"version": "3.18.0"', '"version": "3.114.17"'
    )
    root = make_repo(tmp_path / "r", {"package-lock.json": lock})
    assert found(scan(root, Config(osv_db=str(_osv_dir(tmp_path)))), "SUP009") == []
    assert found(run_scan(root), "SUP009") == []


def test_sup009_online_uses_loopback_api(tmp_path, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    record = {
        "id": "GHSA-test",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "left-pad"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.0.0"}]}],
            }
        ],
    }

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, obj):
            body = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            q = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self._send(
                {
                    "results": [
                        {"vulns": [{"id": "GHSA-test"}]} if x["package"]["name"] == "left-pad" else {}
                        for x in q["queries"]
                    ]
                }
            )

        def do_GET(self):
            self._send(record)

    srv = HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        monkeypatch.setenv("EDGEWARD_OSV_API", f"http://127.0.0.1:{srv.server_port}")
        root = make_repo(tmp_path / "r", {"package-lock.json": LOCK})
        res = scan(root, Config(osv_online=True))
    finally:
        srv.shutdown()
    assert found(res, "SUP009") == [("SUP009", "package-lock.json", 6)]
    assert any("OSV API" in n.message for n in res.notes)


# ------------------------------------------------------------------------------------------ SUP007 / SUP008


def test_sup007_install_scripts_new_in_change(tmp_path):
    old = '{"lockfileVersion": 3, "packages": {"node_modules/esbuild": {"version": "0.21.5", "hasInstallScript": true}}}\n'
    root = make_repo(tmp_path / "r", {"package-lock.json": old})
    new = old.replace("}}}", '}, "node_modules/evil": {"version": "1.0.0", "hasInstallScript": true}}}')
    (root / "package-lock.json").write_text(new)
    res = run_scan(root)
    assert found(res, "SUP007") == [("SUP007", "package-lock.json", 1), ("SUP007", "package-lock.json", 1)]
    sev = sorted((f.message.split("`")[1], str(f.severity)) for f in res.findings if f.code == "SUP007")
    assert sev == [("esbuild", "low"), ("evil", "medium")]


def test_sup007_near_miss_no_scripts(tmp_path):
    root = make_repo(tmp_path / "r", {"package-lock.json": LOCK})
    assert found(run_scan(root), "SUP007") == []


def test_sup008_sources(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "a/b/package-lock.json": (FIX / "npm-v1.json").read_text(),
            "Cargo.lock": (FIX / "Cargo.lock").read_text(),
            "pnpm/pnpm-lock.yaml": (FIX / "pnpm-v9.yaml").read_text(),
        },
    )
    assert found(run_scan(root), "SUP008") == [
        ("SUP008", "Cargo.lock", 17),
        ("SUP008", "a/b/package-lock.json", 11),
        ("SUP008", "a/b/package-lock.json", 14),
        ("SUP008", "pnpm/pnpm-lock.yaml", 34),
    ]


def test_sup008_near_miss_workspace_links(tmp_path):
    lock = (
        '{"lockfileVersion": 3, "packages": {"": {"workspaces": ["packages/*"]}, "node_modules/api": '
        '{"resolved": "packages/api", "link": true}, "node_modules/hono": {"version": "4.12.2", '
        '"resolved": "https://registry.npmjs.org/hono/-/hono-4.12.2.tgz"}}}\n'
    )
    root = make_repo(tmp_path / "r", {"package-lock.json": lock})
    assert found(run_scan(root), "SUP008") == []


# ------------------------------------------------------------------------------------------ SUP010


def test_sup010_drift(tmp_path):
    pkg = '{\n  "name": "a",\n  "dependencies": {\n    "left-pad": "^1.3.0",\n    "hono": "^4.0.0"\n  }\n}\n'
    files = {
        "package.json": pkg,
        "package-lock.json": LOCK,
        "crate/Cargo.toml": '[package]\nname = "c"\n[dependencies]\nfastly = "0.12"\nserde = "1"\n',
        "crate/Cargo.lock": (FIX / "Cargo.lock").read_text(),
    }
    res = run_scan(make_repo(tmp_path / "r", files))
    assert found(res, "SUP010") == [
        ("SUP010", "crate/Cargo.toml", 4),
        ("SUP010", "crate/Cargo.toml", 5),
        ("SUP010", "package.json", 4),
        ("SUP010", "package.json", 5),
    ]


def test_sup010_near_miss(tmp_path):
    pkg = '{"name": "a", "dependencies": {"left-pad": "^1.0.0", "wrangler": "3.18.0"}}\n'
    files = {
        "package.json": pkg,
        "package-lock.json": LOCK,
        "crate/Cargo.toml": '[package]\nname = "c"\n[dependencies]\nfastly = "0.11"\n',
        "crate/Cargo.lock": (FIX / "Cargo.lock").read_text(),
        "p/package.json": '{"name": "p", "dependencies": {"hono": "^4.6.0"}, "devDependencies": {"esbuild": "0.21.5"}}\n',
        "p/pnpm-lock.yaml": (FIX / "pnpm-v6.yaml").read_text(),
        "y/package.json": '{"name": "y", "dependencies": {"hono": "^4.6.0"}}\n',
        "y/yarn.lock": (FIX / "yarn-berry.lock").read_text(),
    }
    assert found(run_scan(make_repo(tmp_path / "r", files)), "SUP010") == []


def test_previous_lock_untracked(tmp_path):
    root = make_repo(tmp_path / "r", {"README.md": "x\n"})
    (root / "package-lock.json").write_text(
        '{"lockfileVersion": 3, "packages": {"node_modules/esbuild": {"version": "0.21.5", "hasInstallScript": true}}}\n'
    )
    res = run_scan(root)
    assert [str(f.severity) for f in res.findings if f.code == "SUP007"] == ["medium"]
    git(root, "add", "-A")


def test_entry_cap_gives_a_note(tmp_path, monkeypatch):
    import edgeward.workspace.lockfiles as lf

    monkeypatch.setattr(lf, "MAX_ENTRIES", 50)
    body = ",".join(f'"node_modules/p{i}": {{"version": "1.0.{i}"}}' for i in range(200))
    root = make_repo(
        tmp_path / "r", {"package-lock.json": '{"lockfileVersion": 3, "packages": {' + body + "}}"}
    )
    p = Project.load(root)
    assert sum(len(v) for v in read(p, "package-lock.json").values()) == 50
    assert any(n.kind == "skipped" and n.path == "package-lock.json" for n in p.notes)


def test_sup010_npm_workspace_member_uses_its_nested_copy(tmp_path):
    lock = (
        '{"lockfileVersion": 3, "packages": {"": {"workspaces": ["api"]}, '
        '"api": {"dependencies": {"hono": "^3.0.0"}}, '
        '"node_modules/hono": {"version": "4.12.2"}, '
        '"api/node_modules/hono": {"version": "3.12.0"}}}\n'
    )
    files = {
        "package-lock.json": lock,
        "api/package.json": '{"name": "api", "dependencies": {"hono": "^3.0.0"}}\n',
    }
    assert found(run_scan(make_repo(tmp_path / "r", files)), "SUP010") == []
    bad = lock.replace('"version": "3.12.0"', '"version": "4.0.0"')
    files["package-lock.json"] = bad
    assert found(run_scan(make_repo(tmp_path / "s", files)), "SUP010") == [("SUP010", "api/package.json", 1)]


def test_sup009_local_records_for_wrangler_and_hono_prereleases(tmp_path):
    d = tmp_path / "osv" / "npm"
    d.mkdir(parents=True)
    recs = {
        "TEST-WRANGLER": ("wrangler", [{"introduced": "3.0.0"}, {"fixed": "3.19.0"}]),
        "TEST-HONO": ("hono", [{"introduced": "4.0.0-rc.1"}, {"fixed": "4.11.4"}]),
    }
    for rid, (name, events) in recs.items():
        rec = {
            "id": rid,
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": name},
                    "ranges": [{"type": "SEMVER", "events": events}],
                }
            ],
        }
        (d / f"{rid}.json").write_text(json.dumps(rec))
    lock = (
        '{"lockfileVersion": 3, "packages": {\n'
        '"node_modules/wrangler": {"version": "3.19.0-beta.1"},\n'
        '"node_modules/hono": {"version": "4.0.0-rc.2"},\n'
        '"a/node_modules/hono": {"version": "4.0.0-beta.9"},\n'
        '"b/node_modules/hono": {"version": "3.12.0"},\n'
        '"c/node_modules/wrangler": {"version": "3.19.0"}}}\n'
    )
    root = make_repo(tmp_path / "r", {"package-lock.json": lock})
    assert found(scan(root, Config(osv_db=str(tmp_path / "osv"))), "SUP009") == [
        ("SUP009", "package-lock.json", 2),  # 3.19.0-beta.1 sorts before the 3.19.0 fix
        ("SUP009", "package-lock.json", 3),  # 4.0.0-rc.2 is after 4.0.0-rc.1
    ]


def test_osv_zip_export(tmp_path):
    import zipfile

    rec = {
        "id": "Z-1",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "left-pad"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}],
            }
        ],
    }
    other = {"id": "Z-2", "affected": [{"package": {"ecosystem": "npm", "name": "unrelated"}}]}
    (tmp_path / "osv").mkdir()
    with zipfile.ZipFile(tmp_path / "osv" / "all.zip", "w") as z:
        z.writestr("Z-1.json", json.dumps(rec))
        z.writestr("Z-2.json", json.dumps(other))
    db = load_dir(tmp_path / "osv", {"left-pad"})
    assert db.count == 1 and [a.id for a in db.affected("npm", "left-pad", "1.2.0")] == ["Z-1"]


def test_locked_version_prefers_the_hoisted_copy(tmp_path):
    from edgeward.workspace.lockfiles import locked_version

    lock = (
        '{"lockfileVersion": 3, "packages": {'
        '"node_modules/@cloudflare/vitest-pool-workers/node_modules/wrangler": {"version": "3.0.0"}, '
        '"node_modules/wrangler": {"version": "4.164.0"}}}\n'
    )
    p = Project.load(make_repo(tmp_path / "r", {"package-lock.json": lock}))
    assert locked_version(p, "package-lock.json", "wrangler").version == "4.164.0"


def test_sup007_new_in_last_commit(tmp_path):
    old = '{"lockfileVersion": 3, "packages": {"node_modules/esbuild": {"version": "0.21.5", "hasInstallScript": true}}}\n'
    root = make_repo(tmp_path / "r", {"package-lock.json": old})
    new = old.replace("}}}", '}, "node_modules/evil": {"version": "1.0.0", "hasInstallScript": true}}}')
    (root / "package-lock.json").write_text(new)
    git(root, "commit", "-qam", "add evil")
    res = run_scan(root)
    sev = sorted((f.message.split("`")[1], str(f.severity)) for f in res.findings if f.code == "SUP007")
    assert sev == [("esbuild", "low"), ("evil", "medium")]


def test_pnpm_v5_keys(tmp_path):
    text = (
        "lockfileVersion: 5.4\n\nspecifiers:\n  hono: ^4.0.0\n\ndependencies:\n  hono: 4.0.1\n\npackages:\n\n"
        "  /hono/4.0.1:\n    resolution: {integrity: sha512-x}\n    dev: false\n\n"
        "  /@scope/ui/1.2.0_react@18.2.0:\n    resolution: {integrity: sha512-y}\n    requiresBuild: true\n"
    )
    p = Project.load(make_repo(tmp_path / "r", {"pnpm-lock.yaml": text}))
    assert lock_info(p, "pnpm-lock.yaml").importers == {"": {"hono": "^4.0.0"}}
    assert _rows(p, "pnpm-lock.yaml") == [
        ("@scope/ui", "1.2.0", 15, "registry", True),
        ("hono", "4.0.1", 11, "registry", False),
    ]


def test_sup010_pnpm_workspace_specifier_drift(tmp_path):
    files = {
        "pnpm-lock.yaml": (FIX / "pnpm-v9.yaml").read_text(),
        "package.json": '{"name": "root", "devDependencies": {"wrangler": "4.164.0"}}\n',
        "packages/api/package.json": '{\n  "name": "api",\n  "dependencies": {\n    "hono": "^4.12.0",\n'
        '    "shared": "workspace:*"\n  }\n}\n',
    }
    assert found(run_scan(make_repo(tmp_path / "r", files)), "SUP010") == [
        ("SUP010", "packages/api/package.json", 4)
    ]
