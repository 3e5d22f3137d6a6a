"""Markdown report for pull-request comments."""

from __future__ import annotations

from typing import Any

from edgeward.report import printable

ICON = {"pass": "✅", "fail": "❌", "not-verifiable": "❔", "not-applicable": "➖"}


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("<", "&lt;")


def _code(text: str) -> str:
    """A path as inline code, safe in a table cell whatever characters the name holds."""
    t = printable(text).replace("|", "\\|")
    return f"`` {t} ``" if "`" in t else f"`{t}`"


def render_markdown(result: Any) -> str:
    out = ["## edgeward report", ""]
    if result.findings:
        out += ["| severity | code | location | message |", "|---|---|---|---|"]
        for f in result.findings:
            loc = _code(f"{f.path}:{f.line}") if f.path else "repository"
            out.append(f"| {f.severity} | {f.code} {f.name} | {loc} | {_cell(f.message)} |")
        out.append("")
    else:
        out += ["No findings.", ""]
    if result.checklist:
        out += ["### Operational checklist", "", "| # | control | status | note |", "|---|---|---|---|"]
        for row in result.checklist:
            out.append(
                f"| {row.item} | {_cell(row.title)} | {ICON.get(row.status, '')} {row.status} | "
                f"{_cell(row.note)} |"
            )
        out.append("")
    if result.notes:
        out += [f"<details><summary>{len(result.notes)} note(s)</summary>", ""]
        out += [f"- {_code(n.path or 'run')}: {n.kind}: {_cell(n.message)}" for n in result.notes]
        out += ["", "</details>", ""]
    return "\n".join(out)
