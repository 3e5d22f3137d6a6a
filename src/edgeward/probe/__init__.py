"""`edgeward probe`: live checks of a running gateway, bounded in requests and time, only to named hosts.

`run_probe(options)` runs the battery (`battery.py`) and returns a `ProbeResult`, which the reporters render
like a scan result (same JSON contract, plus a `checks` list and `request`/`response` keys on findings).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from edgeward.checklist import ChecklistRow
from edgeward.engine import Report, dedupe_fingerprints, make_finding
from edgeward.findings import Finding, Note
from edgeward.probe.battery import summarize_open
from edgeward.rules.registry import catalog, load_all

# checklist item -> the probe rules that give live evidence for it
CHECKLIST = {
    6: ("PRB008",),
    11: ("PRB001", "PRB002", "PRB003", "PRB004", "PRB005", "PRB006", "PRB007"),
    12: ("PRB010",),
    13: ("PRB009",),
}


@dataclass
class ProbeResult(Report):
    checks: list[dict[str, Any]] = field(default_factory=list)
    command: str = "probe"

    def extra(self) -> dict[str, Any]:
        return {"checks": self.checks}


def _checklist(checks: list[Any], findings: list[Finding]) -> list[ChecklistRow]:
    titles = {row["item"]: row["title"] for row in catalog()["checklist"]}
    rows = []
    for item, codes in CHECKLIST.items():
        row = ChecklistRow(item, titles[item], "not-verifiable")
        behind = [f for f in findings if f.code in codes]
        mine = [c for c in checks if c.code in codes]
        open_ = [c for c in mine if c.outcome in ("undecided", "skipped")]
        if behind:
            row.status = "fail"
            row.findings = [f.fingerprint for f in behind]
            row.note = f"{len(behind)} finding(s): {', '.join(sorted({f.code for f in behind}))}"
        elif mine and not open_:
            row.status = "pass"
            row.note = f"live: {len(mine)} check(s) passed: " + ", ".join(c.id for c in mine)
        else:
            row.note = "not decided live: " + "; ".join(summarize_open(open_))
        rows.append(row)
    return rows


def run_probe(opts: Any, client: Any = None) -> ProbeResult:
    """Run the whole battery. Raises `BaselineFailed` when the gateway rejects a good request."""
    from edgeward.probe.battery import Battery

    started = time.monotonic()
    registry = load_all()
    battery = Battery(opts, client)
    battery.run()
    findings = [make_finding(registry[code], hit) for code, hit in battery.hits]
    dedupe_fingerprints(findings)
    order = {c.id: i for i, c in enumerate(battery.checks)}
    findings.sort(key=lambda f: order.get(f.extra.get("check", ""), 99))  # stable: battery order
    notes = [Note(None, kind, message) for kind, message in battery.notes]
    outcomes: dict[str, int] = {}
    for c in battery.checks:
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    stats = {
        "target": battery.target.url,
        "origin": battery.origin.url if battery.origin else None,
        "requests": battery.client.sent,
        "max_requests": battery.max_requests,
        "checks": outcomes,
        "reflecting_origin": battery.reflects,
        "findings": len(findings),
        "seconds": round(time.monotonic() - started, 3),
    }
    return ProbeResult(
        root=battery.target.url,
        findings=findings,
        notes=notes,
        checklist=_checklist(battery.checks, findings),
        stats=stats,
        checks=[c.to_dict() for c in battery.checks],
    )
