"""SEC009 (credential literals), SEC005 (build-script part) and SEC003 (build-config part)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import found, make_repo, run_scan
from edgeward.findings import Severity

FIX = Path(__file__).parent / "fixtures" / "secrets"


def _copy(name: str, dest: Path) -> Path:
    shutil.copytree(FIX / name, dest)
    return make_repo(dest)


def test_sec009_finds_literals_in_every_language(tmp_path):
    result = run_scan(_copy("leaky", tmp_path / "r"))
    got = found(result, "SEC009")
    assert got == [
        ("SEC009", "certs/origin.pem", 1),
        ("SEC009", "main.go", 4),
        ("SEC009", "main.go", 5),
        ("SEC009", "src/index.js", 2),
        ("SEC009", "src/index.js", 3),
        ("SEC009", "src/index.js", 4),
        ("SEC009", "src/index.js", 5),
        ("SEC009", "src/index.js", 6),
        ("SEC009", "src/index.js", 7),
        ("SEC009", "src/index.js", 8),
        ("SEC009", "src/lib.rs", 2),
        ("SEC009", "src/lib.rs", 3),
        ("SEC009", "src/worker.ts", 2),
        ("SEC009", "src/worker.ts", 3),
        ("SEC009", "src/worker.ts", 4),
    ]
    kinds = {(f.path, f.line): f.extra["secret_kind"] for f in result.findings if f.code == "SEC009"}
    assert kinds[("src/index.js", 2)] == "Stripe secret key"
    assert kinds[("src/index.js", 7)] == "URL with embedded credentials"
    assert kinds[("src/index.js", 8)] == "private key (PKCS#8)"
    assert kinds[("main.go", 4)] == "Fastly API token"


def test_sec009_does_not_repeat_config_rules(tmp_path):
    result = run_scan(_copy("leaky", tmp_path / "r"))
    assert found(result, "SEC001") == [("SEC001", "wrangler.toml", 6)]
    assert found(result, "SEC002") == [("SEC002", ".dev.vars", 1)]
    assert not found(result, "SEC009", "wrangler.toml")
    assert not found(result, "SEC009", ".dev.vars")


def test_sec009_near_misses_and_examples(tmp_path):
    result = run_scan(_copy("quiet", tmp_path / "r"))
    got = [(f.code, f.path, f.line, f.severity) for f in result.findings if f.code == "SEC009"]
    assert got == [("SEC009", "src/aws.js", 2, Severity.INFO)]
    (ex,) = [f for f in result.findings if f.code == "SEC009"]
    assert "documented example" in ex.message


def test_sec009_column_and_redacted_evidence(tmp_path):
    root = make_repo(
        tmp_path / "r", {"src/a.js": "let x = 1;\n  const k = 'ghp_FAKEfake0123456789FAKEfake0123456789';\n"}
    )
    (f,) = [f for f in run_scan(root).findings if f.code == "SEC009"]
    assert (f.line, f.column) == (2, 14)
    assert "ghp_FAKEfake0123456789FAKEfake0123456789" not in f.evidence + f.message
    assert "ghp_…89" in f.evidence


def test_sec009_docs_use_known_formats_only(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "README.md": 'Set `API_SECRET = "Qm8vT2xLp9Rk4Wn7Nc1Bf3Hy6Dg0FAKE"` in your env.\n'
            "Old token: ghp_FAKEfake0123456789FAKEfake0123456789\n",
        },
    )
    assert found(run_scan(root), "SEC009") == [("SEC009", "README.md", 2)]


def test_sec009_lockfiles_and_build_output_are_not_source(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "package-lock.json": '{"packages": {"": {}}, "token": "sk_live_FAKEfake0123456789FAKEfake2222"}\n',
            "dist/index.js": 'var k="sk_live_FAKEfake0123456789FAKEfake2222";\n',
        },
    )
    result = run_scan(root)
    assert not found(result, "SEC009")
    assert found(result, "SEC004") == [("SEC004", "dist/index.js", 1)]


# ------------------------------------------------------------------------------------------ SEC005


def test_sec005_ldflags_and_define_flags(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "fastly.toml": """\
                manifest_version = 3
                name = "go-app"
                language = "go"

                [scripts]
                build = "go build -o bin/main.wasm -ldflags '-X main.apiToken=$API_TOKEN -X main.version=1.2.3' ."
                """,
            "package.json": """\
                {
                  "name": "w",
                  "scripts": {
                    "build": "esbuild src/index.ts --bundle --define:STRIPE_SECRET=\\"sk_live_FAKEfake0123456789FAKEfake2222\\" --outfile=dist/index.js",
                    "build:env": "esbuild src/index.ts --bundle --define:process.env.API_KEY=\\"$API_KEY\\"",
                    "build:ok": "esbuild src/index.ts --bundle --define:process.env.NODE_ENV=\\"production\\""
                  }
                }
                """,
            "Makefile": "build:\n\tgo build -ldflags \"-X 'main.clientSecret=Wc7nR2vQ9xL4pT8mK3sB6hF1jD5gFAKE'\" .\n",
            "worker/wrangler.toml": 'name = "w"\n[build]\ncommand = "esbuild src/index.ts --bundle --define:SESSION_SECRET=$SESSION_SECRET"\n',
        },
    )
    result = run_scan(root)
    assert found(result, "SEC005") == [
        ("SEC005", "Makefile", 2),
        ("SEC005", "fastly.toml", 6),
        ("SEC005", "package.json", 4),
        ("SEC005", "package.json", 5),
        ("SEC005", "worker/wrangler.toml", 3),
    ]
    text = " ".join(f.message + f.evidence for f in result.findings)
    assert "sk_live_FAKEfake0123456789FAKEfake2222" not in text
    assert "Wc7nR2vQ9xL4pT8mK3sB6hF1jD5gFAKE" not in text
    # the literal flag values are SEC005's; SEC009 does not report the same lines
    assert not found(result, "SEC009", "package.json")
    assert not found(result, "SEC009", "Makefile")


def test_sec005_near_miss(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "Makefile": 'build:\n\tgo build -ldflags "-s -w -X main.version=$(VERSION) -X main.commit=$(GIT_SHA)" .\n',
            "package.json": '{"scripts": {"build": "esbuild src/index.ts --define:DEBUG=false --define:process.env.NODE_ENV=\\"production\\""}}\n',
        },
    )
    assert not found(run_scan(root), "SEC005")


# ------------------------------------------------------------------------------------------ SEC003 (build configs)


def test_sec003_bundler_defines(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "vite.config.ts": """\
                import { defineConfig, loadEnv } from "vite";
                export default defineConfig(({ mode }) => {
                  const env = loadEnv(mode, process.cwd(), "");
                  return {
                    define: {
                      "process.env.STRIPE_SECRET_KEY": JSON.stringify(env.STRIPE_SECRET_KEY),
                      __APP_VERSION__: JSON.stringify("1.4.2"),
                      __SENTRY_DSN__: JSON.stringify(env.SENTRY_DSN),
                      "process.env.NODE_ENV": '"production"',
                    },
                  };
                });
                """,
            "webpack.config.js": """\
                const webpack = require("webpack");
                module.exports = {
                  plugins: [
                    new webpack.DefinePlugin({
                      API_TOKEN: JSON.stringify("Qm8vT2xLp9Rk4Wn7Nc1Bf3Hy6Dg0FAKE"),
                      PUBLIC_URL: JSON.stringify("https://cdn.example.com"),
                    }),
                  ],
                };
                """,
            "scripts/build.mjs": """\
                import { build } from "esbuild";
                await build({ entryPoints: ["src/index.ts"], define: { "process.env.GREETING": '"hi"' } });
                """,
        },
    )
    result = run_scan(root)
    assert found(result, "SEC003") == [("SEC003", "vite.config.ts", 6), ("SEC003", "webpack.config.js", 5)]
    assert not found(result, "SEC009", "webpack.config.js")
    assert "Qm8vT2xLp9Rk4Wn7Nc1Bf3Hy6Dg0FAKE" not in " ".join(f.evidence + f.message for f in result.findings)


def test_sec003_build_define_value_found_in_bundle_with_provenance(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "esbuild.config.mjs": "export default { define: { SIGNING_KEY: '\"Qm8vT2xLp9Rk4Wn7Nc1Bf3Hy6Dg0FAKE\"' } };\n",
            "dist/worker.js": 'var a="Qm8vT2xLp9Rk4Wn7Nc1Bf3Hy6Dg0FAKE";export{a};\n',
        },
    )
    result = run_scan(root)
    assert found(result, "SEC003") == [("SEC003", "esbuild.config.mjs", 1)]
    (f,) = [f for f in result.findings if f.code == "SEC004"]
    assert (f.path, f.line, f.column) == ("dist/worker.js", 1, 8)
    assert "`esbuild.config.mjs` line 1" in f.message


def test_sec009_leaves_fastly_stores_and_wrangler_define_to_their_rules(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "fastly.toml": """\
                manifest_version = 3
                name = "app"
                language = "rust"

                [local_server.config_stores.settings]
                  format = "inline-toml"
                  [local_server.config_stores.settings.contents]
                    origin_api_token = "ghp_FAKEfake0123456789FAKEfake0123456789"

                [[local_server.secret_stores.keys]]
                  key = "signing"
                  data = "sk_live_FAKEfake0123456789FAKEfake2222"
                """,
            "wrangler.toml": """\
                name = "w"
                main = "src/index.js"

                [define]
                STRIPE_KEY = "'sk_live_FAKEfake0123456789FAKEfake4444'"
                """,
            "src/index.js": "export default { fetch: () => new Response(STRIPE_KEY.length) };\n",
        },
    )
    result = run_scan(root)
    assert found(result, "SEC007") == [("SEC007", "fastly.toml", 8)]
    assert found(result, "SEC008") == [("SEC008", "fastly.toml", 12)]
    assert ("SEC003", "wrangler.toml", 5) in found(result, "SEC003")
    assert not found(result, "SEC009")


def test_sec009_evidence_hides_every_piece_of_a_multiline_key(tmp_path):
    body = "MIIEvFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake"
    root = make_repo(
        tmp_path / "r",
        {"keys/a.txt.pem": f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"},
    )
    result = run_scan(root)
    assert found(result, "SEC009") == [("SEC009", "keys/a.txt.pem", 1)]
    for f in result.findings:
        assert body[:12] not in f.evidence + f.message
