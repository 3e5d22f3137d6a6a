"""SUP rules over locked packages: install scripts, non-registry sources, known vulnerabilities, drift."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from edgeward.findings import Hit, Severity
from edgeward.osv import Database, builtin, load_dir
from edgeward.osv.versions import cargo_satisfies, npm_satisfies
from edgeward.rules._util import config
from edgeward.rules.registry import rule
from edgeward.workspace.docs import load_toml
from edgeward.workspace.lockfiles import Locked, LockInfo, lock_info, lockfiles
from edgeward.workspace.manifests import declared
from edgeward.workspace.project import FileInfo, Project, _git
from edgeward.workspace.units import LOCKFILES_FOR

OSV_ECOSYSTEM = {"npm": "npm", "cargo": "crates.io", "go": "Go"}
SEVERITY = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


def _lock_dir(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


# ---------------------------------------------------------------------------------------------- SUP007


def previous_lock(project: Project, rel: str) -> LockInfo | None:
    """The lockfile before "this change": the committed version when the working copy differs from HEAD
    (an uncommitted change), else the version in HEAD's first parent (the last commit, or the base branch of
    a pull-request merge commit). An empty LockInfo when the file did not exist there; None when that cannot
    be told (no git, no parent commit)."""
    if not project.is_git:
        return None
    info = project.files.get(rel)
    current = project.text(rel, max_bytes=200 * 1024 * 1024)
    head = _git(project.root, "show", f"HEAD:./{rel}")
    if head is None or head.decode("utf-8", "replace") != current:
        if head is None:
            has_head = _git(project.root, "rev-parse", "--verify", "-q", "HEAD")
            return LockInfo(rel, "empty") if has_head and info is not None and info.tracked is False else None
        return _shadow(project, rel, head.decode("utf-8", "replace"))
    if not _git(project.root, "rev-parse", "--verify", "-q", "HEAD^"):
        return None
    parent = _git(project.root, "show", f"HEAD^:./{rel}")
    if parent is None:
        return LockInfo(rel, "empty")
    return _shadow(project, rel, parent.decode("utf-8", "replace"))


def _shadow(project: Project, rel: str, text: str) -> LockInfo:
    """Read another version of a lockfile with the same reader."""
    shadow = Project(project.root, {rel: FileInfo(rel, len(text))}, [], False, project.max_text_bytes)
    shadow._text[rel] = text
    return lock_info(shadow, rel)


def _ignore_scripts(project: Project, lock: str) -> str | None:
    npmrc = project.nearest(_lock_dir(lock), (".npmrc", ".yarnrc.yml"))
    if npmrc and re.search(
        r"^\s*(ignore-scripts\s*=\s*true|enableScripts:\s*false)", project.text(npmrc) or "", re.M
    ):
        return npmrc
    return None


@rule("SUP007", "install-script-dependency", severity="low", checklist=[7])
def install_script_dependency(project: Project) -> Iterator[Hit]:
    """Locked dependencies that run install scripts.

    What it finds: every package a lockfile marks as running lifecycle scripts on install (npm
    `hasInstallScript`, pnpm `requiresBuild`, bun `trustedDependencies`). A package that is new to the lockfile
    in this change — compared with the committed lockfile when the working copy has uncommitted changes, else
    with the lockfile of HEAD's first parent (for a pull-request merge commit: the base branch) — is reported
    with a higher severity; with
    `ignore-scripts=true` in `.npmrc` (or `enableScripts: false` for yarn) the finding is informational.

    Why it matters: `preinstall` / `install` / `postinstall` scripts run with the installing user's rights and
    environment — in CI, next to the deploy token. That is how npm worms spread: a hijacked package's install
    script steals tokens and publishes itself onwards.

    Example: `"node_modules/esbuild": { "version": "0.21.5", "hasInstallScript": true }` in package-lock.json.

    Fix: install with `--ignore-scripts` (or `ignore-scripts=true` in `.npmrc`) and allow scripts only for
    the packages that need them (pnpm `onlyBuiltDependencies`, bun `trustedDependencies`); review every new
    package that asks to run one.
    """
    for lock in lockfiles(project):
        info = lock_info(project, lock)
        flagged = [p for p in info.all() if p.has_install_script]
        if not flagged:
            continue
        prev = previous_lock(project, lock)
        ignored = _ignore_scripts(project, lock)
        for pkg in flagged:
            new = prev is not None and not any(
                q.version == pkg.version for q in prev.packages.get(pkg.name, [])
            )
            sev = Severity.INFO if ignored else (Severity.MEDIUM if new else None)
            msg = f"`{pkg.name}` {pkg.version} runs install scripts"
            if new:
                msg += "; it is new to the lockfile in this change"
            if ignored:
                msg += f" (scripts are disabled by {ignored})"
            yield Hit(
                lock,
                pkg.line,
                msg,
                evidence=f"{pkg.name}@{pkg.version}",
                anchor=f"{pkg.name}@{pkg.version}",
                severity=sev,
            )


# ---------------------------------------------------------------------------------------------- SUP008


def _outside(project: Project, lock: str, target: str) -> bool:
    t = target
    for prefix in ("file:", "link:", "portal:"):
        if t.startswith(prefix):
            t = t[len(prefix) :]
    if t.endswith((".tgz", ".tar.gz")):
        return True
    if t.startswith("/"):
        return True
    depth = len([p for p in _lock_dir(lock).split("/") if p])
    for part in t.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


@rule("SUP008", "non-registry-dependency", severity="medium", checklist=[7])
def non_registry_dependency(project: Project) -> Iterator[Hit]:
    """Dependencies resolved from git, plain-http or non-registry tarball URLs, or local paths outside the
    repository.

    What it finds: lockfile entries whose source is a git repository (`git+https://`, `github:`), a tarball
    URL that is not a package registry (plain `http://` is high severity), or a `file:` / `link:` target
    outside the repository. The repository's own workspace packages are not reported.

    Why it matters: these sources bypass the registry's immutability and the audit databases: a git branch or
    a tarball on someone's server can change under the same name, `http://` can be rewritten in transit, and
    advisories are not matched against them.

    Example: `"resolved": "git+ssh://git@github.com/acme/jwt-utils.git#3b1e…"`.

    Fix: publish the package to a registry (a private one if needed) and depend on a version; if a fork is
    unavoidable, pin a commit and review it like your own code.
    """
    for lock in lockfiles(project):
        info = lock_info(project, lock)
        for pkg in info.all():
            if pkg.source == "registry":
                continue
            if pkg.source == "link":
                if pkg.ecosystem != "npm" or not _outside(project, lock, pkg.resolved or ""):
                    continue
                msg = f"`{pkg.name}` is resolved from a local path outside the repository (`{pkg.resolved}`)"
                sev = Severity.LOW
            elif pkg.source == "git":
                msg = f"`{pkg.name}` is resolved from git (`{_short(pkg.resolved)}`), not a registry"
                sev = None
            else:
                plain = pkg.resolved.startswith("http://")
                msg = f"`{pkg.name}` is downloaded from {'plain-http ' if plain else ''}tarball URL `{_short(pkg.resolved)}`"
                sev = Severity.HIGH if plain else None
            yield Hit(
                lock,
                pkg.line,
                msg,
                evidence=_short(pkg.resolved) or pkg.name,
                anchor=f"{pkg.name}:{pkg.source}",
                severity=sev,
            )


def _short(s: str) -> str:
    return s if len(s) <= 100 else s[:97] + "…"


# ---------------------------------------------------------------------------------------------- SUP009


def osv_database(project: Project) -> Database:
    """Fact: the advisory database for this scan (config `osv-db` / `--osv-db`, `--online`, or built-in)."""
    cfg = config(project)
    if cfg.osv_online:
        from edgeward.osv.online import query

        pkgs = sorted(
            {
                (OSV_ECOSYSTEM[p.ecosystem], p.name, p.version)
                for lock in lockfiles(project)
                for p in lock_info(project, lock).all()
                if p.source == "registry" and p.version
            }
        )
        db = query(pkgs)
    elif cfg.osv_db:
        path = Path(cfg.osv_db)
        if not path.is_absolute() and not path.is_dir() and (project.root / path).is_dir():
            path = project.root / path
        wanted = {p.name for lock in lockfiles(project) for p in lock_info(project, lock).all()}
        db = load_dir(path, wanted)
    else:
        db = builtin()
    for problem in db.problems[:20]:
        project.note(None, "osv", problem)
    project.note(None, "osv", f"SUP009 advisory database: {db.label}")
    return db


@rule("SUP009", "known-vulnerable-dependency", severity="high", checklist=[8])
def known_vulnerable_dependency(project: Project) -> Iterator[Hit]:
    """A locked package version that a published advisory (OSV) covers.

    What it finds: every registry package of every lockfile (npm, yarn, pnpm, bun, Cargo.lock, go.sum) whose
    locked version falls in an affected range of an OSV record: `SEMVER` / `ECOSYSTEM` ranges with
    introduced / fixed / last_affected events, pre-releases ordered by SemVer. The database is the built-in
    curated set for edge tooling unless `--osv-db DIR` (an OSV export) or `--online` (the OSV API) is given;
    the report notes which one was used. The resolved version decides, not the range in the manifest.

    Why it matters: the locked version is what runs — in the deployed bundle (hono's JWT/JWK algorithm
    confusion, @fastly/js-compute's use-after-free compiled into the Wasm) or on developer machines and CI
    (wrangler's dev-server and command-injection advisories).

    Example: `"node_modules/hono": { "version": "4.11.3" }` — GHSA-3vhc-576x-3qv4, fixed in 4.11.4.

    Fix: update to a fixed release (`npm install hono@^4.11.4`, then commit the lockfile) and redeploy; for
    Compute, rebuild the Wasm on the fixed SDK.
    """
    if not lockfiles(project):
        return  # nothing locked: no database to load, and no note about one
    db = project.fact(osv_database)
    for lock in lockfiles(project):
        seen: set[tuple[str, str, int]] = set()
        for pkg in lock_info(project, lock).all():
            if pkg.source != "registry" or not pkg.version or (pkg.name, pkg.version, pkg.line) in seen:
                continue
            seen.add((pkg.name, pkg.version, pkg.line))
            advisories = db.affected(OSV_ECOSYSTEM[pkg.ecosystem], pkg.name, pkg.version)
            if not advisories:
                continue
            after = sorted(
                {
                    min(above, key=_vkey)
                    for a in advisories
                    if (above := [f for f in a.fixed if _vkey(f) > _vkey(pkg.version)])
                },
                key=_vkey,
            )
            sev = max(
                (SEVERITY.get((a.severity or "").upper(), Severity.HIGH) for a in advisories), default=None
            )
            ids = ", ".join(a.label for a in advisories)
            msg = f"`{pkg.name}` {pkg.version} is affected by {ids}"
            if after:
                msg += f"; fixed in {', '.join(after)}"
            msg += f" [database: {db.label}]"
            yield Hit(
                lock,
                pkg.line,
                msg,
                evidence=f"{pkg.name}@{pkg.version}: " + "; ".join(a.summary[:100] for a in advisories[:3]),
                anchor=f"{pkg.name}@{pkg.version}",
                severity=sev,
                extra={"advisories": [a.id for a in advisories], "fixed": after, "osv_database": db.label},
            )


def _vkey(v: str):
    from edgeward.osv.versions import Version, parse

    return parse(v) or Version(0, 0, 0)


# ---------------------------------------------------------------------------------------------- SUP010


def _importer(lock: str, manifest: str) -> str | None:
    ldir, mdir = _lock_dir(lock), _lock_dir(manifest)
    if ldir and not (mdir == ldir or mdir.startswith(ldir + "/")):
        return None
    return mdir[len(ldir) :].lstrip("/") if ldir else mdir


def _npm_installed(info: LockInfo, importer: str, name: str) -> Locked | None:
    """The copy of `name` that npm installs for an importer: its own nested copy, else the hoisted one."""
    entries = info.packages.get(name) or []
    want = [f"{importer}/node_modules/{name}"] if importer else []
    want.append(f"node_modules/{name}")
    for key in want:
        for e in entries:
            if e.path == key:
                return e
    return None if any(e.path for e in entries) else (entries[0] if entries else None)


@rule("SUP010", "lockfile-drift", severity="medium", checklist=[7])
def lockfile_drift(project: Project) -> Iterator[Hit]:
    """A manifest that declares dependencies its lockfile does not satisfy.

    What it finds: a `package.json` dependency missing from the lockfile, recorded there with another
    requirement (npm `packages[""]`, pnpm `importers`, bun `workspaces`, yarn descriptors), or locked to a
    version outside the declared range; a Cargo.toml dependency whose requirement no `Cargo.lock` entry
    satisfies. npm and Cargo ranges are evaluated the way the package managers do, pre-releases included.

    Why it matters: `npm ci`, `pnpm install --frozen-lockfile` and `cargo build --locked` refuse such a tree,
    so pipelines fall back to unlocked installs; or the lockfile reviewed is not what the manifest says will
    be deployed.

    Example: package.json `"hono": "^4.12.0"` while package-lock.json still locks hono 4.11.3.

    Fix: run the package manager's install once (`npm install`, `cargo update -p NAME`) and commit the
    updated lockfile together with the manifest.
    """
    for rel, finfo in sorted(project.files.items()):
        if finfo.name not in ("package.json", "Cargo.toml"):
            continue
        mdir = finfo.dir
        lock = project.nearest(
            mdir, LOCKFILES_FOR[finfo.name][:5] if finfo.name == "package.json" else ("Cargo.lock",)
        )
        if not lock or lock.endswith("bun.lockb"):
            continue
        info = lock_info(project, lock)
        if not info.packages and not info.importers:
            continue
        if finfo.name == "Cargo.toml":
            yield from _cargo_drift(project, rel, lock, info)
            continue
        importer = _importer(lock, rel)
        if importer is None:
            continue
        recorded = info.importers.get(importer)
        if info.kind == "npm" and recorded is None and importer and info.importers:
            continue  # not a workspace member of this lockfile
        for dep in declared(project, rel):
            if dep.section == "peerDependencies":
                continue
            spec = dep.spec
            problem = None
            if info.kind in ("npm", "pnpm", "bun") and recorded is not None:
                got = recorded.get(dep.name)
                if got is None:
                    problem = f"`{dep.name}` ({spec}) is not in {lock}"
                elif got != spec:
                    problem = f"`{dep.name}` is `{spec}` here but `{got}` in {lock}"
            elif info.kind.startswith("yarn"):
                if f"{dep.name}@{spec}" not in info.descriptors and not spec.startswith(
                    ("workspace:", "link:", "portal:")
                ):
                    problem = f"`{dep.name}@{spec}` has no entry in {lock}"
            if problem is None and info.kind == "npm":
                inst = _npm_installed(info, importer, dep.name)
                if inst is None and recorded is None:
                    problem = f"`{dep.name}` ({spec}) is not in {lock}"
                elif inst is not None and npm_satisfies(inst.version, spec) is False:
                    problem = f"`{dep.name}` requires `{spec}` but {lock} locks {inst.version}"
            if problem:
                yield Hit(rel, dep.line, problem, evidence=f"{dep.name}: {spec}", anchor=dep.name)


def _cargo_drift(project: Project, rel: str, lock: str, info: LockInfo) -> Iterator[Hit]:
    doc = project.data(rel, load_toml, "Cargo.toml")
    renamed: set[str] = set()
    if doc is not None:
        for sec in ("dependencies", "dev-dependencies", "build-dependencies"):
            deps = doc.data.get(sec)
            if isinstance(deps, dict):
                renamed |= {
                    k
                    for k, v in deps.items()
                    if isinstance(v, dict) and ("package" in v or v.get("workspace"))
                }
    for dep in declared(project, rel):
        if dep.name in renamed or dep.spec.startswith(("git+", "path:")):
            continue
        entries = info.packages.get(dep.name) or []
        if not entries:
            yield Hit(
                rel,
                dep.line,
                f"`{dep.name}` ({dep.spec}) is not in {lock}",
                evidence=f"{dep.name} = {dep.spec}",
                anchor=dep.name,
            )
            continue
        results = [cargo_satisfies(e.version, dep.spec) for e in entries]
        if any(r is None for r in results) or any(results):
            continue
        yield Hit(
            rel,
            dep.line,
            f"`{dep.name}` requires `{dep.spec}` but {lock} locks {', '.join(e.version for e in entries)}",
            evidence=f"{dep.name} = {dep.spec}",
            anchor=dep.name,
        )
