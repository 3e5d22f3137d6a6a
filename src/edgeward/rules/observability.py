"""OBS rules over configuration: log export and sampling."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity
from edgeward.rules._util import key_path
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project
from edgeward.workspace.units import Unit, compute_apps, workers

_FASTLY_TF_LOGGING = re.compile(r"\blogging_[a-z0-9_]+\s*\{")
_DENIAL = re.compile(r"\b(401|403|429)\b|Unauthorized|Forbidden|Too Many Requests")
SOURCE_EXT = (".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx", ".jsx", ".py", ".rs", ".go")


def _terraform_fastly_logging(project: Project) -> str | None:
    for info in project.glob("*.tf"):
        text = project.text(info.path) or ""
        if "fastly_service_compute" in text and _FASTLY_TF_LOGGING.search(text):
            return info.path
    return None


@rule("OBS001", "no-log-export", severity="medium", checklist=[14])
def no_log_export(project: Project) -> Iterator[Hit]:
    """A Worker or Compute app whose logs never leave the edge.

    What it finds: a Worker with neither `logpush = true` nor `tail_consumers` (a Logpush job for
    `workers_trace_events` carries only Workers that set `logpush = true`, so a job in IaC alone is not
    enough), or an environment that turns `logpush` off; a Fastly Compute app with no log endpoint in
    `[setup.log_endpoints]`, `[local_server]` or a Terraform `fastly_service_compute` logging block.

    Why it matters: `console.log` output and exceptions of a Worker are kept only briefly for live tailing;
    without export, denied requests, auth failures and attacks leave no record the SIEM can alert on.

    Example: a routed Worker with `workers_dev = false` and no `logpush` key.

    Fix: set `logpush = true` (and create a Logpush job for `workers_trace_events` with `Logs` and
    `Exceptions`), or add a `tail_consumers` Worker that forwards events; for Fastly, declare a log endpoint.
    """
    for unit in workers(project):
        top = unit.envs[0]
        workers_logs = (
            top.value("observability.enabled") is True or top.value("observability.logs.enabled") is True
        )
        if not _exports(top):
            yield Hit(
                unit.config_path,
                top.line(
                    ("logpush",),
                )
                if top.own("logpush")
                else _name_line(unit),
                "Worker exports no logs: no `logpush = true` and no `tail_consumers`"
                + (
                    "; Workers Logs (`observability`) keeps them in the dashboard only, not in your SIEM"
                    if workers_logs
                    else ""
                ),
                evidence=f"logpush={_show(top.own('logpush'))}; tail_consumers=none; "
                f"observability={'on' if workers_logs else 'off'}",
                anchor="top",
                severity=Severity.LOW if workers_logs else None,
            )
        for env in unit.envs[1:]:
            lp = env.own("logpush")
            if (lp is not None and lp[0] is False) and not env.own("tail_consumers"):
                yield Hit(
                    unit.config_path,
                    env.line(lp[1]),
                    f"{env.label} turns log export off (`logpush = false`)",
                    evidence=f"{key_path(lp[1])} = false",
                    anchor=env.label,
                )
    tf = None
    for unit in compute_apps(project):
        declared = unit.doc.get(("setup", "log_endpoints"), {}) or unit.doc.get(
            ("local_server", "log_endpoints"), {}
        )
        if declared:
            continue
        tf = tf or _terraform_fastly_logging(project)
        if tf:
            continue
        yield Hit(
            unit.config_path,
            unit.doc.line(("setup",), 1) if unit.doc.get(("setup",)) else 1,
            "Compute app declares no log endpoint (fastly.toml [setup.log_endpoints] or Terraform logging)",
            evidence="no [setup.log_endpoints]",
            anchor="fastly",
        )


def _name_line(unit: Unit) -> int:
    return unit.doc.line(("name",), 1)


def _show(hit) -> str:
    return "unset" if hit is None else str(hit[0]).lower()


def _exports(env) -> bool:
    lp = env.get("logpush")
    tc = env.own("tail_consumers")
    return bool((lp and lp[0] is True) or (tc and tc[0]))


def _emits_security_events(project: Project, unit: Unit) -> bool:
    prefix = unit.dir + "/" if unit.dir else ""
    for info in project.files.values():
        if info.path.startswith(prefix) and info.name.endswith(SOURCE_EXT) and info.size < 2_000_000:
            if _DENIAL.search(project.text(info.path) or ""):
                return True
    return False


@rule("OBS007", "security-logs-sampled", severity="medium", checklist=[15], confidence="medium")
def security_logs_sampled(project: Project) -> Iterator[Hit]:
    """Log sampling below 1.0 on a Worker that emits security events.

    What it finds: `observability.head_sampling_rate` or `observability.logs.head_sampling_rate` below 1 on a
    Worker whose source has denial paths (401, 403, 429 responses).

    Why it matters: head sampling drops whole invocations at random; at 0.1, nine of ten denied requests —
    the brute force, the token replay — leave no log line, and alert thresholds see a tenth of the attack.

    Example: `[observability]` / `enabled = true` / `head_sampling_rate = 0.05`

    Fix: keep sampling at 1 for security-relevant Workers, or log security events through a path that is not
    sampled (Logpush with `logpush = true`, a tail consumer).
    """
    for unit in workers(project):
        emits: bool | None = None
        for env in unit.envs:
            for key in ("observability.head_sampling_rate", "observability.logs.head_sampling_rate"):
                hit = env.own(key) if env.name is not None else env.get(key)
                if (
                    hit is None
                    or isinstance(hit[0], bool)
                    or not isinstance(hit[0], int | float)
                    or hit[0] >= 1
                ):
                    continue
                if emits is None:
                    emits = _emits_security_events(project, unit)
                if not emits:
                    continue
                yield Hit(
                    unit.config_path,
                    env.line(hit[1]),
                    f"`{key_path(hit[1])} = {hit[0]}` samples logs of a Worker that denies requests "
                    f"({env.label}): most security events are dropped",
                    evidence=f"{key_path(hit[1])} = {hit[0]}",
                    anchor=key_path(hit[1]),
                    confidence=Confidence.MEDIUM,
                )
