"""Shared test helpers: real git repositories in temp dirs, scans, and the shared cases."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from edgeward.config import Config
from edgeward.engine import ScanResult, scan

REPO = Path(__file__).resolve().parents[1]
CASES = Path(os.environ.get("EDGEWARD_CASES", REPO.parent / "shared" / "cases"))
GIT_ENV = {
    "GIT_AUTHOR_NAME": "edgeward tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "edgeward tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def make_repo(root: Path, files: dict[str, str | bytes] | None = None, *, commit: str = "all") -> Path:
    """A real git repository. commit="all": every file committed, also ignored ones (like the shared cases);
    "respect": `git add .` (ignore rules apply); "none": nothing committed."""
    root.mkdir(parents=True, exist_ok=True)
    if files:
        write_tree(root, files)
    git(root, "init", "-q")
    if commit == "all":
        git(root, "add", "-A", "-f", ".")
    elif commit == "respect":
        git(root, "add", "-A", ".")
    if commit != "none":
        git(root, "commit", "-q", "--allow-empty", "-m", "fixture")
    return root


def copy_case(name: str, dest: Path) -> Path:
    src = CASES / name
    if not src.is_dir():
        pytest.skip(f"shared case {name} not found at {CASES}")
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("expected.json"))
    return make_repo(dest)


def run_scan(root: Path, config: Config | None = None, **options) -> ScanResult:
    return scan(root, config or Config())


def found(
    result: ScanResult, code: str | None = None, path: str | None = None
) -> list[tuple[str, str | None, int]]:
    """(code, path, line) of the findings, filtered."""
    return sorted(
        (f.code, f.path, f.line)
        for f in result.findings
        if (code is None or f.code == code) and (path is None or f.path == path)
    )


@pytest.fixture
def repo(tmp_path):
    def _make(files: dict[str, str | bytes], commit: str = "all") -> Path:
        return make_repo(tmp_path / "repo", files, commit=commit)

    return _make
