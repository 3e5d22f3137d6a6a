"""Build-time inlining: `define` tables in bundler configs and `-ldflags -X` / `--define:` in build scripts.

Two facts, read once per project:
- `build_defines(project)`: entries of esbuild / vite / webpack (`DefinePlugin`) / tsup `define` objects in
  build config files, each with its literal value or the environment variable it reads.
- `build_flags(project)`: Go `-ldflags "-X pkg.Name=value"` and esbuild `--define:NAME=value` flags in
  package.json scripts, fastly.toml `[scripts]`, Makefiles, shell scripts and CI workflows.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

BUILD_CONFIGS = (
    "vite.config.*",
    "vitest.config.*",
    "webpack.config.*",
    "webpack.*.js",
    "esbuild.config.*",
    "esbuild.*js",
    "build.js",
    "build.mjs",
    "build.cjs",
    "build.ts",
    "build.mts",
    "tsup.config.*",
    "rspack.config.*",
    "astro.config.*",
    "svelte.config.*",
    "nuxt.config.*",
    "next.config.*",
)
SCRIPT_FILES = (
    "package.json",
    "fastly.toml",
    "wrangler*.toml",
    "wrangler*.json",
    "wrangler*.jsonc",
    "Makefile",
    "*.mk",
    "*.sh",
    "*.bash",
    "justfile",
    "Justfile",
)
SCRIPT_PATTERNS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "Taskfile.yml")
JS_EXT = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")

_OPEN = re.compile(r"\b(?:define\s*:|DefinePlugin\s*\(|define\s*=)\s*\{")
_KEY = re.compile(r"""^\s*(?:(["'`])([^"'`]+)\1|([A-Za-z_$][\w$.]*))\s*:\s*(.*)$""")
_ENV = re.compile(
    r"(?:process\.env|import\.meta\.env|Deno\.env\.get\(|env)(?:\.|\[\s*[\"'`]|\(\s*[\"'`])([A-Za-z_][A-Za-z0-9_]*)"
)
_STR = re.compile(r"""^(["'`])(.*)\1$""")


@dataclass(frozen=True)
class BuildDefine:
    path: str
    line: int
    name: str  # e.g. `process.env.STRIPE_KEY`, `__API_KEY__`
    literal: str | None  # the inlined string, when it is one
    env: str | None  # the environment variable it reads at build time, when it does
    column: int = 1


@dataclass(frozen=True)
class BuildFlag:
    path: str
    line: int
    column: int
    flag: str  # "ldflags" or "define"
    name: str  # Go `pkg.Var` or the define name
    value: str  # raw value as written (may be `$VAR`)
    env: str | None  # the environment variable the value comes from, when it does


_BUILD_CONFIG_RX = re.compile("|".join(fnmatch.translate(p) for p in BUILD_CONFIGS))
_SCRIPT_NAME_RX = re.compile("|".join(fnmatch.translate(p) for p in SCRIPT_FILES))
_SCRIPT_PATH_RX = re.compile("|".join(fnmatch.translate(p) for p in SCRIPT_PATTERNS))


def _is_build_config(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if not name.endswith(JS_EXT):
        return False
    if _BUILD_CONFIG_RX.match(name):
        return True
    parts = rel.split("/")
    return "scripts" in parts[:-1] and ("build" in name or "bundle" in name or "esbuild" in name)


def _object_span(text: str, start: int) -> int:
    """Index just past the `}` matching the `{` at `start` (strings and comments respected, roughly)."""
    depth = 0
    i = start
    n = len(text)
    quote = None
    while i < n:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _literal(expr: str) -> str | None:
    e = expr.strip().rstrip(",").strip()
    m = re.fullmatch(r"JSON\.stringify\(\s*(.*?)\s*\)", e)
    if m:
        e = m.group(1)
    m = _STR.match(e)
    if not m:
        return None
    inner = m.group(2)
    m2 = _STR.match(inner.replace('\\"', '"'))
    return m2.group(2) if m2 else inner


def parse_defines(rel: str, text: str) -> list[BuildDefine]:
    out: list[BuildDefine] = []
    for m in _OPEN.finditer(text):
        brace = m.end() - 1
        end = _object_span(text, brace)
        body = text[brace + 1 : end - 1]
        base_line = text.count("\n", 0, brace + 1) + 1
        depth = 0
        for k, raw in enumerate(body.split("\n")):
            if depth == 0:
                km = _KEY.match(raw)
                if km:
                    name = km.group(2) or km.group(3)
                    value = km.group(4)
                    env = _ENV.search(value)
                    col = raw.find(name) + 1
                    out.append(
                        BuildDefine(
                            rel, base_line + k, name, _literal(value), env.group(1) if env else None, col
                        )
                    )
            depth += raw.count("{") + raw.count("(") + raw.count("[")
            depth -= raw.count("}") + raw.count(")") + raw.count("]")
            depth = max(depth, 0)
    return out


def _build_defines(p) -> list[BuildDefine]:
    out: list[BuildDefine] = []
    for rel in sorted(p.files):
        if _is_build_config(rel):
            text = p.text(rel)
            if text:
                out.extend(parse_defines(rel, text))
    return out


def build_defines(project) -> list[BuildDefine]:
    return project.fact(_build_defines)


_LDX = re.compile(r"""-X[ =]?\\?["']?([A-Za-z0-9_./-]+\.[A-Za-z_][A-Za-z0-9_]*)=((?:\\["']|[^\s"'\\])*)""")
_DEFINE = re.compile(r"""--define:([A-Za-z_$][\w$.]*)=((?:\\["']|"[^"]*"|'[^']*'|[^\s\\"'])*)""")
_ENVREF = re.compile(r"^\\?[\"']?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def parse_flags(rel: str, text: str) -> list[BuildFlag]:
    out: list[BuildFlag] = []
    for i, line in enumerate(text.splitlines(), 1):
        if "ldflags" in line:
            for m in _LDX.finditer(line):
                value = m.group(2).replace('\\"', "").replace("\\'", "")
                env = _ENVREF.match(value)
                out.append(
                    BuildFlag(
                        rel, i, m.start() + 1, "ldflags", m.group(1), value, env.group(1) if env else None
                    )
                )
        if "--define:" in line:
            for m in _DEFINE.finditer(line):
                value = m.group(2)
                env = _ENVREF.match(value.replace('\\"', ""))
                lit = _literal(value.replace('\\"', '"'))
                out.append(
                    BuildFlag(
                        rel, i, m.start() + 1, "define", m.group(1), lit if lit is not None else value,
                        env.group(1) if env else None,
                    )
                )  # fmt: skip
    return out


def _build_flags(p) -> list[BuildFlag]:
    out: list[BuildFlag] = []
    for rel, info in sorted(p.files.items()):
        if not (_SCRIPT_NAME_RX.match(info.name) or _SCRIPT_PATH_RX.match(rel)):
            continue
        if info.size > 2 * 1024 * 1024:
            continue
        text = p.text(info.path)
        if text and ("ldflags" in text or "--define:" in text):
            out.extend(parse_flags(info.path, text))
    return out


def build_flags(project) -> list[BuildFlag]:
    return project.fact(_build_flags)
