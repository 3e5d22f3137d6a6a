"""Rust front end (tree-sitter): syntax facts for Fastly Compute and workers-rs apps.

Macros are the hard part of Rust for a static analyser: their arguments are token trees, not expressions.
The macros that rules care about take ordinary expressions (`println!`, `format!`, `log::info!`, `write!`,
`panic!`, `json!`, `env!`, `include_str!`...), so the front end rewrites every such invocation in place,
byte for byte, into a call (`println!(a, b)` -> `println (a, b)`; `[`/`{` delimiters become parentheses)
and parses the rewritten text once. Offsets and lines do not move, and macro calls then look like calls
whose callee is marked as a macro. `serde_json::json!` objects become tuples of alternating key and value,
remembered as objects. `log` macros' `target: "x"` is blanked and recorded.

`RustFile` exposes what the rules need: `use` aliases, constants, resolved call sites (with the macro flag
and arguments as nodes), functions with their attributes, and implicit `{name}` format captures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from edgeward.lang.tsparse import LineIndex, SourcePositions, language, named_children, parser, reparse, text

# Macros whose arguments are expressions (rewritten into calls). Bare names: also with any path prefix.
EXPR_MACROS = {
    "print",
    "println",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "dbg",
    "vec",
    "env",
    "option_env",
    "include_str",
    "include_bytes",
    "concat",
    "json",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "log",
    "anyhow",
    "bail",
    "ensure",
    "console_log",
    "console_error",
    "console_warn",
    "console_debug",
}
FORMAT_MACROS = {
    "print",
    "println",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "panic",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "anyhow",
    "bail",
    "console_log",
    "console_error",
    "console_warn",
    "console_debug",
    "unreachable",
    "todo",
}
LOG_MACRO_NAMES = {"trace", "debug", "info", "warn", "error", "log"}
_CAPTURE = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[:}])")
_OPEN = {ord("("): ord("("), ord("["): ord("("), ord("{"): ord("(")}
_CLOSE = {ord(")"): ord(")"), ord("]"): ord(")"), ord("}"): ord(")")}


@dataclass
class CallSite:
    """A call, method call or (rewritten) macro invocation."""

    callee: str  # resolved path ("fastly::log::Endpoint::from_name"), or ".method" for method calls
    name: str  # last segment ("from_name", "get_header_str", "println")
    node: Node  # the call_expression
    args: list[Node]
    receiver: Node | None = None
    is_macro: bool = False
    line: int = 0
    column: int = 1
    target: str | None = None  # `target: "x"` of a log macro


@dataclass
class Function:
    name: str
    node: Node
    attributes: list[str]
    line: int


@dataclass
class RustFile(SourcePositions):
    path: str
    data: bytes  # the rewritten bytes (same length and lines as the original)
    root: Node
    index: LineIndex
    uses: dict[str, str] = field(default_factory=dict)
    consts: dict[str, str] = field(default_factory=dict)
    macro_callees: set[int] = field(default_factory=set)  # end offsets of callee nodes that were macros
    json_objects: set[int] = field(default_factory=set)  # start offsets of tuples that were json! objects
    targets: dict[int, str] = field(default_factory=dict)  # macro callee end offset -> log target
    _calls: list[CallSite] | None = None
    functions: list[Function] = field(default_factory=list)
    has_errors: bool = False

    @property
    def calls(self) -> list[CallSite]:
        """Every call and rewritten macro invocation, in document order (built on first use)."""
        if self._calls is None:
            out = []
            for node in _nodes(self.root, "(call_expression) @c"):
                call = _call(self, node)
                if call is not None:
                    out.append(call)
            self._calls = out
        return self._calls

    def resolve(self, path: str) -> str:
        """Resolve the first segment of a path through `use` aliases."""
        head, sep, rest = path.partition("::")
        full = self.uses.get(head)
        if full is None:
            return path
        return f"{full}{sep}{rest}" if sep else full

    def is_json_object(self, node: Node) -> bool:
        return node.type == "tuple_expression" and node.start_byte in self.json_objects

    def json_pairs(self, node: Node) -> list[tuple[str, Node, Node]]:
        """(key, key node, value node) of a json! object tuple."""
        items = named_children(node)
        out = []
        for i in range(0, len(items) - 1, 2):
            key = string_value(items[i])
            if key is not None:
                out.append((key, items[i], items[i + 1]))
        return out

    def captures(self, call: CallSite) -> list[tuple[str, Node]]:
        """Implicit `{name}` captures of a format macro's format string: (identifier, string node)."""
        if not call.is_macro or call.name not in FORMAT_MACROS and call.name not in ("write", "writeln"):
            return []
        args = call.args[1:] if call.name in ("write", "writeln") else call.args
        if call.name == "log" and args:
            args = args[1:]
        if not args:
            return []
        fmt = string_value(args[0])
        if fmt is None:
            return []
        return [(m.group(1), args[0]) for m in _CAPTURE.finditer(fmt)]


def string_value(node: Node | None) -> str | None:
    """The value of a (raw) string literal, escapes of quotes undone; None when not a literal."""
    if node is None:
        return None
    if node.type == "string_literal":
        parts = [text(c) for c in node.named_children if c.type in ("string_content", "escape_sequence")]
        return "".join(_unescape(p) for p in parts)
    if node.type == "raw_string_literal":
        for c in node.named_children:
            if c.type == "string_content":
                return text(c)
        return ""
    if node.type == "reference_expression":
        return string_value(node.child_by_field_name("value"))
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return string_value(node.named_children[0])
    return None


def _unescape(s: str) -> str:
    if not s.startswith("\\"):
        return s
    return {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\\\": "\\", "\\'": "'", "\\0": "\0"}.get(s, s)


# ------------------------------------------------------------------------------------------ rewriting


def _macro_name(node: Node) -> str:
    m = node.child_by_field_name("macro")
    return text(m)


def _last_segment(path: str) -> str:
    return path.rsplit("::", 1)[-1]


class _Rewriter:
    def __init__(self, data: bytes):
        self.buf = bytearray(data)
        self.bangs: set[int] = set()  # offset of the callee end (== position of "!")
        self.json: set[int] = set()
        self.targets: dict[int, str] = {}

    def invocation(self, bang: int, tt: Node, name: str) -> None:
        """Rewrite `name!(...)` given the offset of `!` and the token tree node."""
        self.buf[bang] = ord(" ")
        self.bangs.add(bang)
        self._delims(tt)
        if name == "json":
            self._json(tt)
            return
        if name in LOG_MACRO_NAMES:
            self._target(bang, tt)
            self._sigils(tt)
        self.tokens(tt)

    def _sigils(self, tt: Node) -> None:
        """tracing fields `user = %x` / `?x`: the sigils are not expressions; blank them."""
        kids = tt.children
        for i, tok in enumerate(kids[1:], 1):
            if text(tok) in ("%", "?") and text(kids[i - 1]) in ("=", ",", "("):
                self.buf[tok.start_byte] = ord(" ")

    def _delims(self, tt: Node) -> None:
        s, e = tt.start_byte, tt.end_byte - 1
        if self.buf[s] in _OPEN and self.buf[e] in _CLOSE:
            self.buf[s] = ord("(")
            self.buf[e] = ord(")")

    def _target(self, bang: int, tt: Node) -> None:
        kids = tt.children
        # ( target : "x" , ...
        if len(kids) >= 4 and text(kids[1]) == "target" and text(kids[2]) == ":":
            value = (
                string_value(kids[3]) if kids[3].type in ("string_literal", "raw_string_literal") else None
            )
            if value is not None:
                self.targets[bang] = value
            for i in range(kids[1].start_byte, kids[2].end_byte):
                self.buf[i] = ord(" ")
            # blank the value and its comma too: the format string becomes the first argument
            end = kids[4].end_byte if len(kids) > 4 and text(kids[4]) == "," else kids[3].end_byte
            for i in range(kids[3].start_byte, end):
                if self.buf[i] != ord("\n"):
                    self.buf[i] = ord(" ")

    def _json(self, tt: Node) -> None:
        """json!({ "k": v, ... }) -> json(( "k", v, ... )) with the tuple remembered as an object."""
        for tok in tt.children:
            if tok.type == "token_tree":
                self._json_value(tok)

    def _json_value(self, tt: Node) -> None:
        first = self.buf[tt.start_byte]
        if first == ord("{"):
            self.json.add(tt.start_byte)
            self._delims(tt)
            kids = tt.children[1:-1]
            expect_colon = False
            for tok in kids:
                t = text(tok)
                if tok.type in ("string_literal", "identifier") and not expect_colon:
                    expect_colon = True
                    continue
                if expect_colon and t == ":":
                    self.buf[tok.start_byte] = ord(",")
                    expect_colon = False
                    continue
                expect_colon = False
                if tok.type == "token_tree":
                    self._json_value(tok)
            if not kids:  # `{}` -> `()` is the unit value; fine
                return
        elif first == ord("["):
            for tok in tt.children:
                if tok.type == "token_tree":
                    self._json_value(tok)
        else:
            self.tokens(tt)

    def tokens(self, tt: Node) -> None:
        """Nested macro invocations inside a token tree: `name ! (...)` token sequences."""
        kids = tt.children
        for i, tok in enumerate(kids):
            if tok.type == "token_tree":
                if i >= 2 and text(kids[i - 1]) == "!" and kids[i - 2].type == "identifier":
                    name = text(kids[i - 2])
                    if name in EXPR_MACROS:
                        self.invocation(kids[i - 1].start_byte, tok, name)
                        continue
                self.tokens(tok)


@cache
def _query(src: str) -> Query:
    return Query(language("rust"), src)


def _nodes(root: Node, src: str) -> list[Node]:
    """Nodes matched by a one-capture query, in document order (the walk happens in C)."""
    caps = QueryCursor(_query(src)).captures(root)
    out: list[Node] = []
    for nodes in caps.values():
        out.extend(nodes)
    out.sort(key=lambda n: n.start_byte)
    return out


def _rewrite(root: Node, data: bytes) -> _Rewriter | None:
    rw: _Rewriter | None = None
    for node in _nodes(root, "(macro_invocation) @m"):
        name = _last_segment(_macro_name(node))
        if name not in EXPR_MACROS:
            continue
        tt = None
        bang = None
        for c in node.children:
            if c.type == "!":
                bang = c.start_byte
            elif c.type == "token_tree":
                tt = c
        if tt is None or bang is None:
            continue
        if rw is None:
            rw = _Rewriter(data)
        if bang in rw.bangs:
            continue
        rw.invocation(bang, tt, name)
    return rw


# ------------------------------------------------------------------------------------------ facts


_PARSED: dict[tuple[str, int, int], RustFile] = {}


def parse_rust_cached(path: str, source: str) -> RustFile:
    """`parse_rust`, shared by the syntax-fact provider and the IR lowering (one parse per file and scan)."""
    key = (path, len(source), hash(source))
    rf = _PARSED.get(key)
    if rf is None:
        if len(_PARSED) > 4096:
            _PARSED.clear()
        rf = _PARSED[key] = parse_rust(path, source)
    return rf


def parse_rust(path: str, source: str) -> RustFile:
    data = source.encode("utf-8", "surrogatepass")
    p = parser("rust")
    tree = p.parse(data)
    rw = _rewrite(tree.root_node, data)
    bangs: set[int] = set()
    objs: set[int] = set()
    targets: dict[int, str] = {}
    if rw is not None:
        old, data = data, bytes(rw.buf)
        tree = reparse(p, tree, old, data)
        bangs, objs, targets = rw.bangs, rw.json, rw.targets
    rf = RustFile(path, data, tree.root_node, LineIndex(data), macro_callees=bangs, json_objects=objs)
    rf.targets = targets
    rf.has_errors = tree.root_node.has_error
    _collect(rf)
    return rf


def _use_paths(node: Node, prefix: str, out: dict[str, str]) -> None:
    t = node.type
    if t in ("identifier", "scoped_identifier", "crate", "self", "super"):
        full = f"{prefix}::{text(node)}" if prefix else text(node)
        name = _last_segment(full)
        if name == "self":
            full = full.rsplit("::", 1)[0]
            name = _last_segment(full)
        out[name] = full
    elif t == "use_as_clause":
        path = node.child_by_field_name("path")
        alias = node.child_by_field_name("alias")
        if text(path) == "self":
            full = prefix
        else:
            full = f"{prefix}::{text(path)}" if prefix else text(path)
        out[text(alias)] = full
    elif t == "scoped_use_list":
        path = node.child_by_field_name("path")
        lst = node.child_by_field_name("list")
        sub = f"{prefix}::{text(path)}" if prefix and path else (text(path) if path else prefix)
        if lst is not None:
            _use_paths(lst, sub, out)
    elif t == "use_list":
        for c in node.named_children:
            _use_paths(c, prefix, out)


_FACT_QUERY = "[(use_declaration) (const_item) (static_item) (function_item)] @n"


def _collect(rf: RustFile) -> None:
    for node in _nodes(rf.root, _FACT_QUERY):
        t = node.type
        if t == "use_declaration":
            arg = node.child_by_field_name("argument")
            if arg is not None:
                _use_paths(arg, "", rf.uses)
        elif t in ("const_item", "static_item"):
            name = node.child_by_field_name("name")
            value = string_value(node.child_by_field_name("value"))
            if name is not None and value is not None:
                rf.consts[text(name)] = value
        elif t == "function_item":
            attrs = []
            prev = node.prev_named_sibling
            while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment"):
                if prev.type == "attribute_item":
                    attrs.append(" ".join(text(prev)[2:-1].split()))
                prev = prev.prev_named_sibling
            name = node.child_by_field_name("name")
            rf.functions.append(Function(text(name), node, attrs, rf.line(node)))


def _call(rf: RustFile, node: Node) -> CallSite | None:
    fn = node.child_by_field_name("function")
    args_node = node.child_by_field_name("arguments")
    if fn is None:
        return None
    args = named_children(args_node)
    receiver = None
    anchor = node
    is_macro = fn.end_byte in rf.macro_callees
    if fn.type == "field_expression":
        field_node = fn.child_by_field_name("field")
        name = text(field_node)
        receiver = fn.child_by_field_name("value")
        callee = "." + name
        anchor = field_node or node
    elif fn.type in ("identifier", "scoped_identifier"):
        raw = text(fn).replace(" ", "")
        callee = rf.resolve(raw)
        name = _last_segment(callee)
        if is_macro and "::" not in callee and name in LOG_MACRO_NAMES:
            callee = f"log::{name}"
    elif fn.type == "generic_function":
        inner = fn.child_by_field_name("function")
        if inner is not None and inner.type == "field_expression":
            name = text(inner.child_by_field_name("field"))
            receiver = inner.child_by_field_name("value")
            callee = "." + name
        else:
            raw = re.sub(r"::<.*?>", "", text(inner)).replace(" ", "")
            callee = rf.resolve(raw)
            name = _last_segment(callee)
    else:
        return None
    return CallSite(
        callee,
        name,
        node,
        args,
        receiver,
        is_macro,
        rf.line(anchor),
        rf.column(anchor),
        rf.targets.get(fn.end_byte) if is_macro else None,
    )
