"""Source maps: the original sources a bundler embedded (`sourcesContent`), with their original paths."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator

_SCHEME = re.compile(r"^(?:webpack|file|vite|rollup|esbuild|ng)://+[^/]*/?|^/+")


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
