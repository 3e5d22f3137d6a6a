"""User configuration: `[tool.edgeward]` in pyproject.toml, or `.edgeward.toml` (top-level keys).

Keys (all optional):
  select = ["SEC", "PLT001"]          codes or areas (prefixes) to run; default: all
  ignore = ["PLT003"]                 codes or areas to skip
  fail-on = "high"                    default for --fail-on (a severity, or "never")
  severity = { PLT003 = "low" }       severity overrides
  per-path-ignores = { "examples/**" = ["SEC001"] }
  secret-names = ["PARTNER_SEED"]     extra names treated as secret
  trusted-headers = ["X-Acme-User"]   extra trusted identity header names
  compatibility-date-max-age-days = 365
  osv-db = "path/to/osv-export"       SUP009: local OSV export directory (default: the built-in curated set)
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from edgeward.findings import Severity


class ConfigError(ValueError):
    pass


MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a pyproject.toml or .edgeward.toml larger than this is not read


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: Severity | None = Severity.HIGH  # None: never (`fail-on = "never"`)
    severity: dict[str, Severity] = field(default_factory=dict)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    secret_names: list[str] = field(default_factory=list)
    trusted_headers: list[str] = field(default_factory=list)
    compat_max_age_days: int = 365
    osv_db: str | None = None  # SUP009: local OSV export directory
    osv_online: bool = False  # SUP009: query the OSV API (only when asked: --online)
    source: str | None = None

    def selected(self, code: str) -> bool:
        def hit(sel: list[str]) -> bool:
            return any(code == s or code.startswith(s) for s in sel)

        if self.select and not hit(self.select):
            return False
        return not hit(self.ignore)

    def ignored_at(self, code: str, path: str | None) -> bool:
        if not path:
            return False
        for pattern, codes in self.per_path_ignores.items():
            if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.rstrip("/") + "/*"):
                if any(code == c or code.startswith(c) for c in codes):
                    return True
        return False


KNOWN_KEYS = {
    "select",
    "ignore",
    "fail-on",
    "severity",
    "per-path-ignores",
    "secret-names",
    "trusted-headers",
    "compatibility-date-max-age-days",
    "osv-db",
}


def normalise_code(value: str) -> str:
    """A rule code or area as the user wrote it -> upper-case code or code prefix. Area names as reports
    print them (`secrets`, `request-validation`, ...) mean their prefix (`SEC`, `REQ`, ...)."""
    from edgeward.rules.registry import AREAS

    value = value.strip()
    by_name = {name: prefix for prefix, name in AREAS.items()}
    return by_name.get(value.lower().replace("_", "-"), value.upper())


def _codes(value: object, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of rule codes or areas")
    return [normalise_code(v) for v in value]


def from_table(table: dict, where: str) -> Config:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: the edgeward configuration must be a table of settings")
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KNOWN_KEYS))}"
        )
    cfg = Config(source=where)
    cfg.select = _codes(table.get("select", []), "select", where)
    cfg.ignore = _codes(table.get("ignore", []), "ignore", where)
    try:
        if "fail-on" in table:
            value = str(table["fail-on"])
            cfg.fail_on = None if value.strip().lower() == "never" else Severity.parse(value)
        sev = table.get("severity", {})
        if not isinstance(sev, dict):
            raise ConfigError(f'{where}: `severity` must be a table of CODE = "level"')
        cfg.severity = {k.upper(): Severity.parse(str(v)) for k, v in sev.items()}
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    ppi = table.get("per-path-ignores", {})
    if not isinstance(ppi, dict):
        raise ConfigError(f'{where}: `per-path-ignores` must be a table of "glob" = [codes]')
    cfg.per_path_ignores = {k: _codes(v, "per-path-ignores", where) for k, v in ppi.items()}
    for key, attr in (("secret-names", "secret_names"), ("trusted-headers", "trusted_headers")):
        val = table.get(key, [])
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            raise ConfigError(f"{where}: `{key}` must be a list of strings")
        setattr(cfg, attr, val)
    age = table.get("compatibility-date-max-age-days", 365)
    if not isinstance(age, int) or isinstance(age, bool) or not 1 <= age <= 100_000:
        raise ConfigError(
            f"{where}: `compatibility-date-max-age-days` must be a whole number of days (1-100000)"
        )
    cfg.compat_max_age_days = age
    osv = table.get("osv-db")
    if osv is not None and not isinstance(osv, str):
        raise ConfigError(f"{where}: `osv-db` must be a directory path")
    if osv:
        base = Path(where).parent if where and Path(where).name.endswith(".toml") else Path(".")
        cfg.osv_db = str(base / osv) if not Path(osv).is_absolute() else osv
    return cfg


def load(root: Path, explicit: str | None = None) -> Config:
    """Explicit --config file, else root/.edgeward.toml, else root/pyproject.toml [tool.edgeward]."""
    candidates: list[Path] = (
        [Path(explicit)] if explicit else [root / ".edgeward.toml", root / "pyproject.toml"]
    )
    for path in candidates:
        try:
            is_file = path.is_file()  # follows links; a FIFO or device is not a file
        except OSError as exc:
            raise ConfigError(f"{path}: {exc.strerror or exc}") from None
        if not is_file:
            if explicit:
                raise ConfigError(f"{path}: configuration file not found")
            continue
        if not explicit and not path.resolve().is_relative_to(root.resolve()):
            raise ConfigError(f"{path}: symbolic link to a file outside the scanned directory; not read")
        try:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
            if len(raw) > MAX_CONFIG_BYTES:
                raise ConfigError(f"{path}: configuration file over {MAX_CONFIG_BYTES:,} bytes; not read")
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError, RecursionError) as exc:
            raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
        if path.name == "pyproject.toml" or isinstance(data.get("tool"), dict):
            tool = data.get("tool", {})
            table = tool.get("edgeward") if isinstance(tool, dict) else None
            if table is None:
                if explicit:
                    raise ConfigError(f"{path}: no [tool.edgeward] table")
                continue
        else:
            table = data
        return from_table(table, str(path))
    return Config()
