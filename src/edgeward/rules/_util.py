"""Small helpers shared by rule modules."""

from __future__ import annotations

import re

from edgeward.config import Config
from edgeward.workspace.project import Project


def config(project: Project) -> Config:
    cfg = project.options.get("config")
    return cfg if isinstance(cfg, Config) else Config()


def key_path(path: tuple) -> str:
    """`("env", "staging", "vars", "TOKEN")` -> `env.staging.vars.TOKEN`; list indices as [n]."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


# A whole value that is a scaffolding token a generator replaces (`<COMPATIBILITY_DATE>`, `{{ date }}`,
# `${COMPAT_DATE}`, `$DATE`, `%DATE%`, `__DATE__`): the file is a template, not a deployable config.
_TEMPLATE_TOKEN = re.compile(
    r"<\s*[A-Za-z_][\w.-]*\s*>|\{\{\s*[^{}]+?\s*\}\}|\$\{\s*[A-Za-z_][\w.]*\s*\}|\$[A-Z_][A-Z0-9_]*"
    r"|%%?[A-Za-z_][\w]*%%?|__[A-Z][A-Z0-9_]*__|\{[A-Za-z_][\w]*\}"
)


def is_template_token(value: object) -> bool:
    """True when a config value is, as a whole, a template placeholder rather than a real value."""
    return isinstance(value, str) and bool(_TEMPLATE_TOKEN.fullmatch(value.strip()))
