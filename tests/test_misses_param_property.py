"""ISO003 through a TypeScript constructor parameter property: `constructor(private tenant: string)` set from
request params by `new Store(params.tenant)`, then `env.KV.get(this.tenant)` in a method."""

from __future__ import annotations

from conftest import found, make_repo, run_scan

WRANGLER = (
    '{ "name": "w", "main": "src/index.ts", "compatibility_date": "2025-01-01",\n'
    '  "kv_namespaces": [{ "binding": "DATA", "id": "0123456789abcdef" }] }\n'
)

TAINTED = """\
class TenantStore {
  constructor(private tenant: string, private readonly env: Env) {}

  async read(): Promise<string | null> {
    return this.env.DATA.get(this.tenant);
  }

  async write(value: string): Promise<void> {
    await this.env.DATA.put(`${this.tenant}/latest`, value);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const params = (request as any).params;
    const store = new TenantStore(params.tenant, env);
    await store.write(await request.text());
    return new Response(await store.read());
  },
};
"""

FIXED = """\
class TenantStore {
  private tenant: string;

  constructor(tenant: string, private readonly env: Env) {
    this.tenant = "shared";
  }

  async read(): Promise<string | null> {
    return this.env.DATA.get(this.tenant);
  }

  async write(value: string): Promise<void> {
    await this.env.DATA.put(`${this.tenant}/latest`, value);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const params = (request as any).params;
    const store = new TenantStore(params.tenant, env);
    await store.write(await request.text());
    return new Response(await store.read());
  },
};
"""


def test_iso003_key_from_constructor_parameter_property(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": TAINTED}))
    assert found(result, "ISO003") == [("ISO003", "src/index.ts", 5), ("ISO003", "src/index.ts", 9)]
    msgs = sorted(f.message for f in result.findings if f.code == "ISO003")
    assert all("path parameter `tenant`" in m and "line 16 ->" in m for m in msgs)


def test_iso003_plain_constructor_parameter_not_stored_stays_silent(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": FIXED}))
    assert found(result, "ISO003") == []


def test_iso003_class_in_another_module_reports_at_the_class(tmp_path):
    cls, handler = TAINTED.split("export default", 1)
    files = {
        "wrangler.jsonc": WRANGLER,
        "src/store.ts": "export " + cls,
        "src/index.ts": 'import { TenantStore } from "./store";\n\nexport default' + handler,
    }
    result = run_scan(make_repo(tmp_path / "r", files))
    assert found(result, "ISO003") == [("ISO003", "src/store.ts", 5), ("ISO003", "src/store.ts", 9)]
    msgs = [f.message for f in result.findings if f.code == "ISO003"]
    assert all("(src/index.ts:6 -> src/store.ts:" in m for m in msgs)
