"""SEC010: CI that makes wrangler write unsanitized or debug logs and keeps them."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from edgeward.findings import Hit
from edgeward.rules.registry import rule
from edgeward.workspace.ci import Job, pipelines
from edgeward.workspace.project import Project

_FALSE = re.compile(r"^\s*['\"]?(false|0|no|off)['\"]?\s*$", re.I)
_DEBUG = re.compile(r"^\s*['\"]?debug['\"]?\s*$", re.I)
_LOG_PATHS = ("*.log", "*log*", "*.wrangler*", "*wrangler*")


def _settings(job: Job, name: str) -> list[tuple[str, int, str]]:
    """(value, line, file) of every place the job sets env var `name` (workflow, job, step, inline, export)."""
    out: list[tuple[str, int, str]] = []
    pipe = job.pipeline
    if pipe is not None and name in pipe.env:
        out.append((pipe.env[name], pipe.env_lines.get(name, 1), pipe.file))
    if name in job.env:
        out.append((job.env[name], job.env_lines.get(name, job.line), job.file))
    for st in job.steps:
        if name in st.env:
            out.append((st.env[name], st.env_lines.get(name, st.line), st.file))
        for c in st.commands:
            if name in c.env:
                out.append((c.env[name], c.line, c.file))
            m = re.search(rf"\bexport\s+{name}=(\S+)", c.text)
            if m:
                out.append((m.group(1), c.line, c.file))
            if c.program == "echo" and f"{name}=" in c.text and "GITHUB_ENV" in c.text:
                val = c.text.split(f"{name}=", 1)[1].split()[0].strip("\"'")
                out.append((val, c.line, c.file))
    return out


def _log_artifacts(job: Job, log_path: str | None) -> list[str]:
    hits = []
    for p in job.artifact_paths:
        if any(fnmatch.fnmatch(p.lower(), pat) for pat in _LOG_PATHS) or (log_path and log_path in p):
            hits.append(p)
    return hits


@rule("SEC010", "unsanitized-tool-logs", severity="high", checklist=[2])
def unsanitized_tool_logs(project: Project) -> Iterator[Hit]:
    """CI that turns off wrangler's log sanitizing, or raises its log level to debug and keeps the logs.

    What it finds: `WRANGLER_LOG_SANITIZE=false` set anywhere in a GitHub Actions or GitLab CI job (workflow,
    job or step `env`, `variables`, inline `VAR=value` or `export`); `WRANGLER_LOG=debug` in a job that uploads
    log files or the `.wrangler` directory as an artifact.

    Why it matters: wrangler's debug log records API requests and responses; sanitizing is what keeps the API
    token and request bodies out of it. An artifact or a public CI log is readable by everyone with access
    to the repository (on public repositories, by everyone).

    Example: `env: { WRANGLER_LOG: debug }` in a deploy job whose last step uploads `~/.config/.wrangler/logs`.

    Fix: leave `WRANGLER_LOG_SANITIZE` unset, debug locally instead of in CI, and never upload wrangler's log
    directory.
    """
    for p in project.fact(pipelines):
        for job in p.jobs:
            for value, line, file in _settings(job, "WRANGLER_LOG_SANITIZE"):
                if _FALSE.match(value):
                    yield Hit(
                        file,
                        line,
                        f"job `{job.key}` turns off wrangler's log sanitizing: API tokens and request bodies are "
                        "written to its logs",
                        evidence=f"WRANGLER_LOG_SANITIZE={value}",
                        anchor=f"{job.key}:sanitize",
                    )
            log_path = next((v for v, _, _ in _settings(job, "WRANGLER_LOG_PATH")), None)
            kept = _log_artifacts(job, log_path)
            if not kept:
                continue
            for value, line, file in _settings(job, "WRANGLER_LOG"):
                if _DEBUG.match(value):
                    yield Hit(
                        file,
                        line,
                        f"job `{job.key}` runs wrangler with debug logging and keeps {', '.join(kept)} as an "
                        "artifact",
                        evidence=f"WRANGLER_LOG={value}",
                        anchor=f"{job.key}:debug",
                    )
