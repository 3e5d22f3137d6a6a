"""Configuration rules of the scan foundation: each with a trigger and a near miss, exact lines."""

import datetime as dt

from conftest import found, make_repo, write_tree
from edgeward.config import Config
from edgeward.engine import scan


def codes(result, code):
    return found(result, code)


# ---------------------------------------------------------------- SEC001


def test_sec001_toml_top_level_and_env(repo):
    root = repo(
        {
            "wrangler.toml": """
        name = "w"
        [vars]
        LOG_LEVEL = "debug"
        API_TOKEN = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
        [env.prod.vars]
        STRIPE = "sk_live_51PqR7sT2uVwXyZ3aBcDeFgH4iJkLmN5oPq"
        EMPTY_SECRET = ""
        """
        }
    )
    assert codes(scan(root), "SEC001") == [("SEC001", "wrangler.toml", 4), ("SEC001", "wrangler.toml", 6)]


def test_sec001_jsonc_and_json(repo):
    root = repo(
        {
            "a/wrangler.jsonc": '{\n  // vars\n  "name": "a",\n  "vars": {\n    "SIGNING_SECRET": "Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Q",\n  },\n}\n',
            "b/wrangler.json": '{"name": "b",\n "vars": {"REGION": "weur", "SECRET": "${SECRET}"}}\n',
        }
    )
    assert codes(scan(root), "SEC001") == [("SEC001", "a/wrangler.jsonc", 5)]


def test_sec001_evidence_is_redacted(repo):
    secret = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
    root = repo({"wrangler.toml": f'name = "w"\n[vars]\nAPI_TOKEN = "{secret}"\n'})
    (f,) = [f for f in scan(root).findings if f.code == "SEC001"]
    assert secret not in f.evidence and secret not in f.message and "32 chars" in f.evidence


# ---------------------------------------------------------------- SEC002


DEV_VARS = "STRIPE_SECRET_KEY=sk_live_51PqR7sT2uVwXyZ3aBcDeFgH4iJkLmN5oPq\nDEBUG=true\n"


def test_sec002_tracked_dev_vars(repo):
    root = repo({"wrangler.toml": 'name = "w"\n', ".dev.vars": DEV_VARS, ".gitignore": ".env\n"})
    assert codes(scan(root), "SEC002") == [("SEC002", ".dev.vars", 1)]


def test_sec002_ignored_and_untracked_is_silent(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "wrangler.toml": 'name = "w"\n',
            ".dev.vars": DEV_VARS,
            ".env.local": DEV_VARS,
            ".gitignore": ".dev.vars\n.env*\n",
        },
        commit="respect",
    )
    assert codes(scan(root), "SEC002") == []


def test_sec002_placeholder_file_is_silent(repo):
    root = repo({".dev.vars.example": "STRIPE_SECRET_KEY=\nAPI_TOKEN=<your token>\n# TOKEN=abc\n"})
    assert codes(scan(root), "SEC002") == []


def test_sec002_without_git_reads_gitignore(tmp_path):
    root = write_tree(
        tmp_path, {"a/.dev.vars": DEV_VARS, "b/.dev.vars": DEV_VARS, "b/.gitignore": ".dev.vars\n"}
    )
    assert codes(scan(root), "SEC002") == [("SEC002", "a/.dev.vars", 1)]


# ---------------------------------------------------------------- SEC003 (wrangler define)


def test_sec003_define(repo):
    root = repo(
        {
            "wrangler.toml": """
        name = "w"
        [define]
        __BUILD__ = "'2026-01-01'"
        STRIPE_KEY = "'sk_live_51PqR7sT2uVwXyZ3aBcDeFgH4iJkLmN5oPq'"
        [env.dev.define]
        API_SECRET = "\\"Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Q\\""
        API_URL = "'https://api.example.com'"
        """
        }
    )
    assert codes(scan(root), "SEC003") == [("SEC003", "wrangler.toml", 4), ("SEC003", "wrangler.toml", 6)]


# ---------------------------------------------------------------- SEC007 / SEC008 (fastly.toml)

FASTLY = """
name = "app"
language = "rust"
manifest_version = 3

[local_server.config_stores.settings]
format = "inline-toml"
[local_server.config_stores.settings.contents]
origin_host = "origin.example.com"
origin_api_token = "t0k9QfLx2Vr8Nw3Zp6Ks1Hd4Bm7Cj0Ga"
feature_token_ttl = "3600"
partner_password = "changeme"

[[local_server.secret_stores.keys]]
key = "signing"
data = "mK4pX9vR2nL7qT3wZ8cF5hJ1dB6gS0yA"

[[local_server.secret_stores.keys]]
key = "dummy"
data = "not-a-real-secret"

[[local_server.secret_stores.keys]]
key = "from_env"
env = "SIGNING_KEY"

[setup.log_endpoints.audit]
provider = "Splunk"
"""


def test_sec007_sec008(repo):
    root = repo({"fastly.toml": FASTLY})
    result = scan(root)
    assert codes(result, "SEC007") == [("SEC007", "fastly.toml", 9)]
    assert codes(result, "SEC008") == [("SEC008", "fastly.toml", 15)]


# ---------------------------------------------------------------- ISO005


def test_iso005_shared_between_envs_and_bindings(repo):
    root = repo(
        {
            "wrangler.toml": """
        name = "w"
        [[kv_namespaces]]
        binding = "SESSIONS"
        id = "aaaa1111"
        [[kv_namespaces]]
        binding = "CACHE"
        id = "aaaa1111"
        [[d1_databases]]
        binding = "DB"
        database_name = "main"
        database_id = "dddd"
        [env.staging]
        [[env.staging.kv_namespaces]]
        binding = "SESSIONS"
        id = "bbbb2222"
        [[env.staging.d1_databases]]
        binding = "DB"
        database_name = "main"
        database_id = "dddd"
        """
        }
    )
    assert codes(scan(root), "ISO005") == [("ISO005", "wrangler.toml", 7), ("ISO005", "wrangler.toml", 19)]


def test_iso005_separate_ids_silent(repo):
    root = repo(
        {
            "wrangler.toml": """
        name = "w"
        [[kv_namespaces]]
        binding = "SESSIONS"
        id = "aaaa1111"
        [env.staging]
        [[env.staging.kv_namespaces]]
        binding = "SESSIONS"
        id = "bbbb2222"
        """
        }
    )
    assert codes(scan(root), "ISO005") == []


# ---------------------------------------------------------------- PLT001

ROUTED = 'name = "w"\nroutes = [{ pattern = "a.example.com/*", zone_name = "example.com" }]\n'


def _lock(version):
    import json

    return (
        json.dumps(
            {
                "name": "x",
                "lockfileVersion": 3,
                "packages": {
                    "": {"devDependencies": {"wrangler": version}},
                    "node_modules/wrangler": {"version": version, "dev": True},
                },
            },
            indent=2,
        )
        + "\n"
    )


def test_plt001_unset_is_medium(repo):
    root = repo({"wrangler.toml": ROUTED})
    (f,) = [f for f in scan(root).findings if f.code == "PLT001"]
    assert (f.line, str(f.severity)) == (2, "medium")


def test_plt001_explicit_true_is_high_at_its_line(repo):
    root = repo({"wrangler.toml": ROUTED + "workers_dev = true\n"})
    (f,) = [f for f in scan(root).findings if f.code == "PLT001"]
    assert (f.line, str(f.severity)) == (3, "high")


def test_plt001_preview_urls_default_depends_on_locked_wrangler(repo):
    cfg = ROUTED + "workers_dev = false\n"
    files = {
        "wrangler.toml": cfg,
        "package.json": '{"devDependencies": {"wrangler": "4.20.0"}}\n',
        "package-lock.json": _lock("4.20.0"),
    }
    (f,) = [f for f in scan(repo(files)).findings if f.code == "PLT001"]
    assert (f.line, str(f.severity)) == (2, "high") and "4.20.0" in f.message


def test_plt001_off_with_current_wrangler_is_silent(tmp_path):
    files = {
        "wrangler.toml": ROUTED + "workers_dev = false\n",
        "package.json": '{"devDependencies": {"wrangler": "4.42.0"}}\n',
        "package-lock.json": _lock("4.42.0"),
    }
    assert codes(scan(make_repo(tmp_path / "a", files)), "PLT001") == []
    both_off = {"wrangler.toml": ROUTED + "workers_dev = false\npreview_urls = false\n"}
    assert codes(scan(make_repo(tmp_path / "b", both_off)), "PLT001") == []


def test_plt001_no_routes_is_silent(repo):
    assert codes(scan(repo({"wrangler.toml": 'name = "w"\nworkers_dev = true\n'})), "PLT001") == []


def test_plt001_env_inherits_routes_but_reports_once(repo):
    root = repo(
        {"wrangler.toml": ROUTED + '[env.staging]\nname = "w-staging"\n[env.prod]\nworkers_dev = true\n'}
    )
    assert codes(scan(root), "PLT001") == [("PLT001", "wrangler.toml", 2), ("PLT001", "wrangler.toml", 6)]


# ---------------------------------------------------------------- PLT002 / PLT003 / PLT004


def test_plt002(repo):
    root = repo({"wrangler.toml": 'name = "w"\nno_bundle = true\n[env.x]\nno_bundle = false\n'})
    assert codes(scan(root), "PLT002") == [("PLT002", "wrangler.toml", 2)]


def test_plt003_age_is_configurable(tmp_path):
    old = make_repo(tmp_path / "old", {"wrangler.toml": 'name = "w"\ncompatibility_date = "2020-01-01"\n'})
    assert codes(scan(old), "PLT003") == [("PLT003", "wrangler.toml", 2)]
    assert codes(scan(old, Config(compat_max_age_days=100_000)), "PLT003") == []
    recent = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    new = make_repo(tmp_path / "new", {"wrangler.toml": f'name = "w"\ncompatibility_date = "{recent}"\n'})
    assert codes(scan(new), "PLT003") == []
    bad = make_repo(tmp_path / "bad", {"wrangler.toml": 'name = "w"\ncompatibility_date = "someday"\n'})
    assert codes(scan(bad), "PLT003") == [("PLT003", "wrangler.toml", 2)]


def test_plt004_scripts_and_config(repo):
    root = repo(
        {
            "package.json": '{\n "scripts": {\n  "dev": "wrangler dev --ip 0.0.0.0",\n  "dev:local": "wrangler dev --ip 127.0.0.1",\n'
            '  "serve": "fastly compute serve --addr=0.0.0.0:7676",\n  "serve:l": "fastly compute serve --addr 127.0.0.1:7676"\n }\n}\n',
            "wrangler.toml": 'name = "w"\n[dev]\nip = "0.0.0.0"\n',
            "scripts/dev.sh": "#!/bin/sh\nnpx wrangler dev --inspector-ip 0.0.0.0\nnpx wrangler dev\n",
        }
    )
    assert codes(scan(root), "PLT004") == [
        ("PLT004", "package.json", 3),
        ("PLT004", "package.json", 5),
        ("PLT004", "scripts/dev.sh", 2),
        ("PLT004", "wrangler.toml", 3),
    ]


# ---------------------------------------------------------------- OBS001 / OBS007


def test_obs001_worker_and_fastly(repo):
    root = repo(
        {
            "a/wrangler.toml": 'name = "a"\nmain = "src/index.js"\n',
            "b/wrangler.toml": 'name = "b"\nlogpush = true\n[env.dev]\nlogpush = false\n',
            "c/wrangler.toml": 'name = "c"\n[[tail_consumers]]\nservice = "tail"\n',
            "f/fastly.toml": 'name = "f"\nlanguage = "rust"\n[setup.backends.origin]\naddress = "o.example.com"\n',
            "g/fastly.toml": 'name = "g"\n[setup.log_endpoints.audit]\nprovider = "Splunk"\n',
        }
    )
    assert codes(scan(root), "OBS001") == [
        ("OBS001", "a/wrangler.toml", 1),
        ("OBS001", "b/wrangler.toml", 4),
        ("OBS001", "f/fastly.toml", 3),
    ]


def test_obs001_fastly_terraform_logging_counts(repo):
    root = repo(
        {
            "f/fastly.toml": 'name = "f"\n',
            "infra/main.tf": 'resource "fastly_service_compute" "f" {\n  logging_splunk {\n    name = "audit"\n  }\n}\n',
        }
    )
    assert codes(scan(root), "OBS001") == []


def test_obs007_sampling_on_worker_that_denies(repo):
    cfg = 'name = "w"\nmain = "src/index.js"\nlogpush = true\n[observability]\nenabled = true\nhead_sampling_rate = 0.1\n'
    deny = "export default { fetch() { return new Response('no', { status: 401 }) } }\n"
    quiet = "export default { fetch() { return new Response('ok') } }\n"
    root = repo(
        {
            "a/wrangler.toml": cfg,
            "a/src/index.js": deny,
            "b/wrangler.toml": cfg,
            "b/src/index.js": quiet,
            "c/wrangler.toml": cfg.replace("0.1", "1"),
            "c/src/index.js": deny,
        }
    )
    assert codes(scan(root), "OBS007") == [("OBS007", "a/wrangler.toml", 6)]


# ---------------------------------------------------------------- SUP001 / SUP004


def test_sup001_missing_untracked_ignored(tmp_path):
    files = {
        "a/wrangler.toml": 'name = "a"\n',
        "a/package.json": '{"dependencies": {"hono": "4.6.0"}}\n',
        "b/wrangler.toml": 'name = "b"\n',
        "b/package.json": '{"dependencies": {"hono": "4.6.0"}}\n',
        "b/package-lock.json": _lock("4.42.0"),
        "b/.gitignore": "package-lock.json\n",
        "c/wrangler.toml": 'name = "c"\n',
        "c/package.json": '{"dependencies": {"hono": "4.6.0"}}\n',
        "c/package-lock.json": _lock("4.42.0"),
        "d/wrangler.toml": 'name = "d"\n',
        "d/package.json": '{"name": "no-deps"}\n',
    }
    root = make_repo(tmp_path / "r", files, commit="respect")
    assert codes(scan(root), "SUP001") == [
        ("SUP001", "a/package.json", 1),
        ("SUP001", "b/package-lock.json", 1),
    ]


def test_sup004_ranges_and_toolchain(repo):
    root = repo(
        {
            "w/wrangler.toml": 'name = "w"\n',
            "w/package.json": '{\n "dependencies": {"@fastly/js-compute": "3.16.0"},\n "devDependencies": {\n  "wrangler": "^4.20.0"\n }\n}\n',
            "f/fastly.toml": 'name = "f"\nlanguage = "rust"\n',
            "f/Cargo.toml": '[package]\nname = "f"\n[dependencies]\nfastly = "0.11"\nserde = "1"\n',
            "f/rust-toolchain.toml": '[toolchain]\nchannel = "stable"\n',
            "g/fastly.toml": 'name = "g"\nlanguage = "rust"\n',
            "g/Cargo.toml": '[package]\nname = "g"\n[dependencies]\nfastly = { version = "=0.11.7" }\n',
            "g/rust-toolchain.toml": '[toolchain]\nchannel = "1.83.0"\n',
        }
    )
    assert codes(scan(root), "SUP004") == [
        ("SUP004", "f/Cargo.toml", 4),
        ("SUP004", "f/rust-toolchain.toml", 2),
        ("SUP004", "w/package.json", 4),
    ]


def test_sec001_unnamed_random_value_is_low(repo):
    root = repo(
        {
            "wrangler.toml": 'name = "w"\n[vars]\nBLOB = "Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0QaE9rT2Lk"\n'
            'SKIP = "^/(health|metrics|static/.*)$"\n'
        }
    )
    assert [(f.line, str(f.severity)) for f in scan(root).findings if f.code == "SEC001"] == [(3, "low")]


def test_obs001_is_low_when_workers_logs_keep_the_logs(repo):
    root = repo(
        {
            "a/wrangler.toml": 'name = "a"\n[observability]\nenabled = true\n',
            "b/wrangler.toml": 'name = "b"\n',
        }
    )
    got = [(f.path, str(f.severity)) for f in scan(root).findings if f.code == "OBS001"]
    assert got == [("a/wrangler.toml", "low"), ("b/wrangler.toml", "medium")]
