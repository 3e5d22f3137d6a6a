"""Source maps: the original sources a bundler embedded (`sourcesContent`), with their original paths."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator

_SCHEME = re.compile(r"^(?:webpack|file|vite|rollup|esbuild|ng)://+[^/]*/?|^/+")


def strip_scheme(source: str) -> str:
    """`webpack://app/./src/x.ts` -> `./src/x.ts`; `/abs/path` -> `abs/path`."""
    return _SCHEME.sub("", source.replace("\\", "/"))


def original_path(map_rel: str, source_root: str, source: str) -> str:
    """The project-relative path a map entry points at (may be outside the project: starts with '..')."""
    src = _SCHEME.sub("", source.replace("\\", "/"))
    root = _SCHEME.sub("", (source_root or "").replace("\\", "/"))
    base = posixpath.dirname(map_rel)
    return posixpath.normpath(posixpath.join(base, root, src)) if src else posixpath.normpath(base)


def sources(text: str, map_rel: str) -> Iterator[tuple[str, str, str]]:
    """(original path, source name as written, content) for every embedded source. Raises ValueError."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a source map (top level is not an object)")
    maps = [data]
    if isinstance(data.get("sections"), list):  # index map
        maps = [
            s.get("map") for s in data["sections"] if isinstance(s, dict) and isinstance(s.get("map"), dict)
        ]
    for m in maps:
        names = m.get("sources") or []
        contents = m.get("sourcesContent") or []
        root = m.get("sourceRoot") or ""
        if not isinstance(names, list) or not isinstance(contents, list):
            continue
        for name, content in zip(names, contents, strict=False):
            if isinstance(name, str) and isinstance(content, str) and content:
                yield original_path(map_rel, root if isinstance(root, str) else "", name), name, content


_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _vlq(segment: str) -> list[int]:
    out: list[int] = []
    value = shift = 0
    for ch in segment:
        digit = _B64.get(ch)
        if digit is None:
            raise ValueError(f"bad VLQ character {ch!r}")
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        out.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    return out


def original_positions(
    text: str, map_rel: str, wanted: list[tuple[int, int]]
) -> dict[tuple[int, int], tuple[str, int]]:
    """Map generated (line, column), both 1-based, to (original path, original 1-based line) through the
    map's `mappings`. Positions without a mapping are left out. Raises ValueError on a malformed map."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("mappings"), str):
        raise ValueError("not a source map with `mappings`")
    names = data.get("sources") or []
    root = data.get("sourceRoot") or ""
    want_by_line: dict[int, list[int]] = {}
    for line, col in wanted:
        want_by_line.setdefault(line - 1, []).append(col - 1)
    last = max(want_by_line, default=-1)
    out: dict[tuple[int, int], tuple[str, int]] = {}
    src = oline = 0
    for gline, line_text in enumerate(data["mappings"].split(";")):
        if gline > last:
            break
        gcol = 0
        segs: list[tuple[int, int, int]] = []  # (generated column, source index, original line)
        for seg in line_text.split(",") if line_text else ():
            f = _vlq(seg)
            if not f:
                continue
            gcol += f[0]
            if len(f) >= 4:
                src += f[1]
                oline += f[2]
                segs.append((gcol, src, oline))
            else:
                segs.append((gcol, -1, -1))  # unmapped from here
        for col in want_by_line.get(gline, ()):
            best = None
            for s in segs:
                if s[0] <= col:
                    best = s
                else:
                    break
            if best is not None and 0 <= best[1] < len(names) and isinstance(names[best[1]], str):
                path = original_path(map_rel, root if isinstance(root, str) else "", names[best[1]])
                out[(gline + 1, col + 1)] = (path, best[2] + 1)
    return out
