"""Deployable units: every wrangler config is a Worker, every fastly.toml a Compute app.

A unit knows its config document (with positions), its manifest, the nearest lockfile and its source entry.
A Worker's config is viewed per environment: `unit.envs` holds the top level (`name=None`) and every
`env.<name>`, each resolved on its own the way wrangler resolves it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from edgeward.workspace.docs import ConfigDoc, load_jsonc, load_toml
from edgeward.workspace.project import Project, join_rel

WRANGLER_PATTERNS = ("wrangler*.toml", "wrangler*.json", "wrangler*.jsonc")
MANIFESTS = ("package.json", "Cargo.toml", "go.mod", "pyproject.toml")
LOCKFILES = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
    "Cargo.lock",
    "go.sum",
    "uv.lock",
    "poetry.lock",
)
LOCKFILES_FOR = {
    "package.json": (
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
    ),
    "Cargo.toml": ("Cargo.lock",),
    "go.mod": ("go.sum",),
    "pyproject.toml": ("uv.lock", "poetry.lock", "pdm.lock", "requirements.txt"),
}

# Keys a named environment inherits from the top level (wrangler's "inheritable keys"); everything
# else (vars, define, every binding, tail_consumers) must be repeated in the environment.
INHERITABLE = {
    "name",
    "main",
    "compatibility_date",
    "compatibility_flags",
    "workers_dev",
    "preview_urls",
    "route",
    "routes",
    "logpush",
    "observability",
    "no_bundle",
    "build",
    "minify",
    "find_additional_modules",
    "base_dir",
    "rules",
    "upload_source_maps",
    "placement",
    "limits",
    "account_id",
    "usage_model",
    "jsx_factory",
    "jsx_fragment",
    "tsconfig",
    "triggers",
    "node_compat",
    "keep_vars",
}
BINDING_KINDS = {
    "kv_namespaces": "id",
    "d1_databases": "database_id",
    "r2_buckets": "bucket_name",
    "hyperdrive": "id",
    "vectorize": "index_name",
    "queues.producers": "queue",
}


@dataclass
class EnvView:
    """One environment of a Worker config, resolved on its own."""

    doc: ConfigDoc
    name: str | None  # None: the top level

    @property
    def prefix(self) -> tuple[Any, ...]:
        return () if self.name is None else ("env", self.name)

    @property
    def label(self) -> str:
        return "top level" if self.name is None else f"env.{self.name}"

    def own(self, key: str) -> tuple[Any, tuple[Any, ...]] | None:
        path = self.prefix + tuple(key.split("."))
        value = self.doc.get(path, _MISSING)
        return None if value is _MISSING else (value, path)

    def get(self, key: str) -> tuple[Any, tuple[Any, ...]] | None:
        """(value, key path) as wrangler sees it in this environment, or None when unset."""
        hit = self.own(key)
        if hit is None and self.name is not None and key.split(".")[0] in INHERITABLE:
            value = self.doc.get(tuple(key.split(".")), _MISSING)
            if value is not _MISSING:
                return value, tuple(key.split("."))
        return hit

    def value(self, key: str, default: Any = None) -> Any:
        hit = self.get(key)
        return default if hit is None else hit[0]

    def line(self, path: tuple[Any, ...]) -> int:
        return self.doc.line(path, default=self.doc.line(self.prefix, 1))

    def routes(self) -> list[tuple[Any, tuple[Any, ...]]]:
        """Every route and custom domain, as (route, path)."""
        out = []
        for key in ("route", "routes"):
            hit = self.get(key)
            if hit is None:
                continue
            value, path = hit
            if isinstance(value, list):
                out.extend((v, path + (i,)) for i, v in enumerate(value[:MAX_LIST]))
            elif value:
                out.append((value, path))
        return out

    def bindings(self) -> list[dict[str, Any]]:
        """Namespaced bindings with an id: {'kind', 'binding', 'id', 'path'} (not inherited)."""
        out = []
        for kind, id_key in BINDING_KINDS.items():
            hit = self.own(kind)
            if hit is None or not isinstance(hit[0], list):
                continue
            for i, b in enumerate(hit[0][:MAX_LIST]):
                if isinstance(b, dict):
                    out.append(
                        {
                            "kind": kind.split(".")[0],
                            "binding": b.get("binding"),
                            "id": b.get(id_key),
                            "preview_id": b.get("preview_id"),
                            "path": hit[1] + (i, id_key),
                        }
                    )
        return out


_MISSING = object()
MAX_LIST = 10_000  # routes or bindings of one kind looked at per environment (a hostile config has millions)


@dataclass
class Unit:
    kind: str  # "workers" or "fastly"
    config_path: str
    doc: ConfigDoc | None
    manifest: str | None = None
    lockfile: str | None = None
    main: str | None = None
    language: str | None = None
    envs: list[EnvView] = field(default_factory=list)

    @property
    def dir(self) -> str:
        return self.config_path.rsplit("/", 1)[0] if "/" in self.config_path else ""

    def rel(self, path: str) -> str:
        """A path relative to the unit's directory, as a root-relative path (normalised)."""
        return join_rel(self.dir, path)


def is_wrangler_config(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in WRANGLER_PATTERNS)


def load_units(project: Project) -> list[Unit]:
    units: list[Unit] = []
    for info in sorted(project.glob(*WRANGLER_PATTERNS), key=lambda f: f.path):
        loader = load_toml if info.name.endswith(".toml") else load_jsonc
        doc = project.data(info.path, loader, "wrangler configuration")
        if doc is not None and not isinstance(doc.data, dict):
            project.note(info.path, "parse-error", "wrangler configuration: top level is not an object")
            doc = None
        unit = Unit("workers", info.path, doc)
        if doc is not None:
            unit.envs = [EnvView(doc, None)]
            envs = doc.get(("env",), {})
            if isinstance(envs, dict):
                unit.envs += [EnvView(doc, name) for name in envs if isinstance(envs[name], dict)]
            main = doc.get(("main",))
            if isinstance(main, str) and main:
                unit.main = unit.rel(main)
            for env in unit.envs:
                for key in ("route", "routes", *BINDING_KINDS):
                    hit = env.own(key)
                    if hit is not None and isinstance(hit[0], list) and len(hit[0]) > MAX_LIST:
                        project.note(
                            info.path,
                            "skipped",
                            f"`{'.'.join(map(str, hit[1]))}` has {len(hit[0]):,} entries; only the first "
                            f"{MAX_LIST:,} are checked",
                        )
        _attach_manifest(project, unit)
        if unit.main and unit.main.endswith(".py"):
            unit.language = "python"
        elif unit.manifest and unit.manifest.endswith("Cargo.toml"):
            unit.language = "rust"
        else:
            unit.language = "javascript"
        units.append(unit)
    for info in sorted(project.glob("fastly.toml"), key=lambda f: f.path):
        doc = project.data(info.path, load_toml, "fastly.toml")
        unit = Unit("fastly", info.path, doc)
        lang = doc.get(("language",)) if doc else None
        unit.language = lang if isinstance(lang, str) else None
        _attach_manifest(project, unit)
        unit.main = _fastly_entry(project, unit)
        units.append(unit)
    return units


def _attach_manifest(project: Project, unit: Unit) -> None:
    prefer = {"rust": ("Cargo.toml",), "go": ("go.mod",), "javascript": ("package.json",)}.get(
        unit.language or "", MANIFESTS
    )
    unit.manifest = project.nearest(unit.dir, prefer) or project.nearest(unit.dir, MANIFESTS)
    if unit.manifest:
        mname = unit.manifest.rsplit("/", 1)[-1]
        mdir = unit.manifest.rsplit("/", 1)[0] if "/" in unit.manifest else ""
        unit.lockfile = project.nearest(mdir, LOCKFILES_FOR.get(mname, LOCKFILES))
    else:
        unit.lockfile = project.nearest(unit.dir, LOCKFILES)


def _fastly_entry(project: Project, unit: Unit) -> str | None:
    cands = {
        "rust": ("src/main.rs",),
        "go": ("main.go",),
        "javascript": ("src/index.js", "src/index.ts", "index.js"),
    }.get(unit.language or "", ("src/main.rs", "main.go", "src/index.js"))
    for c in cands:
        if project.exists(unit.rel(c)):
            return unit.rel(c)
    return None


def units(project: Project) -> list[Unit]:
    """Fact provider: `project.fact(units)`."""
    return load_units(project)


def workers(project: Project) -> list[Unit]:
    return [u for u in project.fact(units) if u.kind == "workers" and u.doc is not None]


def compute_apps(project: Project) -> list[Unit]:
    return [u for u in project.fact(units) if u.kind == "fastly" and u.doc is not None]


def unit_for_file(project: Project, path: str) -> Unit | None:
    """The unit whose directory holds `path` most closely."""
    best: Unit | None = None
    for u in project.fact(units):
        if not u.dir or path.startswith(u.dir + "/"):
            if best is None or len(u.dir) > len(best.dir):
                best = u
    return best


_SEMVER = re.compile(r"^\s*v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = _SEMVER.match(text or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
