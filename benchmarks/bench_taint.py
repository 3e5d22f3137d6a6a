"""Time edgeward's source analysis against semgrep taint rules on the same generated TypeScript code base.

    python benchmarks/bench_taint.py [--mb 5] [--semgrep PATH] [--keep DIR]

Generates the code base (benchmarks/gen_ts_codebase.py), runs `edgeward scan` and
`semgrep --config benchmarks/semgrep_taint_rules.yaml` (offline flags, one job) on it, and prints wall and CPU
time of each, their ratio, and the findings per rule. semgrep is looked up on PATH unless given; without it
only edgeward is timed. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(cmd: list[str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--semgrep", default=shutil.which("semgrep"))
    ap.add_argument("--keep", help="generate into this directory and keep it")
    args = ap.parse_args()
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="edgeward-bench-"))
    subprocess.run(
        [sys.executable, str(HERE / "gen_ts_codebase.py"), str(out), "--mb", str(args.mb)], check=True
    )
    wall, cpu, stdout = timed([sys.executable, "-m", "edgeward", "scan", str(out), "--format", "json"])
    counts = collections.Counter(f["code"] for f in json.loads(stdout)["findings"])
    print(f"edgeward: {wall:.1f}s wall, {cpu:.1f}s cpu; findings {dict(sorted(counts.items()))}")
    if args.semgrep:
        sg = [
            args.semgrep,
            "--metrics=off",
            "--disable-version-check",
            "-q",
            "-j",
            "1",
            "--json",
            "--config",
            str(HERE / "semgrep_taint_rules.yaml"),
            str(out),
        ]
        swall, scpu, sout = timed(sg)
        scounts = collections.Counter(
            r["check_id"].rsplit(".", 1)[-1] for r in json.loads(sout or "{}").get("results", [])
        )
        print(f"semgrep:  {swall:.1f}s wall, {scpu:.1f}s cpu; findings {dict(sorted(scounts.items()))}")
        print(f"ratio (semgrep / edgeward): {swall / wall:.1f}x wall, {scpu / max(cpu, 1e-9):.1f}x cpu")
    else:
        print("semgrep not found: pass --semgrep PATH to compare")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
