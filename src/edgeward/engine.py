"""Run a scan: load the project, run the selected rules, then apply severity overrides, inline
suppressions, per-path ignores and the baseline. Returns a `ScanResult` the reporters render."""

from __future__ import annotations

import gc
import json
import re
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeward import __version__
from edgeward.checklist import ChecklistRow, evaluate
from edgeward.config import Config
from edgeward.findings import Finding, Hit, Note, fingerprint
from edgeward.rules.registry import Rule, load_all
from edgeward.workspace.docs import scrub
from edgeward.workspace.project import Project

SUPPRESS = re.compile(r"edgeward:\s*ignore\[([A-Za-z0-9_, ]+)\]\s*(.*)")


@dataclass
class Report:
    """What every command returns and every reporter renders: the JSON contract of README.md.

    Commands that know more (probe checks, log facts) subclass it; `extra()` adds top-level keys to the JSON,
    never changing the shared ones.
    """

    root: str
    findings: list[Finding]
    notes: list[Note]
    checklist: list[ChecklistRow]
    stats: dict[str, Any]
    command: str = "scan"

    def extra(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "root": self.root,
            "findings": [f.to_dict() for f in self.findings],
            "checklist": [row.to_dict() for row in self.checklist],
            "notes": [n.to_dict() for n in self.notes],
            "stats": self.stats,
            **self.extra(),
        }


@dataclass
class ScanResult(Report):
    rules_run: list[str] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)  # hidden by --baseline; not in the report


def run_rules(
    rules: list[Rule], facts: Any, severity: dict[str, Any] | None, note: Any, progress: Any = None
) -> list[Finding]:
    """Run each rule over `facts` and make findings; a rule that raises becomes an `internal-error` note
    (via `note(path, kind, message)`) and the others go on."""
    found: list[Finding] = []
    for i, r in enumerate(rules):
        if progress:
            progress(i, len(rules), r.code)
        try:
            for hit in r.run(facts):
                found.append(make_finding(r, hit, severity))
        except Exception as exc:  # a rule bug must not stop the run; it is reported as a note
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            note(
                None,
                "internal-error",
                f"rule {r.code} failed: {type(exc).__name__}: {scrub(str(exc))} ({Path(tb.filename).name}:{tb.lineno})",
            )
    return found


def make_finding(rule: Rule, hit: Hit, severity_override: dict[str, Any] | None = None) -> Finding:
    sev = hit.severity if hit.severity is not None else rule.severity
    if severity_override and rule.code in severity_override:
        sev = severity_override[rule.code]
    anchor = hit.anchor if hit.anchor is not None else (hit.evidence or hit.message)
    return Finding(
        code=rule.code,
        name=rule.name,
        area=rule.area,
        severity=sev,
        confidence=hit.confidence if hit.confidence is not None else rule.confidence,
        path=hit.path,
        line=max(1, hit.line),
        column=max(1, hit.column),
        end_line=max(hit.end_line or hit.line, hit.line, 1),
        message=hit.message,
        evidence=hit.evidence,
        fingerprint=fingerprint(rule.code, hit.path, anchor),
        checklist=list(rule.checklist),
        extra=dict(hit.extra),
    )


def dedupe_fingerprints(findings: list[Finding]) -> None:
    """Two findings with the same code, path and anchor get distinct fingerprints by occurrence."""
    seen: Counter[str] = Counter()
    for f in sorted(findings, key=Finding.sort_key):
        n = seen[f.fingerprint]
        seen[f.fingerprint] += 1
        if n:
            f.fingerprint = fingerprint(f.code, f.path, f.fingerprint, n)


MAX_BASELINE_BYTES = 64 * 1024 * 1024


def load_baseline(path: str) -> set[str]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BASELINE_BYTES + 1)
        if len(raw) > MAX_BASELINE_BYTES:
            raise ValueError(f"over {MAX_BASELINE_BYTES:,} bytes")
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError(f"{path}: cannot read baseline: nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read baseline: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("fingerprints"), list):
        raise ValueError(f'{path}: not an edgeward baseline (expected {{"fingerprints": [...]}})')
    return {str(x) for x in data["fingerprints"]}


def write_baseline(path: str, findings: list[Finding]) -> None:
    data = {
        "edgeward_baseline": 1,
        "fingerprints": sorted({f.fingerprint for f in findings}),
        "findings": [{"fingerprint": f.fingerprint, "code": f.code, "path": f.path} for f in findings],
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _suppressed(project: Project, f: Finding, seen: dict[tuple[str, int], Any] | None = None) -> bool:
    if not f.path:
        return False
    if f.extra.get("artifact") == f.path:
        return False  # built output (bundle, wasm, package): no suppression comments; may be binary or huge
    seen = {} if seen is None else seen  # (path, line) -> match: a long line is searched once
    lines = project.lines(f.path) if f.path in project.files else []
    for ln in (f.line, f.line - 1):
        if 1 <= ln <= len(lines):
            if (f.path, ln) not in seen:
                seen[(f.path, ln)] = SUPPRESS.search(lines[ln - 1])
            m = seen[(f.path, ln)]
            if not m:
                continue
            codes = {c.strip().upper() for c in m.group(1).split(",")}
            reason = re.sub(r"(\*/|-->)\s*$", "", m.group(2)).strip()
            if f.code not in codes:
                continue
            if not reason:
                project.note(
                    f.path,
                    "suppression",
                    f"line {ln}: `edgeward: ignore[{m.group(1)}]` needs a reason; the finding is kept",
                )
                return False
            return True
    return False


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a scan builds its facts.

    A scan allocates millions of long-lived objects (IR trees, taint facts) and almost no reference cycles;
    the collector's repeated full passes over them cost about a third of the CPU time of a large scan
    (docs/performance.md). Memory is still freed by reference counting; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan(
    root: str | Path, config: Config | None = None, *, baseline: set[str] | None = None, progress: Any = None
) -> ScanResult:
    with bulk_allocation():
        return _scan(root, config, baseline=baseline, progress=progress)


def _scan(
    root: str | Path, config: Config | None = None, *, baseline: set[str] | None = None, progress: Any = None
) -> ScanResult:
    config = config or Config()
    started = time.monotonic()
    project = Project.load(root, options={"config": config})
    registry = load_all()
    rules = [
        r
        for code, r in sorted(registry.items())
        if r.kind == "scan" and r.implemented and config.selected(code)
    ]
    from edgeward.workspace.units import units

    if not project.fact(units):
        project.note(
            None,
            "no-apps",
            "no wrangler*.toml/json/jsonc or fastly.toml found: no Worker or Compute app "
            "to audit here (is this the repository root?)",
        )
    findings = run_rules(rules, project, config.severity, project.note, progress)
    dedupe_fingerprints(findings)
    kept = []
    accepted = []  # hidden by the baseline: the checklist still counts them
    suppressed = baselined = path_ignored = 0
    searched: dict[tuple[str, int], Any] = {}
    for f in findings:
        if config.ignored_at(f.code, f.path):
            path_ignored += 1
        elif _suppressed(project, f, searched):
            suppressed += 1
        elif baseline is not None and f.fingerprint in baseline:
            baselined += 1
            accepted.append(f)
        else:
            kept.append(f)
    kept.sort(key=Finding.sort_key)
    ran = [r.code for r in rules]
    checklist = evaluate(project, kept, set(ran), accepted)

    stats = {
        "files": len(project.files),
        "units": {
            "workers": sum(u.kind == "workers" for u in project.fact(units)),
            "fastly": sum(u.kind == "fastly" for u in project.fact(units)),
        },
        "rules_run": len(ran),
        "findings": len(kept),
        "by_severity": dict(Counter(str(f.severity) for f in kept)),
        "suppressed": suppressed,
        "baselined": baselined,
        "ignored_by_path": path_ignored,
        "git": project.is_git,
        "seconds": round(time.monotonic() - started, 3),
    }
    return ScanResult(
        str(project.root), kept, project.notes, checklist, stats, rules_run=ran, baselined=accepted
    )
