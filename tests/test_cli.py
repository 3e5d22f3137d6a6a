"""The command line: formats, exit codes, configuration, suppression, baselines, bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, make_repo, write_tree
from edgeward.cli import main

SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
WRANGLER = f"""name = "w"
workers_dev = false
logpush = true

[vars]
LOG_LEVEL = "info"
API_TOKEN = "{SECRET}"
"""


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def proj(tmp_path):
    return make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})


def test_version(capsys):
    with pytest.raises(SystemExit):
        raise SystemExit(main(["--version"]))
    assert "edgeward 0.1.0" in capsys.readouterr().out


def test_json_contract(proj, capsys):
    code, out, _ = run(capsys, "scan", str(proj), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"version", "root", "findings", "checklist", "notes", "stats"}
    (f,) = [f for f in data["findings"] if f["code"] == "SEC001"]
    assert set(f) == {
        "code",
        "name",
        "area",
        "severity",
        "confidence",
        "path",
        "line",
        "column",
        "end_line",
        "message",
        "evidence",
        "fingerprint",
        "checklist",
    }
    assert (f["path"], f["line"], f["column"], f["severity"], f["checklist"]) == (
        "wrangler.toml",
        7,
        1,
        "high",
        [1],
    )
    assert [row["item"] for row in data["checklist"]] == list(range(1, 17))
    assert data["checklist"][0]["status"] == "fail" and data["checklist"][0]["findings"] == [f["fingerprint"]]
    assert {row["status"] for row in data["checklist"]} <= {
        "pass",
        "fail",
        "not-verifiable",
        "not-applicable",
    }


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_no_format_prints_the_secret(proj, capsys, fmt):
    _, out, err = run(capsys, "scan", str(proj), "--format", fmt)
    assert SECRET not in out and SECRET not in err
    assert "SEC001" in out


def test_sarif_validates_against_official_schema(proj, capsys):
    schema_path = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
    if not schema_path.exists():
        pytest.skip(f"SARIF schema not found at {schema_path}")
    _, out, _ = run(capsys, "scan", str(proj), "--format", "sarif")
    sarif = json.loads(out)
    schema = json.loads(schema_path.read_text())
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft7Validator)
    run_ = sarif["runs"][0]
    rule = next(r for r in run_["tool"]["driver"]["rules"] if r["id"] == "SEC001")
    assert "checklist-1" in rule["properties"]["tags"] and "Fix:" in rule["help"]["text"]
    res = next(r for r in run_["results"] if r["ruleId"] == "SEC001")
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 7


def test_fail_on_thresholds(proj, capsys):
    assert run(capsys, "scan", str(proj), "--fail-on", "critical")[0] == 0
    assert run(capsys, "scan", str(proj), "--fail-on", "high")[0] == 1
    assert run(capsys, "scan", str(proj), "--fail-on", "never")[0] == 0
    code, _, err = run(capsys, "scan", str(proj), "--fail-on", "severe")
    assert code == 2 and "severe" in err


def test_clean_scan_exits_zero(tmp_path, capsys):
    root = make_repo(tmp_path / "c", {"wrangler.toml": 'name = "w"\nlogpush = true\n'})
    assert run(capsys, "scan", str(root))[0] == 0


def test_usage_errors_exit_two(tmp_path, capsys):
    assert run(capsys, "scan", str(tmp_path / "missing"))[0] == 2
    assert run(capsys, "scan", str(tmp_path), "--select", "NOPE999")[0] == 2
    assert run(capsys, "explain", "XYZ001")[0] == 2
    assert run(capsys, "scan", "--format", "yaml", str(tmp_path))[0] == 2


def test_select_and_ignore(proj, capsys):
    _, out, _ = run(capsys, "scan", str(proj), "--format", "json", "--select", "SEC")
    assert {f["code"] for f in json.loads(out)["findings"]} == {"SEC001"}
    _, out, _ = run(capsys, "scan", str(proj), "--format", "json", "--ignore", "SEC001")
    assert "SEC001" not in {f["code"] for f in json.loads(out)["findings"]}
    # SEC009 takes over places SEC001 would report only when SEC001 does not run; ignore both
    data = json.loads(run(capsys, "scan", str(proj), "--format", "json", "--ignore", "SEC001,SEC009")[1])
    assert data["checklist"][0]["status"] == "not-verifiable"  # a skipped rule never lets an item pass


def test_config_file_pyproject_and_edgeward_toml(tmp_path, capsys):
    root = make_repo(
        tmp_path / "p",
        {
            "wrangler.toml": WRANGLER,
            "pyproject.toml": '[tool.edgeward]\nignore = ["SEC001"]\nseverity = { PLT003 = "high" }\n',
        },
    )
    data = json.loads(run(capsys, "scan", str(root), "--format", "json")[1])
    assert "SEC001" not in {f["code"] for f in data["findings"]}
    write_tree(root, {".edgeward.toml": 'per-path-ignores = { "wrang*" = ["SEC"] }\nfail-on = "critical"\n'})
    code, out, _ = run(capsys, "scan", str(root), "--format", "json")
    assert code == 0 and "SEC001" not in out
    write_tree(root, {".edgeward.toml": 'selct = ["SEC"]\n'})
    code, _, err = run(capsys, "scan", str(root))
    assert code == 2 and ".edgeward.toml" in err and "selct" in err


def test_inline_suppression_needs_a_reason(tmp_path, capsys):
    with_reason = WRANGLER.replace(
        "API_TOKEN", "# edgeward: ignore[SEC001] demo token, rotated daily\nAPI_TOKEN"
    )
    root = make_repo(tmp_path / "a", {"wrangler.toml": with_reason})
    data = json.loads(run(capsys, "scan", str(root), "--format", "json")[1])
    assert "SEC001" not in {f["code"] for f in data["findings"]} and data["stats"]["suppressed"] == 1
    no_reason = WRANGLER.replace(f'"{SECRET}"', f'"{SECRET}"  # edgeward: ignore[SEC001]')
    root = make_repo(tmp_path / "b", {"wrangler.toml": no_reason})
    data = json.loads(run(capsys, "scan", str(root), "--format", "json")[1])
    assert "SEC001" in {f["code"] for f in data["findings"]}
    assert any(n["kind"] == "suppression" and n["path"] == "wrangler.toml" for n in data["notes"])


def test_baseline_survives_line_moves(tmp_path, capsys):
    root = make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})
    base = tmp_path / "baseline.json"
    assert run(capsys, "scan", str(root), "--write-baseline", str(base))[0] == 1
    (root / "wrangler.toml").write_text("# moved\n\n" + WRANGLER)
    code, out, _ = run(capsys, "scan", str(root), "--baseline", str(base), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["findings"] == [] and data["stats"]["baselined"] >= 1
    (root / "wrangler.toml").write_text(WRANGLER + 'NEW_SECRET = "Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Q"\n')
    data = json.loads(run(capsys, "scan", str(root), "--baseline", str(base), "--format", "json")[1])
    assert [(f["code"], f["line"]) for f in data["findings"]] == [("SEC001", 8)]
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert run(capsys, "scan", str(root), "--baseline", str(bad))[0] == 2


def test_output_file(proj, tmp_path, capsys):
    out = tmp_path / "report.sarif"
    code, stdout, _ = run(capsys, "scan", str(proj), "--format", "sarif", "--output", str(out))
    assert code == 1 and stdout == "" and json.loads(out.read_text())["version"] == "2.1.0"


def test_rules_and_explain(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "SEC001" in out
    assert not [line for line in out.splitlines() if line[:6].isalnum() and " planned " in line]
    code, out, _ = run(capsys, "rules", "--all", "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 70 and {r["code"] for r in rows if r["implemented"]} >= {"SEC001", "PLT001", "SUP001"}
    code, out, _ = run(capsys, "explain", "sec001")
    assert code == 0
    for part in ("What it finds:", "Why it matters:", "Example:", "Fix:"):
        assert part in out


def test_every_rule_is_documented():
    from edgeward.rules.registry import load_all

    for code, rule in load_all().items():
        parts = rule.doc_parts()
        assert {"What it finds", "Why it matters", "Example", "Fix"} <= set(parts), code


def test_python_m_entry_point(proj):
    proc = subprocess.run(
        [sys.executable, "-m", "edgeward", "scan", str(proj), "--format", "json", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"]


# ---------------------------------------------------------------- bad input


def test_bad_input_becomes_notes_and_scan_goes_on(tmp_path, capsys):
    root = tmp_path / "bad"
    write_tree(
        root,
        {
            "a/wrangler.toml": 'name = "a"\nmain = \n',
            "b/wrangler.toml": b"\x00\x01\x02\x03binary",
            "c/wrangler.jsonc": b'{"name": "c", "vars": {"X": "\xff"},}',
            "d/wrangler.json": '{"name": "d", "vars": [1, 2',
            "e/.github/workflows/ci.yml": "on: [push\njobs: {",
            "ok/wrangler.toml": WRANGLER,
        },
    )
    (root / "big").mkdir()
    with open(root / "big" / "wrangler.toml", "wb") as fh:
        fh.write(b'name = "big"\n' + b"#" * (50 * 1024 * 1024))
    os.symlink("..", root / "loop")
    os.symlink("/etc", root / "outside")
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    code, out, _ = run(capsys, "scan", str(root), "--format", "json")
    data = json.loads(out)
    notes = {(n["path"], n["kind"]) for n in data["notes"]}
    assert ("a/wrangler.toml", "parse-error") in notes
    assert ("b/wrangler.toml", "binary") in notes
    assert ("c/wrangler.jsonc", "encoding") in notes
    assert ("d/wrangler.json", "parse-error") in notes
    assert ("big/wrangler.toml", "skipped") in notes
    assert ("loop", "symlink") in notes and ("outside", "symlink") in notes
    assert ("SEC001", "ok/wrangler.toml", 7) in {(f["code"], f["path"], f["line"]) for f in data["findings"]}
    a_note = next(n for n in data["notes"] if n["path"] == "a/wrangler.toml")
    assert "line 2" in a_note["message"]
    after = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert before == after  # nothing written into the scanned tree


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file_is_a_note(tmp_path, capsys):
    root = write_tree(tmp_path / "u", {"wrangler.toml": WRANGLER})
    (root / "wrangler.toml").chmod(0)
    try:
        data = json.loads(run(capsys, "scan", str(root), "--format", "json")[1])
    finally:
        (root / "wrangler.toml").chmod(0o644)
    assert ("wrangler.toml", "unreadable") in {(n["path"], n["kind"]) for n in data["notes"]}


def test_scan_of_git_subdirectory_uses_repo_state(tmp_path, capsys):
    root = make_repo(
        tmp_path / "mono", {"apps/a/.dev.vars": f"API_TOKEN={SECRET}\n", "apps/a/wrangler.toml": WRANGLER}
    )
    data = json.loads(run(capsys, "scan", str(root / "apps" / "a"), "--format", "json")[1])
    assert (".dev.vars", 1) in {(f["path"], f["line"]) for f in data["findings"] if f["code"] == "SEC002"}


def test_rule_crash_is_a_note_not_a_crash(tmp_path, capsys, monkeypatch):
    from edgeward.rules import registry

    rule = registry.load_all()["PLT002"]

    def boom(project):
        raise RuntimeError("synthetic failure")
        yield

    monkeypatch.setattr(rule, "funcs", [boom])
    root = make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})
    data = json.loads(run(capsys, "scan", str(root), "--format", "json")[1])
    assert any(n["kind"] == "internal-error" and "PLT002" in n["message"] for n in data["notes"])
    assert any(f["code"] == "SEC001" for f in data["findings"])


def test_markdown_and_text_have_checklist(proj, capsys):
    out = run(capsys, "scan", str(proj), "--format", "markdown")[1]
    assert "### Operational checklist" in out and "| 1 |" in out
    out = run(capsys, "scan", str(proj), "--no-color")[1]
    assert "Operational checklist" in out and "\033[" not in out
    assert Path(proj / "wrangler.toml").exists()


def test_docs_rules_md_is_generated_from_the_code(capsys):
    """docs/rules.md is `edgeward rules --all --format markdown`: regenerate it when a rule changes."""
    _, out, _ = run(capsys, "rules", "--all", "--format", "markdown")
    assert (REPO / "docs" / "rules.md").read_text() == out
