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
