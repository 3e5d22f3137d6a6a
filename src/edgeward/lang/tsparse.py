"""Tree-sitter plumbing shared by the Rust and Go front ends: one parser per language, bounded input,
byte offsets mapped to 1-based lines, and small node helpers."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from functools import cache

from tree_sitter import Language, Node, Parser, Tree

MAX_SOURCE_BYTES = 4 * 1024 * 1024  # larger sources are skipped with a note (generated code)


@cache
def language(name: str) -> Language:
    if name == "rust":
        import tree_sitter_rust

        return Language(tree_sitter_rust.language())
    if name == "go":
        import tree_sitter_go

        return Language(tree_sitter_go.language())
    raise ValueError(f"no tree-sitter grammar for {name!r}")


@cache
def parser(name: str) -> Parser:
    return Parser(language(name))


class LineIndex:
    """Byte offset -> (1-based line, 1-based column in bytes)."""

    def __init__(self, data: bytes):
        self.starts = [0]
        find = data.find
        i = find(b"\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = find(b"\n", i + 1)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def col(self, offset: int) -> int:
        ln = self.line(offset)
        return offset - self.starts[ln - 1] + 1


def changed_ranges(old: bytes, new: bytes, chunk: int = 64) -> list[tuple[int, int]]:
    """Byte ranges [start, end) where two sources of the same length differ (chunks compared in C first)."""
    n = len(old)
    out: list[tuple[int, int]] = []
    i = 0
    while i < n:
        end = min(i + chunk, n)
        if old[i:end] == new[i:end]:
            i = end
            continue
        j = i
        while j < end:
            if old[j] != new[j]:
                k = j
                while k < n and old[k] != new[k]:
                    k += 1
                out.append((j, k))
                j = k
            else:
                j += 1
        i = max(end, j)
    return out


def reparse(p: Parser, tree: Tree, old: bytes, new: bytes) -> Tree:
    """Parse `new`, a same-length rewrite of `old` (the tree of `old` is `tree`), incrementally: each changed
    byte range is reported with `Tree.edit`, so tree-sitter reuses the untouched subtrees instead of parsing
    the whole file again. Falls back to a fresh parse when the lengths differ."""
    if len(old) != len(new):
        return p.parse(new)
    ranges = changed_ranges(old, new)
    if not ranges:
        return tree
    oi, ni = LineIndex(old), LineIndex(new)

    def point(index: LineIndex, offset: int) -> tuple[int, int]:
        line = index.line(offset)
        return line - 1, offset - index.starts[line - 1]

    for s, e in ranges:
        tree.edit(
            start_byte=s,
            old_end_byte=e,
            new_end_byte=e,
            start_point=point(oi, s),
            old_end_point=point(oi, e),
            new_end_point=point(ni, e),
        )
    return p.parse(new, tree)


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def walk(node: Node) -> Iterator[Node]:
    """Every node below `node` (pre-order), without recursion."""
    cursor = node.walk()
    depth = 0
    while True:
        yield cursor.node
        if cursor.goto_first_child():
            depth += 1
            continue
        while True:
            if depth == 0:
                return
            if cursor.goto_next_sibling():
                break
            cursor.goto_parent()
            depth -= 1


def named_children(node: Node | None) -> list[Node]:
    if node is None:
        return []
    return [c for c in node.named_children if c.type not in ("line_comment", "block_comment", "comment")]


class SourcePositions:
    """Lines, columns and snippets of a parsed file; the file class gives `index` (a LineIndex) and `data`
    (the source bytes)."""

    index: LineIndex
    data: bytes

    def line(self, node: Node) -> int:
        return self.index.line(node.start_byte)

    def column(self, node: Node) -> int:
        return self.index.col(node.start_byte)

    def snippet(self, node: Node, limit: int = 160) -> str:
        s = " ".join(text(node).split())
        return s if len(s) <= limit else s[: limit - 1] + "…"

    def line_text(self, line: int) -> str:
        starts = self.index.starts
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.data)
        return self.data[starts[line - 1] : end].decode("utf-8", "replace").strip()
