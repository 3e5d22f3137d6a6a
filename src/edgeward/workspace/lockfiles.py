"""Lockfile readers: the locked packages of a lockfile, each with its version, source, integrity, install-script
flag and the line of its entry.

Formats: npm `package-lock.json` / `npm-shrinkwrap.json` (lockfile v1, v2, v3), yarn classic and berry
`yarn.lock`, `pnpm-lock.yaml` (v5/v6 and v9, workspaces through `importers`), `bun.lock`, `Cargo.lock` and
`go.sum`. Every reader is a small line- or token-oriented scanner, so a 5 MB lockfile reads in well under a
second; a malformed, hostile or huge lockfile gives a note (parse error, or more than `MAX_ENTRIES` entries)
and whatever could be read, never an exception.

`read(project, rel)` returns the packages by name (memoised per project); `lock_info(project, rel)` also gives
the dependency requirements the lockfile records for each importer (workspace directory), used for drift.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from edgeward.workspace.docs import load_jsonc
from edgeward.workspace.project import Project

MAX_ENTRIES = 200_000
LOCK_MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Locked:
    lockfile: str
    name: str
    version: str
    line: int  # line of the package's entry
    source: str = "registry"  # registry, git, tarball, link
    integrity: str | None = None
    has_install_script: bool = False
    resolved: str = ""  # where it comes from, as the lockfile says (URL, git spec, path)
    ecosystem: str = "npm"  # npm, cargo, go
    path: str = ""  # npm v2/v3: the `packages` key (`node_modules/a/node_modules/b`)


@dataclass
class LockInfo:
    """Everything read from one lockfile."""

    path: str
    kind: str  # npm, yarn-classic, yarn-berry, pnpm, bun, cargo, go
    packages: dict[str, list[Locked]] = field(default_factory=dict)
    # importer dir (relative to the lockfile's dir, "" for the root) -> dependency name -> requirement recorded
    importers: dict[str, dict[str, str]] = field(default_factory=dict)
    # yarn: every "name@range" descriptor the lockfile resolves
    descriptors: set[str] = field(default_factory=set)
    workspaces: list[str] = field(default_factory=list)
    version: str = ""

    count: int = 0

    def add(self, pkg: Locked) -> bool:
        """Add an entry; False (and nothing added) once MAX_ENTRIES entries were read."""
        if self.count >= MAX_ENTRIES:
            return False
        self.count += 1
        self.packages.setdefault(pkg.name, []).append(pkg)
        return True

    def all(self) -> list[Locked]:
        return [p for entries in self.packages.values() for p in entries]


class _Lines:
    """Line of a character offset. Lookups usually move forward (entries are read in file order), so lines
    are counted incrementally from the previous lookup; a backward lookup counts from the start."""

    def __init__(self, text: str):
        self.text = text
        self.cursor = 0
        self._off = 0
        self._line = 1

    def line_of(self, offset: int) -> int:
        if offset < 0:
            return 1
        if offset < self._off:
            self._off, self._line = 0, 1
        self._line += self.text.count("\n", self._off, offset)
        self._off = offset
        return self._line

    def find(self, needle: str, *, from_cursor: bool = True) -> int:
        """Line of the next occurrence of `needle` (from the cursor, then from the start)."""
        i = self.text.find(needle, self.cursor if from_cursor else 0)
        if i < 0 and from_cursor:
            i = self.text.find(needle)
        if i < 0:
            return 1
        self.cursor = i + len(needle)
        return self.line_of(i)


def _too_many(project: Project, rel: str) -> None:
    project.note(rel, "skipped", f"lockfile has more than {MAX_ENTRIES:,} entries; the rest were not read")


# ------------------------------------------------------------------------------------------------ npm


def _npm_source(resolved: str, link: object) -> str:
    if link:
        return "link"
    if not resolved or resolved.startswith(("https://registry.npmjs.org/", "https://registry.yarnpkg.com/")):
        return "registry"
    r = resolved
    if r.startswith(("git+", "git:", "github:", "gitlab:", "bitbucket:")) or ".git#" in r:
        return "git"
    if r.startswith(("file:", "link:")) or (r and not re.match(r"^[a-z][a-z0-9+.-]*:", r)):
        return "link"
    if r.startswith("http://"):
        return "tarball"
    if r.startswith("https://") and not _registry_url(r):
        return "tarball"
    return "registry"


_REGISTRY_HOSTS = re.compile(
    r"^https://(registry\.npmjs\.org|registry\.yarnpkg\.com|registry\.npmmirror\.com|npm\.pkg\.github\.com"
    r"|[^/]+/(?:[^/]+/)*(?:npm|api/npm)/)"
)


def _registry_url(url: str) -> bool:
    return bool(_REGISTRY_HOSTS.match(url)) or "/-/" in url


def _npm(project: Project, rel: str) -> LockInfo:
    info = LockInfo(rel, "npm")
    text = project.text(rel, max_bytes=LOCK_MAX_BYTES)
    if text is None:
        return info
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        project.note(rel, "parse-error", f"package-lock: invalid JSON: {exc}")
        return info
    if not isinstance(data, dict):
        project.note(rel, "parse-error", "package-lock: top level is not an object")
        return info
    info.version = str(data.get("lockfileVersion", ""))
    lines = _Lines(text)
    packages = data.get("packages")
    if isinstance(packages, dict):  # v2 / v3
        root = packages.get("")
        if isinstance(root, dict):
            ws = root.get("workspaces")
            if isinstance(ws, list):
                info.workspaces = [w for w in ws if isinstance(w, str)]
            elif isinstance(ws, dict) and isinstance(ws.get("packages"), list):
                info.workspaces = [w for w in ws["packages"] if isinstance(w, str)]
        for key, meta in packages.items():
            if not isinstance(meta, dict):
                continue
            if "node_modules/" not in key:
                # the root ("") and workspace members ("packages/a"): their declared requirements
                deps: dict[str, str] = {}
                for sec in ("dependencies", "devDependencies", "optionalDependencies"):
                    if isinstance(meta.get(sec), dict):
                        deps.update({k: v for k, v in meta[sec].items() if isinstance(v, str)})
                info.importers[key] = deps
                continue
            name = (
                meta.get("name") if isinstance(meta.get("name"), str) else key.rsplit("node_modules/", 1)[-1]
            )
            resolved = str(meta.get("resolved", "") or "")
            ok = info.add(
                Locked(
                    rel,
                    name,
                    str(meta.get("version", "")),
                    lines.find(f'"{key}"'),
                    _npm_source(resolved, meta.get("link")),
                    meta.get("integrity") if isinstance(meta.get("integrity"), str) else None,
                    bool(meta.get("hasInstallScript")),
                    resolved,
                    "npm",
                    key,
                )
            )
            if not ok:
                _too_many(project, rel)
                break
    elif isinstance(data.get("dependencies"), dict):  # v1
        budget = [MAX_ENTRIES]

        def walk(deps: dict, depth: int) -> None:
            for name, meta in deps.items():
                if not isinstance(meta, dict) or budget[0] <= 0 or depth > 200:
                    continue
                budget[0] -= 1
                resolved = str(meta.get("resolved", "") or "")
                version = str(meta.get("version", ""))
                src = _npm_source(resolved, None)
                if version.startswith(("file:", "git", "github:", "http")):
                    src = _npm_source(version, None)
                    resolved = resolved or version
                info.add(
                    Locked(
                        rel,
                        name,
                        version,
                        lines.find(f'"{name}": {{'),
                        src,
                        meta.get("integrity") if isinstance(meta.get("integrity"), str) else None,
                        False,
                        resolved,
                    )
                )
                if isinstance(meta.get("dependencies"), dict):
                    walk(meta["dependencies"], depth + 1)

        walk(data["dependencies"], 0)
        if budget[0] <= 0:
            _too_many(project, rel)
    return info


# ----------------------------------------------------------------------------------------------- yarn

_YARN_KEY = re.compile(r'^("?)((?:@[^@/\s"]+/)?[^@\s",]+)@([^",]*)\1$')


def _yarn(project: Project, rel: str) -> LockInfo:
    text = project.text(rel, max_bytes=LOCK_MAX_BYTES)
    berry = bool(text and re.search(r"^__metadata:", text, re.M))
    info = LockInfo(rel, "yarn-berry" if berry else "yarn-classic")
    if text is None:
        return info
    entry: dict[str, str] | None = None
    names: list[str] = []
    start = 0

    def flush() -> bool:
        if entry is None or not names:
            return True
        name = names[0]
        version = entry.get("version", "").strip('"')
        resolved = (entry.get("resolution") or entry.get("resolved") or "").strip('"')
        src = "registry"
        spec = resolved.split("@", 2)[-1] if berry else resolved
        if berry:
            tail = resolved[len(name) + 1 :] if resolved.startswith(name + "@") else resolved
            if tail.startswith("workspace:"):
                return True  # the project's own workspace
            if tail.startswith(("link:", "portal:", "file:")):
                src = "link"
            elif "git" in tail.split(":", 1)[0] or "#commit=" in tail:
                src = "git"
            elif tail.startswith("http://"):
                src = "tarball"
            elif tail.startswith("https://") and not _registry_url(tail):
                src = "tarball"
        else:
            src = _npm_source(resolved, None)
        del spec
        integrity = (entry.get("integrity") or entry.get("checksum") or "").strip('"') or None
        return info.add(Locked(rel, name, version, start, src, integrity, False, resolved))

    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            if not flush():
                _too_many(project, rel)
                return info
            entry, names, start = None, [], i
            key = line.rstrip().rstrip(":")
            if key == "__metadata":
                continue
            names_here = []
            for desc in (d.strip() for d in key.split(",")):
                m = _YARN_KEY.match(desc)
                if m:
                    names_here.append(m.group(2))
                    spec = m.group(3)
                    if berry and spec.startswith("npm:"):
                        spec = spec[4:]
                    info.descriptors.add(f"{m.group(2)}@{spec}")
            if names_here:
                entry, names = {}, names_here
            continue
        if entry is None:
            continue
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent > 2:
            continue
        m = re.match(r'^"?([A-Za-z]+)"?:?\s+(.*)$', stripped)
        if m:
            entry[m.group(1)] = m.group(2).strip()
    if not flush():
        _too_many(project, rel)
    return info


# ----------------------------------------------------------------------------------------------- pnpm

_PNPM_PKG_KEY = re.compile(r"^/?((?:@[^/@]+/)?[^/@(]+)[@/]([^(]+)")


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def _pnpm(project: Project, rel: str) -> LockInfo:
    info = LockInfo(rel, "pnpm")
    text = project.text(rel, max_bytes=LOCK_MAX_BYTES)
    if text is None:
        return info
    section = ""
    importer: str | None = None
    dep_section = ""
    dep_name: str | None = None
    pkg: dict[str, str] | None = None
    pkg_key = ""
    pkg_line = 0

    def flush() -> bool:
        if pkg is None:
            return True
        m = _PNPM_PKG_KEY.match(pkg_key)
        if not m:
            return True
        name, version = m.group(1), m.group(2).split("_", 1)[0]  # v5 peer suffix: 1.0.0_react@18.2.0
        res = pkg.get("resolution", "")
        integrity = None
        im = re.search(r"integrity:\s*([^,}\s]+)", res)
        if im:
            integrity = im.group(1)
        src, resolved = "registry", ""
        tm = re.search(r"tarball:\s*([^,}\s]+)", res)
        if "type: git" in res or "repo:" in res or re.search(r"codeload\.github\.com|\.git#", res):
            src = "git"
            resolved = res
        elif tm:
            resolved = tm.group(1)
            src = "link" if resolved.startswith("file:") else _npm_source(resolved, None)
        elif "directory:" in res:
            src, resolved = "link", res
        if version.startswith(("file:", "link:")):
            src, resolved = "link", version
        elif version.startswith(("https://", "http://")):
            src, resolved = _npm_source(version, None), version
            if src == "registry":
                src = "tarball"
        name = pkg.get("name", name)
        version = pkg.get("version", version)
        return info.add(
            Locked(
                rel,
                _unquote(name),
                _unquote(version),
                pkg_line,
                src,
                integrity,
                pkg.get("requiresBuild") == "true",
                resolved,
            )
        )

    dep_sections = ("dependencies", "devDependencies", "optionalDependencies", "specifiers")
    for i, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if line[0] in "'\"":
            q = line[0]
            end = line.find(q, 1)
            key, value = line[1:end], line[end + 1 :].lstrip().lstrip(":")
        else:
            key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if indent == 0:
            if not flush():
                _too_many(project, rel)
                return info
            pkg = None
            section, importer, dep_section, dep_name = key, None, "", None
            if key == "lockfileVersion":
                info.version = _unquote(value)
            if key in dep_sections:  # v5/v6 single project: the root importer, 4 columns to the left
                section, importer, dep_section = "root", "", key
                info.importers.setdefault("", {})
            continue
        if section in ("importers", "root"):
            rel_indent = indent + (4 if section == "root" else 0)
            if rel_indent == 2:
                importer = "" if key == "." else key
                info.importers.setdefault(importer, {})
                dep_section, dep_name = "", None
            elif rel_indent == 4 and importer is not None:
                if key in dep_sections:
                    dep_section, dep_name = key, None
            elif rel_indent == 6 and importer is not None and dep_section:
                dep_name = key
                if value and not value.startswith("{"):
                    # v5: "specifiers:" holds the requirement, "dependencies:" the resolved version
                    if dep_section == "specifiers":
                        info.importers[importer][key] = _unquote(value)
                elif value.startswith("{"):
                    sm = re.search(r"specifier:\s*([^,}]+)", value)
                    if sm:
                        info.importers[importer][key] = _unquote(sm.group(1))
            elif rel_indent == 8 and importer is not None and dep_name and key == "specifier":
                info.importers[importer][dep_name] = _unquote(value)
            continue
        if section == "packages":
            if indent == 2:
                if not flush():
                    _too_many(project, rel)
                    return info
                pkg, pkg_key, pkg_line = {}, key, i
                if value.startswith("{"):
                    pkg["resolution"] = value
                continue
            if pkg is not None and indent == 4:
                pkg[key] = value
    if not flush():
        _too_many(project, rel)
    return info


# ------------------------------------------------------------------------------------------------ bun


def _bun(project: Project, rel: str) -> LockInfo:
    info = LockInfo(rel, "bun")
    doc = project.data(rel, load_jsonc, "bun.lock")
    text = project.text(rel, max_bytes=LOCK_MAX_BYTES) or ""
    if doc is None or not isinstance(doc.data, dict):
        return info
    data = doc.data
    info.version = str(data.get("lockfileVersion", ""))
    td = data.get("trustedDependencies")
    trusted = {t for t in td if isinstance(t, str)} if isinstance(td, list) else set()
    ws = data.get("workspaces")
    if isinstance(ws, dict):
        for wdir, meta in ws.items():
            if isinstance(meta, dict):
                deps: dict[str, str] = {}
                for sec in ("dependencies", "devDependencies", "optionalDependencies"):
                    if isinstance(meta.get(sec), dict):
                        deps.update({k: v for k, v in meta[sec].items() if isinstance(v, str)})
                info.importers[wdir] = deps
    pkgs = data.get("packages")
    if not isinstance(pkgs, dict):
        return info
    del text
    for key, entry in pkgs.items():
        if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
            continue
        ident = entry[0]
        at = ident.rfind("@")
        name, spec = (ident[:at], ident[at + 1 :]) if at > 0 else (key, ident)
        src = "registry"
        resolved = ""
        if spec.startswith(("workspace:",)):
            continue
        if spec.startswith(("github:", "git+", "git:")) or ".git#" in spec:
            src, resolved = "git", spec
        elif spec.startswith(("file:", "link:")):
            src, resolved = "link", spec
        elif spec.startswith("http"):
            src, resolved = _npm_source(spec, None), spec
            if src == "registry":
                src = "tarball"
        integrity = entry[3] if len(entry) > 3 and isinstance(entry[3], str) else None
        version = spec if src == "registry" else spec.rsplit("#", 1)[-1]
        if not info.add(
            Locked(rel, name, version, doc.line(("packages", key)), src, integrity, name in trusted, resolved)
        ):
            _too_many(project, rel)
            break
    return info


# ---------------------------------------------------------------------------------------------- cargo


def _cargo(project: Project, rel: str) -> LockInfo:
    info = LockInfo(rel, "cargo")
    text = project.text(rel, max_bytes=LOCK_MAX_BYTES)
    if text is None:
        return info
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        project.note(rel, "parse-error", f"Cargo.lock: invalid TOML: {exc}")
        return info
    info.version = str(data.get("version", ""))
    starts = [m.start() for m in re.finditer(r"^\[\[package\]\]", text, re.M)]
    lines = _Lines(text)
    pkgs = data.get("package", [])
    if not isinstance(pkgs, list):
        return info
    for i, pkg in enumerate(pkgs):
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            continue
        src = str(pkg.get("source", ""))
        kind = "git" if src.startswith("git+") else ("registry" if src else "link")
        line = lines.line_of(starts[i]) if i < len(starts) else 1
        if not info.add(
            Locked(
                rel,
                pkg["name"],
                str(pkg.get("version", "")),
                line,
                kind,
                pkg.get("checksum") if isinstance(pkg.get("checksum"), str) else None,
                False,
                src,
                "cargo",
            )
        ):
            _too_many(project, rel)
            break
    return info


# ------------------------------------------------------------------------------------------------- go


def _gosum(project: Project, rel: str) -> LockInfo:
    info = LockInfo(rel, "go")
    text = project.text(rel, max_bytes=LOCK_MAX_BYTES)
    if text is None:
        return info
    seen: set[tuple[str, str]] = set()
    for i, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) != 3:
            continue
        mod, ver, h = parts
        if ver.endswith("/go.mod"):
            continue
        if (mod, ver) in seen:
            continue
        seen.add((mod, ver))
        if not info.add(Locked(rel, mod, ver.lstrip("v"), i, "registry", h, False, "", "go")):
            _too_many(project, rel)
            break
    return info


# ------------------------------------------------------------------------------------------------ api

READERS = {
    "package-lock.json": _npm,
    "npm-shrinkwrap.json": _npm,
    "yarn.lock": _yarn,
    "pnpm-lock.yaml": _pnpm,
    "bun.lock": _bun,
    "Cargo.lock": _cargo,
    "go.sum": _gosum,
}


def lock_info(project: Project, rel: str) -> LockInfo:
    """Everything read from a lockfile (memoised per project). Unknown formats give an empty LockInfo."""
    cache = project.fact(_cache)
    if rel not in cache:
        name = rel.rsplit("/", 1)[-1]
        reader = READERS.get(name)
        try:
            cache[rel] = reader(project, rel) if reader else LockInfo(rel, "unknown")
        except RecursionError:
            project.note(rel, "parse-error", "lockfile nested too deeply")
            cache[rel] = LockInfo(rel, "unknown")
    return cache[rel]


def read(project: Project, rel: str) -> dict[str, list[Locked]]:
    """All locked packages of a lockfile by name (memoised per project)."""
    return lock_info(project, rel).packages


def _cache(project: Project) -> dict[str, LockInfo]:
    return {}


def lockfiles(project: Project) -> list[str]:
    """Every lockfile this module reads, in path order."""
    return sorted(p for p, f in project.files.items() if f.name in READERS)


def locked_version(project: Project, lockfile: str | None, name: str) -> Locked | None:
    """The version the lockfile resolves for a top-level dependency `name` (the hoisted one first)."""
    if not lockfile:
        return None
    entries = read(project, lockfile).get(name) or []
    hoisted = [e for e in entries if e.path == f"node_modules/{name}"]
    return (hoisted or entries or [None])[0]


_EXACT_NPM = re.compile(r"^=?v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_EXACT_CARGO = re.compile(r"^=\s*\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


def is_exact(spec: str, ecosystem: str) -> bool:
    s = spec.strip()
    return bool((_EXACT_CARGO if ecosystem == "cargo" else _EXACT_NPM).match(s))
