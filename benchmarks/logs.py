"""Benchmark of `edgeward logs`: 48 hours of a busy gateway, analysed end to end, timed.

    python benchmarks/logs.py [--kind logpush|fastly] [--rate 120] [--batch-seconds 60] [--keep DIR]

Generates the dataset with the seeded generator (`edgeward.logs.generate`: one batch a minute, several hundred
thousand invocations, thousands of files, the planted anomalies), then runs the analysis as the command does
(`analyze_logs`) and reports wall time, records per second, peak memory of this process (RSS high-water mark,
which includes DuckDB's buffers) and whether exactly the planted anomalies were found. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("logpush", "fastly"), default="logpush")
    p.add_argument("--hours", type=float, default=48)
    p.add_argument(
        "--rate", type=float, default=120, help="peak invocations per minute of the busiest script"
    )
    p.add_argument("--batch-seconds", type=int, default=60)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--memory-limit", default="1GB")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--runs", type=int, default=3, help="analysis runs (the best and the median are reported)")
    p.add_argument(
        "--keep", metavar="DIR", help="generate into DIR and keep it (default: a temp dir, removed)"
    )
    a = p.parse_args(argv)

    from edgeward.logs.analysis import Options
    from edgeward.logs.generate import generate
    from edgeward.logs.result import analyze_logs

    out = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="edgeward-bench-logs-"))
    try:
        t0 = time.monotonic()
        truth = generate(out, kind=a.kind, hours=a.hours, rate=a.rate, seed=a.seed, batch=a.batch_seconds)
        gen_s = time.monotonic() - t0
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(
            f"dataset: {a.kind}, {a.hours:g} h, {truth['files']} files, {truth['records']} records, "
            f"{size / 1e6:.1f} MB gzipped (generated in {gen_s:.1f} s)"
        )
        times, cpus = [], []
        result = None
        for _ in range(a.runs):
            opt = Options(memory_limit=a.memory_limit, threads=a.threads)
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t1 = time.monotonic()
            result = analyze_logs(str(out), opt)
            times.append(time.monotonic() - t1)
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        assert result is not None
        times.sort()
        best, med = times[0], times[len(times) // 2]
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        found = sorted(
            (f.code, f.extra["script"] or "", f.extra["window_start"] or "", f.extra["window_end"] or "")
            for f in result.findings
        )
        planted = sorted(
            (x["code"], x["script"] or "", x["window_start"] or "", x["window_end"] or "")
            for x in truth["planted"]
        )
        load = os.getloadavg()[0]
        print(
            f"machine: {os.cpu_count()} CPU(s), load average {load:.1f} (other processes compete for the CPUs)"
        )
        print(
            f"analysis: wall time best {best:.2f} s, median {med:.2f} s of {a.runs} run(s); "
            f"CPU time (all threads) min {min(cpus):.2f} s; "
            f"{truth['records'] / best:,.0f} records/s; peak RSS {rss_mb:.0f} MB "
            f"(DuckDB memory limit {a.memory_limit})"
        )
        print(
            f"findings: {len(found)}; planted: {len(planted)}; exactly the planted ones: {found == planted}"
        )
        for x in sorted(set(found) ^ set(planted)):
            print(f"  {'unexpected' if x in found else 'missed'}: {x}")
        return 0 if found == planted else 1
    finally:
        if not a.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
