"""Benchmark: generate a ~2 MB Fastly Compute Rust crate and time edgeward's analysis of it.

    .venv/bin/python benchmarks/rust.py [--mb 2.0] [--keep DIR]

The crate is many modules of realistic handler code (request getters, Secret/Config/KV stores, JWT
validation, log endpoints, `json!` events, macros, matches, closures), with a few planted mistakes so the
rules have work to do. Prints the size, the phase timings (parse + lower, taint engine, all rules) and the
finding counts by code. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

MODULE = """use std::io::Write;
use std::time::{{SystemTime, UNIX_EPOCH}};

use fastly::http::StatusCode;
use fastly::log::Endpoint;
use fastly::{{ConfigStore, Error, KVStore, Request, Response, SecretStore}};
use jsonwebtoken::{{decode, Algorithm, DecodingKey, Validation}};
use serde_json::json;

const ENDPOINT_{n}: &str = "security_events";

#[derive(serde::Deserialize)]
pub struct Claims{n} {{
    pub sub: String,
    pub tid: String,
    pub scope: Vec<String>,
}}

fn event_{n}(name: &str, reason: &str, trace: &str) {{
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let mut ep = Endpoint::from_name(ENDPOINT_{n});
    let line = json!({{ "ts": ts, "event": name, "reason": reason, "trace_id": trace, "module": {n} }});
    let _ = writeln!(ep, "{{}}", line);
}}

pub fn verify_{n}(req: &Request) -> Option<Claims{n}> {{
    let token = req.get_header_str("authorization")?.strip_prefix("Bearer ")?;
    let pem = SecretStore::open("edge_secrets").ok()?.get("jwt_public_key")?.plaintext();
    let key = DecodingKey::from_rsa_pem(&pem).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&["https://auth.example.com/"]);
    validation.set_audience(&["api-{n}"]);
    decode::<Claims{n}>(token, &key, &validation).ok().map(|d| d.claims)
}}

pub fn route_{n}(mut req: Request, trace: &str) -> Result<Response, Error> {{
    let claims = match verify_{n}(&req) {{
        Some(c) => c,
        None => {{
            event_{n}("denied", "no_token", trace);
            return Ok(Response::from_status(StatusCode::UNAUTHORIZED));
        }}
    }};
    let settings = ConfigStore::open("settings");
    let origin = settings.get("origin_host").unwrap_or_else(|| "origin".to_string());
    let store = KVStore::open("tenants")?.expect("kv");
    let key = format!("{{}}/profile/{{}}", claims.tid, claims.sub);
    let profile = store.lookup(&key)?.take_body().into_string();
    let scopes: Vec<&str> = claims.scope.iter().map(|s| s.as_str()).filter(|s| !s.is_empty()).collect();
    match req.get_path() {{
        "/health" => return Ok(Response::from_status(StatusCode::OK).with_body_text_plain("ok")),
        p if p.starts_with("/admin") && !scopes.contains(&"admin") => {{
            event_{n}("forbidden", "admin_scope", trace);
            return Ok(Response::from_status(StatusCode::FORBIDDEN));
        }}
        _ => {{}}
    }}
    for name in ["x-user-id", "x-tenant-id"] {{
        req.remove_header(name);
    }}
    req.set_header("x-user-id", claims.sub.clone());
    req.set_header("x-tenant-id", claims.tid.clone());
    let mut total = 0usize;
    for (i, part) in profile.split(',').enumerate() {{
        if i % 2 == 0 {{ total += part.len(); }} else {{ total = total.saturating_sub(1); }}
    }}
    log::debug!("module {n} profile parts {{}} origin {{}}", total, origin);
    Ok(req.send("origin")?)
}}
"""

PLANTED = """
pub fn planted(req: &Request) -> Response {
    let key = SecretStore::open("edge_secrets").unwrap().get("api_key").unwrap().plaintext();
    let key = String::from_utf8(key.to_vec()).unwrap();
    println!("key {}", &key[..4]);
    let tenant = req.get_header_str("x-tenant").unwrap_or_default();
    let _ = KVStore::open("tenants").unwrap().unwrap().lookup(tenant);
    if req.get_header_str("x-api-key").unwrap_or_default() == key {
        return Response::from_status(StatusCode::OK);
    }
    Response::from_status(StatusCode::FORBIDDEN)
}
"""


def generate(root: Path, megabytes: float) -> int:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "fastly.toml").write_text(
        'language = "rust"\nmanifest_version = 3\nname = "bench"\n\n'
        '[setup.log_endpoints.security_events]\nprovider = "Splunk"\n'
    )
    (root / "Cargo.toml").write_text(
        '[package]\nname = "bench"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\nfastly = "=0.11.9"\njsonwebtoken = "9"\nserde_json = "1"\n'
    )
    target = int(megabytes * 1024 * 1024)
    total = 0
    n = 0
    mods = []
    while total < target:
        text = MODULE.format(n=n)
        if n % 50 == 0:
            text += PLANTED.replace("pub fn planted", f"pub fn planted_{n}")
        (root / "src" / f"m{n}.rs").write_text(text)
        mods.append(f"m{n}")
        total += len(text)
        n += 1
    main = "".join(f"mod {m};\n" for m in mods)
    main += (
        "\nuse fastly::{Error, Request, Response};\n\n#[fastly::main]\n"
        "fn main(req: Request) -> Result<Response, Error> {\n"
        '    fastly::log::set_panic_endpoint("security_events")?;\n'
        '    let trace = std::env::var("FASTLY_TRACE_ID").unwrap_or_default();\n'
        "    m0::route_0(req, &trace)\n}\n"
    )
    (root / "src" / "main.rs").write_text(main)
    total += len(main)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=2.0, help="crate size in MiB (default 2)")
    ap.add_argument("--keep", help="generate into this directory and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="edgeward-rust-bench-")) / "crate"
    size = generate(root, args.mb)
    files = len(list((root / "src").glob("*.rs")))
    print(f"generated {size / 1024 / 1024:.2f} MiB of Rust in {files} files at {root}")

    from edgeward.config import Config
    from edgeward.engine import scan
    from edgeward.lang.sources import modules
    from edgeward.lang.taint import analysis
    from edgeward.rules.registry import load_all
    from edgeward.workspace.project import Project

    load_all()
    clock = time.perf_counter
    cpu = time.process_time
    t0, c0 = clock(), cpu()
    project = Project.load(root)
    mods = project.fact(modules)
    t1, c1 = clock(), cpu()
    project.fact(analysis)
    t2, c2 = clock(), cpu()
    print("phase                 wall      cpu")
    print(f"parse + lower to IR: {t1 - t0:6.2f} s {c1 - c0:6.2f} s  ({len(mods)} modules)")
    print(f"taint engine:        {t2 - t1:6.2f} s {c2 - c1:6.2f} s")
    t3, c3 = clock(), cpu()
    result = scan(root, Config())
    t4, c4 = clock(), cpu()
    print(
        f"full scan (fresh):   {t4 - t3:6.2f} s {c4 - c3:6.2f} s  ({size / 1024 / 1024 / (c4 - c3):.2f} MiB per cpu-s)"
    )
    counts = Counter(f.code for f in result.findings)
    print("findings:", ", ".join(f"{c}={n}" for c, n in sorted(counts.items())) or "none")
    if not args.keep:
        shutil.rmtree(root.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
