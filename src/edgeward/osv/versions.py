"""Version ordering and range evaluation for npm (node-semver), Cargo and Go module versions.

`parse()` reads a SemVer 2.0 version (a leading `v` and a missing minor/patch are tolerated). Ordering follows
SemVer precedence: a pre-release sorts before its release, numeric identifiers compare numerically and sort
before alphanumeric ones, build metadata is ignored.

`satisfies(version, spec, ecosystem)` evaluates a requirement the way the package manager does:
- npm: `^1.2.3`, `~1.2`, `1.2.x`, `>=1 <2`, `1.2.3 - 2.0.0`, `a || b`; a pre-release version matches a comparator set
  only when some comparator of that set names a pre-release of the same major.minor.patch (node-semver's rule);
- cargo: comma-separated comparators, a bare version means `^`, `=`, `~`, wildcards; pre-releases match only a
  requirement that names a pre-release of the same major.minor.patch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_VERSION = re.compile(
    r"^\s*[=v]*\s*(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z.-]+))?\s*$"
)


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    def __lt__(self, other: Version) -> bool:  # type: ignore[override]
        a = (self.major, self.minor, self.patch)
        b = (other.major, other.minor, other.patch)
        if a != b:
            return a < b
        if not self.pre or not other.pre:
            return bool(self.pre) and not other.pre
        for x, y in zip(self.pre, other.pre, strict=False):
            if x == y:
                continue
            if isinstance(x, int) and isinstance(y, int):
                return x < y
            if isinstance(x, int) != isinstance(y, int):
                return isinstance(x, int)
            return str(x) < str(y)
        return len(self.pre) < len(other.pre)

    @property
    def base(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __str__(self) -> str:
        s = f"{self.major}.{self.minor}.{self.patch}"
        return s + ("-" + ".".join(str(p) for p in self.pre) if self.pre else "")


def _pre(text: str | None) -> tuple[int | str, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def parse(text: str) -> Version | None:
    """A full version (missing minor/patch count as 0); None for anything else."""
    m = _VERSION.match(text or "")
    if not m:
        return None
    if any(g and g in "xX*" for g in (m.group(2), m.group(3))):
        return None
    return Version(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), _pre(m.group(4)))


# ------------------------------------------------------------------------------------------ comparators

Comparator = tuple[str, Version]  # (op, version), op in <, <=, >, >=, =


def _partial(text: str) -> tuple[list[int | None], tuple[int | str, ...]] | None:
    m = _VERSION.match(text)
    if not m:
        return None
    parts: list[int | None] = []
    for g in (m.group(1), m.group(2), m.group(3)):
        if g is None or g in "xX*":
            parts.append(None)
        else:
            parts.append(int(g))
    # anything after a wildcard is a wildcard
    for i in range(3):
        if parts[i] is None:
            parts[i + 1 :] = [None] * (2 - i)
            break
    return parts, _pre(m.group(4))


def _expand(op: str, text: str, caret_default: bool) -> list[Comparator] | None:
    """One comparator token (`^1.2`, `>=1.0.0-rc.1`, `1.x`, `~0.3`) as primitive comparators."""
    text = text.strip()
    if text in ("", "*", "x", "X", "latest"):
        return [(">=", Version(0, 0, 0))] if text != "latest" else None
    p = _partial(text)
    if p is None:
        return None
    (ma, mi, pa), pre = p
    if ma is None:
        return [(">=", Version(0, 0, 0))]
    if op == "" and caret_default:
        op = "^"
    if op in ("", "="):
        if mi is None:
            return [(">=", Version(ma, 0, 0)), ("<", Version(ma + 1, 0, 0, (0,)))]
        if pa is None:
            return [(">=", Version(ma, mi, 0)), ("<", Version(ma, mi + 1, 0, (0,)))]
        return [("=", Version(ma, mi, pa, pre))]
    if op == "^":
        lo = Version(ma, mi or 0, pa or 0, pre)
        if ma > 0 or mi is None:
            hi = Version(ma + 1, 0, 0, (0,))
        elif mi > 0 or pa is None:
            hi = Version(0, mi + 1, 0, (0,))
        else:
            hi = Version(0, 0, pa + 1, (0,))
        return [(">=", lo), ("<", hi)]
    if op in ("~", "~>"):
        lo = Version(ma, mi or 0, pa or 0, pre)
        hi = Version(ma + 1, 0, 0, (0,)) if mi is None else Version(ma, mi + 1, 0, (0,))
        return [(">=", lo), ("<", hi)]
    if op == ">":
        if mi is None:
            return [(">=", Version(ma + 1, 0, 0))]
        if pa is None:
            return [(">=", Version(ma, mi + 1, 0))]
        return [(">", Version(ma, mi, pa, pre))]
    if op == ">=":
        return [(">=", Version(ma, mi or 0, pa or 0, pre))]
    if op == "<":
        return [("<", Version(ma, mi or 0, pa or 0, pre if pa is not None else (0,)))]
    if op == "<=":
        if mi is None:
            return [("<", Version(ma + 1, 0, 0, (0,)))]
        if pa is None:
            return [("<", Version(ma, mi + 1, 0, (0,)))]
        return [("<=", Version(ma, mi, pa, pre))]
    return None


def _test(v: Version, comps: list[Comparator]) -> bool:
    for op, c in comps:
        if op == "=" and not v == c:
            return False
        if op == "<" and not v < c:
            return False
        if op == "<=" and not v <= c:
            return False
        if op == ">" and not v > c:
            return False
        if op == ">=" and not v >= c:
            return False
    return True


def _pre_allowed(v: Version, comps: list[Comparator]) -> bool:
    if not v.pre:
        return True
    return any(c.pre and c.base == v.base and c.pre != (0,) for _, c in comps)


_TOKEN = re.compile(r"(<=|>=|~>|[<>=^~])?\s*([^\s,<>=^~|]+)")


def _npm_set(text: str) -> list[Comparator] | None:
    text = text.strip()
    hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", text)
    if hyphen:
        lo = _expand(">=", hyphen.group(1), False)
        hi = _expand("<=", hyphen.group(2), False)
        return None if lo is None or hi is None else lo + hi
    comps: list[Comparator] = []
    for m in _TOKEN.finditer(text):
        got = _expand(m.group(1) or "", m.group(2), False)
        if got is None:
            return None
        comps += got
    return comps


def npm_satisfies(version: str | Version, spec: str) -> bool | None:
    """node-semver `satisfies`; None when the spec is not a semver range (tags, URLs, `workspace:`...)."""
    v = version if isinstance(version, Version) else parse(version)
    if v is None:
        return None
    spec = spec.strip()
    if spec.startswith("npm:") and "@" in spec[4:]:
        spec = spec.rsplit("@", 1)[1]
    if (
        re.match(r"^(workspace:|file:|link:|git|github:|https?:|portal:|patch:|catalog:)", spec)
        or "/" in spec
    ):
        return None
    any_valid = False
    for part in spec.split("||"):
        comps = _npm_set(part) if part.strip() else [(">=", Version(0, 0, 0))]
        if comps is None:
            continue
        any_valid = True
        if _test(v, comps) and _pre_allowed(v, comps):
            return True
    return False if any_valid else None


def cargo_satisfies(version: str | Version, spec: str) -> bool | None:
    """Cargo's `VersionReq::matches`; None when the requirement does not parse."""
    v = version if isinstance(version, Version) else parse(version)
    if v is None:
        return None
    comps: list[Comparator] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(<=|>=|[<>=^~])?\s*(\S+)$", part)
        if not m:
            return None
        got = _expand(m.group(1) or "", m.group(2), True)
        if got is None:
            return None
        comps += got
    if not comps:
        comps = [(">=", Version(0, 0, 0))]
    return _test(v, comps) and _pre_allowed(v, comps)


def satisfies(version: str, spec: str, ecosystem: str) -> bool | None:
    if ecosystem in ("cargo", "crates.io"):
        return cargo_satisfies(version, spec)
    return npm_satisfies(version, spec)
