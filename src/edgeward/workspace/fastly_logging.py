"""Where Fastly Compute log endpoints are declared: `fastly.toml` (`[setup.log_endpoints.<name>]`, and
`[local_server.log_endpoints.<name>]` where a local setup declares one) and Terraform `fastly_service_compute`
resources (`logging_<provider> { name = "..." }` blocks).

Names are kept exactly as written: Fastly matches a log endpoint name case-sensitively, so `Splunk_Audit`
and `splunk_audit` are two different endpoints. A `dynamic "logging_x"` block or a non-literal `name`
makes the set of names incomplete (`complete = False`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from edgeward.workspace.project import Project
from edgeward.workspace.units import Unit

_RESOURCE = re.compile(r'resource\s+"fastly_service_compute"\s+"[^"]*"\s*\{')
_LOGGING = re.compile(r'(?:^|\s)(dynamic\s+"logging_[a-z0-9_]+"|logging_[a-z0-9_]+)\s*\{')
_NAME = re.compile(r"^\s*name\s*=\s*(.+?)\s*$", re.M)


@dataclass
class Declared:
    name: str
    path: str
    line: int
    where: str  # "fastly.toml [setup.log_endpoints]", "terraform fastly_service_compute"...


@dataclass
class Declarations:
    names: list[Declared] = field(default_factory=list)
    complete: bool = True  # False: some names could not be read (dynamic blocks, variables)
    sources: list[str] = field(default_factory=list)  # files that declare endpoints

    def exact(self, name: str) -> Declared | None:
        for d in self.names:
            if d.name == name:
                return d
        return None

    def folded(self, name: str) -> Declared | None:
        low = name.casefold()
        for d in self.names:
            if d.name.casefold() == low:
                return d
        return None


def _block_end(text: str, start: int) -> int:
    """Index just past the `}` matching the `{` at `start`; skips strings and comments."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def terraform_log_endpoints(project: Project) -> Declarations:
    """Fact provider: log endpoint names of every Terraform `fastly_service_compute` resource."""
    out = Declarations()
    for info in sorted(project.glob("*.tf"), key=lambda f: f.path):
        text = project.text(info.path) or ""
        if "fastly_service_compute" not in text:
            continue
        for m in _RESOURCE.finditer(text):
            body_start = m.end() - 1
            body_end = _block_end(text, body_start)
            body = text[body_start:body_end]
            for lm in _LOGGING.finditer(body):
                brace = body_start + lm.end() - 1
                block = text[brace : _block_end(text, brace)]
                if lm.group(1).startswith("dynamic"):
                    out.complete = False
                    continue
                # only the block's own `name =` (nested blocks rarely carry one)
                nm = _NAME.search(block)
                if nm is None:
                    continue
                raw = nm.group(1)
                lit = re.fullmatch(r'"([^"$]*)"', raw)
                if lit is None:
                    out.complete = False
                    continue
                line = text.count("\n", 0, brace + nm.start(1)) + 1
                out.names.append(Declared(lit.group(1), info.path, line, "terraform fastly_service_compute"))
                if info.path not in out.sources:
                    out.sources.append(info.path)
    return out


def declared_for(project: Project, unit: Unit) -> Declarations:
    """Every log endpoint name this Compute app can write to: its fastly.toml plus Terraform."""
    tf = project.fact(terraform_log_endpoints)
    out = Declarations(list(tf.names), tf.complete, list(tf.sources))
    if unit.doc is not None:
        for table in (("setup", "log_endpoints"), ("local_server", "log_endpoints")):
            value = unit.doc.get(table)
            if not isinstance(value, dict):
                continue
            for name in value:
                out.names.append(
                    Declared(
                        str(name),
                        unit.config_path,
                        unit.doc.line(table + (name,)),
                        f"fastly.toml [{'.'.join(table)}]",
                    )
                )
                if unit.config_path not in out.sources:
                    out.sources.append(unit.config_path)
    return out
