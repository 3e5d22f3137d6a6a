"""`edgeward logs SOURCE`: the command-line side of the log analysis (options in, result out)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from edgeward.logs.analysis import SECURITY_PATTERN, Options

DEFAULTS = Options()


def duration(text: str) -> int:
    """Seconds from `300`, `300s`, `5m`, `1h`, `1d`."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 300, 90s, 5m, 1h)")
    value = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    if value < 0:
        raise argparse.ArgumentTypeError("a duration cannot be negative")
    return int(value)


def positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if v <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
        return v

    return parse


class Logs:
    name = "logs"

    @staticmethod
    def add_parser(sub: Any) -> None:
        from edgeward.cli import add_output_options

        d = DEFAULTS
        p = sub.add_parser(
            "logs",
            help="analyse exported edge logs (Cloudflare Logpush, Fastly real-time logging)",
            description="Read exported edge logs with DuckDB and report delivery gaps, late batches, "
            "auth-failure and volume anomalies against robust time-of-day baselines, exception spikes, and "
            "security events that are free text, lack a request id, or are never logged (LOG001-LOG008).",
        )
        p.add_argument("source", help="directory (searched recursively), file, or glob pattern of log files")
        add_output_options(p)
        g = p.add_argument_group("input")
        g.add_argument(
            "--kind", choices=("auto", "logpush", "fastly"), default="auto", help="log format (default: auto)"
        )
        g.add_argument(
            "--manifest",
            metavar="FILE",
            help="upload times of the objects (aws s3api list-objects-v2 JSON); default: SOURCE/manifest.json "
            "if present, else file modification times",
        )
        g.add_argument(
            "--baseline", metavar="FILE", help="hide findings whose fingerprints are in this baseline"
        )
        g.add_argument(
            "--write-baseline",
            metavar="FILE",
            help="write the fingerprints of this run's findings (and of those --baseline hid) to FILE",
        )
        g.add_argument("--select", metavar="CODES", help="comma-separated LOG codes to report")
        g.add_argument("--ignore", metavar="CODES", help="comma-separated LOG codes to skip")
        t = p.add_argument_group("thresholds")
        t.add_argument("--window", type=duration, default=d.window, help="window length (default: 5m)")
        t.add_argument(
            "--baseline-span",
            type=duration,
            default=d.baseline_span,
            help="comparable windows lie within this distance of the same time of day (default: 1h)",
        )
        t.add_argument("--z", type=positive(float), default=d.z, help="robust z-score threshold (default: 5)")
        t.add_argument(
            "--ratio",
            type=positive(float),
            default=d.ratio,
            help="factor above (or below) baseline (default: 3)",
        )
        t.add_argument(
            "--min-events",
            type=positive(int),
            default=d.min_events,
            help="events behind a spike (default: 10)",
        )
        t.add_argument(
            "--min-baseline",
            type=positive(int),
            default=d.min_baseline_windows,
            help="comparable windows a window needs to be judged (default: 6)",
        )
        t.add_argument(
            "--auth-min-increase",
            type=float,
            default=d.auth_min_increase,
            help="least absolute increase of the 401/403 share (default: 0.10)",
        )
        t.add_argument(
            "--gap-factor",
            type=positive(float),
            default=d.gap_factor,
            help="gap limit in cadences (default: 3)",
        )
        t.add_argument(
            "--min-gap", type=duration, default=d.min_gap, help="shortest gap reported (default: 0)"
        )
        t.add_argument(
            "--late-factor",
            type=positive(float),
            default=d.late_factor,
            help="late limit in median delays (default: 5)",
        )
        t.add_argument(
            "--late-min",
            type=duration,
            default=d.late_min,
            help="shortest delay reported as late (default: 15m)",
        )
        t.add_argument(
            "--order-tolerance",
            type=duration,
            default=d.order_tolerance,
            help="how long a batch may arrive after a later one (default: 2m)",
        )
        t.add_argument(
            "--denial-min",
            type=positive(int),
            default=d.denial_min,
            help="denials before a script that logs no security event is reported (default: 10)",
        )
        t.add_argument(
            "--security-pattern",
            metavar="REGEX",
            default=None,
            help="RE2 pattern for messages that are security events (default: auth failures, forbidden, "
            "denied, invalid token, rate limit, blocked, ...)",
        )
        o = p.add_argument_group("outputs and resources")
        o.add_argument(
            "--plot", metavar="FILE", help="write a timeline with the findings marked (.html or .svg)"
        )
        o.add_argument(
            "--emit-sigma", metavar="DIR", help="write Sigma rules with the learned thresholds to DIR"
        )
        o.add_argument("--memory-limit", default=d.memory_limit, help="DuckDB memory limit (default: 1GB)")
        o.add_argument(
            "--threads", type=positive(int), default=None, help="DuckDB threads (default: all cores)"
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from edgeward.cli import UsageError, _check_codes, emit
        from edgeward.config import normalise_code
        from edgeward.findings import Severity
        from edgeward.logs.result import analyze_logs

        src = args.source
        if not any(ch in src for ch in "*?[") and not Path(src).exists():
            raise UsageError(f"{src}: no such file or directory")
        if args.manifest and not Path(args.manifest).is_file():
            raise UsageError(f"{args.manifest}: no such manifest file")
        if args.fail_on and args.fail_on != "never":
            try:
                Severity.parse(args.fail_on)
            except ValueError as exc:
                raise UsageError(f"--fail-on: {exc}") from None
        if args.window < 10:
            raise UsageError("--window: at least 10 seconds")
        if args.security_pattern:
            import duckdb

            try:
                duckdb.sql("SELECT regexp_matches('x', ?)", params=[args.security_pattern]).fetchall()
            except duckdb.Error as exc:
                raise UsageError(f"--security-pattern: {exc}") from None
        baseline = None
        if args.baseline:
            from edgeward.engine import load_baseline

            try:
                baseline = load_baseline(args.baseline)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        select = [normalise_code(c) for c in args.select.split(",") if c.strip()] if args.select else None
        ignore = [normalise_code(c) for c in args.ignore.split(",") if c.strip()] if args.ignore else None
        for option, codes in (("--select", select or []), ("--ignore", ignore or [])):
            _check_codes(codes, f"{option}: ")
            other = [c for c in codes if not c.startswith("LOG") and not "LOG".startswith(c)]
            if other:
                raise UsageError(
                    f"{option}: {other[0]} is not a LOG rule: `edgeward logs` runs only LOG001-LOG008"
                )
        opt = Options(
            window=args.window,
            baseline_span=args.baseline_span,
            z=args.z,
            ratio=args.ratio,
            min_events=args.min_events,
            min_baseline_windows=args.min_baseline,
            auth_min_increase=args.auth_min_increase,
            gap_factor=args.gap_factor,
            min_gap=args.min_gap,
            late_factor=args.late_factor,
            late_min=args.late_min,
            order_tolerance=args.order_tolerance,
            denial_min=args.denial_min,
            security_pattern=args.security_pattern or SECURITY_PATTERN,
            memory_limit=args.memory_limit,
            threads=args.threads,
        )
        result = analyze_logs(
            src,
            opt,
            kind=args.kind,
            manifest=args.manifest,
            select=select,
            ignore=ignore,
            sigma_dir=args.emit_sigma,
        )
        hidden = []
        if baseline is not None:
            kept = [f for f in result.findings if f.fingerprint not in baseline]
            hidden = [f for f in result.findings if f.fingerprint in baseline]
            result.stats["baselined"] = len(result.findings) - len(kept)
            result.findings = kept
            result.stats["findings"] = len(kept)
        if args.write_baseline:
            from edgeward.cli import save_baseline

            accepted = result.findings + hidden  # what --baseline hid stays accepted
            save_baseline(args.write_baseline, accepted)
            if not args.quiet:
                print(
                    f"edgeward: baseline of {len(accepted)} finding(s) written to {args.write_baseline}",
                    file=sys.stderr,
                )
        if args.plot and result.facts is not None:
            from edgeward.logs.plot import write_plot

            try:
                write_plot(result.facts, result.findings, args.plot)
            except (OSError, ValueError) as exc:
                raise UsageError(f"--plot: {exc}") from None
            if not args.quiet:
                print(f"edgeward: timeline written to {args.plot}", file=sys.stderr)
        if args.emit_sigma and result.facts is not None:
            from edgeward.logs.sigma import write_sigma

            try:
                written = write_sigma(result.facts, args.emit_sigma)
            except OSError as exc:
                raise UsageError(f"--emit-sigma: {exc.strerror or exc}") from None
            if not args.quiet:
                print(
                    f"edgeward: {len(written)} Sigma rule file(s) written to {args.emit_sigma}",
                    file=sys.stderr,
                )
        return emit(result, args)
