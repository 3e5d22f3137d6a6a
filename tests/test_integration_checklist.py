"""Integration: the checklist agrees with the findings (baselines, platform-scoped items)."""

import json

from conftest import make_repo
from edgeward.cli import main

SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
WRANGLER = f"""name = "w"
workers_dev = false
logpush = true

[vars]
LOG_LEVEL = "info"
API_TOKEN = "{SECRET}"
"""

KV_WRANGLER = """name = "kv"
main = "src/index.js"
compatibility_date = "2025-06-01"
workers_dev = false
logpush = true

[[kv_namespaces]]
binding = "SESSIONS"
id = "5b1e9c0d2f3a4b5c6d7e8f9012345678"
"""

KV_SOURCE = """export default {
  async fetch(request, env) {
    const tenant = request.headers.get("x-tenant-id");
    await env.SESSIONS.put(`${tenant}:seen`, "1");
    return new Response("ok");
  },
};
"""


def _json(capsys, *argv):
    code = main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_baselined_finding_keeps_its_checklist_item_failing(tmp_path, capsys):
    proj = make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})
    base = tmp_path / "baseline.json"
    code, first = _json(capsys, "scan", str(proj), "--write-baseline", str(base))
    assert code == 1
    fps = [f["fingerprint"] for f in first["findings"] if f["code"] == "SEC001"]
    assert len(fps) == 1
    code, again = _json(capsys, "scan", str(proj), "--baseline", str(base))
    assert code == 0
    assert again["findings"] == []
    assert again["stats"]["baselined"] == len(first["findings"])
    row = again["checklist"][0]
    assert row["item"] == 1
    assert row["status"] == "fail"  # never `pass`: the secret is still in vars, only accepted
    assert row["findings"] == fps
    assert row["note"] == "1 finding(s) accepted in the baseline, not fixed: SEC001"


def test_unbaselined_run_is_unchanged(tmp_path, capsys):
    proj = make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})
    _, out = _json(capsys, "scan", str(proj))
    row = out["checklist"][0]
    assert row["status"] == "fail"
    assert row["note"] == "1 finding(s): SEC001"


def test_workers_kv_finding_does_not_claim_the_fastly_kv_item(tmp_path, capsys):
    proj = make_repo(tmp_path / "p", {"wrangler.toml": KV_WRANGLER, "src/index.js": KV_SOURCE})
    _, out = _json(capsys, "scan", str(proj), "--select", "ISO003")
    iso = [(f["code"], f["path"], f["line"], f["checklist"]) for f in out["findings"]]
    assert iso == [("ISO003", "src/index.js", 4, [])]
    row = out["checklist"][4]
    assert row["item"] == 5 and row["status"] == "not-applicable" and row["findings"] == []
    # every item a finding names lists that finding
    for f in out["findings"]:
        for item in f["checklist"]:
            assert f["fingerprint"] in out["checklist"][item - 1]["findings"]


FASTLY_TOML = """manifest_version = 3
name = "geo"
language = "javascript"

[setup.log_endpoints.main]
provider = "https"
"""


def _fastly_js(tmp_path, header):
    source = f"""addEventListener("fetch", (event) => event.respondWith(handle(event)));

async function handle(event) {{
  const req = new Request(event.request);
  req.headers.set("{header}", event.client.tlsJA3MD5 ?? "");
  return fetch(req, {{ backend: "origin" }});
}}
"""
    pkg = '{"name": "geo", "main": "src/index.js", "dependencies": {"@fastly/js-compute": "3.16.0"}}'
    return make_repo(
        tmp_path / header, {"fastly.toml": FASTLY_TOML, "package.json": pkg, "src/index.js": source}
    )


def test_tls_client_header_is_not_forwarded_identity(tmp_path, capsys):
    proj = _fastly_js(tmp_path, "x-client-ja3")
    _, out = _json(capsys, "scan", str(proj))
    row = out["checklist"][11]
    assert (row["item"], row["status"], row["note"]) == (
        12,
        "not-applicable",
        "no identity header is forwarded to an origin",
    )


def test_identity_header_is_forwarded_identity(tmp_path, capsys):
    proj = _fastly_js(tmp_path, "x-client-id")
    _, out = _json(capsys, "scan", str(proj))
    row = out["checklist"][11]
    assert (row["status"], row["note"]) == ("fail", "1 finding(s): REQ012")
    assert [(f["code"], f["line"]) for f in out["findings"] if f["code"] == "REQ012"] == [("REQ012", 5)]
