"""Text report for people: findings grouped by file, colour by severity, the checklist last."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from edgeward.findings import Finding, Severity
from edgeward.report import printable

COLORS = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
STATUS_COLORS = {
    "pass": "\033[32m",
    "fail": "\033[31m",
    "not-verifiable": "\033[33m",
    "not-applicable": "\033[2m",
}
RESET = "\033[0m"
BOLD = "\033[1m"
DIM = "\033[2m"


def render_text(result: Any, *, color: bool = False, quiet: bool = False) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    out: list[str] = []
    findings: list[Finding] = result.findings
    for path, group in groupby(findings, key=lambda f: f.path or "(repository)"):
        out.append(c(BOLD, printable(path)))
        for f in group:
            sev = c(COLORS[f.severity], f"{str(f.severity):<8}")
            # a URL (probe findings) has no line: show blanks rather than a meaningless 1:1
            where = " " * 9 if "://" in (f.path or "") else f"{f.line:>5}:{f.column:<3}"
            out.append(f"  {where} {sev} {c(BOLD, f.code)} {f.name}  [{f.confidence} confidence]")
            out.append(f"               {printable(f.message)}")
            if f.evidence:
                out.append(c(DIM, f"               evidence: {printable(f.evidence)}"))
        out.append("")
    if not quiet and result.notes:
        out.append(c(BOLD, f"Notes ({len(result.notes)})"))
        for n in result.notes:
            out.append(f"  {printable(n.path or '(run)')}: {n.kind}: {printable(n.message)}")
        out.append("")
    if result.checklist:
        out.append(c(BOLD, "Operational checklist"))
        for row in result.checklist:
            status = c(STATUS_COLORS.get(row.status, ""), f"{row.status:<15}")
            out.append(f"  {row.item:>2}. {status} {row.title}")
            if row.note and not quiet:
                out.append(c(DIM, f"                       {printable(row.note)}"))
        out.append("")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), reverse=True) if n) or "no findings"
    stats = result.stats
    extra = []
    if stats.get("suppressed"):
        extra.append(f"{stats['suppressed']} suppressed inline")
    if stats.get("baselined"):
        extra.append(f"{stats['baselined']} in baseline")
    tail = f" ({'; '.join(extra)})" if extra else ""
    files = f"{stats['files']} files, " if "files" in stats else ""
    out.append(f"{len(findings)} finding(s): {summary}{tail}. {files}{len(result.notes)} note(s).")
    return "\n".join(out) + "\n"
