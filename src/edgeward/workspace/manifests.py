"""Package manifests: declared dependencies with the line they are declared on."""

from __future__ import annotations

from dataclasses import dataclass

from edgeward.workspace.docs import ConfigDoc, load_jsonc, load_toml
from edgeward.workspace.project import Project

NPM_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


@dataclass(frozen=True)
class Declared:
    manifest: str
    name: str
    spec: str  # version requirement as written ("^4.1.0", "=0.11.2", "git+https://...")
    section: str
    line: int


def declared(project: Project, manifest: str) -> list[Declared]:
    """Dependencies declared in package.json or Cargo.toml (with their lines)."""
    out: list[Declared] = []
    if manifest.endswith("package.json"):
        doc: ConfigDoc | None = project.data(manifest, load_jsonc, "package.json")
        if doc is None or not isinstance(doc.data, dict):
            return out
        for sec in NPM_SECTIONS:
            deps = doc.data.get(sec)
            if isinstance(deps, dict):
                for name, spec in deps.items():
                    if isinstance(spec, str):
                        out.append(Declared(manifest, name, spec, sec, doc.line((sec, name))))
    elif manifest.endswith("Cargo.toml"):
        doc = project.data(manifest, load_toml, "Cargo.toml")
        if doc is None:
            return out
        for sec in CARGO_SECTIONS:
            deps = doc.data.get(sec)
            if isinstance(deps, dict):
                for name, spec in deps.items():
                    if isinstance(spec, dict):
                        req = spec.get("version") or (
                            f"git+{spec['git']}" if "git" in spec else f"path:{spec.get('path', '')}"
                        )
                        line = (
                            doc.line((sec, name, "version")) if "version" in spec else doc.line((sec, name))
                        )
                        out.append(Declared(manifest, name, str(req), sec, line))
                    elif isinstance(spec, str):
                        out.append(Declared(manifest, name, spec, sec, doc.line((sec, name))))
    return out


def package_scripts(project: Project, manifest: str) -> dict[str, tuple[str, int]]:
    """package.json `scripts`: name -> (command, line)."""
    if not manifest.endswith("package.json"):
        return {}
    doc = project.data(manifest, load_jsonc, "package.json")
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("scripts"), dict):
        return {}
    return {k: (v, doc.line(("scripts", k))) for k, v in doc.data["scripts"].items() if isinstance(v, str)}
