"""What is in the scanned repository: files, git state, and the cache of facts derived from them.

`Project.load(root)` walks the tree once. Every later read goes through `Project.text()`/`Project.data()`,
the only places that open files, so size limits, binary detection and notes live in one place. Facts
built from files (parsed configs, source IR, lockfiles...) are memoised per project with `Project.fact()`.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from edgeward.findings import Note
from edgeward.workspace.docs import scrub

SKIP_DIRS = {".git", "node_modules", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", "target"}
# `target` (cargo) and `.venv` are build/install output; wrangler output dirs are kept for artifact scanning.
DEFAULT_MAX_TEXT_BYTES = 10 * 1024 * 1024
MAX_FILES = 200_000
MAX_TEXT_CACHE = 256 * 1024 * 1024  # characters of file text kept in memory across the scan
T = TypeVar("T")


@dataclass
class FileInfo:
    path: str  # relative to the root, "/" separators
    size: int
    tracked: bool | None = None  # None: not a git repository
    ignored: bool = False  # an ignore rule covers it (whether or not git tracks it)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def dir(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


@dataclass
class Project:
    root: Path
    files: dict[str, FileInfo]
    notes: list[Note]
    is_git: bool
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    options: dict[str, Any] = field(default_factory=dict)
    _text: dict[str, str | None] = field(default_factory=dict, repr=False)
    _text_chars: int = field(default=0, repr=False)
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _facts: dict[Any, Any] = field(default_factory=dict, repr=False)
    _noted: set[tuple[str, str]] = field(default_factory=set, repr=False)

    # ---------------------------------------------------------------- construction
    @classmethod
    def load(
        cls,
        root: str | os.PathLike[str],
        *,
        max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
        options: dict[str, Any] | None = None,
    ) -> Project:
        root_path = Path(root).resolve()
        notes: list[Note] = []
        files = {f.path: f for f in _walk(root_path, notes)}
        is_git = _apply_git_state(root_path, files, notes)
        if not is_git:
            _apply_gitignore_files(root_path, files, notes)
        return cls(root_path, files, notes, is_git, max_text_bytes, options or {})

    # ---------------------------------------------------------------- notes
    def note(self, path: str | None, kind: str, message: str) -> None:
        key = (path or "", kind + message)
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(Note(path, kind, message))

    # ---------------------------------------------------------------- reading
    def abspath(self, rel: str) -> Path:
        return self.root / rel

    def text(self, rel: str, *, max_bytes: int | None = None) -> str | None:
        """The file's text, or None with a note (missing, too large, binary, not UTF-8, unreadable)."""
        if rel in self._text:
            return self._text[rel]
        limit = max_bytes or self.max_text_bytes
        info = self.files.get(rel)
        result: str | None = None
        if info is None:
            result = None
        elif info.size > limit:
            self.note(rel, "skipped", f"file is {info.size:,} bytes, over the {limit:,}-byte limit for text")
        else:
            try:
                with open(self.abspath(rel), "rb") as fh:
                    raw = fh.read(limit + 1)  # the file may have grown since the walk
            except OSError as exc:
                self.note(rel, "unreadable", f"cannot read file: {exc.strerror or exc}")
                raw = None
            if raw is not None and len(raw) > limit:
                self.note(rel, "skipped", f"file is over the {limit:,}-byte limit for text")
                raw = None
            if raw is not None:
                if b"\0" in raw[:8192]:
                    self.note(rel, "binary", "binary content where text was expected; skipped")
                else:
                    try:
                        result = raw.decode("utf-8-sig")
                    except UnicodeDecodeError as exc:
                        self.note(
                            rel, "encoding", f"not valid UTF-8 (byte {exc.start}); read with replacement"
                        )
                        result = raw.decode("utf-8", errors="replace")
        if result is None or self._text_chars + len(result) <= MAX_TEXT_CACHE:
            self._text[rel] = result  # beyond the budget, a file is read again when asked again
            self._text_chars += len(result or "")
        return result

    def lines(self, rel: str) -> list[str]:
        """The file's lines (memoised with the text: do not modify the list)."""
        cached = self._lines.get(rel)
        if cached is not None:
            return cached
        t = self.text(rel)
        out = t.splitlines() if t is not None else []
        if rel in self._text and self._text_chars + len(t or "") <= MAX_TEXT_CACHE:
            self._lines[rel] = out  # a file with many findings is not split once per finding
            self._text_chars += len(t or "")
        return out

    def data(self, rel: str, loader: Callable[[str], T], what: str) -> T | None:
        """Parse a file with `loader` (e.g. docs.load_toml), memoised; a parse error becomes a note."""
        key = ("data", rel, loader)
        if key in self._facts:
            return self._facts[key]
        text = self.text(rel)
        value: T | None = None
        if text is not None:
            try:
                value = loader(text)
            except ValueError as exc:  # DocError is a ValueError
                self.note(rel, "parse-error", f"{what}: {scrub(str(exc))}")
            except RecursionError:
                self.note(rel, "parse-error", f"{what}: nested too deeply")
            except Exception as exc:  # a parser bug on hostile input must not stop the rule for every file
                self.note(
                    rel, "parse-error", f"{what}: cannot parse ({type(exc).__name__}: {scrub(str(exc))})"
                )
        self._facts[key] = value
        return value

    # ---------------------------------------------------------------- facts
    def fact(self, provider: Callable[[Project], T]) -> T:
        """Memoised `provider(self)`: parsed configs, units, source IR... built once per scan."""
        if provider not in self._facts:
            self._facts[provider] = provider(self)
        return self._facts[provider]

    # ---------------------------------------------------------------- queries
    def glob(self, *patterns: str) -> Iterator[FileInfo]:
        """Files whose name (no "/" in pattern) or relative path matches one of the patterns."""
        for info in self.files.values():
            for pat in patterns:
                target = info.path if "/" in pat else info.name
                if fnmatch.fnmatchcase(target, pat):
                    yield info
                    break

    def exists(self, rel: str) -> bool:
        return rel in self.files

    def nearest(self, start_dir: str, names: tuple[str, ...]) -> str | None:
        """The first of `names` found in `start_dir` or a parent, up to the root."""
        d = start_dir
        while True:
            for n in names:
                cand = f"{d}/{n}" if d else n
                if cand in self.files:
                    return cand
            if not d:
                return None
            d = d.rsplit("/", 1)[0] if "/" in d else ""

    def is_exposed(self, rel: str) -> bool:
        """Committed (git tracks it), or, without git, not covered by any ignore rule."""
        info = self.files.get(rel)
        if info is None:
            return False
        if info.tracked is None:
            return not info.ignored
        return info.tracked


def join_rel(base: str, path: str) -> str:
    """`path` (relative, may hold `.`/`..`) taken from the root-relative directory `base`; never above the root."""
    parts = [p for p in base.split("/") if p and p != "."]
    for p in path.replace("\\", "/").split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/".join(parts)


# ------------------------------------------------------------------------------------------ walking


MAX_ENTRIES = 1_000_000  # directory entries of every kind looked at (links, empty directories...)
MAX_WALK_NOTES = 100  # notes of one kind (symlink, special, unreadable) listed one by one; the rest counted


def _walk(root: Path, notes: list[Note]) -> Iterator[FileInfo]:
    """Every regular file below root; symlinks are never followed (no loops, nothing outside root)."""
    count = entries_seen = 0
    stack = [root]
    seen_dirs: set[tuple[int, int]] = set()
    unlisted: dict[str, int] = {}

    def note(rel: str, kind: str, message: str) -> None:
        n = unlisted.get(kind, 0)
        if n < MAX_WALK_NOTES:
            notes.append(Note(rel, kind, message))
        unlisted[kind] = n + 1

    def summary() -> None:
        for kind, n in unlisted.items():
            if n > MAX_WALK_NOTES:
                notes.append(Note(None, kind, f"{n - MAX_WALK_NOTES:,} more `{kind}` notes not listed"))

    while stack:
        d = stack.pop()
        try:
            st = d.stat()
            ident = (st.st_dev, st.st_ino)
            if ident in seen_dirs:
                continue
            seen_dirs.add(ident)
            with os.scandir(d) as it:  # read at most what the limit leaves, then sort
                entries = sorted(itertools.islice(it, MAX_ENTRIES - entries_seen + 1), key=lambda e: e.name)
        except OSError as exc:
            rel = d.relative_to(root).as_posix() if d != root else "."
            note(rel, "unreadable", f"cannot list directory: {exc.strerror or exc}")
            continue
        for e in entries:
            entries_seen += 1
            if entries_seen > MAX_ENTRIES:
                notes.append(
                    Note(
                        None,
                        "skipped",
                        f"more than {MAX_ENTRIES:,} directory entries; the rest were not scanned",
                    )
                )
                summary()
                return
            rel = Path(e.path).relative_to(root).as_posix()
            try:
                if e.is_symlink():
                    target = os.readlink(e.path)
                    note(rel, "symlink", f"symbolic link to {target!r} not followed")
                    continue
                if e.is_dir(follow_symlinks=False):
                    if e.name in SKIP_DIRS:
                        continue
                    stack.append(Path(e.path))
                    continue
                st = e.stat(follow_symlinks=False)
            except OSError as exc:
                note(rel, "unreadable", f"cannot stat: {exc.strerror or exc}")
                continue
            if not stat.S_ISREG(st.st_mode):
                note(rel, "special", "not a regular file (FIFO, socket or device); not read")
                continue
            count += 1
            if count > MAX_FILES:
                notes.append(
                    Note(None, "skipped", f"more than {MAX_FILES:,} files; the rest were not scanned")
                )
                summary()
                return
            yield FileInfo(rel, st.st_size)
    summary()


# ------------------------------------------------------------------------------------------ git state

_GIT_SAFE = [
    "-c",
    "core.fsmonitor=false",
    "-c",
    "safe.directory=*",
    "-c",
    "safe.bareRepository=explicit",  # a scanned tree laid out as a bare repository is not one to git
    "-c",
    "core.quotePath=false",
]
GIT_TIMEOUT = 20  # seconds per git command: a FIFO in .git or pathological ignore patterns must not hang us


class _GitTimeout(Exception):
    pass


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_OPTIONAL_LOCKS"] = "0"
    try:
        proc = subprocess.run(
            ["git", *_GIT_SAFE, "-C", str(root), *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,  # config may include /dev/stdin
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _GitTimeout(f"`git {args[0]}` did not finish within {GIT_TIMEOUT} s") from None
    except OSError:
        return None
    return proc.stdout if proc.returncode in (0, 1) else None


def _apply_git_state(root: Path, files: dict[str, FileInfo], notes: list[Note]) -> bool:
    """Ask git which files it tracks and which an ignore rule covers. False when root is not in a repo."""
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
        if not inside or inside.strip() != b"true":
            return False
        tracked_out = _git(root, "ls-files", "-z", "--cached", "--full-name", "--", ".")
        prefix_out = _git(root, "rev-parse", "--show-prefix")
    except _GitTimeout as exc:
        notes.append(Note(None, "git", f"{exc} (a FIFO or device in .git?); treating files as untracked"))
        return False
    if tracked_out is None or prefix_out is None:
        notes.append(Note(None, "git", "git state could not be read; treating files as untracked"))
        return False
    prefix = prefix_out.decode("utf-8", "surrogateescape").strip()
    tracked = set()
    for p in tracked_out.decode("utf-8", "surrogateescape").split("\0"):
        if p and p.startswith(prefix):
            tracked.add(p[len(prefix) :])
    for rel, info in files.items():
        info.tracked = rel in tracked
    try:
        ign = _git(
            root,
            "check-ignore",
            "--no-index",
            "-z",
            "--stdin",
            stdin="\0".join(files).encode("utf-8", "surrogateescape") + b"\0",
        )
    except _GitTimeout as exc:
        notes.append(
            Note(None, "git", f"{exc} (pathological .gitignore patterns?); ignore rules not applied")
        )
        ign = None
    if ign:
        for p in ign.decode("utf-8", "surrogateescape").split("\0"):
            if p in files:
                files[p].ignored = True
    return True


MAX_IGNORE_RULES = 2_000  # without git: more ignore patterns than this are not applied
MAX_IGNORE_PATTERN = 1024  # characters; longer patterns are skipped, and so are those with more than
MAX_IGNORE_STARS = 16  # this many `*` (matching costs grow with them)
IGNORE_BUDGET_SECONDS = 10.0  # the rest of the files are left unignored (reported) after this


def _apply_gitignore_files(root: Path, files: dict[str, FileInfo], notes: list[Note] | None = None) -> None:
    """Without git: apply the .gitignore files found in the tree (common pattern forms).

    Consecutive patterns of one file with the same form are matched as one regular expression, so a
    .gitignore with thousands of lines costs little; patterns beyond MAX_IGNORE_RULES are noted, not used."""
    notes = notes if notes is not None else []
    rules: list[tuple[str, str, bool, bool]] = []  # (base dir, pattern, negated, dir-only)
    for rel in sorted(p for p in files if p.rsplit("/", 1)[-1] == ".gitignore"):
        base = rel.rsplit("/", 1)[0] if "/" in rel else ""
        if files[rel].size > DEFAULT_MAX_TEXT_BYTES:
            notes.append(Note(rel, "skipped", f"ignore file is {files[rel].size:,} bytes; not applied"))
            continue
        try:
            with open(root / rel, "rb") as fh:
                text = fh.read(DEFAULT_MAX_TEXT_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        complex_ = 0
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if len(line) > MAX_IGNORE_PATTERN or line.count("*") > MAX_IGNORE_STARS:
                complex_ += 1
                continue
            if len(rules) >= MAX_IGNORE_RULES:
                notes.append(
                    Note(
                        rel,
                        "skipped",
                        f"more than {MAX_IGNORE_RULES:,} ignore patterns; the rest not applied",
                    )
                )
                break
            neg = line.startswith("!")
            if neg:
                line = line[1:]
            dir_only = line.endswith("/")
            rules.append((base, line.rstrip("/"), neg, dir_only))
        if complex_:
            notes.append(
                Note(
                    rel,
                    "skipped",
                    f"{complex_:,} ignore pattern(s) too long or with too many `*`; not applied",
                )
            )
    if not rules:
        return
    groups: list[tuple[str, bool, bool, bool, re.Pattern[str]]] = []  # base, negated, dir-only, anchored
    run: list[str] = []
    for i, (base, pat, neg, dir_only) in enumerate(rules):
        anchored = "/" in pat.strip("/")
        pat = pat.lstrip("/")
        run.append(fnmatch.translate(pat))
        if pat.startswith("**/"):
            run.append(fnmatch.translate(pat[3:]))
        nxt = rules[i + 1] if i + 1 < len(rules) else None
        if nxt is None or (nxt[0], nxt[2], nxt[3], "/" in nxt[1].strip("/")) != (
            base,
            neg,
            dir_only,
            anchored,
        ):
            groups.append((base, neg, dir_only, anchored, re.compile("|".join(run))))
            run = []
    deadline = time.monotonic() + IGNORE_BUDGET_SECONDS
    for n, (rel, info) in enumerate(files.items()):
        if n % 256 == 0 and time.monotonic() > deadline:
            notes.append(
                Note(
                    None,
                    "skipped",
                    f"ignore patterns not applied to every file within {IGNORE_BUDGET_SECONDS:.0f} s",
                )
            )
            return
        ignored = False
        for base, neg, dir_only, anchored, rx in groups:
            if base and not rel.startswith(base + "/"):
                continue
            sub = rel[len(base) + 1 :] if base else rel
            if _gitignore_match(sub, rx, dir_only, anchored):
                ignored = not neg
        info.ignored = ignored


def _gitignore_match(rel: str, rx: re.Pattern[str], dir_only: bool, anchored: bool) -> bool:
    parts = rel.split("/")
    if anchored:
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    else:
        candidates = parts
    for i, cand in enumerate(candidates):
        is_last = i == len(candidates) - 1
        if dir_only and is_last:
            continue  # the file itself is not a directory
        if rx.match(cand):
            return True
    return False
