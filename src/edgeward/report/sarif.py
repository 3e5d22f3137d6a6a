"""SARIF 2.1.0 for code-scanning UIs: rules carry their help text and checklist tags."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from edgeward import __version__
from edgeward.findings import Severity
from edgeward.report import json_safe
from edgeward.rules.registry import get

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _uri(path: str) -> str:
    """A relative path as a URI reference: spaces, `#`, `%`, control characters and bytes that are not
    UTF-8 (surrogateescape) percent-encoded."""
    try:
        return quote(path, safe=_URI_SAFE, errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no raw byte
        return quote(path, safe=_URI_SAFE, errors="surrogatepass")


_URI_SAFE = "/@!$&'()*+,;="  # RFC 3986 path characters besides letters, digits, -._~ and ":" (a scheme)


def _rule_descriptor(code: str) -> dict[str, Any]:
    r = get(code)
    if r is None:
        return {"id": code}
    parts = r.doc_parts()
    help_md = "\n\n".join(f"**{k}:** {v}" for k, v in parts.items() if k != "lead")
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": parts.get("lead") or r.summary},
        "fullDescription": {"text": parts.get("What it finds", r.summary)},
        "help": {"text": help_md.replace("**", ""), "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {
            "tags": ["security", r.area] + [f"checklist-{n}" for n in r.checklist],
            "security-severity": SCORE[r.severity],
            "precision": {"high": "high", "medium": "medium", "low": "low"}[str(r.confidence)],
        },
    }


def render_sarif(result: Any) -> str:
    codes = sorted({f.code for f in result.findings})
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for f in result.findings:
        res: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL[f.severity],
            "message": {"text": f.message + (f" — {f.evidence}" if f.evidence else "")},
            "partialFingerprints": {"edgeward/v1": f.fingerprint},
            "properties": {
                "severity": str(f.severity),
                "confidence": str(f.confidence),
                "checklist": f.checklist,
            },
        }
        if f.path:
            res["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": (
                            {"uri": f.path}  # an absolute URL (probe findings) has no base
                            if "://" in f.path
                            else {"uri": _uri(f.path), "uriBaseId": "SRCROOT"}
                        ),
                        "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line},
                    }
                }
            ]
        results.append(res)
    root = str(result.root)
    root_uri = (root if "://" in root else "file://" + _uri(root.rstrip("/"))).rstrip("/") + "/"
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "edgeward",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://pypi.org/project/edgeward/",
                        "rules": [_rule_descriptor(c) for c in codes],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root_uri}},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning" if n.kind in ("parse-error", "internal-error") else "note",
                                "message": {"text": f"{n.path or 'run'}: {n.kind}: {n.message}"},
                                **(
                                    {
                                        "locations": [
                                            {
                                                "physicalLocation": {
                                                    "artifactLocation": {
                                                        "uri": _uri(n.path),
                                                        "uriBaseId": "SRCROOT",
                                                    }
                                                }
                                            }
                                        ]
                                    }
                                    if n.path
                                    else {}
                                ),
                            }
                            for n in result.notes
                        ],
                    }
                ],
            }
        ],
    }
    return json_safe(json.dumps(sarif, indent=2, ensure_ascii=False)) + "\n"
