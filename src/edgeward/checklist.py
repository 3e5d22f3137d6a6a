"""The 16-item operational checklist the report ends with.

An item is
- `fail` when a finding of a rule behind it was reported;
- `pass` only when there is positive evidence for it (the thing it is about exists and was analysed)
  and every rule behind it is implemented, was selected, ran, and found nothing;
- `not-applicable` when the platform it concerns is absent from the repository;
- `not-verifiable` otherwise, with what to check by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeward.findings import Finding
from edgeward.rules.registry import REGISTRY, catalog
from edgeward.workspace.project import Project


@dataclass
class ChecklistRow:
    item: int
    title: str
    status: str
    findings: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "title": self.title,
            "status": self.status,
            "findings": self.findings,
            "note": self.note,
        }


@dataclass(frozen=True)
class Item:
    rules: tuple[str, ...]
    platforms: tuple[str, ...]  # the item is not applicable when none of these is present
    evidence: Callable[[Project], str | None]  # positive evidence, or None
    manual: str  # what to check by hand when it cannot be verified here


def _units(project: Project, kind: str | None = None) -> list:
    from edgeward.workspace.units import units

    return [u for u in project.fact(units) if u.doc is not None and (kind is None or u.kind == kind)]


def _configs(project: Project) -> str | None:
    us = _units(project)
    return f"{len(us)} deployment config(s) analysed" if us else None


def _sources(project: Project) -> str | None:
    us = [u for u in _units(project) if u.main and project.exists(u.main)]
    return f"source of {len(us)} app(s) analysed" if us else None


@dataclass(frozen=True)
class Absent:
    """Evidence that the thing an item is about does not exist here (no Durable Objects, no KV...):
    the item is then not applicable, with this note."""

    note: str


SOURCE_EXT = (".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx", ".jsx", ".py", ".rs", ".go")
SKIP_PARTS = {"dist", "build", ".wrangler", "node_modules", "target", "pkg", "test", "tests", "__tests__"}


def _source_files(project: Project, kinds: tuple[str, ...]) -> list[str]:
    """Source files of the apps of these kinds (not tests, not build output, not over 1 MB)."""
    dirs = {u.dir for u in _units(project) if u.kind in kinds}
    out = []
    for info in project.files.values():
        if not info.name.endswith(SOURCE_EXT) or info.size > 1_000_000 or ".test." in info.name:
            continue
        if SKIP_PARTS.intersection(info.path.split("/")[:-1]):
            continue
        if any(not d or info.path.startswith(d + "/") for d in dirs):
            out.append(info.path)
    return sorted(out)


def _first(project: Project, pattern: str, kinds: tuple[str, ...] = ("workers", "fastly")) -> str | None:
    """`path:line` of the first source line matching `pattern`, or None."""
    rx = re.compile(pattern)
    for path in _source_files(project, kinds):
        text = project.text(path) or ""
        m = rx.search(text)
        if m:
            return f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
    return None


def _seen(
    what: str, pattern: str, kinds: tuple[str, ...] = ("workers", "fastly"), *, absent: str | None = None
):
    """Evidence function: pass when the source shows `what` (and the rules behind the item found nothing in
    it); when it never appears, not applicable (`absent` given) or not verifiable (absent is None)."""

    def evidence(project: Project) -> str | Absent | None:
        where = _first(project, pattern, kinds)
        if where:
            return f"{what} analysed (first at {where})"
        return Absent(absent) if absent else None

    return evidence


HEADER_LITERAL = re.compile(r"[\"'`]((?:x-|remote-)[A-Za-z0-9-]+)[\"'`]", re.I)


def _identity_headers(project: Project) -> str | Absent:
    """Item 12 is about identity headers: the same names REQ004/REQ012 treat as identity (`X-User-Id`,
    `X-Tenant-Id`, configured `trusted-headers`), not any `x-client-*` header (`x-client-ja3` is TLS data)."""
    from edgeward.lang.knowledge import is_identity_header
    from edgeward.rules._util import config

    extra = {h.lower() for h in config(project).trusted_headers}
    for path in _source_files(project, ("workers", "fastly")):
        text = project.text(path) or ""
        for m in HEADER_LITERAL.finditer(text):
            if is_identity_header(m.group(1)) or m.group(1).lower() in extra:
                line = text.count("\n", 0, m.start()) + 1
                return f"identity forwarded to the origin analysed (first at {path}:{line})"
    return Absent("no identity header is forwarded to an origin")


def _durable_objects(project: Project) -> str | Absent | None:
    where = _first(
        project, r"\b(idFromName|getByName|idFromString|id_from_name|id_from_string)\s*\(", ("workers",)
    )
    if where:
        return f"Durable Object names derived in source analysed (first at {where})"
    bound = any(env.own("durable_objects") for u in _units(project, "workers") for env in u.envs)
    return None if bound else Absent("no Durable Object namespace is bound or addressed by name")


def _runbook(project: Project) -> str | None:
    for info in project.files.values():
        if not re.search(r"\.(md|rst|txt|adoc)$", info.name, re.I) or info.size > 2_000_000:
            continue
        text = project.text(info.path) or ""
        if re.search(r"rotat", text, re.I) and re.search(r"(secret|key|token|credential)", text, re.I):
            return f"{info.path} documents rotation"
    return None


def _lockfiles(project: Project) -> str | None:
    """Lockfiles exist and CI installs from them (`npm ci`, frozen pnpm/yarn, `cargo build --locked`)."""
    from edgeward.rules.supply_chain_ci import is_install, unlocked_install
    from edgeward.workspace.ci import pipelines

    locks = sorted({u.lockfile for u in _units(project) if u.lockfile})
    if not locks:
        return None
    locked = [
        c
        for p in project.fact(pipelines)
        for j in p.jobs
        for c in j.commands()
        if (is_install(c) or (c.program == "cargo" and c.has("--locked", "--frozen")))
        and not unlocked_install(project, c)
    ]
    if not locked:
        return None
    return f"lockfile(s): {', '.join(locks)}; CI installs from them (`{locked[0].text}`, {locked[0].file})"


def _audit(project: Project) -> str | None:
    from edgeward.rules.supply_chain_ci import AUDIT_ACTIONS, audit_kind
    from edgeward.workspace.ci import pipelines

    for p in project.fact(pipelines):
        for j in p.jobs:
            for st in j.steps:
                if any(st.action.startswith(a) for a in AUDIT_ACTIONS):
                    return f"dependency audit `{st.uses}` in {p.file}"
                for c in st.commands:
                    if audit_kind(c):
                        return f"dependency audit `{c.text}` in {c.file}:{c.line}"
    return None


def _tooling_in_ci(project: Project) -> str | None:
    """A CI step that runs wrangler or the Fastly CLI (whose pinning SUP004/SUP005 then checked)."""
    from edgeward.workspace.ci import pipelines

    for p in project.fact(pipelines):
        for j in p.jobs:
            for st in j.steps:
                if st.action in ("cloudflare/wrangler-action",) or st.action.startswith(
                    "fastly/compute-actions"
                ):
                    return f"edge tooling in CI: `{st.uses}` ({p.file}:{st.line})"
                for c in st.commands:
                    if "wrangler" in c.argv[:3] or c.program == "fastly" or "@fastly/cli" in c.text:
                        return f"edge tooling in CI: `{c.text}` ({c.file}:{c.line})"
    return None


def _monitoring(project: Project) -> str | None:
    from edgeward.rules.supply_chain_monitoring import OTHER_MONITORS, _renovate

    for f in (".github/dependabot.yml", ".github/dependabot.yaml", *OTHER_MONITORS):
        if f in project.files:
            return f"dependency monitoring configured in {f}"
    r = _renovate(project)
    return f"dependency monitoring configured in {r} (renovate)" if r else None


def _ci(project: Project) -> str | None:
    wf = [
        f.path for f in project.glob(".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml")
    ]
    return f"{len(wf)} CI pipeline file(s) analysed" if wf else None


def _log_export(project: Project) -> str | None:
    """Log export declared in wrangler/fastly config or as Logpush jobs in IaC, JSON payloads or scripts."""
    from edgeward.rules.observability_logpush import logpush_jobs

    jobs = project.fact(logpush_jobs)
    configs = _configs(project)
    if jobs:
        where = sorted({j.path for j in jobs})
        return f"{len(jobs)} Logpush job(s) in {', '.join(where[:3])}" + (f"; {configs}" if configs else "")
    return configs


def _none(project: Project) -> None:
    return None


ITEMS: dict[int, Item] = {
    1: Item(
        ("SEC001", "SEC002", "SEC003", "SEC004", "SEC005", "SEC007", "SEC008", "SEC009"),
        ("workers", "fastly"),
        _configs,
        "check that every sensitive value is a Worker secret or in a Fastly Secret Store",
    ),
    2: Item(
        ("SEC006",), ("workers", "fastly"), _sources, "review log calls and error responses for secret values"
    ),
    3: Item(
        (),
        ("workers", "fastly"),
        _runbook,
        "no document in the repository names secret rotation: check that a rotation runbook exists",
    ),
    4: Item(
        ("ISO001", "ISO002"),
        ("workers",),
        _durable_objects,
        "check that Durable Object names come from verified identity only",
    ),
    5: Item(
        ("ISO003",),
        ("fastly",),
        _seen(
            "Fastly KV Store access",
            r"\bKVStore\b|kvstore\.Open|\bKvStore\b",
            ("fastly",),
            absent="no Fastly KV Store is used",
        ),
        "check that Fastly KV keys are tenant-scoped and validated",
    ),
    6: Item(
        ("REQ004",),
        ("workers", "fastly"),
        _seen(
            "forwarding to an origin",
            r"\bfetch\s*\((?![^)]*\)\s*[{:])|\.send(_async)?\s*\(|\.Send\s*\(",
            absent="no request is forwarded to an origin",
        ),
        "check that trusted headers are deleted from incoming requests; `edgeward probe` proves it live",
    ),
    7: Item(
        ("SUP001", "SUP002", "SUP010"),
        ("workers", "fastly"),
        _lockfiles,
        "check that CI installs with `npm ci` / `cargo build --locked`",
    ),
    8: Item(("SUP003",), ("workers", "fastly"), _audit, "check that dependency audits block the pipeline"),
    9: Item(
        ("SUP004", "SUP005"),
        ("workers", "fastly"),
        _tooling_in_ci,
        "check that wrangler and Fastly CLI versions are pinned in CI",
    ),
    10: Item(
        ("SUP006",),
        ("workers", "fastly"),
        _monitoring,
        "check that dependabot/renovate or similar covers every ecosystem",
    ),
    11: Item(
        ("REQ001", "REQ002", "REQ003", "REQ015"),
        ("workers", "fastly"),
        _seen(
            "JWT validation",
            r"jwtVerify|jwt\.verify|\bverify\s*\(|\bjwk\s*\(|\bjwt\s*\(|Validation::new|"
            r"VerificationOptions|jwt\.Parse|jwt_decode|jwt\.decode|\bdecode\s*\(",
        ),
        "check that JWT validation checks issuer, audience and expiry; `edgeward probe` proves it live",
    ),
    12: Item(
        ("REQ012",),
        ("workers", "fastly"),
        _identity_headers,
        "check that the origin accepts identity headers only from the edge (mTLS or signed headers)",
    ),
    13: Item(
        ("REQ005", "REQ007"),
        ("workers", "fastly"),
        _seen("rate limiting", r"(?i)rate.?limit|throttl|limiter"),
        "check that rate limits key on verified identity, IP as fallback only",
    ),
    14: Item(
        ("OBS001", "OBS002", "OBS003"),
        ("workers", "fastly"),
        _log_export,
        "check that log export is configured and that its delivery is monitored (`edgeward logs`)",
    ),
    15: Item(
        ("OBS004", "OBS006", "OBS007"),
        ("workers", "fastly"),
        _seen(
            "denial paths (401/403/429)",
            r"\b(401|403|429)\b|StatusCode::(UNAUTHORIZED|FORBIDDEN|TOO_MANY_REQUESTS)|"
            r"Status(Unauthorized|Forbidden|TooManyRequests)",
        ),
        "check that security events are one JSON object with a request correlation id",
    ),
    16: Item(
        (),
        ("workers", "fastly"),
        _none,
        "alerting lives in the SIEM: check alerts on auth-failure rate, anomalous volume and delivery gaps "
        "(`edgeward logs --emit-sigma` writes rules for them)",
    ),
}


def _concerns(project: Project, item: Item, f: Finding) -> bool:
    """A finding counts against an item only on the platforms the item is about (item 5 is about Fastly KV:
    a Workers KV finding of the same rule does not fail it)."""
    if set(item.platforms) >= {"workers", "fastly"} or not f.path:
        return True
    from edgeward.workspace.units import unit_for_file

    unit = unit_for_file(project, f.path)
    return unit is None or unit.kind in item.platforms


def evaluate(
    project: Project, findings: list[Finding], ran: set[str], baselined: list[Finding] = ()
) -> list[ChecklistRow]:
    """`baselined`: findings hidden by `--baseline`. They are accepted, not fixed: an item they are behind
    fails (with their fingerprints, which the baseline file lists) rather than passing."""
    titles = {row["item"]: row["title"] for row in catalog()["checklist"]}
    present = {u.kind for u in _units(project)}
    rows = []
    for n in range(1, 17):
        item = ITEMS[n]
        row = ChecklistRow(n, titles[n], "not-verifiable")
        behind = []
        for f in findings:
            if n in f.checklist or f.code in item.rules:
                if _concerns(project, item, f):
                    behind.append(f)
                elif n in f.checklist:
                    # the finding must not claim an item whose row does not list it
                    f.checklist = [i for i in f.checklist if i != n]
        if behind:
            row.status = "fail"
            row.findings = [f.fingerprint for f in behind]
            codes = sorted({f.code for f in behind})
            row.note = f"{len(behind)} finding(s): {', '.join(codes)}"
            rows.append(row)
            continue
        accepted = [
            f for f in baselined if (n in f.checklist or f.code in item.rules) and _concerns(project, item, f)
        ]
        if accepted:
            row.status = "fail"
            row.findings = [f.fingerprint for f in accepted]
            codes = sorted({f.code for f in accepted})
            row.note = f"{len(accepted)} finding(s) accepted in the baseline, not fixed: {', '.join(codes)}"
            rows.append(row)
            continue
        if not present.intersection(item.platforms):
            row.status = "not-applicable"
            row.note = (
                "no "
                + " or ".join("Workers" if p == "workers" else "Fastly Compute" for p in item.platforms)
                + " app in the repository"
            )
            rows.append(row)
            continue
        missing = [c for c in item.rules if not (REGISTRY.get(c) and REGISTRY[c].implemented)]
        not_run = [c for c in item.rules if c not in missing and c not in ran]
        evidence = item.evidence(project)
        if isinstance(evidence, Absent):
            row.status = "not-applicable"
            row.note = evidence.note
        elif missing:
            row.note = f"rules not yet implemented: {', '.join(missing)}; {item.manual}"
        elif not_run:
            row.note = f"rules not selected in this run: {', '.join(not_run)}; {item.manual}"
        elif evidence is None:
            row.note = item.manual
        else:
            row.status = "pass"
            row.note = evidence
        rows.append(row)
    return rows
