"""The repository-wide secret scan behind SEC009 (source and config) and SEC004 (built artifacts).

`secret_scan(project)` is a memoised fact: it sorts the project's files by role (source, documentation,
JS bundle, source map, wasm module, Fastly package), scans each with the detector catalog — in parallel
across processes when there is enough to scan — and returns `Found` records. Secrets stay inside these
records; rules redact them before anything is shown.

Provenance: values defined in `.dev.vars*`/`.env*` files and in wrangler `define` are searched for
literally in every artifact, and every secret found in an artifact is traced back to the place it was
defined (a local secrets file, a define, a source line) when that place is known.
"""

from __future__ import annotations

import mmap
import os
import posixpath
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from edgeward.secrets.artifacts import package as pkg
from edgeward.secrets.artifacts import sourcemap, wasm
from edgeward.secrets.artifacts.stream import bytes_chunks, text_chunks
from edgeward.secrets.detectors import DETECTORS, Match, Scanner, with_lines

SOURCE_EXT = {
    ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte", ".astro",
    ".rs", ".go", ".py", ".rb", ".php", ".java", ".kt", ".swift", ".c", ".h", ".cc", ".cpp", ".cs",
    ".toml", ".json", ".jsonc", ".json5", ".yaml", ".yml", ".ini", ".cfg", ".conf", ".properties", ".xml",
    ".tf", ".tfvars", ".hcl", ".sh", ".bash", ".zsh", ".ps1", ".sql", ".html", ".htm", ".vcl", ".pem",
    ".key", ".p8", ".gradle",
}  # fmt: skip
SOURCE_NAMES = {"Dockerfile", "Makefile", "Justfile", "justfile", ".npmrc", ".pypirc", ".netrc", ".envrc"}
DOC_EXT = {".md", ".mdx", ".rst", ".txt", ".adoc"}
LOCKFILES = {
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "Cargo.lock",
    "go.sum", "poetry.lock", "uv.lock", "composer.lock", "Gemfile.lock", "requirements.lock", "Pipfile.lock",
}  # fmt: skip
ARTIFACT_DIRS = {
    "dist",
    "build",
    ".wrangler",
    "out",
    ".output",
    ".vercel",
    ".netlify",
    ".svelte-kit",
    ".next",
}
BUNDLE_EXT = {".js", ".mjs", ".cjs", ".html", ".htm", ".json", ".txt", ".css"}
MAX_SOURCE = 10 * 1024 * 1024  # bigger "sources" are streamed like bundles
MAX_ARTIFACT = 1024 * 1024 * 1024
MAX_MAP = 64 * 1024 * 1024
PARALLEL_BYTES = 64 * 1024 * 1024


def file_role(rel: str, size: int) -> str | None:
    """What a file is for the secret scan, or None to leave it alone."""
    name = rel.rsplit("/", 1)[-1]
    parts = rel.split("/")[:-1]
    ext = posixpath.splitext(name)[1].lower()
    low = name.lower()
    if name in LOCKFILES or low.startswith((".dev.vars", ".env")) and name != ".envrc":
        return None  # lockfiles hold hashes; local secret files belong to SEC002
    if ext == ".map":
        return "map"
    if ext == ".wasm":
        return "wasm"
    if low.endswith((".tar.gz", ".tgz")):
        return "package" if "pkg" in parts else None
    in_artifact_dir = any(p in ARTIFACT_DIRS for p in parts)
    if in_artifact_dir and ext in BUNDLE_EXT:
        return "bundle"
    if low.endswith((".min.js", ".bundle.js", ".min.mjs")) or name == "_worker.js":
        return "bundle"
    if ext in SOURCE_EXT or name in SOURCE_NAMES:
        return "bundle" if size > MAX_SOURCE else "source"
    if ext in DOC_EXT:
        return "doc" if size <= MAX_SOURCE else None
    return None


@dataclass
class Found:
    """One secret in one place. `match.secret` is the raw value: redact before showing."""

    role: str
    path: str  # the file the finding is reported on
    line: int
    column: int
    match: Match
    where: str = ""  # extra location: "data segment 0 at offset 0x2a", "entry `bin/main.wasm`"...
    artifact: str | None = None  # the artifact holding it, when `path` is the original source
    line_text: str = field(default="", repr=False)  # source line (for redacted evidence)
    origin: str | None = None  # where the value was defined, when known
    source_name: str = ""  # for source-map findings: the source as the map names it


@dataclass
class SecretScan:
    sources: list[Found]
    artifacts: list[Found]
    known_values: dict[str, str]


# ------------------------------------------------------------------------------------------ per-file work

Job = tuple[str, str, str, tuple[tuple[str, str], ...]]  # (role, abspath, rel, known values)
NoteT = tuple[str, str, str]


@lru_cache(maxsize=8)
def _scanner(known: tuple[tuple[str, str], ...], generic: bool = True) -> Scanner:
    dets = DETECTORS if generic else tuple(d for d in DETECTORS if not d.generic)
    return Scanner(dets, known_values=dict(known))


def _line_text(text: str, start: int) -> str:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", start)
    return text[a : b if b >= 0 else len(text)]


def scan_job(job: Job) -> tuple[list[Found], list[NoteT]]:
    """Scan one file. Runs in a worker process when the scan is parallel: no project access here."""
    role, abspath, rel, known = job
    notes: list[NoteT] = []
    out: list[Found] = []
    try:
        size = os.path.getsize(abspath)
        if size > MAX_ARTIFACT:
            notes.append((rel, "skipped", f"file is {size:,} bytes, over the {MAX_ARTIFACT:,}-byte limit"))
            return out, notes
        if role in ("source", "doc"):
            with open(abspath, "rb") as fh:
                raw = fh.read()
            if b"\0" in raw[:8192]:
                return out, notes
            text = raw.decode("utf-8", errors="replace")
            sc = _scanner(() if role == "doc" else known, role != "doc")
            for m in with_lines(text, sc.scan(text)):
                out.append(Found(role, rel, m.line, m.column, m, line_text=_line_text(text, m.start)))
        elif role == "bundle":
            with open(abspath, "rb") as f:
                for m in _scanner(known).scan_stream(text_chunks(f)):
                    out.append(Found(role, rel, m.line, m.column, m))
            if out:
                _map_back(abspath, rel, out)
        elif role == "map":
            out.extend(_scan_map(abspath, rel, size, known, notes))
        elif role == "wasm":
            if size == 0:
                return out, notes
            with open(abspath, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                out.extend(_scan_wasm(mm, rel, "", known, notes))
        elif role == "package":
            out.extend(_scan_package(abspath, rel, size, known, notes))
    except OSError as exc:
        notes.append((rel, "unreadable", f"cannot read file: {exc.strerror or exc}"))
    except RecursionError:
        notes.append((rel, "parse-error", "nested too deeply"))
    return out, notes


def _map_back(abspath: str, rel: str, found: list[Found]) -> None:
    """Name the original file and line of bundle findings through the sibling `<bundle>.map`, if any."""
    map_path = abspath + ".map"
    try:
        if not os.path.isfile(map_path) or os.path.getsize(map_path) > MAX_MAP // 4:
            return
        text = Path(map_path).read_bytes().decode("utf-8", errors="replace")
        pos = sourcemap.original_positions(text, rel + ".map", [(f.line, f.column) for f in found])
    except (OSError, ValueError, RecursionError):
        return
    for f in found:
        hit = pos.get((f.line, f.column))
        if hit:
            f.where = f"original `{hit[0]}` line {hit[1]}, per `{rel}.map`"


def _scan_map(abspath: str, rel: str, size: int, known, notes: list[NoteT]) -> list[Found]:
    out: list[Found] = []
    if size > MAX_MAP:
        notes.append((rel, "skipped", f"source map is {size:,} bytes; scanned as plain text, not mapped"))
        with open(abspath, "rb") as f:
            for m in _scanner(known).scan_stream(text_chunks(f)):
                out.append(Found("map", rel, m.line, m.column, m))
        return out
    text = Path(abspath).read_bytes().decode("utf-8", errors="replace")
    try:
        entries = list(sourcemap.sources(text, rel))
    except ValueError as exc:
        notes.append((rel, "parse-error", f"source map: {str(exc)[:200]}"))
        return out
    sc = _scanner(known)
    for orig, name, content in entries:
        for m in with_lines(content, sc.scan(content)):
            out.append(
                Found(
                    "map",
                    orig,
                    m.line,
                    m.column,
                    m,
                    where=f"`sourcesContent` of `{name[:120]}` line {m.line}",
                    artifact=rel,
                    line_text=_line_text(content, m.start),
                    source_name=name,
                )
            )
    return out


def _scan_wasm(data, rel: str, entry: str, known, notes: list[NoteT]) -> list[Found]:
    out: list[Found] = []
    sc = _scanner(known)
    inside = f"entry `{entry}`, " if entry else ""
    try:
        for region in wasm.regions(data):
            for m in sc.scan_stream(bytes_chunks(data, region.start, region.end)):
                off = region.start + m.start
                out.append(
                    Found(
                        "package" if entry else "wasm",
                        rel,
                        1,
                        1,
                        m,
                        where=f"{inside}{region.label} at byte offset {off:#x}",
                    )
                )
    except wasm.WasmError as exc:
        notes.append((rel, "parse-error", f"{inside}wasm: {exc}; the rest of the module was not read"))
    return out


def _scan_package(abspath: str, rel: str, size: int, known, notes: list[NoteT]) -> list[Found]:
    out: list[Found] = []
    msgs: list[str] = []
    sc = _scanner(known)
    with open(abspath, "rb") as f:
        for name, content in pkg.entries(f, size, msgs):
            if name.endswith(".wasm") or content[:4] == wasm.MAGIC:
                out.extend(_scan_wasm(content, rel, name, known, notes))
                continue
            if b"\0" in content[:8192]:
                continue
            text = content.decode("utf-8", errors="replace")
            if name.endswith(".map"):
                try:
                    for _orig, src, body in sourcemap.sources(text, name):
                        for m in with_lines(body, sc.scan(body)):
                            where = f"entry `{name}`: `sourcesContent` of `{src[:120]}` line {m.line}"
                            out.append(Found("package", rel, 1, 1, m, where=where))
                    continue
                except ValueError:
                    pass
            for m in sc.scan_stream([text]):
                out.append(Found("package", rel, 1, 1, m, where=f"entry `{name}` line {m.line}"))
    notes.extend((rel, "package", msg) for msg in msgs)
    return out


# ------------------------------------------------------------------------------------------ the fact

_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'`":
        return v[1:-1]
    return re.sub(r"\s+#.*$", "", v)


def known_secret_values(project) -> dict[str, str]:
    """Secret values the project itself defines (value -> where), to find them literally in artifacts."""
    from edgeward.secrets.classifier import classify
    from edgeward.workspace.units import compute_apps, workers

    out: dict[str, str] = {}

    def add(name: str, value: object, where: str) -> None:
        if not isinstance(value, str):
            return
        v = value.strip()
        if len(v) < 12 or len(v) > 4096 or v in out:
            return
        verdict = classify(name, v)
        if verdict.is_secret and not verdict.example and " " not in v:
            out[v] = where

    local = [
        i for i in project.files.values() if i.name.startswith((".dev.vars", ".env")) and i.name != ".envrc"
    ]
    for info in local:
        if info.name.startswith(".env") and info.name not in (".env",) and not info.name.startswith(".env."):
            continue
        for i, line in enumerate(project.lines(info.path), 1):
            if line.lstrip().startswith("#"):
                continue
            m = _ASSIGN.match(line)
            if m:
                add(m.group(1), _unquote(m.group(2)), f"`{info.path}` line {i} (`{m.group(1)}`)")
    for unit in workers(project):
        for env in unit.envs:
            hit = env.own("define")
            if hit is None or not isinstance(hit[0], dict):
                continue
            for name, value in hit[0].items():
                if isinstance(value, str):
                    where = f"the wrangler `define` `{name}` in `{unit.config_path}` line {env.line(hit[1] + (name,))}"
                    add(name.rsplit(".", 1)[-1], _unquote(value), where)
    for app in compute_apps(project):
        doc = app.doc
        for base in (("local_server", "secret_stores"), ("setup", "secret_stores")):
            stores = doc.get(base, {})
            for sname, entries in stores.items() if isinstance(stores, dict) else ():
                seq = entries if isinstance(entries, list) else [entries]
                for i, entry in enumerate(seq):
                    if isinstance(entry, dict) and isinstance(entry.get("data"), str):
                        idx = (i,) if isinstance(entries, list) else ()
                        line = doc.line(base + (sname,) + idx + ("data",))
                        key = str(entry.get("key") or "secret")
                        add(
                            "secret",
                            entry["data"],
                            f"`{app.config_path}` line {line} (secret store `{sname}`, `{key}`)",
                        )
        for base in (("local_server", "config_stores"), ("local_server", "dictionaries")):
            stores = doc.get(base, {})
            for sname, store in stores.items() if isinstance(stores, dict) else ():
                items = store.get("contents") if isinstance(store, dict) else None
                for key, value in items.items() if isinstance(items, dict) else ():
                    line = doc.line(base + (sname, "contents", key))
                    add(key, value, f"`{app.config_path}` line {line} (config store `{sname}`, `{key}`)")
    from edgeward.secrets.buildconf import build_defines

    for d in build_defines(project):
        if d.literal is not None:
            add(
                d.name.rsplit(".", 1)[-1],
                d.literal,
                f"the build `define` `{d.name}` in `{d.path}` line {d.line}",
            )
    return out


def _run(jobs: list[Job], sizes: list[int]) -> list[tuple[list[Found], list[NoteT]]]:
    total = sum(sizes)
    workers = min(os.cpu_count() or 1, 8, len(jobs))
    if workers > 1 and total >= PARALLEL_BYTES and os.environ.get("EDGEWARD_SERIAL") != "1":
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        order = sorted(range(len(jobs)), key=lambda i: -sizes[i])  # biggest first
        for known in {j[3] for j in jobs}:
            _scanner(known)  # built once here, inherited by forked workers
        _scanner((), False)
        chunk = max(1, len(jobs) // (workers * 16))
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
                results = list(ex.map(scan_job, [jobs[i] for i in order], chunksize=chunk))
            out: list = [None] * len(jobs)
            for i, r in zip(order, results, strict=True):
                out[i] = r
            return out
        except (OSError, RuntimeError):
            pass  # no process pool here (sandbox): fall back to a serial scan
    return [scan_job(j) for j in jobs]


def secret_scan(project) -> SecretScan:
    known = known_secret_values(project)
    known_t = tuple(sorted(known.items()))
    jobs: list[Job] = []
    sizes: list[int] = []
    for rel, info in sorted(project.files.items()):
        role = file_role(rel, info.size)
        if role is None:
            continue
        jobs.append((role, str(project.abspath(rel)), rel, () if role in ("source", "doc") else known_t))
        sizes.append(info.size)
    sources: list[Found] = []
    artifacts: list[Found] = []
    for found, notes in _run(jobs, sizes):
        for path, kind, msg in notes:
            project.note(path, kind, msg)
        for f in found:
            (sources if f.role in ("source", "doc") else artifacts).append(f)
    # provenance: an artifact secret defined in .dev.vars / define, or written in a source file
    from_source: dict[str, str] = {}
    for f in sources:
        from_source.setdefault(f.match.secret, f"`{f.path}` line {f.line}")
    from_map: dict[str, str] = {}
    for f in artifacts:
        if f.artifact:
            from_map.setdefault(
                f.match.secret, f"`{f.path}` line {f.line} (per the source map `{f.artifact}`)"
            )
    for f in artifacts:
        if f.artifact and f.path not in project.files:
            # webpack-style names (`webpack://app/./src/x.ts`) are relative to the project, not the map
            alt = posixpath.normpath(sourcemap.strip_scheme(f.source_name)) if f.source_name else ""
            if alt in project.files:
                f.path = alt
    for f in artifacts:
        secret = f.match.secret
        f.origin = f.match.origin or known.get(secret) or from_source.get(secret)
        if f.origin is None and not f.artifact and not f.where:
            f.origin = from_map.get(secret)
        if f.artifact and f.origin == f"`{f.path}` line {f.line}":
            f.origin = None  # the finding is at that very line
        if f.artifact and f.path not in project.files:
            # the original source is not in the repository: report on the map itself
            f.where = f"original `{f.path}` line {f.line}, in `sourcesContent`"
            f.path, f.line, f.column, f.artifact = f.artifact, 1, 1, None
    return SecretScan(sources, artifacts, known)


def redact_line(text: str, secrets: list[tuple[str, str]], limit: int = 160) -> str:
    """A source line with every given secret replaced by its redacted form, trimmed around the first."""
    from edgeward.findings import redact
    from edgeward.secrets.classifier import looks_random

    out = text
    for secret, kind in sorted(secrets, key=lambda s: -len(s[0])):
        out = out.replace(secret, redact(secret, kind))
        # a secret that spans lines (a PEM block): hide each of its pieces on this line too
        for piece in re.split(r"\r?\n|\\n", secret):
            if len(piece) >= 8 and piece in out:
                out = out.replace(piece, piece[:4] + "…")
    # anything else on the line that looks like key material (the rest of a one-line PEM block...)
    out = _RANDOM_RUN.sub(lambda m: m.group(0)[:4] + "…" if looks_random(m.group(0)) else m.group(0), out)
    out = out.strip()
    if len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


_RANDOM_RUN = re.compile(r"[A-Za-z0-9+/=_.~-]{20,}")
