"""Generate a synthetic Worker code base in TypeScript (default about 5 MB) for the taint benchmark.

Each module has handlers with request sources, secrets, helpers across files, and sinks (logs, DO names, KV
keys, fetch, SQL), half of them sanitised — so that the taint engines have real work to do.

    python benchmarks/gen_ts_codebase.py OUT_DIR [--mb 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

MODULE = """import {{ jwtVerify }} from "jose";
import {{ helper{prev} }} from "./mod{prev}";

interface Env {{
  API_KEY: string;
  STATE: DurableObjectNamespace;
  KV: KVNamespace;
  DB: D1Database;
}}

export function helper{i}(value: string, env: Env): string {{
  const trimmed = value.trim().toLowerCase();
  return `${{trimmed}}:${{env.API_KEY.length}}`;
}}
{handlers}
"""

HANDLER = """
export async function handle{i}_{j}(request: Request, env: Env): Promise<Response> {{
  const url = new URL(request.url);
  const tenant = request.headers.get("x-tenant-{j}") ?? "";
  const name = url.searchParams.get("name{j}") ?? "x";
  const token = (request.headers.get("authorization") ?? "").slice(7);
  const {{ payload }} = await jwtVerify(token, new TextEncoder().encode(env.API_KEY), {{ issuer: "i", audience: "a" }});
  const derived = helper{prev}(tenant, env);
  const label = `${{derived}}-${{url.pathname}}`;
  if ({odd}) {{
    console.log("request " + request.url + " key " + env.API_KEY.slice(0, 4));
    const stub = env.STATE.get(env.STATE.idFromName(tenant));
    await env.KV.put(`k:${{name}}`, label);
    await env.DB.prepare(`SELECT * FROM t WHERE n = '${{name}}'`).all();
    return fetch(name, {{ headers: {{ "x-id": String(payload.sub) }} }});
  }}
  console.log(JSON.stringify({{ path: url.pathname, ray: request.headers.get("cf-ray") }}));
  const own = env.STATE.get(env.STATE.idFromName(`t:${{payload.sub}}`));
  await env.KV.put(`${{payload.sub}}:${{name}}`, label);
  await env.DB.prepare("SELECT * FROM t WHERE n = ?").bind(name).all();
  return own.fetch(request);
}}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=5.0)
    args = ap.parse_args()
    out = Path(args.out)
    (out / "src").mkdir(parents=True, exist_ok=True)
    (out / "wrangler.toml").write_text(
        'name = "bench"\nmain = "src/mod0.ts"\ncompatibility_date = "2026-06-01"\n'
    )
    total, i = 0, 0
    target = int(args.mb * 1024 * 1024)
    while total < target:
        prev = i - 1 if i else 0
        handlers = "".join(
            HANDLER.format(i=i, j=j, prev=prev, odd="true" if j % 2 else "false") for j in range(12)
        )
        text = MODULE.format(i=i, prev=prev, handlers=handlers)
        (out / "src" / f"mod{i}.ts").write_text(text)
        total += len(text)
        i += 1
    print(f"{i} modules, {total:,} bytes in {out}")


if __name__ == "__main__":
    main()
