"""Time the lockfile readers on large generated lockfiles (not part of the tests).

    .venv/bin/python benchmarks/lockfiles.py

Generates a ~5 MB npm package-lock.json (lockfile v3), a 3,000-package pnpm-lock.yaml (v9), a yarn.lock and a
Cargo.lock of similar size in a temporary directory, then reads each with edgeward's readers (fresh project per
run, best of 3) and prints the time and the number of packages read.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from edgeward.workspace.lockfiles import lock_info
from edgeward.workspace.project import Project


def npm_lock(target_bytes: int = 5 * 1024 * 1024) -> str:
    packages: dict[str, dict] = {"": {"name": "big", "version": "1.0.0", "dependencies": {}}}
    i = 0
    while True:
        name = f"pkg-{i:05d}"
        packages[f"node_modules/{name}"] = {
            "version": f"{i % 7}.{i % 13}.{i % 17}",
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{i % 7}.{i % 13}.{i % 17}.tgz",
            "integrity": "sha512-" + ("A" * 86) + "==",
            "dev": bool(i % 2),
            "license": "MIT",
            "dependencies": {f"pkg-{(i + k) % 5000:05d}": "^1.0.0" for k in range(1, 4)},
            "engines": {"node": ">=18"},
            **({"hasInstallScript": True} if i % 97 == 0 else {}),
        }
        if i % 500 == 0:
            text = json.dumps(
                {"name": "big", "lockfileVersion": 3, "requires": True, "packages": packages}, indent=2
            )
            if len(text) >= target_bytes:
                return text
        i += 1


def pnpm_lock(n: int = 3000) -> str:
    out = ["lockfileVersion: '9.0'", "", "importers:", "", "  .:", "    dependencies:"]
    for i in range(0, n, 10):
        out += [f"      pkg-{i:05d}:", "        specifier: ^1.0.0", f"        version: 1.{i % 13}.{i % 17}"]
    out += ["", "packages:", ""]
    for i in range(n):
        out += [
            f"  pkg-{i:05d}@1.{i % 13}.{i % 17}:",
            "    resolution: {integrity: sha512-" + "B" * 86 + "==}",
            "    engines: {node: '>=18'}",
            "",
        ]
    out += ["snapshots:", ""]
    for i in range(n):
        out += [
            f"  pkg-{i:05d}@1.{i % 13}.{i % 17}:",
            "    dependencies:",
            f"      pkg-{(i + 1) % n:05d}: 1.0.0",
            "",
        ]
    return "\n".join(out) + "\n"


def yarn_lock(n: int = 5000) -> str:
    out = ["# yarn lockfile v1", ""]
    for i in range(n):
        out += [
            f'"pkg-{i:05d}@^1.0.0", "pkg-{i:05d}@^1.1.0":',
            f'  version "1.{i % 13}.{i % 17}"',
            f'  resolved "https://registry.yarnpkg.com/pkg-{i:05d}/-/pkg-{i:05d}-1.0.0.tgz#abc"',
            "  integrity sha512-" + "C" * 86 + "==",
            "",
        ]
    return "\n".join(out)


def cargo_lock(n: int = 3000) -> str:
    out = ["version = 3", ""]
    for i in range(n):
        out += [
            "[[package]]",
            f'name = "crate-{i:05d}"',
            f'version = "0.{i % 13}.{i % 17}"',
            'source = "registry+https://github.com/rust-lang/crates.io-index"',
            f'checksum = "{i:064x}"',
            "",
        ]
    return "\n".join(out)


def bench(root: Path, rel: str) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(3):
        project = Project.load(root)
        t0 = time.perf_counter()
        info = lock_info(project, rel)
        best = min(best, time.perf_counter() - t0)
        count = len(info.all())
    return best, count


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "npm/package-lock.json": npm_lock(),
            "pnpm/pnpm-lock.yaml": pnpm_lock(),
            "yarn/yarn.lock": yarn_lock(),
            "cargo/Cargo.lock": cargo_lock(),
        }
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        print(f"{'lockfile':28} {'size':>10} {'packages':>9} {'read (best of 3)':>18}")
        for rel, text in files.items():
            secs, count = bench(root, rel)
            print(f"{rel:28} {len(text) / 1024 / 1024:8.2f}MB {count:9,} {secs * 1000:15.1f} ms")


if __name__ == "__main__":
    main()
