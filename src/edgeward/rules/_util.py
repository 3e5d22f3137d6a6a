"""Small helpers shared by rule modules."""

from __future__ import annotations

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
