"""Every directory of ../shared/cases is a test: each `must` finding at its line, no `must_not`,
and the checklist statuses it names. A case whose rules are not implemented yet is skipped, naming them."""

from __future__ import annotations

import json

import pytest

from conftest import CASES, copy_case, run_scan
from edgeward.rules.registry import load_all

CASE_DIRS = (
    sorted(p.name for p in CASES.iterdir() if (p / "expected.json").is_file()) if CASES.is_dir() else []
)


def _codes(entry) -> list[str]:
    return entry["code"] if isinstance(entry["code"], list) else [entry["code"]]


def _matches(f, entry) -> bool:
    if f.code not in _codes(entry):
        return False
    paths = entry.get("paths") or ([entry["path"]] if "path" in entry else None)
    if paths is not None and f.path not in paths:
        return False
    if "line" in entry:
        return f.line == entry["line"]
    if "lines" in entry:
        lo, hi = entry["lines"]
        return lo <= f.line <= hi
    return True


@pytest.mark.parametrize("case", CASE_DIRS)
def test_case(case, tmp_path):
    expected = json.loads((CASES / case / "expected.json").read_text())
    registry = load_all()
    needed = {c for e in expected.get("must", []) for c in _codes(e)}
    missing = sorted(c for c in needed if not (c in registry and registry[c].implemented))
    if missing:
        pytest.skip(f"rules not implemented yet: {', '.join(missing)}")
    root = copy_case(case, tmp_path / case)
    result = run_scan(root)
    got = [(f.code, f.path, f.line) for f in result.findings]
    for entry in expected.get("must", []):
        assert any(_matches(f, entry) for f in result.findings), f"missing {entry}; got {got}"
    for entry in expected.get("must_not", []):
        bad = [(f.code, f.path, f.line) for f in result.findings if _matches(f, entry)]
        assert not bad, f"false positive for {entry}: {bad}"
    rows = {row.item: row.status for row in result.checklist}
    for item, status in expected.get("checklist", {}).items():
        want = {"not verifiable here": "not-verifiable"}.get(status, status)
        assert rows[int(item)].startswith(want), f"checklist {item}: {rows[int(item)]} != {status}"
    if expected.get("clean"):
        from edgeward.findings import Severity

        assert not [f for f in result.findings if f.severity >= Severity.LOW]


def test_cases_present():
    """The shared cases must be found; without them the suite would silently test less."""
    assert CASE_DIRS, f"no cases under {CASES}: set EDGEWARD_CASES to the shared cases directory"
