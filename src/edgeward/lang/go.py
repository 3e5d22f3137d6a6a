"""Go front end (tree-sitter): syntax facts for Fastly Compute Go apps (compute-sdk-go).

`GoFile` exposes import aliases (alias -> import path), string constants, and resolved call sites:
`rtlog.Open("x")` with `rt "github.com/fastly/compute-sdk-go/rtlog"` imported resolves to
`github.com/fastly/compute-sdk-go/rtlog.Open`; method calls on values are `.Method`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from edgeward.lang.tsparse import LineIndex, SourcePositions, named_children, parser, text, walk


@dataclass
class GoCall:
    callee: str  # "import/path.Func" or ".Method"
    name: str
    node: Node
    args: list[Node]
    receiver: Node | None = None
    line: int = 0
    column: int = 1


@dataclass
class GoFile(SourcePositions):
    path: str
    data: bytes
    root: Node
    index: LineIndex
    package: str = ""
    imports: dict[str, str] = field(default_factory=dict)  # local name -> import path
    consts: dict[str, str] = field(default_factory=dict)
    calls: list[GoCall] = field(default_factory=list)
    has_errors: bool = False


def package_name(import_path: str) -> str:
    """The default local name of an import: its last segment, skipping a major-version suffix
    (`github.com/golang-jwt/jwt/v5` -> `jwt`, `gopkg.in/yaml.v3` -> `yaml`)."""
    parts = [p for p in import_path.split("/") if p]
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts.pop()
    last = parts[-1] if parts else import_path
    return re.sub(r"\.v\d+$", "", last)


def string_value(node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "interpreted_string_literal":
        out = []
        for c in node.named_children:
            t = text(c)
            if c.type == "escape_sequence":
                t = {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\\\": "\\"}.get(t, t)
            out.append(t)
        return "".join(out)
    if node.type == "raw_string_literal":
        t = text(node)
        return t[1:-1] if len(t) >= 2 else ""
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return string_value(node.named_children[0])
    return None


def parse_go(path: str, source: str) -> GoFile:
    data = source.encode("utf-8", "surrogatepass")
    tree = parser("go").parse(data)
    gf = GoFile(path, data, tree.root_node, LineIndex(data))
    gf.has_errors = tree.root_node.has_error
    for node in walk(gf.root):
        t = node.type
        if t == "package_clause":
            for c in node.named_children:
                gf.package = text(c)
        elif t == "import_spec":
            p = string_value(node.child_by_field_name("path")) or ""
            alias = node.child_by_field_name("name")
            local = text(alias) if alias is not None else package_name(p)
            if local not in ("_", "."):
                gf.imports[local] = p
        elif t == "const_spec":
            names = [c for c in node.children_by_field_name("name")]
            value = node.child_by_field_name("value")
            vals = named_children(value) if value is not None else []
            for n, v in zip(names, vals, strict=False):
                s = string_value(v)
                if s is not None:
                    gf.consts[text(n)] = s
        elif t == "call_expression":
            call = _call(gf, node)
            if call is not None:
                gf.calls.append(call)
    return gf


def _call(gf: GoFile, node: Node) -> GoCall | None:
    fn = node.child_by_field_name("function")
    args = named_children(node.child_by_field_name("arguments"))
    if fn is None:
        return None
    if fn.type == "selector_expression":
        operand = fn.child_by_field_name("operand")
        name = text(fn.child_by_field_name("field"))
        if operand is not None and operand.type == "identifier" and text(operand) in gf.imports:
            callee = f"{gf.imports[text(operand)]}.{name}"
            receiver = None
        else:
            callee = "." + name
            receiver = operand
            return GoCall(
                callee,
                name,
                node,
                args,
                receiver,
                gf.line(fn.child_by_field_name("field") or node),
                gf.column(fn.child_by_field_name("field") or node),
            )
    elif fn.type == "identifier":
        name = text(fn)
        callee = name
        receiver = None
    else:
        return None
    return GoCall(callee, name, node, args, receiver, gf.line(node), gf.column(node))
