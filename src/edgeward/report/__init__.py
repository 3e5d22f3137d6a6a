"""Reporters: render a result (scan, probe or logs) as text, json, sarif or markdown.

A reporter knows the result's findings, notes, checklist and stats, and the metadata of the rules
(through the registry); nothing else.
"""

from __future__ import annotations

import re
from typing import Any

FORMATS = ("text", "json", "sarif", "markdown")

# Control characters (terminal escapes, newlines that would forge report lines), bidirectional overrides
# and line separators (text that displays other than it reads) and lone surrogates (bytes of a file name
# that are not UTF-8, kept by surrogateescape) in names and messages taken from the tree.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_JSON_ESCAPE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    o = ord(m.group())
    if o in (10, 13):
        return "\\n" if o == 10 else "\\r"
    if 0xDC80 <= o <= 0xDCFF:  # a raw byte of a file name (surrogateescape)
        return f"\\x{o - 0xDC00:02x}"
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def printable(text: Any) -> str:
    """`text` made safe for one line of a terminal or a Markdown cell: control characters and undecodable
    bytes are shown as escapes (`\\n`, `\\x1b`, `\\xff`)."""
    return _UNPRINTABLE.sub(_escape, str(text))


def json_safe(text: str) -> str:
    """JSON text from `json.dumps(..., ensure_ascii=False)` with lone surrogates (so that it can be encoded
    as UTF-8), C1 controls and bidirectional overrides written as `\\uXXXX` escapes: the values decode back
    to the same strings, and the file shows what it holds when printed."""
    return _JSON_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
