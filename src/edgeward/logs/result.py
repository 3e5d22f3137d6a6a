"""From log facts to a result the reporters render: LOG findings (made by the registered LOG rules, with the
registry's metadata), notes, and checklist items 14, 15 and 16 with evidence from the data."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from edgeward.checklist import ChecklistRow
from edgeward.engine import Report, dedupe_fingerprints, run_rules
from edgeward.findings import Finding, Note, Severity, fingerprint
from edgeward.logs.analysis import LogFacts, Options, analyze, iso
from edgeward.logs.source import open_source
from edgeward.rules.registry import catalog, load_all


@dataclass
class LogResult(Report):
    facts: LogFacts | None = None
    rules_run: list[str] = field(default_factory=list)
    command: str = "logs"


def _selected(code: str, select: list[str] | None, ignore: list[str] | None) -> bool:
    def match(patterns: list[str]) -> bool:
        return any(code.startswith(p) or p == "LOG" for p in patterns)

    if select and not match(select):
        return False
    return not (ignore and match(ignore))


def findings_from(
    facts: LogFacts,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    severity: dict[str, Severity] | None = None,
) -> tuple[list[Finding], list[str], list[Note]]:
    registry = load_all()
    rules = [
        r for code, r in sorted(registry.items()) if r.kind == "logs" and _selected(code, select, ignore)
    ]
    notes: list[Note] = []
    findings = run_rules(rules, facts, severity, lambda path, kind, msg: notes.append(Note(path, kind, msg)))
    for f in findings:
        # stable across exports: code, script and window, not the sample file (which moves as data rolls in)
        e = f.extra
        f.fingerprint = fingerprint(
            f.code, None, f"{e.get('script') or ''}|{e.get('window_start') or ''}|{e.get('window_end') or ''}"
        )
    dedupe_fingerprints(findings)
    findings.sort(key=Finding.sort_key)
    return findings, [r.code for r in rules], notes


def checklist_rows(
    facts: LogFacts, findings: list[Finding], ran: list[str], sigma_dir: str | None
) -> list[ChecklistRow]:
    titles = {row["item"]: row["title"] for row in catalog()["checklist"]}
    rows = []

    def behind(n: int) -> list[Finding]:
        return [f for f in findings if n in f.checklist]

    # 14: export configured and its delivery monitored
    row = ChecklistRow(14, titles[14], "not-verifiable")
    fs = behind(14)
    if fs:
        row.status, row.findings = "fail", [f.fingerprint for f in fs]
        row.note = f"{len(fs)} delivery problem(s) in the data: {', '.join(sorted({f.code for f in fs}))}"
    elif not facts.deliveries:
        row.note = "no batch could be read; check that the export is configured and delivering"
    elif not {"LOG001", "LOG002"} <= set(ran):
        row.note = "delivery rules not selected in this run"
    else:
        hours = ((facts.end_ms or 0) - (facts.start_ms or 0)) / 3_600_000
        delay = f", median delay {facts.median_delay_s:.0f} s" if facts.median_delay_s is not None else ""
        row.status = "pass"
        row.note = (
            f"{len(facts.deliveries)} batches over {hours:.1f} h, one every {facts.cadence_s or 0:.0f} s, "
            f"no gap{delay}" + ("" if facts.delivery_checked else "; delivery times not checked")
        )
    rows.append(row)
    # 15: security events structured JSON with a correlation id
    row = ChecklistRow(15, titles[15], "not-verifiable")
    fs = behind(15)
    if fs:
        row.status, row.findings = "fail", [f.fingerprint for f in fs]
        row.note = f"{len(fs)} finding(s): {', '.join(sorted({f.code for f in fs}))}"
    elif not {"LOG005", "LOG006", "LOG007"} <= set(ran):
        row.note = "event rules not selected in this run"
    elif facts.security_events:
        row.status = "pass"
        row.note = (
            f"{facts.security_events} security event(s) in the data, all one JSON object with a request id; "
            f"{facts.denials} denial(s), every denying script logs events"
        )
    else:
        row.note = "no security event and no denial in the data: nothing to judge"
    rows.append(row)
    # 16: alerting (lives in the SIEM; the data can show what it should have caught)
    row = ChecklistRow(16, titles[16], "not-verifiable")
    fs = behind(16) + [f for f in findings if f.code == "LOG001"]
    parts = []
    if fs:
        row.findings = [f.fingerprint for f in fs]
        parts.append(
            f"{len(fs)} anomaly(ies) in the data ({', '.join(sorted({f.code for f in fs}))}): "
            "check that the SIEM alerted on each"
        )
    if sigma_dir:
        parts.append(f"Sigma rules with the learned thresholds written to {sigma_dir}: deploy them")
    else:
        parts.append("`--emit-sigma DIR` writes alert rules for auth-failure rate, volume and delivery gaps")
    row.note = "; ".join(parts)
    rows.append(row)
    return rows


def stats_of(facts: LogFacts, findings: list[Finding], delivery_from: str, started: float) -> dict[str, Any]:
    return {
        "source": facts.source,
        "files": facts.files,
        "records": facts.records,
        "invocations": facts.invocations,
        "scripts": facts.scripts,
        "start": iso(facts.start_ms),
        "end": iso(facts.end_ms),
        "cadence_s": facts.cadence_s,
        "delivery_from": delivery_from,
        "median_delay_s": facts.median_delay_s,
        "max_delay_s": facts.max_delay_s,
        "security_events": facts.security_events,
        "structured_events": facts.structured_events,
        "denials": facts.denials,
        "thresholds": facts.thresholds,
        "findings": len(findings),
        "by_severity": dict(Counter(str(f.severity) for f in findings)),
        "seconds": round(time.monotonic() - started, 3),
    }


def analyze_logs(
    source: str,
    options: Options | None = None,
    *,
    kind: str = "auto",
    manifest: str | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    sigma_dir: str | None = None,
) -> LogResult:
    """Read SOURCE (directory, file or glob), analyse it, and return the result with LOG findings."""
    started = time.monotonic()
    src = open_source(source, kind=kind, manifest=manifest)
    facts = analyze(src, options)
    findings, ran, notes = findings_from(facts, select, ignore)
    checklist = checklist_rows(facts, findings, ran, sigma_dir)
    stats = stats_of(facts, findings, src.delivery_from, started)
    return LogResult(
        str(src.root), findings, facts.notes + notes, checklist, stats, facts=facts, rules_run=ran
    )
