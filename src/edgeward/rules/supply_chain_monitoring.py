"""SUP006: dependency monitoring (dependabot, renovate, snyk, socket) covering the ecosystems present."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from edgeward.findings import Hit
from edgeward.rules.registry import rule
from edgeward.workspace.ci import load_yaml_bounded, pipelines
from edgeward.workspace.docs import load_jsonc
from edgeward.workspace.manifests import declared
from edgeward.workspace.project import Project
from edgeward.workspace.units import LOCKFILES_FOR

RENOVATE_FILES = (
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
)
OTHER_MONITORS = (".snyk", "socket.yml", "socket.yaml", ".socket.yml")
DEPENDABOT_ECO = {
    "npm": "npm",
    "bun": "npm",
    "cargo": "cargo",
    "gomod": "go",
    "github-actions": "github-actions",
}
LABEL = {"npm": "npm", "cargo": "cargo", "go": "gomod", "github-actions": "github-actions"}


def present(project: Project) -> dict[str, list[str]]:
    """Ecosystem -> the directories (root-relative, "" for the root) whose dependencies need monitoring."""
    out: dict[str, list[str]] = {}
    for rel, info in sorted(project.files.items()):
        if info.name == "package.json" and declared(project, rel):
            lock = project.nearest(info.dir, LOCKFILES_FOR["package.json"])
            d = lock.rsplit("/", 1)[0] if lock and "/" in lock else ("" if lock else info.dir)
            out.setdefault("npm", [])
            if d not in out["npm"]:
                out["npm"].append(d)
        elif info.name == "Cargo.toml":
            lock = project.nearest(info.dir, ("Cargo.lock",))
            d = (lock.rsplit("/", 1)[0] if "/" in lock else "") if lock else info.dir
            out.setdefault("cargo", [])
            if d not in out["cargo"]:
                out["cargo"].append(d)
        elif info.name == "go.mod":
            out.setdefault("go", []).append(info.dir)
    if any(
        st.uses and not st.uses.startswith("./")
        for p in project.fact(pipelines)
        if p.platform == "github"
        for j in p.jobs
        for st in j.steps
    ):
        out["github-actions"] = [""]
    return out


def _renovate(project: Project) -> str | None:
    for f in RENOVATE_FILES:
        if f in project.files:
            return f
    doc = (
        project.data("package.json", load_jsonc, "package.json") if "package.json" in project.files else None
    )
    if doc and isinstance(doc.data, dict) and "renovate" in doc.data:
        return "package.json"
    return None


@rule("SUP006", "no-dependency-monitoring", severity="medium", checklist=[10])
def no_dependency_monitoring(project: Project) -> Iterator[Hit]:
    """No dependabot / renovate / snyk / socket configuration covering the ecosystems the repository uses.

    What it finds: a repository with npm, Cargo, Go dependencies or third-party GitHub Actions and no
    `.github/dependabot.yml`, renovate configuration, `.snyk` or socket configuration; or a dependabot
    configuration whose `updates` miss an ecosystem (`npm`, `cargo`, `gomod`, `github-actions`) or the
    directory of one of its lockfiles.

    Why it matters: advisories for the deploy CLI, the SDK compiled into the Wasm or a pinned action arrive
    after the lockfile was reviewed; without a bot that watches them, pinned versions quietly age into known
    vulnerabilities.

    Example: a Worker with package-lock.json and a deploy workflow, and no `.github/dependabot.yml`.

    Fix: add `.github/dependabot.yml` with one `updates` entry per ecosystem and directory (or a renovate
    configuration), with security updates enabled.
    """
    eco = present(project)
    if not eco:
        return
    renovate = _renovate(project)
    if renovate or any(f in project.files for f in OTHER_MONITORS):
        return
    dep = next((f for f in (".github/dependabot.yml", ".github/dependabot.yaml") if f in project.files), None)
    if dep is None:
        first = next(iter(eco.values()))[0]
        kinds = sorted(eco)
        where = _anchor_file(project, kinds[0], first)
        yield Hit(
            where,
            1,
            "no dependency monitoring (dependabot, renovate, snyk, socket) for "
            + ", ".join(f"{LABEL[k]} ({len(eco[k])} dir(s))" for k in kinds),
            evidence="no .github/dependabot.yml or renovate configuration",
            anchor="missing",
        )
        return
    doc = project.data(dep, load_yaml_bounded, "dependabot configuration")
    if doc is None:
        return
    updates = doc.get(("updates",))
    covered: dict[str, list[str]] = {}
    if isinstance(updates, list):
        for u in updates:
            if not isinstance(u, dict):
                continue
            kind = DEPENDABOT_ECO.get(str(u.get("package-ecosystem", "")))
            if not kind:
                continue
            dirs = (
                u.get("directories") if isinstance(u.get("directories"), list) else [u.get("directory", "/")]
            )
            covered.setdefault(kind, []).extend(str(d).strip("/") for d in dirs if d is not None)
    line = doc.line(("updates",))
    for kind, dirs in sorted(eco.items()):
        got = covered.get(kind)
        if got is None:
            yield Hit(
                dep,
                line,
                f"dependabot does not watch the `{LABEL[kind]}` ecosystem used in "
                f"{', '.join((d or '/') for d in dirs[:3])}",
                evidence=f"package-ecosystem: {LABEL[kind]} missing",
                anchor=f"eco:{kind}",
            )
            continue
        if kind == "github-actions":
            continue
        for d in dirs:
            if not any(fnmatch.fnmatchcase(d, g) or g in ("**", "*") and True for g in got):
                yield Hit(
                    dep,
                    line,
                    f"dependabot's `{LABEL[kind]}` updates do not cover `/{d}`",
                    evidence=f"directories: {', '.join('/' + g for g in got)}",
                    anchor=f"dir:{kind}:{d}",
                )


def _anchor_file(project: Project, kind: str, d: str) -> str:
    name = {"npm": "package.json", "cargo": "Cargo.toml", "go": "go.mod"}.get(kind)
    if name:
        cand = f"{d}/{name}" if d else name
        if cand in project.files:
            return cand
        for rel, info in sorted(project.files.items()):
            if info.name == name:
                return rel
    wf = [p.file for p in project.fact(pipelines)]
    return wf[0] if wf else next(iter(sorted(project.files)))
