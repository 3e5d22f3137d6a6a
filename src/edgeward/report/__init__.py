"""Reporters: render a result (scan, probe or logs) as text, json, sarif or markdown.

A reporter knows the result's findings, notes, checklist and stats, and the metadata of the rules
(through the registry); nothing else.
"""

from __future__ import annotations

from typing import Any

FORMATS = ("text", "json", "sarif", "markdown")


def render(result: Any, fmt: str, *, color: bool = False, quiet: bool = False) -> str:
    if fmt == "json":
        from edgeward.report.json_report import render_json

        return render_json(result)
    if fmt == "sarif":
        from edgeward.report.sarif import render_sarif

        return render_sarif(result)
    if fmt == "markdown":
        from edgeward.report.markdown import render_markdown

        return render_markdown(result)
    from edgeward.report.text import render_text

    return render_text(result, color=color, quiet=quiet)
