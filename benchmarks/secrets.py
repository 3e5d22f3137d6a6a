"""Benchmark: edgeward's secret scan against detect-secrets and secretlint on one generated corpus.

    python benchmarks/secrets.py                 # edgeward, plus any peer tool found on PATH
    python benchmarks/secrets.py --install       # first install the peers into a cache dir (network)
    python benchmarks/secrets.py --mb 50 --sources 2000 --keep /tmp/corpus

The corpus (in a temp dir) holds many small source files and ~50 MB of minified bundles and `.wasm`
modules, with planted fake secrets at known places. Every tool scans the same corpus in the same run;
the script prints wall time, MB/s, recall on the planted secrets, and edgeward's speed ratio over each peer.
Peers: detect-secrets (PyPI; `scan --all-files`, which never verifies over the network) and secretlint
(npm, with `@secretlint/secretlint-rule-preset-recommend`). A peer that is not installed is skipped.
Not part of the test suite; CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("EDGEWARD_BENCH_CACHE", Path.home() / ".cache" / "edgeward-bench"))
sys.path.insert(0, str(REPO / "src"))

from edgeward.secrets.artifacts.wasm import build_module  # noqa: E402

F = "FAKEfake0123456789"


def _fake(kind: str, rnd: random.Random) -> str:
    """Fake secrets in the formats all three tools know (obviously fake, right shape)."""
    alnum = string.ascii_letters + string.digits
    r = lambda n, cs=alnum: "".join(rnd.choice(cs) for _ in range(n))  # noqa: E731
    return {
        "aws": "AKIA" + "FAKE" + r(12, string.ascii_uppercase + "234567"),
        "github": "ghp_" + "FAKE" + r(32),
        "stripe": "sk_live_" + "FAKE" + r(24),
        "slack": "xoxb-" + r(10, string.digits) + "-" + r(13, string.digits) + "-FAKE" + r(20),
        "sendgrid": "SG." + "FAKE" + r(18) + "." + "FAKE" + r(39),
        "npm": "npm_" + "FAKE" + r(32),
        "openai": "sk-proj-" + "FAKE" + r(16) + "T3BlbkFJ" + "FAKE" + r(16),
        "anthropic": "sk-ant-api03-" + "FAKE" + r(89) + "AA",
        "gitlab": "glpat-" + "FAKE" + r(16),
    }[kind]


KINDS = ("aws", "github", "stripe", "slack", "sendgrid", "npm", "openai", "anthropic", "gitlab")
IDENTS = [
    "e", "t", "n", "r", "i", "o", "s", "a", "u", "c", "l", "d", "f", "h", "p", "m", "g", "v", "y", "b",
    "render", "state", "props", "children", "value", "request", "response", "headers", "url", "method",
    "token", "session", "user", "config", "options", "cache", "key", "name", "id", "data", "error",
]  # fmt: skip
WORDS = ["return", "function", "const", "let", "var", "if", "else", "new", "this", "typeof", "await"]


def _minified(rnd: random.Random, size: int) -> str:
    """Plausible minified JavaScript: short identifiers, calls, string and number literals."""
    out: list[str] = []
    n = 0
    while n < size:
        k = rnd.random()
        a, b = rnd.choice(IDENTS), rnd.choice(IDENTS)
        if k < 0.35:
            s = f"{a}.{b}({rnd.choice(IDENTS)},{rnd.randint(0, 999)});"
        elif k < 0.55:
            s = f'{a}["{"".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(3, 12)))}"]={b};'
        elif k < 0.7:
            s = f"{rnd.choice(WORDS)} {a}={b}?{a}:{rnd.choice(IDENTS)};"
        elif k < 0.85:
            s = f"function {a}{rnd.randint(0, 99)}({b}){{return {b}&&{b}.{rnd.choice(IDENTS)}}}"
        else:
            s = f'{a}.{b}="{" ".join(rnd.choice(IDENTS) for _ in range(rnd.randint(1, 6)))}";'
        out.append(s)
        n += len(s)
    return "".join(out)


def make_corpus(root: Path, mb: int, sources: int, seed: int = 7) -> list[tuple[str, int]]:
    """Write the corpus; return the planted secrets as (relative path, line)."""
    rnd = random.Random(seed)
    planted: list[tuple[str, int]] = []
    # many small source files, one secret in every 10th
    for i in range(sources):
        rel = f"src/mod{i // 100}/file{i}.{'ts' if i % 2 else 'js'}"
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"import {{ {rnd.choice(IDENTS)} }} from './dep{i % 7}';"]
        for _ in range(rnd.randint(20, 80)):
            lines.append(
                f"export function f{len(lines)}(x) {{ return x.{rnd.choice(IDENTS)}({rnd.randint(0, 9)}); }}"
            )
        if i % 10 == 0:
            at = rnd.randint(1, len(lines) - 1)
            lines.insert(at, f'const client = createClient("{_fake(KINDS[(i // 10) % len(KINDS)], rnd)}");')
            planted.append((rel, at + 1))
        p.write_text("\n".join(lines) + "\n")
    # minified bundles: a few long lines each, a secret on some lines
    bundle_bytes = int(mb * 0.8 * 1024 * 1024)
    n_bundles = 8
    for b in range(n_bundles):
        rel = f"dist/chunk-{b}.js"
        (root / "dist").mkdir(exist_ok=True)
        with open(root / rel, "w") as fh:
            per_line = bundle_bytes // n_bundles // 4
            for ln in range(1, 5):
                text = _minified(rnd, per_line)
                if (b + ln) % 2 == 0:
                    cut = rnd.randint(0, len(text))
                    cut = text.rfind(";", 0, cut) + 1
                    text = (
                        text[:cut] + f'var k{ln}="{_fake(KINDS[(b + ln) % len(KINDS)], rnd)}";' + text[cut:]
                    )
                    planted.append((rel, ln))
                fh.write(text + "\n")
    # wasm modules: data segments with strings and noise, a secret in half of them
    wasm_bytes = int(mb * 0.2 * 1024 * 1024)
    n_wasm = 10
    for w in range(n_wasm):
        noise = bytearray(rnd.getrandbits(8) for _ in range(wasm_bytes // n_wasm // 4))
        noise += b"\0".join(x.encode() for x in rnd.choices(IDENTS, k=wasm_bytes // n_wasm // 8))
        if w % 2 == 0:
            noise += b"\0" + _fake(KINDS[w % len(KINDS)], rnd).encode() + b"\0"
            planted.append((f"bin/app{w}.wasm", 1))
        (root / "bin").mkdir(exist_ok=True)
        (root / "bin" / f"app{w}.wasm").write_bytes(build_module([bytes(noise)], {"producers": b"\x00"}))
    return planted


def corpus_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------ tools


def run_edgeward(root: Path) -> tuple[float, set[tuple[str, int]]]:
    cmd = [sys.executable, "-m", "edgeward", "scan", str(root), "--select", "SEC004,SEC009", "-f", "json"]
    cmd += ["--fail-on", "never"]
    t = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")}
    )
    dt = time.perf_counter() - t
    data = json.loads(proc.stdout)
    return dt, {(f["path"], f["line"]) for f in data["findings"]}


def _detect_secrets_bin() -> str | None:
    cand = CACHE / "ds" / "bin" / "detect-secrets"
    return str(cand) if cand.exists() else shutil.which("detect-secrets")


def run_detect_secrets(root: Path) -> tuple[float, set[tuple[str, int]]] | None:
    exe = _detect_secrets_bin()
    if not exe:
        return None
    t = time.perf_counter()
    proc = subprocess.run([exe, "scan", "--all-files", "."], cwd=root, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        print(f"detect-secrets failed: {proc.stderr[:300]}")
        return None
    data = json.loads(proc.stdout)
    found = {(path, r["line_number"]) for path, rows in data.get("results", {}).items() for r in rows}
    return dt, found


def _secretlint_bin() -> str | None:
    cand = CACHE / "sl" / "node_modules" / ".bin" / "secretlint"
    return str(cand) if cand.exists() else shutil.which("secretlint")


def run_secretlint(root: Path) -> tuple[float, set[tuple[str, int]]] | None:
    exe = _secretlint_bin()
    if not exe:
        return None
    rc = root / ".secretlintrc.json"
    rc.write_text(json.dumps({"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}))
    env = {**os.environ, "NODE_PATH": str(CACHE / "sl" / "node_modules")}
    out = root.parent / f"{root.name}-secretlint.json"
    t = time.perf_counter()
    proc = subprocess.run(
        [exe, "**/*", "--format", "json", "--output", str(out), "--secretlintrc", str(rc)],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    dt = time.perf_counter() - t
    rc.unlink()
    try:
        data = json.loads(out.read_text() or "[]")
    except (OSError, ValueError):
        print(f"secretlint gave no JSON report (exit {proc.returncode}): {proc.stderr[:300]}")
        return None
    finally:
        out.unlink(missing_ok=True)
    found = set()
    for entry in data:
        rel = os.path.relpath(entry.get("filePath", ""), root)
        for msg in entry.get("messages", []):
            found.add((rel, msg.get("loc", {}).get("start", {}).get("line", 0)))
    return dt, found


def install_peers() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "ds" / "bin" / "detect-secrets").exists():
        subprocess.run([sys.executable, "-m", "venv", str(CACHE / "ds")], check=True)
        subprocess.run([str(CACHE / "ds" / "bin" / "pip"), "install", "-q", "detect-secrets"], check=True)
    if not (CACHE / "sl" / "node_modules" / ".bin" / "secretlint").exists():
        (CACHE / "sl").mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(CACHE / "sl"), "secretlint",
             "@secretlint/secretlint-rule-preset-recommend"],
            check=True,
        )  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50, help="megabytes of bundles and wasm (default 50)")
    ap.add_argument("--sources", type=int, default=2000, help="number of small source files (default 2000)")
    ap.add_argument("--install", action="store_true", help=f"install the peer tools into {CACHE}")
    ap.add_argument("--keep", help="write the corpus here and keep it")
    args = ap.parse_args()
    if args.install:
        install_peers()
    tmp = None
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="edgeward-bench-")
        root = Path(tmp.name)
    try:
        t = time.perf_counter()
        planted = set(make_corpus(root, args.mb, args.sources))
        size = corpus_bytes(root)
        print(f"corpus: {size / 1e6:.1f} MB, {args.sources} source files, {len(planted)} planted secrets "
              f"(generated in {time.perf_counter() - t:.1f}s); {os.cpu_count()} CPUs")  # fmt: skip
        results = {}
        for name, fn in (
            ("edgeward", run_edgeward),
            ("detect-secrets", run_detect_secrets),
            ("secretlint", run_secretlint),
        ):
            r = fn(root)
            if r is None:
                print(f"{name:15s} not installed; skipped (python benchmarks/secrets.py --install)")
                continue
            dt, found = r
            recall = len(planted & found) / len(planted)
            results[name] = dt
            print(
                f"{name:15s} {dt:7.2f}s  {size / 1e6 / dt:8.1f} MB/s  recall {recall:6.1%}  ({len(found)} reported)"
            )
        if "edgeward" in results:
            for peer in ("detect-secrets", "secretlint"):
                if peer in results:
                    print(f"edgeward is {results[peer] / results['edgeward']:.1f}x faster than {peer}")
    finally:
        if tmp:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
