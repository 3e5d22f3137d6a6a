"""Known-vulnerability matching against OSV records (https://ossf.github.io/osv-schema/).

Three sources, chosen by the user:
- the built-in curated set for edge tooling (`edgeward/data/osv/`, used when nothing else is given);
- a local directory in the layout of OSV's exports (`--osv-db DIR` / `osv-db` in the config): any `*.json`
  record below it, and `all.zip` / `*.zip` exports as downloaded from osv-vulnerabilities;
- the OSV API (`--online`), queried in batches; only when asked.

`Database.affected(ecosystem, name, version)` returns the advisories whose `affected` entry covers the version:
`SEMVER` and `ECOSYSTEM` ranges (introduced / fixed / last_affected / limit events) and explicit `versions`.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from edgeward.osv.versions import Version, parse

ECOSYSTEMS = {"npm": "npm", "cargo": "crates.io", "crates.io": "crates.io", "go": "Go", "Go": "Go"}
MAX_RECORDS = 500_000


@dataclass
class Advisory:
    id: str
    summary: str
    aliases: list[str]
    fixed: list[str]  # fixed versions named by the affected ranges for this package
    severity: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        alias = next((a for a in self.aliases if a.startswith("CVE-")), None)
        return f"{self.id} ({alias})" if alias and alias != self.id else self.id


@dataclass
class Database:
    label: str  # what the report says about the source
    records: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, rec: Any, where: str) -> None:
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            self.problems.append(f"{where}: not an OSV record")
            return
        if rec.get("withdrawn"):
            return
        self.count += 1
        for aff in rec.get("affected") or []:
            pkg = aff.get("package") if isinstance(aff, dict) else None
            if isinstance(pkg, dict) and isinstance(pkg.get("name"), str):
                key = (str(pkg.get("ecosystem", "")).split(":")[0], pkg["name"])
                self.records.setdefault(key, []).append(rec)

    def affected(self, ecosystem: str, name: str, version: str) -> list[Advisory]:
        eco = ECOSYSTEMS.get(ecosystem, ecosystem)
        recs = self.records.get((eco, name))
        if not recs:
            return []
        v = parse(version)
        out: list[Advisory] = []
        seen: set[str] = set()
        for rec in recs:
            for aff in rec.get("affected") or []:
                pkg = aff.get("package") or {}
                if pkg.get("name") != name or str(pkg.get("ecosystem", "")).split(":")[0] != eco:
                    continue
                if rec["id"] in seen:
                    continue
                hit, fixed = affects(aff, version, v)
                if hit:
                    seen.add(rec["id"])
                    out.append(_advisory(rec, fixed))
        return out


def _advisory(rec: dict[str, Any], fixed: list[str]) -> Advisory:
    sev = None
    ds = rec.get("database_specific")
    if isinstance(ds, dict) and isinstance(ds.get("severity"), str):
        sev = ds["severity"]
    url = None
    for ref in rec.get("references") or []:
        if isinstance(ref, dict) and ref.get("type") == "ADVISORY":
            url = ref.get("url")
            break
    return Advisory(
        rec["id"],
        str(rec.get("summary") or rec.get("details", "")[:120]),
        [a for a in rec.get("aliases") or [] if isinstance(a, str)],
        fixed,
        sev,
        url,
    )


def affects(aff: dict[str, Any], raw: str, v: Version | None) -> tuple[bool, list[str]]:
    """Whether one `affected` entry covers the version, and the fixed versions it names."""
    fixed_all: list[str] = []
    versions = aff.get("versions") or []
    hit = raw in versions or (raw.lstrip("v") in [str(x).lstrip("v") for x in versions])
    for rng in aff.get("ranges") or []:
        if not isinstance(rng, dict) or rng.get("type") not in ("SEMVER", "ECOSYSTEM"):
            continue
        events = [e for e in rng.get("events") or [] if isinstance(e, dict)]
        fixed_all += [str(e["fixed"]) for e in events if "fixed" in e]
        if v is not None and not hit and _in_range(v, events):
            hit = True
    return hit, fixed_all


def _ev_version(text: Any) -> Version | None:
    return Version(0, 0, 0) if str(text) == "0" else parse(str(text))


def _in_range(v: Version, events: list[dict[str, Any]]) -> bool:
    """OSV range semantics: sort events by version, walk them; introduced opens, fixed/limit close,
    last_affected closes after itself."""
    items: list[tuple[Version, int, str]] = []
    order = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}
    for e in events:
        for kind in order:
            if kind in e:
                ver = _ev_version(e[kind])
                if ver is not None:
                    items.append((ver, order[kind], kind))
    items.sort(key=lambda t: (t[0], t[1]))
    affected = False
    for ver, _, kind in items:
        if kind == "introduced":
            if v >= ver:
                affected = True
            else:
                break
        elif kind in ("fixed", "limit"):
            if v >= ver:
                affected = False
            else:
                break
        elif kind == "last_affected":
            if v > ver:
                affected = False
            else:
                break
    return affected


# ---------------------------------------------------------------------------------------------- loading


def builtin() -> Database:
    db = Database("built-in curated advisories for edge tooling (edgeward/data/osv)")
    base = resources.files("edgeward").joinpath("data/osv")
    for eco_dir in sorted(base.iterdir(), key=lambda p: p.name):
        if not eco_dir.is_dir():
            continue
        for f in sorted(eco_dir.iterdir(), key=lambda p: p.name):
            if f.name.endswith(".json"):
                db.add(json.loads(f.read_text(encoding="utf-8")), f"data/osv/{eco_dir.name}/{f.name}")
    db.label = f"{db.label}, {db.count} records"
    return db


_NAME = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _wanted(raw: str, wanted: set[str] | None) -> bool:
    """Cheap pre-filter: only parse records that name a package we look for."""
    return wanted is None or any(m.group(1) in wanted for m in _NAME.finditer(raw))


def load_dir(path: str | Path, wanted: set[str] | None = None) -> Database:
    """Every OSV record below `path` (JSON files and zip exports); with `wanted`, only records that name one
    of those packages are parsed (a full npm export has hundreds of thousands)."""
    root = Path(path)
    db = Database(f"local OSV export {root}")
    if not root.is_dir():
        db.problems.append(f"{root}: OSV database directory not found")
        return db
    for f in sorted(root.rglob("*")):
        if db.count >= MAX_RECORDS:
            db.problems.append(f"{root}: more than {MAX_RECORDS:,} records; the rest were not read")
            break
        if f.is_symlink() or not f.is_file():
            continue
        if f.suffix == ".json":
            try:
                raw = f.read_text(encoding="utf-8")
                if _wanted(raw, wanted):
                    db.add(json.loads(raw), str(f))
            except (OSError, ValueError) as exc:
                db.problems.append(f"{f}: unreadable OSV record ({exc})")
        elif f.suffix == ".zip":
            try:
                with zipfile.ZipFile(f) as z:
                    for info in z.infolist():
                        if info.filename.endswith(".json") and info.file_size < 5_000_000:
                            try:
                                raw = z.read(info).decode("utf-8", "replace")
                                if _wanted(raw, wanted):
                                    db.add(json.loads(raw), f"{f}:{info.filename}")
                            except ValueError as exc:
                                db.problems.append(f"{f}:{info.filename}: {exc}")
            except (OSError, zipfile.BadZipFile) as exc:
                db.problems.append(f"{f}: unreadable zip ({exc})")
    db.label = f"{db.label}, {db.count} records"
    return db
