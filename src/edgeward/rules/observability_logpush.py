"""OBS002: Logpush jobs (Terraform, JSON payloads, `curl` calls to the Logpush API) whose field list drops the
Worker's console output or exceptions, or names fields the dataset does not have."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from edgeward.findings import Hit
from edgeward.rules.registry import rule
from edgeward.workspace.ci import _Builder, commands
from edgeward.workspace.docs import DocError, load_jsonc
from edgeward.workspace.project import Project


@dataclass
class LogpushJob:
    path: str
    line: int  # where the job starts
    dataset: str
    fields: list[str] | None  # None: no field list given
    fields_line: int
    kind: str  # terraform, json, curl


@cache
def dataset_fields() -> dict[str, Any]:
    text = resources.files("edgeward").joinpath("data/logpush_fields.json").read_text(encoding="utf-8")
    return json.loads(text)["datasets"]


_TF_RESOURCE = re.compile(r'resource\s+"cloudflare_logpush_job"\s+"([^"]+)"\s*\{')


def _block(text: str, start: int) -> int:
    """Index of the brace closing the block whose `{` is at start (strings and comments skipped)."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _line(text: str, i: int) -> int:
    return text.count("\n", 0, i) + 1


def _from_logpull(opts: str) -> list[str] | None:
    m = re.search(r"(?:^|[?&])fields=([^&]*)", opts)
    return [f for f in m.group(1).split(",") if f] if m else None


def terraform_jobs(project: Project) -> list[LogpushJob]:
    out = []
    for info in sorted(project.glob("*.tf"), key=lambda f: f.path):
        text = project.text(info.path) or ""
        for m in _TF_RESOURCE.finditer(text):
            end = _block(text, m.end() - 1)
            body = text[m.end() : end]
            base = m.end()
            ds = re.search(r'^\s*dataset\s*=\s*"([^"]+)"', body, re.M)
            if not ds:
                continue
            fields, fline = None, _line(text, m.start())
            fm = re.search(r"^\s*field_names\s*=\s*\[([^\]]*)\]", body, re.M)
            if fm:
                fields = re.findall(r'"([^"]*)"', fm.group(1))
                fline = _line(text, base + fm.start() + len(fm.group(0)) - len(fm.group(0).lstrip()))
            else:
                lo = re.search(r'^\s*logpull_options\s*=\s*"([^"]*)"', body, re.M)
                if lo:
                    fields = _from_logpull(lo.group(1))
                    fline = _line(text, base + lo.start() + len(lo.group(0)) - len(lo.group(0).lstrip()))
            out.append(LogpushJob(info.path, _line(text, m.start()), ds.group(1), fields, fline, "terraform"))
    return out


def _payload(obj: Any) -> tuple[str, list[str] | None, tuple] | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("dataset"), str):
        return None
    oo = obj.get("output_options")
    if isinstance(oo, dict) and isinstance(oo.get("field_names"), list):
        return obj["dataset"], [str(f) for f in oo["field_names"]], ("output_options", "field_names")
    if isinstance(obj.get("logpull_options"), str):
        return obj["dataset"], _from_logpull(obj["logpull_options"]), ("logpull_options",)
    return obj["dataset"], None, ("dataset",)


def json_jobs(project: Project) -> list[LogpushJob]:
    out = []
    for info in sorted(project.glob("*.json", "*.jsonc"), key=lambda f: f.path):
        if info.size > 1_000_000 or info.name in ("package.json", "package-lock.json", "npm-shrinkwrap.json"):
            continue
        text = project.text(info.path) or ""
        if '"dataset"' not in text:
            continue
        doc = project.data(info.path, load_jsonc, "JSON document")
        if doc is None:
            continue
        stack: list[tuple[Any, tuple]] = [(doc.data, ())]
        while stack:
            obj, path = stack.pop()
            got = _payload(obj)
            if got:
                ds, fields, sub = got
                out.append(LogpushJob(info.path, doc.line(path), ds, fields, doc.line(path + sub), "json"))
            if isinstance(obj, dict):
                stack += [(v, path + (k,)) for k, v in obj.items() if isinstance(v, (dict, list))]
            elif isinstance(obj, list):
                stack += [(v, path + (i,)) for i, v in enumerate(obj) if isinstance(v, (dict, list))]
    return out


def curl_jobs(project: Project) -> list[LogpushJob]:
    cmds = list(project.fact(commands))
    b = _Builder(project)
    seen_files = {c.file for c in cmds}
    for info in sorted(project.glob("*.sh", "*.bash"), key=lambda f: f.path):
        if info.path not in seen_files and info.size < 1_000_000:
            cmds += b.commands_of(
                project.text(info.path) or "", info.path, 1, cwd=info.dir, origin="script", depth=5
            )
    out = []
    seen: set[tuple[str, int]] = set()
    for c in cmds:
        if c.program != "curl" or "logpush/jobs" not in c.text or (c.file, c.line) in seen:
            continue
        seen.add((c.file, c.line))
        for i, a in enumerate(c.argv):
            data = None
            if a in ("-d", "--data", "--data-raw", "--data-binary") and i + 1 < len(c.argv):
                data = c.argv[i + 1]
            elif a.startswith(("--data=", "--data-raw=")):
                data = a.split("=", 1)[1]
            if not data or not data.lstrip().startswith("{"):
                continue
            try:
                obj = json.loads(data)
            except ValueError:
                try:
                    obj = load_jsonc(data).data
                except DocError:
                    continue
            got = _payload(obj)
            if got:
                out.append(LogpushJob(c.file, c.line, got[0], got[1], c.line, "curl"))
    return out


def logpush_jobs(project: Project) -> list[LogpushJob]:
    """Fact provider: every Logpush job declared in the repository."""
    return terraform_jobs(project) + json_jobs(project) + curl_jobs(project)


@rule("OBS002", "logpush-drops-worker-logs", severity="medium", checklist=[14])
def logpush_drops_worker_logs(project: Project) -> Iterator[Hit]:
    """A Logpush job for Workers trace events that does not ship the Worker's logs or exceptions, or a job that
    asks for fields its dataset does not have.

    What it finds: `cloudflare_logpush_job` resources in Terraform, Logpush job JSON payloads and `curl` calls
    to the Logpush jobs API in scripts, whose dataset is `workers_trace_events` and whose field list
    (`output_options.field_names` or the `fields=` of `logpull_options`) lacks `Logs` or `Exceptions`; and
    field names unknown to the dataset (the field lists are kept as data, with their source, in
    `edgeward/data/logpush_fields.json`).

    Why it matters: `console.log` audit lines and uncaught exceptions travel only in those two fields; a job
    without them delivers invocation metadata while every security event the Worker writes stays at the
    edge. An unknown field name makes the API reject the job or silently drop the field.

    Example: `dataset = "workers_trace_events"` with `field_names = ["Event", "EventTimestampMs", "Outcome"]`.

    Fix: add `"Logs"` and `"Exceptions"` to the job's field list (and set `logpush = true` on each Worker that
    should be exported).
    """
    known = dataset_fields()
    for job in project.fact(logpush_jobs):
        spec = known.get(job.dataset)
        if spec is None or job.fields is None:
            continue
        missing = [f for f in spec.get("required", []) if f not in job.fields]
        if missing:
            yield Hit(
                job.path,
                job.fields_line,
                f"Logpush job for `{job.dataset}` does not ship {' or '.join(f'`{m}`' for m in missing)}: the "
                "Worker's console output and exceptions never leave the edge",
                evidence=f"fields: {', '.join(job.fields)}",
                anchor=f"{job.dataset}:missing:{','.join(missing)}",
            )
        if spec.get("complete"):
            unknown = [f for f in job.fields if f not in spec["fields"]]
            if unknown:
                yield Hit(
                    job.path,
                    job.fields_line,
                    f"Logpush job for `{job.dataset}` names field(s) the dataset does not have: "
                    f"{', '.join(unknown)}",
                    evidence=f"fields: {', '.join(job.fields)}",
                    anchor=f"{job.dataset}:unknown:{','.join(unknown)}",
                )
