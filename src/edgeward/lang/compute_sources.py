"""Fact providers for Rust and Go sources: every `.rs` / `.go` file of the project parsed once, grouped by the
app (Fastly Compute unit or workers-rs Worker) that holds it, plus the platform knowledge in
`data/compute_sdk.json`.

Use with `project.fact(rust_files)`, `project.fact(go_files)`, `project.fact(compute_code)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from edgeward.lang.go import GoFile, parse_go
from edgeward.lang.rust import RustFile, parse_rust_cached
from edgeward.lang.tsparse import MAX_SOURCE_BYTES
from edgeward.workspace.project import Project
from edgeward.workspace.units import Unit, units

SKIP_PARTS = {"vendor", "target", "node_modules"}


@cache
def knowledge() -> dict[str, Any]:
    """Platform knowledge (SDK sources, sinks, stores, log endpoints, JWT crates) for Rust and Go."""
    raw = resources.files("edgeward").joinpath("data/compute_sdk.json").read_text(encoding="utf-8")
    return json.loads(raw)


def _source_paths(project: Project, ext: str) -> list[str]:
    out = []
    for info in project.files.values():
        if not info.name.endswith(ext):
            continue
        parts = info.path.split("/")[:-1]
        if any(p in SKIP_PARTS for p in parts):
            continue
        if ext == ".go" and info.name.endswith("_test.go"):
            continue
        out.append(info.path)
    return sorted(out)


def _parse_all(project: Project, ext: str, parse) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rel in _source_paths(project, ext):
        info = project.files[rel]
        if info.size > MAX_SOURCE_BYTES:
            project.note(
                rel, "skipped", f"source is {info.size:,} bytes, over the {MAX_SOURCE_BYTES:,}-byte limit"
            )
            continue
        src = project.text(rel)
        if src is None:
            continue
        try:
            parsed = parse(rel, src)
        except (RecursionError, ValueError) as exc:  # pragma: no cover - defensive
            project.note(rel, "parse-error", f"cannot parse source: {exc}")
            continue
        if parsed.has_errors:
            project.note(rel, "parse-error", "source has syntax errors; analysed what parsed")
        out[rel] = parsed
    return out


def rust_files(project: Project) -> dict[str, RustFile]:
    """Fact provider: every Rust source file, parsed (macros rewritten into calls)."""
    return _parse_all(project, ".rs", parse_rust_cached)


def go_files(project: Project) -> dict[str, GoFile]:
    """Fact provider: every Go source file, parsed."""
    return _parse_all(project, ".go", parse_go)


@dataclass
class CodeApp:
    """One deployable app with its Rust or Go sources."""

    unit: Unit
    language: str  # "rust" or "go"
    rust: list[RustFile] = field(default_factory=list)
    go: list[GoFile] = field(default_factory=list)

    @property
    def platform(self) -> str:
        return self.unit.kind


def _owner(all_units: list[Unit], path: str) -> Unit | None:
    best = None
    for u in all_units:
        if not u.dir or path.startswith(u.dir + "/"):
            if best is None or len(u.dir) > len(best.dir):
                best = u
    return best


def compute_code(project: Project) -> list[CodeApp]:
    """Fact provider: Fastly Compute apps (Rust, Go) and workers-rs Workers with their parsed sources."""
    all_units = [u for u in project.fact(units) if u.doc is not None]
    rs = project.fact(rust_files) if any(i.name.endswith(".rs") for i in project.files.values()) else {}
    go = project.fact(go_files) if any(i.name.endswith(".go") for i in project.files.values()) else {}
    apps: dict[str, CodeApp] = {}
    for path, rf in rs.items():
        u = _owner(all_units, path)
        if u is None:
            continue
        if u.kind == "workers" and u.language != "rust":
            continue
        app = apps.setdefault(u.config_path + "#rust", CodeApp(u, "rust"))
        app.rust.append(rf)
    for path, gf in go.items():
        u = _owner(all_units, path)
        if u is None or u.kind != "fastly":
            continue
        app = apps.setdefault(u.config_path + "#go", CodeApp(u, "go"))
        app.go.append(gf)
    return [apps[k] for k in sorted(apps)]


def _register_ir_parsers() -> None:
    """Rust and Go modules join the shared `modules()` fact, lowered to the IR for the one taint engine."""
    from edgeward.lang import go_ir, knowledge_compute, rust_ir, sources

    knowledge_compute.install()
    sources.register_parser(".rs", rust_ir.parse)
    sources.register_parser(".go", go_ir.parse)


_register_ir_parsers()
