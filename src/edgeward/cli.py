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
from edgeward.config import normalise_code
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


def fail_on_value(text: str) -> str:
    """argparse type of --fail-on: a severity name or `never`, in any letter case; returned lower-case."""
    value = text.strip().lower()
    if value == "never":
        return value
    try:
        Severity.parse(value)
    except ValueError:
        names = ", ".join(str(s) for s in Severity)
        raise argparse.ArgumentTypeError(
            f"unknown severity {text!r} (expected one of: {names}, never)"
        ) from None
    return value


def add_output_options(p: argparse.ArgumentParser, *, configurable: bool = False) -> None:
    """The output options every finding-producing command shares (scan, probe, logs).

    `configurable`: the command reads `fail-on` from the configuration file (only `scan` does).
    """
    p.add_argument("--format", "-f", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    default = "high, or fail-on from the configuration" if configurable else "high"
    p.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        type=fail_on_value,
        default=None,
        help="exit 1 when a finding is at or above this severity: info, low, medium, high, critical, "
        f"or 'never' to always exit 0 (default: {default})",
    )
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress, and no notes or checklist explanations in the text report",
    )
    p.add_argument("--no-color", action="store_true", help="no colours in the text report (also: NO_COLOR=1)")


def emit(result: Any, args: argparse.Namespace, default_fail_on: Severity | None = Severity.HIGH) -> int:
    """Render `result` as asked, write it, and return the exit code by severity.

    `default_fail_on` applies without --fail-on; None means never (configuration `fail-on = "never"`).
    """
    to_tty = args.output is None and sys.stdout.isatty()
    color = to_tty and not args.no_color and not os.environ.get("NO_COLOR")
    text = render(result, args.format, color=color, quiet=args.quiet)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write report: {exc.strerror or exc}") from None
        if not args.quiet:
            print(
                f"edgeward: report written to {args.output} ({len(result.findings)} finding(s))",
                file=sys.stderr,
            )
    else:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except UnicodeEncodeError:  # a terminal or PYTHONIOENCODING that is not UTF-8: write UTF-8 bytes
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # e.g. a full disk behind a redirection
            _silence_stdout()
            raise UsageError(f"cannot write report to standard output: {exc.strerror or exc}") from None
    if args.fail_on == "never" or (not args.fail_on and default_fail_on is None):
        return EXIT_OK
    threshold = Severity.parse(args.fail_on) if args.fail_on else default_fail_on
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests), or already closed
        pass


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
        add_output_options(p, configurable=True)
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
            "--write-baseline",
            metavar="FILE",
            help="write the fingerprints of this run's findings (and of those --baseline hid) to FILE",
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
        from edgeward.engine import load_baseline, scan

        root = Path(args.path)
        try:
            if not root.exists():
                raise UsageError(f"{args.path}: no such file or directory")
            if not root.is_dir():
                raise UsageError(f"{args.path}: not a directory (scan takes a repository or directory)")
        except OSError as exc:  # a name too long, a directory we may not enter...
            raise UsageError(f"{args.path}: {exc.strerror or exc}") from None
        try:
            cfg = config_mod.load(root.resolve(), args.config)
        except config_mod.ConfigError as exc:
            raise UsageError(str(exc)) from None
        where = f"{cfg.source}: " if cfg.source else ""
        _check_codes(cfg.select + cfg.ignore, where)
        _check_scan_codes(cfg.select, where + "select: ")
        _check_codes(
            [c for codes in cfg.per_path_ignores.values() for c in codes], where + "per-path-ignores: "
        )
        _check_codes(list(cfg.severity), where + "severity: ", exact=True)
        if args.select:
            cfg.select = [normalise_code(c) for c in args.select.split(",") if c.strip()]
            _check_codes(cfg.select, "--select: ")
            _check_scan_codes(cfg.select, "--select: ")
        if args.ignore:
            extra = [normalise_code(c) for c in args.ignore.split(",") if c.strip()]
            _check_codes(extra, "--ignore: ")
            cfg.ignore += extra
        if cfg.osv_db and not getattr(args, "osv_db", None) and not Path(cfg.osv_db).is_dir():
            raise UsageError(f"{cfg.source}: osv-db: {cfg.osv_db}: not a directory")
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
            # with --baseline too, the findings it hid stay accepted in the new baseline
            kept = result.findings + result.baselined
            save_baseline(args.write_baseline, kept)
            if not args.quiet:
                print(
                    f"edgeward: baseline of {len(kept)} finding(s) written to {args.write_baseline}",
                    file=sys.stderr,
                )
        return emit(result, args, cfg.fail_on)


def save_baseline(path: str, findings: list) -> None:
    """Write a baseline file; an unwritable path is a usage error (exit 2), not a traceback."""
    from edgeward.engine import write_baseline

    try:
        write_baseline(path, findings)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def _check_codes(codes: list[str], where: str = "", *, exact: bool = False) -> None:
    """`where` prefixes the message (e.g. the configuration file) so the user knows where the code came from.

    `exact`: only full rule codes are valid (severity overrides apply to one rule each, not to areas).
    """
    from edgeward.rules.registry import AREAS, all_codes

    known = {r["code"] for r in all_codes()}
    for c in codes:
        if c in known:
            continue
        if exact:
            raise UsageError(
                f"{where}unknown rule code {c!r}: give a full code such as SEC001 (see `edgeward rules --all`)"
            )
        if c in AREAS or any(k.startswith(c) for k in known):
            continue
        raise UsageError(f"{where}unknown rule code or area {c!r} (see `edgeward rules --all`)")


def _check_scan_codes(codes: list[str], where: str) -> None:
    """`scan --select` with only probe or logs codes would run nothing and exit 0: say which command runs it."""
    from edgeward.rules.registry import REGISTRY, load_all

    load_all()
    for c in codes:
        kinds = {r.kind for code, r in REGISTRY.items() if code == c or code.startswith(c)}
        if kinds and "scan" not in kinds:
            raise UsageError(f"{where}{c} is not a scan rule: `edgeward {sorted(kinds)[0]}` runs it")


class Rules:
    name = "rules"

    @staticmethod
    def add_parser(sub: Any) -> None:
        p = sub.add_parser(
            "rules", help="list the implemented rules with their severity (--all: also the planned ones)"
        )
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
            summary = row["summary"] if len(row["summary"]) <= 80 else row["summary"][:79] + "…"
            print(f"{row['code']}  {status} {row['name']:<32} {summary}")
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
        _silence_stdout()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
