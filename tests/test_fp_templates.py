"""False positives found by scanning project templates that users start from (scaffolds shipped in npm
packages, Fastly starter kits). Each test is a small near-miss in the same shape, written for edgeward,
asserting the exact findings of the rule involved."""

from __future__ import annotations

import datetime as dt

from conftest import found, make_repo, run_scan

TODAY = dt.date.today().isoformat()


# ------------------------------------------------------------------------------ PLT003: scaffold tokens


def _worker(date_value: str, *, env_date: str | None = None) -> dict[str, str]:
    cfg = (
        "{\n"
        '  "name": "<PROJECT_SLUG>",\n'
        '  "main": "src/index.ts",\n'
        f'  "compatibility_date": "{date_value}",\n'
        '  "logpush": true\n'
    )
    if env_date is not None:
        cfg += f',  "env": {{ "staging": {{ "compatibility_date": "{env_date}" }} }}\n'
    cfg += "}\n"
    return {
        "wrangler.jsonc": cfg,
        "src/index.ts": "export default { async fetch() { return new Response('hi'); } };\n",
    }


def test_plt003_skips_whole_value_template_placeholders(tmp_path):
    for i, token in enumerate(
        [
            "<COMPATIBILITY_DATE>",
            "{{ compatibility_date }}",
            "${COMPAT_DATE}",
            "%DATE%",
            "%%DATE%%",
            "__TODAY__",
        ]
    ):
        result = run_scan(make_repo(tmp_path / f"r{i}", _worker(token)))
        assert found(result, "PLT003") == [], token


def test_plt003_still_reports_a_value_that_is_not_a_date(tmp_path):
    # Not a placeholder: a typo'd date and a date with a token glued to it are still reported.
    result = run_scan(make_repo(tmp_path / "r", _worker("2024-13-45", env_date="<DATE>-01")))
    assert found(result, "PLT003") == [
        ("PLT003", "wrangler.jsonc", 4),
        ("PLT003", "wrangler.jsonc", 6),
    ]


def test_plt003_placeholder_next_to_a_stale_environment(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _worker("<COMPATIBILITY_DATE>", env_date="2019-02-03")))
    assert found(result, "PLT003") == [("PLT003", "wrangler.jsonc", 6)]


def test_plt003_current_date_is_silent(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _worker(TODAY)))
    assert found(result, "PLT003") == []


# --------------------------------------------------------------- SUP002: fastly.toml [scripts].post_init

_FASTLY_JS = {
    "package.json": '{\n  "dependencies": { "@fastly/js-compute": "3.20.0" }\n}\n',
    "package-lock.json": (
        '{\n  "name": "x",\n  "lockfileVersion": 3,\n  "packages": {\n'
        '    "": { "dependencies": { "@fastly/js-compute": "3.20.0" } },\n'
        '    "node_modules/@fastly/js-compute": { "version": "3.20.0" }\n  }\n}\n'
    ),
    "src/index.js": "addEventListener('fetch', (e) => e.respondWith(new Response('ok')));\n",
}


def _fastly_toml(scripts: str) -> str:
    return (
        'manifest_version = 3\nname = "starter"\nlanguage = "javascript"\n\n'
        '[setup.log_endpoints.siem]\nprovider = "Splunk"\n\n'
        f"[scripts]\n{scripts}"
    )


def test_sup002_ignores_post_init_scaffold_step(tmp_path):
    files = {
        **_FASTLY_JS,
        "fastly.toml": _fastly_toml('build = "npm run build"\npost_init = "npm install"\n'),
    }
    result = run_scan(make_repo(tmp_path / "r", files))
    assert found(result, "SUP002") == []


def test_sup002_still_reports_npm_install_in_build_and_post_build(tmp_path):
    scripts = (
        'build = "npm install && npm run build"\npost_init = "npm install"\npost_build = "npm i left-pad"\n'
    )
    files = {**_FASTLY_JS, "fastly.toml": _fastly_toml(scripts)}
    result = run_scan(make_repo(tmp_path / "r", files))
    assert found(result, "SUP002") == [
        ("SUP002", "fastly.toml", 9),
        ("SUP002", "fastly.toml", 11),
    ]


# ------------------------------------------------------------ SUP004: versions from the job's CI matrix

_RUST_APP = {
    "fastly.toml": 'manifest_version = 3\nname = "r"\nlanguage = "rust"\n[setup.log_endpoints.siem]\nprovider = "x"\n',
    "Cargo.toml": '[package]\nname = "r"\nversion = "0.1.0"\n\n[dependencies]\nfastly = "=0.11.2"\n',
    "Cargo.lock": (
        'version = 3\n\n[[package]]\nname = "fastly"\nversion = "0.11.2"\n'
        'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
    ),
    "src/main.rs": "#[fastly::main]\nfn main(req: fastly::Request) -> Result<fastly::Response, fastly::Error> {\n"
    '    fastly::log::set_panic_endpoint("siem").ok();\n    Ok(fastly::Response::new())\n}\n',
}


def _toolchain_workflow(matrix: str, toolchain: str = "${{ matrix.rust }}") -> str:
    return (
        "on: pull_request\n"
        "jobs:\n"
        "  test:\n"
        "    strategy:\n"
        f"      matrix:\n{matrix}"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: dtolnay/rust-toolchain@master\n"
        "        with:\n"
        f"          toolchain: {toolchain}\n"
        "      - run: cargo build --locked\n"
    )


def _ci_sup004(tmp_path, name: str, workflow: str) -> list:
    files = {**_RUST_APP, ".github/workflows/ci.yml": workflow}
    result = run_scan(make_repo(tmp_path / name, files))
    return [f for f in found(result, "SUP004") if f[1] == ".github/workflows/ci.yml"]


def test_sup004_toolchain_from_an_exact_matrix_is_pinned(tmp_path):
    exact = "        rust: [1.79.0]\n"
    assert _ci_sup004(tmp_path, "a", _toolchain_workflow(exact)) == []
    with_include = "        rust: [1.79.0]\n        include:\n          - rust: 1.80.1\n"
    assert _ci_sup004(tmp_path, "b", _toolchain_workflow(with_include)) == []


def test_sup004_toolchain_from_a_floating_or_unknown_matrix_is_reported(tmp_path):
    floating = "        rust: [1.79.0, stable]\n"
    assert _ci_sup004(tmp_path, "a", _toolchain_workflow(floating)) == [
        ("SUP004", ".github/workflows/ci.yml", 12)
    ]
    from_json = "        rust: ${{ fromJSON(vars.RUSTS) }}\n"
    assert _ci_sup004(tmp_path, "b", _toolchain_workflow(from_json)) == [
        ("SUP004", ".github/workflows/ci.yml", 12)
    ]
    other_axis = "        os: [ubuntu-latest]\n"
    assert _ci_sup004(tmp_path, "c", _toolchain_workflow(other_axis)) == [
        ("SUP004", ".github/workflows/ci.yml", 12)
    ]


def test_sup004_wrangler_action_version_from_the_matrix(tmp_path):
    def workflow(versions: str) -> str:
        return (
            "on: push\n"
            "jobs:\n"
            "  deploy:\n"
            "    strategy:\n"
            "      matrix:\n"
            f"        wrangler: [{versions}]\n"
            "    runs-on: ubuntu-latest\n"
            "    steps:\n"
            "      - uses: cloudflare/wrangler-action@v3\n"
            "        with:\n"
            "          wranglerVersion: ${{ matrix.wrangler }}\n"
        )

    worker = {
        "wrangler.toml": 'name = "w"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\nlogpush = true\n',
        "src/index.js": "export default { fetch() { return new Response('ok'); } };\n",
    }

    def ci_hits(name: str, versions: str) -> list:
        files = {**worker, ".github/workflows/deploy.yml": workflow(versions)}
        result = run_scan(make_repo(tmp_path / name, files))
        return [f for f in found(result, "SUP004") if f[1] == ".github/workflows/deploy.yml"]

    assert ci_hits("exact", "4.20.0, 3.114.1") == []
    assert ci_hits("range", "4.20.0, ^4") == [("SUP004", ".github/workflows/deploy.yml", 11)]


# ----------------------------------------------- ISO004: a keyed memo refilled after an early return


def _severities(result, code: str) -> list[tuple[int, str]]:
    return sorted((f.line, f.severity.name.lower()) for f in result.findings if f.code == code)


_MEMO_WORKER = """\
import { createRemoteJWKSet, jwtVerify } from "jose";

let keySet = null;
let keySetIssuer = null;

function keysFor(issuer) {
  if (keySet && keySetIssuer === issuer) {
    return keySet;
  }
  keySet = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  keySetIssuer = issuer;
  return keySet;
}

export default {
  async fetch(request, env) {
    const token = request.headers.get("authorization")?.slice(7) ?? "";
    const { payload } = await jwtVerify(token, keysFor(env.ISSUER), {
      issuer: env.ISSUER,
      audience: env.AUDIENCE,
      algorithms: ["RS256"],
    });
    return new Response(payload.sub);
  },
};
"""

_NOT_A_MEMO_WORKER = """\
let lastCaller = null;
let lastPath = null;

export default {
  async fetch(request, env) {
    if (lastCaller && lastPath === "/health") {
      return new Response("busy");
    }
    lastCaller = request.headers.get("x-user");
    lastPath = new URL(request.url).pathname;
    await env.QUEUE.send({ who: lastCaller });
    return new Response(lastCaller);
  },
};
"""


def _js_worker(code: str) -> dict[str, str]:
    return {
        "wrangler.toml": (
            'name = "w"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\nlogpush = true\n\n'
            '[vars]\nISSUER = "https://id.example.com"\nAUDIENCE = "api"\n'
        ),
        "src/index.js": code,
    }


def test_iso004_keyed_memo_of_config_value_is_low(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _js_worker(_MEMO_WORKER)))
    assert _severities(result, "ISO004") == [(10, "low"), (11, "low")]


def test_iso004_request_data_behind_the_same_guard_stays_high(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _js_worker(_NOT_A_MEMO_WORKER)))
    assert _severities(result, "ISO004") == [(9, "high"), (10, "high")]


# -------------------------------------------- SEC006: a config object returned by a helper is per field

_CONFIG_WORKER = """\
function settings(env) {
  return {
    token: (env.UPSTREAM_TOKEN ?? "").trim(),
    ttl: Number.parseInt(env.CACHE_TTL ?? "60", 10),
    base: env.UPSTREAM_URL || "https://api.example.com",
  };
}

export default {
  async fetch(request, env) {
    const cfg = settings(env);
    const upstream = await fetch(`${cfg.base}/v1/items`, {
      headers: { Authorization: `Bearer ${cfg.token}` },
    });
    const body = await upstream.text();
    console.log(JSON.stringify({ ttl: cfg.ttl, base: cfg.base }));
    return new Response(body, { headers: { "Cache-Control": `max-age=${cfg.ttl}` } });
  },
};
"""


def _config_worker(extra: str = "") -> dict[str, str]:
    code = _CONFIG_WORKER.replace("    return new Response(body", extra + "    return new Response(body")
    return {
        "wrangler.toml": (
            'name = "w"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\nlogpush = true\n\n'
            '[vars]\nCACHE_TTL = "60"\nUPSTREAM_URL = "https://api.example.com"\n'
        ),
        "src/index.js": code,
    }


def test_sec006_other_fields_of_a_config_object_are_not_the_secret(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _config_worker()))
    assert found(result, "SEC006") == []


def test_sec006_the_secret_field_itself_still_flows(tmp_path):
    leak = "    console.log(`calling with ${cfg.token.slice(0, 6)}`);\n"
    result = run_scan(make_repo(tmp_path / "r", _config_worker(leak)))
    assert found(result, "SEC006") == [("SEC006", "src/index.js", 17)]


def test_sec006_whole_config_object_logged_still_reports(tmp_path):
    leak = "    console.log(JSON.stringify(cfg));\n"
    result = run_scan(make_repo(tmp_path / "r", _config_worker(leak)))
    assert found(result, "SEC006") == [("SEC006", "src/index.js", 17)]


# ----------------------------- SEC006 / REQ014: a var whose value only *looks* random is still a plain var

_REGEX_VAR_WORKER = """\
let compiled = null;
let compiledFrom = null;

function skipper(pattern) {
  if (compiled && compiledFrom === pattern) return compiled;
  compiledFrom = pattern;
  try {
    compiled = new RegExp(pattern, "i");
  } catch {
    console.log(JSON.stringify({ msg: "bad IGNORE_PATHS", pattern }));
  }
  return compiled;
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (skipper(env.IGNORE_PATHS).test(path)) return fetch(request);
    if (request.headers.get("x-admin-key") === env.ADMIN_KEY) return new Response("admin");
    return fetch(request);
  },
};
"""


def test_random_looking_regex_var_is_not_a_secret_in_flows(tmp_path):
    wrangler = (
        'name = "w"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\nlogpush = true\n\n'
        "[vars]\n"
        "IGNORE_PATHS = '^/(favicon\\.ico|robots\\.txt|humans\\.txt)$|\\.(png|jpe?g|gif|svg|woff2?|css|js|map)$'\n"
    )
    result = run_scan(
        make_repo(tmp_path / "r", {"wrangler.toml": wrangler, "src/index.js": _REGEX_VAR_WORKER})
    )
    assert found(result, "SEC006") == []
    # the undeclared ADMIN_KEY is a secret binding: its `===` stays reported
    assert found(result, "REQ014") == [("REQ014", "src/index.js", 19)]


# ------------------------------------------------- ISO004: a warn-once flag among other conditions

_WARN_ONCE_WORKER = """\
let warned = false;
let lastPath = "";

export default {
  async fetch(request, env) {
    if (!env.UPSTREAM_URL && !warned) {
      warned = true;
      console.log(JSON.stringify({ msg: "UPSTREAM_URL unset" }));
    }
    if (request.method === "POST" && !lastPath) {
      lastPath = new URL(request.url).pathname;
    }
    return new Response(lastPath);
  },
};
"""


def test_iso004_warn_once_flag_in_a_conjunction_is_lazy(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _js_worker(_WARN_ONCE_WORKER)))
    # the flag set to a constant is a one-time initialisation; request data stored the same way is not
    assert _severities(result, "ISO004") == [(7, "low"), (11, "high")]


# ------------------------------------------------------ OBS004: a helper that only builds the denial

_DENIAL_HELPER_WORKER = """\
function page(status, body) {
  return new Response(`<html><body>${body}</body></html>`, {
    status,
    headers: { "Content-Type": "text/html" },
  });
}

function denied(id) {
  return page(403, `<h1>Access denied</h1><p>${id}</p>`);
}

export default {
  async fetch(request, env) {
    const ray = request.headers.get("cf-ray") ?? crypto.randomUUID();
    if (request.headers.get("x-bad") === "1") {
      console.log(JSON.stringify({ event: "blocked", ray, ts: Date.now() }));
      return denied(ray);
    }
    if (request.headers.get("x-worse") === "1") {
      console.log(JSON.stringify({ event: "blocked", ts: Date.now() }));
      return denied(ray);
    }
    if (request.headers.get("x-worst") === "1") {
      return denied(ray);
    }
    return fetch(request);
  },
};
"""


def test_obs004_denial_helper_is_judged_at_each_call_site(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _js_worker(_DENIAL_HELPER_WORKER)))
    # line 17 logs a correlated event (fine); 21 logs one without the ray; 24 logs nothing
    assert found(result, "OBS004") == [("OBS004", "src/index.js", 21), ("OBS004", "src/index.js", 24)]
    messages = {f.line: f.message for f in result.findings if f.code == "OBS004"}
    assert "no request correlation id" in messages[21]
    assert "logs no security event" in messages[24]


# ------------------------------------------- bindings wrangler declares outside the classic set are no secret

_IMAGES_WORKER = """\
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const source = await env.ASSETS.fetch(new URL("/photo.jpg", url));
    const out = await env.IMAGES.input(source.body).transform({ width: 320 }).output({ format: "image/webp" });
    const res = out.response();
    await env.EVENTS.send({ path: url.pathname });
    return new Response(res.body, { headers: { "x-worker": String(env.LOADER), "x-key": env.API_KEY } });
  },
};
"""


def test_images_pipelines_and_loader_bindings_are_not_secrets(tmp_path):
    wrangler = """\
{
  "name": "w",
  "main": "src/index.js",
  "compatibility_date": "2025-06-01",
  "logpush": true,
  "assets": { "directory": "public", "binding": "ASSETS" },
  "images": { "binding": "IMAGES" },
  "pipelines": [{ "binding": "EVENTS", "pipeline": "events" }],
  "worker_loaders": [{ "binding": "LOADER" }]
}
"""
    files = {"wrangler.jsonc": wrangler, "src/index.js": _IMAGES_WORKER, "public/photo.jpg": b"\xff\xd8\xff"}
    result = run_scan(make_repo(tmp_path / "r", files))
    # only the undeclared API_KEY (a secret binding) reaching a response header is reported
    assert found(result, "SEC006") == [("SEC006", "src/index.js", 8)]
    assert "API_KEY" in next(f.message for f in result.findings if f.code == "SEC006")


# ------------------------------------- ISO004: writes behind a once-per-isolate guard, callees included

_ONCE_WORKER = """\
let ready = false;
let firstHost = "";

function patchRuntime() {
  globalThis.__dirname ??= "";
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => original(input, init);
}

function setup(request) {
  if (ready) {
    return;
  }
  ready = true;
  patchRuntime();
  firstHost = new URL(request.url).host;
}

export default {
  async fetch(request, env) {
    setup(request);
    globalThis.lastPath = new URL(request.url).pathname;
    return new Response(firstHost);
  },
};
"""


def test_iso004_once_guarded_initialisation_is_low_request_data_stays_high(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", _js_worker(_ONCE_WORKER)))
    assert _severities(result, "ISO004") == [
        (5, "low"),  # ??= in a helper called behind the guard
        (7, "low"),  # runtime patch behind the guard
        (14, "low"),  # the guard flag itself
        (16, "high"),  # request data stored by the first request, served to every later one
        (22, "high"),  # globalThis written on every request
    ]


# ------------------------------------ framework build output is not source (the adapter's generated entry)

_FIRST_ORIGIN = """\
let origin;

export default {
  async fetch(request, env) {
    if (!origin) {
      origin = new URL(request.url).origin;
    }
    return env.ASSETS.fetch(`${origin}/index.html`);
  },
};
"""


def test_framework_output_dirs_are_not_analysed_as_source(tmp_path):
    def worker(main: str) -> dict[str, str]:
        return {
            "wrangler.jsonc": (
                '{ "name": "w", "main": "' + main + '", "compatibility_date": "2025-06-01", "logpush": true,'
                ' "assets": { "binding": "ASSETS", "directory": "static" } }\n'
            ),
            main: _FIRST_ORIGIN,
        }

    for i, main in enumerate(
        [".svelte-kit/cloudflare/_worker.js", ".open-next/worker.js", ".vercel/output/w.js"]
    ):
        result = run_scan(make_repo(tmp_path / f"gen{i}", worker(main)))
        assert found(result, "ISO004") == [], main
    # the same code written by the user is analysed
    result = run_scan(make_repo(tmp_path / "own", worker("src/worker.js")))
    assert found(result, "ISO004") == [("ISO004", "src/worker.js", 6)]
