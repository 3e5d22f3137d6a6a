"""The rule registry: metadata and documentation of every rule, and the functions that implement them.

The catalog of all rule codes (`data/catalog.json`, from the specification) lists what the product must carry;
a rule is *implemented* once a function is registered for it with `@rule`. Only implemented rules can make a
checklist item pass.

A scan rule is a function `(project) -> Iterable[Hit]`; its docstring is its documentation, written in four
parts headed "What it finds", "Why it matters", "Example" and "Fix" (one blank line between parts).
Probe and log rules are declared with `@rule(..., kind="probe"|"logs")` on a function that documents them;
their commands produce the findings.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from edgeward.findings import Confidence, Hit, Severity

AREAS = {
    "SEC": "secrets",
    "ISO": "isolation",
    "SUP": "supply-chain",
    "REQ": "request-validation",
    "OBS": "observability",
    "PLT": "platform",
    "PRB": "probe",
    "LOG": "logs",
}

DOC_PARTS = ("What it finds", "Why it matters", "Example", "Fix")


@dataclass
class Rule:
    code: str
    name: str
    area: str
    severity: Severity
    confidence: Confidence
    checklist: tuple[int, ...]
    platforms: frozenset[str]
    kind: str  # "scan", "probe" or "logs"
    summary: str
    doc: str
    funcs: list[Callable[..., Iterable[Hit]]] = field(default_factory=list)

    @property
    def implemented(self) -> bool:
        return bool(self.funcs)

    def run(self, *args: Any) -> Iterable[Hit]:
        """Every part of the rule (one per language or input kind), in registration order."""
        for func in self.funcs:
            yield from func(*args)

    def doc_parts(self) -> dict[str, str]:
        """Split the docstring into its four parts; text before the first heading is the lead."""
        parts: dict[str, str] = {}
        current = "lead"
        buf: list[str] = []
        for line in self.doc.splitlines():
            m = re.match(r"^(What it finds|Why it matters|Example|Fix):\s*(.*)$", line.strip())
            if m:
                parts[current] = "\n".join(buf).strip()
                current, buf = m.group(1), [m.group(2)] if m.group(2) else []
            else:
                buf.append(line)
        parts[current] = "\n".join(buf).strip()
        return {k: v for k, v in parts.items() if v}


@cache
def catalog() -> dict[str, Any]:
    text = resources.files("edgeward").joinpath("data/catalog.json").read_text(encoding="utf-8")
    return json.loads(text)


def _catalog_entry(code: str) -> dict[str, str]:
    for entry in catalog()["rules"]:
        if entry["code"] == code:
            return entry
    raise KeyError(f"rule {code} is not in the catalog (data/catalog.json)")


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    *,
    severity: str,
    checklist: Iterable[int] = (),
    confidence: str = "high",
    platforms: Iterable[str] = ("workers", "fastly"),
    kind: str = "scan",
) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Register the decorated function as the implementation of `code`."""
    entry = _catalog_entry(code)
    if entry["name"] != name:
        raise ValueError(f"{code}: name {name!r} differs from the catalog's {entry['name']!r}")

    def deco(func: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        if code in REGISTRY:
            raise ValueError(f"{code}: registered twice; use @part({code!r}) for a further implementation")
        doc = inspect.cleandoc(func.__doc__ or "")
        missing = [p for p in DOC_PARTS if f"{p}:" not in doc]
        if missing:
            raise ValueError(f"{code}: documentation lacks {', '.join(missing)}")
        REGISTRY[code] = Rule(
            code=code,
            name=name,
            area=AREAS[code[:3]],
            severity=Severity.parse(severity),
            confidence=Confidence.parse(confidence),
            checklist=tuple(checklist),
            platforms=frozenset(platforms),
            kind=kind,
            summary=entry["summary"],
            doc=doc,
            funcs=[func],
        )
        return func

    return deco


_PARTS: list[tuple[str, Callable[..., Iterable[Hit]], bool]] = []
PENDING_PARTS: dict[str, list[Callable[..., Iterable[Hit]]]] = {}


def part(
    code: str, *, optional: bool = False
) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
    """Register another implementation of a rule whose metadata and documentation are given by `@rule`
    elsewhere (e.g. the Rust part of a rule first written for JavaScript). Attached by `load_all()`.
    `optional=True`: when no `@rule` registers the code (yet), the part is kept in `PENDING_PARTS`
    instead of failing, and attaches as soon as the owning rule exists."""
    _catalog_entry(code)

    def deco(func: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        _PARTS.append((code, func, optional))
        return func

    return deco


def load_all() -> dict[str, Rule]:
    """Import every rule module (registration happens at import) and return the registry."""
    from edgeward.rules import MODULES  # noqa: F401  (import side effect)

    while _PARTS:
        code, func, optional = _PARTS.pop(0)
        if code not in REGISTRY and optional:
            if func not in PENDING_PARTS.setdefault(code, []):
                PENDING_PARTS[code].append(func)
            continue
        if code not in REGISTRY:
            raise ValueError(
                f"{code}: a part is registered ({func.__module__}.{func.__name__}) but no @rule "
                "gives its metadata and documentation"
            )
        if func not in REGISTRY[code].funcs:
            REGISTRY[code].funcs.append(func)
    return REGISTRY


def all_codes() -> list[dict[str, str]]:
    """Every code of the specification with its implementation status."""
    load_all()
    out = []
    for entry in catalog()["rules"]:
        r = REGISTRY.get(entry["code"])
        out.append({**entry, "implemented": bool(r and r.implemented)})
    return out


def get(code: str) -> Rule | None:
    load_all()
    return REGISTRY.get(code.upper())
