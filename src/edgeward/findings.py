"""The finding model shared by every command: severity, confidence, findings, notes, redaction.

A finding is created by a rule (as a `Hit`) and completed by the engine with the rule's metadata.
Nothing here knows about files or parsers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    def __str__(self) -> str:
        return self.name.lower()


class Confidence(IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @classmethod
    def parse(cls, text: str) -> Confidence:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown confidence {text!r} (expected low, medium or high)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass
class Hit:
    """What a rule yields: where, what, and the evidence. The engine adds the rule's metadata.

    `anchor` is what the fingerprint is computed from (with code and path), so that a finding keeps its
    fingerprint when lines move: use something stable such as a config key path or a normalised snippet.
    Never put a secret in any field: pass it through `redact()` first.
    """

    path: str | None
    line: int
    message: str
    evidence: str = ""
    column: int = 1
    end_line: int | None = None
    anchor: str | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Finding:
    code: str
    name: str
    area: str
    severity: Severity
    confidence: Confidence
    path: str | None
    line: int
    column: int
    end_line: int
    message: str
    evidence: str
    fingerprint: str
    checklist: list[int]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "area": self.area,
            "severity": str(self.severity),
            "confidence": str(self.confidence),
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "message": self.message,
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
            "checklist": list(self.checklist),
        }
        for key, value in self.extra.items():
            d.setdefault(key, value)
        return d

    def sort_key(self) -> tuple:
        return (self.path or "", self.line, self.column, self.code)


@dataclass
class Note:
    """Something the run could not do or chose to skip, naming the file: parse errors, skipped binaries..."""

    path: str | None
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "message": self.message}


def fingerprint(code: str, path: str | None, anchor: str, occurrence: int = 0) -> str:
    """A stable id for a finding: independent of its line number so that baselines survive edits."""
    norm = " ".join(anchor.split())
    h = hashlib.sha256(f"{code}\0{path or ''}\0{norm}\0{occurrence}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


def redact(secret: str, kind: str | None = None) -> str:
    """Show what a secret is without showing it: a few edge characters, its length and its kind.

    Short values show no characters at all. The result never contains more than 6 characters of the
    secret, and never more than a quarter of it.
    """
    s = secret
    n = len(s)
    if n >= 24:
        shown = f"{s[:4]}…{s[-2:]}"
    elif n >= 12:
        shown = f"{s[:2]}…{s[-1:]}"
    else:
        shown = "…"
    label = f"{kind}, " if kind else ""
    return f"{shown} ({label}{n} chars)"
