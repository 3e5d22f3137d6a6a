"""Integration: `--baseline` with `--write-baseline` keeps what the old baseline accepted (scan and logs)."""

import json

from test_logs_input import batch, record
from test_logs_rules import at

from conftest import make_repo
from edgeward.cli import main

SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
WRANGLER = f"""name = "w"
workers_dev = false
logpush = true

[vars]
API_TOKEN = "{SECRET}"
"""
NEW_VAR = f'''SESSION_SECRET = "{SECRET[::-1]}"
'''


def _fps(path):
    return json.loads(path.read_text())["fingerprints"]


def test_scan_rewriting_a_baseline_keeps_the_accepted_findings(tmp_path, capsys):
    proj = make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})
    old = tmp_path / "old.json"
    assert main(["scan", str(proj), "-q", "--write-baseline", str(old)]) == 1
    assert len(_fps(old)) == 1
    (proj / "wrangler.toml").write_text(WRANGLER + NEW_VAR, encoding="utf-8")
    new = tmp_path / "new.json"
    assert main(["scan", str(proj), "-q", "--baseline", str(old), "--write-baseline", str(new)]) == 1
    assert set(_fps(old)) < set(_fps(new)) and len(_fps(new)) == 2
    capsys.readouterr()
    # the rewritten baseline hides both: old and new
    assert main(["scan", str(proj), "-f", "json", "--baseline", str(new)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["findings"] == [] and out["stats"]["baselined"] == 2


def test_logs_rewriting_a_baseline_keeps_the_accepted_findings(tmp_path, capsys):
    root = tmp_path / "logs"
    for i in [*range(0, 4), *range(8, 24)]:
        batch(root, i, [record("api", at(i, k)) for k in range(6)] + [record("legacy", at(i, 7), 403)] * 2)
    first = tmp_path / "first.json"
    assert main(["logs", str(root), "-q", "--select", "LOG001", "--write-baseline", str(first)]) == 1
    assert len(_fps(first)) == 1
    both = tmp_path / "both.json"
    assert main(["logs", str(root), "-q", "--baseline", str(first), "--write-baseline", str(both)]) == 1
    assert set(_fps(first)) < set(_fps(both)) and len(_fps(both)) == 2
    assert main(["logs", str(root), "-q", "--baseline", str(both)]) == 0
    capsys.readouterr()
