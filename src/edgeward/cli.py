"""Command line: parse options, call the library, choose a reporter. No analysis happens here.

Commands are modules with `add_parser(subparsers)` and `run(args) -> int`; `COMMANDS` lists them.
Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage, configuration or input error.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from edgeward import __version__
from edgeward.findings import Severity
from edgeward.report import FORMATS, render

COMMANDS = (
    "edgeward.cli:Scan",
    "edgeward.cli:Rules",
    "edgeward.cli:Explain",
    "edgeward.probe.cli:Probe",
    "edgeward.probe.cli:EchoOrigin",
    "edgeward.logs.command:Logs",
)
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def add_output_options(p: argparse.ArgumentParser) -> None:
    """The output options every finding-producing command shares (scan, probe, logs)."""
    p.add_argument("--format", "-f", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        default=None,
        help="exit 1 when a finding is at or above this severity: info, low, medium, high, critical, "
        "or 'never' (default: high, or fail-on from the configuration)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress, no notes in the text report")
    p.add_argument("--no-color", action="store_true", help="no colours in the text report (also: NO_COLOR=1)")


def emit(result: Any, args: argparse.Namespace, default_fail_on: Severity = Severity.HIGH) -> int:
    """Render `result` as asked, write it, and return the exit code by severity."""
    to_tty = args.output is None and sys.stdout.isatty()
    color = to_tty and not args.no_color and not os.environ.get("NO_COLOR")
    text = render(result, args.format, color=color, quiet=args.quiet)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write report: {exc.strerror or exc}") from None
        if not args.quiet:
            print(
                f"edgeward: report written to {args.output} ({len(result.findings)} finding(s))",
                file=sys.stderr,
            )
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if args.fail_on == "never":
        return EXIT_OK
    threshold = Severity.parse(args.fail_on) if args.fail_on else default_fail_on
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_OK


def _progress(enabled: bool):
    if not enabled:
        return None

    def show(i: int, n: int, code: str) -> None:
        sys.stderr.write(f"\redgeward: rule {i + 1}/{n} {code} ")
        if i + 1 == n:
            sys.stderr.write("\r" + " " * 40 + "\r")
        sys.stderr.flush()

    return show


class Scan:
    name = "scan"

    @staticmethod
    def add_parser(sub: Any) -> None:
        p = sub.add_parser(
            "scan",
            help="audit a repository (config, source, lockfiles, CI, artifacts)",
            description="Audit a repository that deploys Cloudflare Workers or Fastly Compute apps "
            "and end with the 16-item operational checklist. Reads files only: never "
            "runs the project's code and never uses the network (unless --online is given).",
        )
        p.add_argument("path", nargs="?", default=".", help="repository or directory to scan (default: .)")
        add_output_options(p)
        p.add_argument(
            "--select", metavar="CODES", help="comma-separated rule codes or areas to run (e.g. SEC,PLT001)"
        )
        p.add_argument("--ignore", metavar="CODES", help="comma-separated rule codes or areas to skip")
        p.add_argument(
            "--config",
            metavar="FILE",
            help="configuration file (default: PATH/.edgeward.toml or [tool.edgeward] in PATH/pyproject.toml)",
        )
        p.add_argument(
            "--baseline", metavar="FILE", help="hide findings whose fingerprints are in this baseline"
        )
        p.add_argument(
            "--write-baseline", metavar="FILE", help="write the fingerprints of this run's findings to FILE"
        )
        p.add_argument(
            "--osv-db",
            metavar="DIR",
            help="SUP009: local OSV export directory (default: the built-in curated advisories for edge tooling)",
        )
        p.add_argument(
            "--online",
            action="store_true",
            help="SUP009: query the OSV API (api.osv.dev) for the locked versions; sends package names and versions",
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from edgeward import config as config_mod
        from edgeward.engine import load_baseline, scan, write_baseline

        root = Path(args.path)
        if not root.exists():
            raise UsageError(f"{args.path}: no such file or directory")
        if not root.is_dir():
            raise UsageError(f"{args.path}: not a directory (scan takes a repository or directory)")
        try:
            cfg = config_mod.load(root.resolve(), args.config)
        except config_mod.ConfigError as exc:
            raise UsageError(str(exc)) from None
        if args.select:
            cfg.select = [c.strip().upper() for c in args.select.split(",") if c.strip()]
        if args.ignore:
            cfg.ignore += [c.strip().upper() for c in args.ignore.split(",") if c.strip()]
        _check_codes(cfg.select + cfg.ignore)
        if getattr(args, "osv_db", None):
            if not Path(args.osv_db).is_dir():
                raise UsageError(f"--osv-db: {args.osv_db}: not a directory")
            cfg.osv_db = args.osv_db
        cfg.osv_online = bool(getattr(args, "online", False))
        if args.fail_on and args.fail_on != "never":
            try:
                Severity.parse(args.fail_on)
            except ValueError as exc:
                raise UsageError(f"--fail-on: {exc}") from None
        baseline = None
        if args.baseline:
            try:
                baseline = load_baseline(args.baseline)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        show = not args.quiet and sys.stderr.isatty()
        result = scan(root, cfg, baseline=baseline, progress=_progress(show))
        if args.write_baseline:
            write_baseline(args.write_baseline, result.findings)
            if not args.quiet:
                print(
                    f"edgeward: baseline of {len(result.findings)} finding(s) written to {args.write_baseline}",
                    file=sys.stderr,
                )
        return emit(result, args, cfg.fail_on)


def _check_codes(codes: list[str]) -> None:
    from edgeward.rules.registry import AREAS, all_codes

    known = {r["code"] for r in all_codes()}
    for c in codes:
        if c in known or c in AREAS or any(k.startswith(c) for k in known):
            continue
        raise UsageError(f"unknown rule code or area {c!r} (see `edgeward rules`)")


class Rules:
    name = "rules"

    @staticmethod
    def add_parser(sub: Any) -> None:
        p = sub.add_parser("rules", help="list every rule with its severity and status")
        p.add_argument(
            "--format",
            choices=("text", "json", "markdown"),
            default="text",
            help="markdown: the full documentation of every rule (docs/rules.md is made this way)",
        )
        p.add_argument(
            "--all", action="store_true", help="also list rules of the specification not yet implemented"
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        import json

        from edgeward.rules.registry import all_codes, get

        rows = []
        for entry in all_codes():
            r = get(entry["code"])
            if not entry["implemented"] and not args.all:
                continue
            rows.append(
                {
                    "code": entry["code"],
                    "name": entry["name"],
                    "area": r.area if r else None,
                    "severity": str(r.severity) if r else None,
                    "confidence": str(r.confidence) if r else None,
                    "checklist": list(r.checklist) if r else [],
                    "command": r.kind if r else None,
                    "implemented": entry["implemented"],
                    "summary": entry["summary"],
                }
            )
        if args.format == "json":
            print(json.dumps(rows, indent=2))
            return EXIT_OK
        if args.format == "markdown":
            sys.stdout.write(rules_markdown(rows))
            return EXIT_OK
        for row in rows:
            status = f"{row['severity']:<8}" if row["implemented"] else "planned "
            print(f"{row['code']}  {status} {row['name']:<32} {row['summary'][:80]}")
        print(
            f"\n{sum(r['implemented'] for r in rows)} rule(s) implemented"
            + ("" if args.all else "; `edgeward rules --all` also lists the planned ones")
        )
        return EXIT_OK


def rules_markdown(rows: list[dict[str, Any]]) -> str:
    """The rule reference, generated from the rules' own metadata and docstrings."""
    from edgeward.rules.registry import get

    out = [
        "# edgeward rules",
        "",
        "Generated by `edgeward rules --all --format markdown`; do not edit by hand.",
        "",
        "| code | name | severity | confidence | checklist | status |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        status = "implemented" if row["implemented"] else "planned"
        items = ", ".join(map(str, row["checklist"])) or "-"
        out.append(
            f"| [{row['code']}](#{row['code'].lower()}) | {row['name']} | {row['severity'] or '-'} | "
            f"{row['confidence'] or '-'} | {items} | {status} |"
        )
    for row in rows:
        out += ["", f"## {row['code']}", "", f"**{row['name']}** — {row['summary']}", ""]
        r = get(row["code"])
        if r is None:
            out.append("_Not implemented yet._")
            continue
        out.append(
            f"Area: {r.area}. Default severity: {r.severity}. Confidence: {r.confidence}. "
            f"Command: `edgeward {r.kind}`."
        )
        for part, text in r.doc_parts().items():
            out += ["", text] if part == "lead" else ["", f"### {part}", "", text]
    return "\n".join(out) + "\n"


class Explain:
    name = "explain"

    @staticmethod
    def add_parser(sub: Any) -> None:
        p = sub.add_parser("explain", help="print a rule's documentation")
        p.add_argument("code", help="rule code, e.g. SEC001")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from edgeward.rules.registry import all_codes, get

        code = args.code.upper()
        r = get(code)
        if r is None:
            entry = next((e for e in all_codes() if e["code"] == code), None)
            if entry is None:
                raise UsageError(f"unknown rule code {args.code!r} (see `edgeward rules --all`)")
            print(f"{code} {entry['name']} (not implemented yet)\n\n{entry['summary']}")
            return EXIT_OK
        print(f"{r.code} {r.name}")
        print(
            f"area: {r.area}   severity: {r.severity}   confidence: {r.confidence}   "
            f"checklist: {', '.join(map(str, r.checklist)) or '-'}   command: {r.kind}\n"
        )
        for part, text in r.doc_parts().items():
            print(text if part == "lead" else f"{part}:\n  " + text.replace("\n", "\n  "))
            print()
        return EXIT_OK


def _load_command(spec: str) -> Any:
    mod, _, attr = spec.partition(":")
    return getattr(importlib.import_module(mod), attr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgeward",
        description="Hardening audit for edge deployments: Cloudflare Workers and Fastly Compute.",
        epilog="Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage, configuration or input error.",
    )
    parser.add_argument("--version", action="version", version=f"edgeward {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = {}
    for spec in COMMANDS:
        cmd = _load_command(spec)
        cmd.add_parser(sub)
        commands[cmd.name] = cmd
    parser.set_defaults(_commands=commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    rc = _main(argv)
    if argv is None:
        # Run as the program (console script, `python -m edgeward`): the process ends right after this.
        # Move what is still alive (facts, parse caches) to the collector's permanent generation so that
        # interpreter shutdown does not traverse it all once more (~2 CPU-s on a large repository; see
        # docs/performance.md). Callers passing `argv` (tests, embedding) keep the normal collector.
        gc.freeze()
    return rc


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args._commands[args.command].run(args))
    except UsageError as exc:
        print(f"edgeward: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("edgeward: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
