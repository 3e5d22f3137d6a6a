"""Basic-auth credentials decoded from `Authorization` and compared with string literals: a hard-coded
credential (SEC009) and a compare that is not constant-time (REQ014). Literal compares of other values
(`method === "GET"`, the auth scheme) stay silent."""

from __future__ import annotations

from conftest import found, make_repo, run_scan

WRANGLER = '{ "name": "w", "main": "src/index.ts", "compatibility_date": "2025-01-01" }\n'

LITERAL = """\
export default {
  async fetch(request: Request): Promise<Response> {
    const header = request.headers.get("Authorization") || "";
    const [scheme, encoded] = header.split(" ");
    if (scheme !== "Basic" || !encoded) return unauthorized();
    const [user, pass] = atob(encoded).split(":");
    if (user !== "admin" || pass != "hunter22") {
      return unauthorized();
    }
    return new Response("welcome");
  },
};

function unauthorized(): Response {
  return new Response("no", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="x"' } });
}
"""

NEAR = """\
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/health") return new Response("ok");
    const header = request.headers.get("Authorization") || "";
    if (!header.startsWith("Basic ")) return new Response("no", { status: 401 });
    const [scheme, encoded] = header.split(" ");
    if (scheme !== "Basic") return new Response("no", { status: 401 });
    const [user] = atob(encoded).split(":");
    const mode = request.headers.get("x-mode");
    if (mode === "debug") return new Response("debug");
    return new Response(`hello ${user.length}`);
  },
};
"""


def test_basic_auth_literal_password_is_hardcoded_and_timing_unsafe(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": LITERAL}))
    assert found(result, "REQ014") == [("REQ014", "src/index.ts", 7)]
    assert found(result, "SEC009") == [("SEC009", "src/index.ts", 7)]
    for f in result.findings:
        if f.code in ("REQ014", "SEC009"):
            assert "hunter22" not in f.message
            assert "hunter22" not in (f.evidence or "")
            assert "hunter22" not in f.fingerprint


def test_basic_auth_scheme_and_non_credential_literals_stay_silent(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": NEAR}))
    assert found(result, "REQ014") == []
    assert found(result, "SEC009") == []


JWT_HEADER = """\
export default {
  async fetch(request: Request): Promise<Response> {
    const token = (request.headers.get("Authorization") || "").replace("Bearer ", "");
    const [head] = token.split(".");
    const header = JSON.parse(atob(head));
    if (header.alg !== "HS256" || header.typ != "JWT") {
      return new Response("unsupported token", { status: 401 });
    }
    return new Response("ok");
  },
};
"""

PYTHON = """\
import base64
from workers import Response


async def on_fetch(request, env):
    auth = request.headers.get("Authorization") or ""
    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    if password == "s3cret-pass":
        return Response("welcome")
    return Response("no", status=401)
"""


def test_basic_auth_jwt_header_fields_are_not_credentials(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": JWT_HEADER}))
    assert found(result, "REQ014") == []
    assert found(result, "SEC009") == []


def test_basic_auth_python_worker_literal_password(tmp_path):
    wrangler = '{ "name": "w", "main": "src/entry.py", "compatibility_date": "2025-01-01" }\n'
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": wrangler, "src/entry.py": PYTHON}))
    assert found(result, "REQ014") == [("REQ014", "src/entry.py", 8)]
    assert found(result, "SEC009") == [("SEC009", "src/entry.py", 8)]
