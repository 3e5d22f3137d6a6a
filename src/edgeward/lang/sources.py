"""The parsed source modules of a project, one fact built once per scan: `project.fact(modules)`.

Which files are source: `.js/.mjs/.cjs/.jsx/.ts/.mts/.cts/.tsx` and `.py` files (not `.d.ts`) inside the
directory of a Worker or Compute unit and in that unit's language (`.py` only for Python Workers), outside
dependency and build-output directories (`node_modules`, `dist`, `build`, `.wrangler`, `out`, `coverage`, and
framework output such as `.svelte-kit`, `.open-next`, `.vercel`: see `OUTPUT_DIRS`) and
tests (`test/`, `tests/`, `__tests__/`, `*.test.ts`, `test_*.py`...), at most `MAX_SOURCE_BYTES` each (a larger
file is a bundle, not source: it is skipped with a note).
Other front ends (Rust, Go) register a parser with `register_parser(ext, fn)` and are picked up the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from edgeward.lang import ir
from edgeward.workspace.project import Project

MAX_SOURCE_BYTES = 1_000_000
OUTPUT_DIRS = {
    "node_modules",
    "dist",
    "build",
    ".wrangler",
    "out",
    "coverage",
    ".next",
    ".output",
    "vendor",
    # framework build output: the adapter's generated Worker entry lives here (SvelteKit, OpenNext, Vercel and
    # Netlify builds, Nuxt, Astro, Vinxi/SolidStart/TanStack, React Router, Docusaurus, Angular, bundler caches)
    ".svelte-kit",
    ".open-next",
    ".vercel",
    ".netlify",
    ".nuxt",
    ".astro",
    ".vinxi",
    ".react-router",
    ".docusaurus",
    ".angular",
    ".turbo",
    ".vite",
    ".parcel-cache",
}
JS_EXTS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")

Parser = Callable[[str, str], ir.Module]
_PARSERS: dict[str, Parser] = {}


def register_parser(ext: str, fn: Parser) -> None:
    """Make `modules()` parse files ending in `ext` (e.g. ".rs") with `fn(path, text) -> ir.Module`."""
    _PARSERS[ext] = fn


def _builtin(path: str) -> Parser | None:
    low = path.lower()
    if low.endswith(".d.ts") or low.endswith(".min.js"):
        return None
    if low.endswith(JS_EXTS):
        from edgeward.lang import js

        return js.parse
    if low.endswith(".py"):
        from edgeward.lang import python

        return python.parse
    for ext, fn in _PARSERS.items():
        if low.endswith(ext):
            return fn
    return None


TEST_DIRS = {"test", "tests", "__tests__", "__mocks__", "spec", "fixtures", "e2e", "cypress", "testdata"}
TEST_FILE = re.compile(r"(\.(test|spec)\.[cm]?[jt]sx?$|^test_.*\.py$|_test\.py$|^conftest\.py$)")


def is_output_path(path: str) -> bool:
    return any(part in OUTPUT_DIRS for part in path.split("/")[:-1])


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    return any(p in TEST_DIRS for p in parts[:-1]) or bool(TEST_FILE.search(parts[-1]))


def belongs(project: Project, rel: str) -> bool:
    """Source of a deployable unit, in that unit's language: a Python script next to a JS Worker (or the tests
    of either) is not Worker code."""
    from edgeward.workspace.units import unit_for_file

    unit = unit_for_file(project, rel)
    if unit is None:
        return False
    low = rel.lower()
    if low.endswith(".py"):
        return unit.language == "python"
    if low.endswith(JS_EXTS):
        return unit.language in (None, "javascript") or unit.kind == "workers"
    return True


def modules(project: Project) -> dict[str, ir.Module]:
    """Fact provider: every source module of the project, by relative path."""
    out: dict[str, ir.Module] = {}
    for rel in sorted(project.files):
        parser = _builtin(rel)
        if parser is None:
            continue
        if is_output_path(rel):
            continue  # build output and dependencies are artifacts, not source (SEC004 reads them)
        if is_test_path(rel) or not belongs(project, rel):
            continue
        info = project.files[rel]
        if info.size > MAX_SOURCE_BYTES:
            project.note(
                rel,
                "skipped",
                f"source file is {info.size:,} bytes (over {MAX_SOURCE_BYTES:,}): treated as a bundle, "
                "not analysed as source",
            )
            continue
        mod = parse_file(project, rel, parser)
        if mod is not None:
            out[rel] = mod
    return out


def parse_file(project: Project, rel: str, parser: Parser) -> ir.Module | None:
    text = project.text(rel)
    if text is None:
        return None
    try:
        mod = parser(rel, text)
    except RecursionError:
        project.note(rel, "parse-error", "source nested too deeply; not analysed")
        return None
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        project.note(
            rel, "parse-error", f"source does not parse{where}: {exc.__class__.__name__}; not analysed"
        )
        return None
    if mod.errors:
        line, what = mod.errors[0]
        project.note(
            rel,
            "parse-error",
            f"{what} at line {line}; the rest of the file was analysed as far as it parsed",
        )
    if mod.partial:
        project.note(rel, "partial", "source nested too deeply: only partly analysed")
    return mod


def module_for(project: Project, rel: str) -> ir.Module | None:
    return project.fact(modules).get(rel)
