"""Lockfile readers: which version of a package the lockfile resolves, and on which line.

Reads npm `package-lock.json` / `npm-shrinkwrap.json` (lockfile v1, v2, v3) and `Cargo.lock`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from edgeward.workspace.docs import load_toml
from edgeward.workspace.project import Project


@dataclass(frozen=True)
class Locked:
    lockfile: str
    name: str
    version: str
    line: int  # line of the package's entry
    source: str = "registry"  # registry, git, tarball, link
    integrity: str | None = None
    has_install_script: bool = False


def _npm(project: Project, rel: str) -> dict[str, list[Locked]]:
    text = project.text(rel, max_bytes=200 * 1024 * 1024)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        project.note(rel, "parse-error", f"package-lock: invalid JSON: {exc}")
        return {}
    if not isinstance(data, dict):
        return {}
    lines = _line_index(text)
    out: dict[str, list[Locked]] = {}
    packages = data.get("packages")
    if isinstance(packages, dict):  # v2 / v3
        for key, meta in packages.items():
            if not key or not isinstance(meta, dict) or "node_modules/" not in key:
                continue
            name = meta.get("name") or key.rsplit("node_modules/", 1)[-1]
            version = str(meta.get("version", ""))
            resolved = str(meta.get("resolved", ""))
            out.setdefault(name, []).append(
                Locked(
                    rel,
                    name,
                    version,
                    lines(f'"{key}"'),
                    _source(resolved, meta.get("link")),
                    meta.get("integrity"),
                    bool(meta.get("hasInstallScript")),
                )
            )
    elif isinstance(data.get("dependencies"), dict):  # v1

        def walk(deps: dict, prefix: str) -> None:
            for name, meta in deps.items():
                if not isinstance(meta, dict):
                    continue
                out.setdefault(name, []).append(
                    Locked(
                        rel,
                        name,
                        str(meta.get("version", "")),
                        lines(f'"{name}"'),
                        _source(str(meta.get("resolved", "")), None),
                        meta.get("integrity"),
                    )
                )
                if isinstance(meta.get("dependencies"), dict):
                    walk(meta["dependencies"], prefix + name + "/")

        walk(data["dependencies"], "")
    return out


def _source(resolved: str, link: object) -> str:
    if link:
        return "link"
    if resolved.startswith(("git+", "git:", "github:")) or ".git#" in resolved:
        return "git"
    if resolved.startswith("file:"):
        return "link"
    if resolved.startswith("http://"):
        return "tarball"
    return "registry"


def _line_index(text: str):
    """Find the line of the first occurrence of a string, quickly, in a large text."""

    def find(needle: str) -> int:
        i = text.find(needle)
        return 1 if i < 0 else text.count("\n", 0, i) + 1

    return find


def _cargo(project: Project, rel: str) -> dict[str, list[Locked]]:
    doc = project.data(rel, load_toml, "Cargo.lock")
    out: dict[str, list[Locked]] = {}
    if doc is None:
        return out
    for i, pkg in enumerate(doc.data.get("package", []) or []):
        if isinstance(pkg, dict) and "name" in pkg:
            src = str(pkg.get("source", ""))
            kind = "git" if src.startswith("git+") else ("registry" if src else "link")
            out.setdefault(pkg["name"], []).append(
                Locked(
                    rel,
                    pkg["name"],
                    str(pkg.get("version", "")),
                    doc.line(("package", i)),
                    kind,
                    pkg.get("checksum"),
                )
            )
    return out


def read(project: Project, rel: str) -> dict[str, list[Locked]]:
    """All locked packages of a lockfile by name (memoised per project)."""
    cache = project.fact(_cache)
    if rel not in cache:
        name = rel.rsplit("/", 1)[-1]
        if name in ("package-lock.json", "npm-shrinkwrap.json"):
            cache[rel] = _npm(project, rel)
        elif name == "Cargo.lock":
            cache[rel] = _cargo(project, rel)
        else:
            cache[rel] = {}
    return cache[rel]


def _cache(project: Project) -> dict[str, dict[str, list[Locked]]]:
    return {}


def locked_version(project: Project, lockfile: str | None, name: str) -> Locked | None:
    """The version the lockfile resolves for a top-level dependency `name` (the hoisted one first)."""
    if not lockfile:
        return None
    entries = read(project, lockfile).get(name) or []
    return entries[0] if entries else None


_EXACT_NPM = re.compile(r"^=?v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_EXACT_CARGO = re.compile(r"^=\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


def is_exact(spec: str, ecosystem: str) -> bool:
    s = spec.strip()
    return bool((_EXACT_CARGO if ecosystem == "cargo" else _EXACT_NPM).match(s))
