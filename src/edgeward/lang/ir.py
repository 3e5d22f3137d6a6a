"""The shared intermediate representation (IR) every source front end lowers to.

One small tree of plain dataclasses, the same for JavaScript/TypeScript/TSX (`lang/js.py`), Python
(`lang/python.py`) and the Rust/Go front ends, so that one taint engine (`lang/taint.py`) and one set of
rules serve every language. A front end knows nothing of rules; the engine knows nothing of syntax.

Positions
    Every node has `line` and `col` (1-based, of its first character) and `end_line` (1-based, inclusive).
    `Module.path` is the file's root-relative path; nodes do not repeat it.

Expressions (`Expr`)
    `Name(id)`                     an identifier read (`request`, `env`, `self`/`this` are `Name("this")`
                                   for JS `this` and `Name("self")` for Python)
    `Literal(value, raw)`          string, number, boolean, null/None/nil (`value` is the Python value;
                                   regex literals: `value=None, raw="/re/"`)
    `Template(parts)`              template literal / f-string / `format!`: `parts` are `Literal` text pieces
                                   and interpolated expressions, in order
    `Member(obj, prop, index)`     `a.b` -> prop="b"; `a["b"]` -> prop="b" (string key); `a[i]` -> prop=None,
                                   index=i. Optional chaining (`a?.b`) is the same node.
    `Call(callee, args, kwargs, new)`
                                   `f(x)`, `a.b(x)`, `new URL(x)` (new=True); Python keyword arguments and
                                   Rust/Go struct-literal style options are `kwargs: list[(name, Expr)]`.
                                   Method calls are a `Call` whose callee is a `Member`.
                                   `call.dotted` gives "a.b.c" when the callee is a plain name chain.
    `Object(props)`                object literal / dict / struct literal: `Prop(key, value, spread, computed)`;
                                   `{...x}` is `Prop(None, x, spread=True)`; shorthand `{a}` is `Prop("a", Name("a"))`
    `Array(items)`                 array / list / tuple literal; `Spread(x)` items for `...x`
    `BinOp(op, left, right)`       arithmetic, concatenation, comparison (`===`, `==`, `!=`, `!==`, `<`...,
                                   Python `==`, `in`, `not in`, `is`), logical `&&` `||` `??` (`and`/`or`)
    `Unary(op, arg)`               `!`, `-`, `typeof`, `void`, `delete`, `not`, `await` (await is Unary("await"))
    `Cond(test, then, orelse)`     `a ? b : c` / `b if a else c`
    `Assign(target, value, op)`    assignment as an expression (`=`, `+=`, `??=`, ...); target is a pattern
    `Func(...)`                    function / arrow / method / lambda / closure (also a statement, see below)
    `Spread(value)`                `...x` in calls and arrays
    `Unknown(children)`            anything else; its sub-expressions are kept so data still flows through
                                   (TS `x as T` and `x!` are lowered to `x` itself, not to Unknown)

Patterns (targets of declarations, assignments, parameters)
    `Name`, `Member` (assignment to `a.b`), `ObjectPattern(props: list[(key, Pattern, default)])` for
    `{a, b: c = 1, ...rest}` (rest: key None), `ArrayPattern(items)` for `[a, , b]` / Python tuples.

Statements (`Stmt`)
    `VarDecl(kind, target, value)` `const/let/var` (Python/Go/Rust assignments that create a binding use
                                   kind "let"; a Python module-level name assignment is "let" as well)
    `ExprStmt(expr)`, `Return(value)`, `Throw(value)`
    `If(test, body, orelse)`       bodies are lists of statements
    `Loop(body, target, iter)`     for/while/for-of/for-in (target/iter None when not a for-each)
    `Try(body, handlers, final)`   `handlers: list[Handler(param, body)]`; a bare `catch {}` has param None
    `Block(body)`                  any other statement with a body (switch cases are flattened into one)
    `Func(name, params, body, is_async, kind)`
                                   function declaration (also nested); `params: list[Param(target, default,
                                   type)]`, `type` is the declared type text or None; `kind` is "function",
                                   "arrow", "method", "lambda"; an arrow with an expression body has
                                   `body=[Return(expr)]`
    `Class(name, bases, methods, fields)`
                                   `methods: list[Func]` (kind "method"), `fields: list[VarDecl]`
    `Import(source, names)`        `names: list[(imported, local)]`; default import is ("default", local),
                                   namespace import ("*", local); `import "x"` has no names. Python
                                   `from a import b as c` -> source "a", ("b", "c"); `import a.b` -> ("*", "a")
    `Export(names, source)`        `export { a as b }` / re-exports: names `list[(local, exported)]`.
                                   Exported declarations (`export function f`, `export const x`,
                                   `export default ...`) are the declaration itself with `exported` set to
                                   the exported name ("default" for the default export)
    `TypeDecl(name, members)`      TS interface / type literal: `members: list[(name, type text, line)]`
                                   (lets the engine tell `env.X: KVNamespace` from `env.X: string`)

Module
    `Module(path, language, body, errors, partial)`; `language` is "javascript", "typescript", "tsx",
    "python", "rust" or "go". `errors` lists (line, message) of syntax errors the parser recovered from;
    `partial` is True when the front end stopped early (byte or depth bounds): the rest is not analysed.

Helpers: `walk(node)` yields every node below (pre-order), `children(node)`, `dotted(expr)`, `names_in(pattern)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Node:
    line: int
    col: int
    end_line: int


# ------------------------------------------------------------------------------------------ expressions


@dataclass(slots=True, eq=False)
class Name(Node):
    id: str


@dataclass(slots=True, eq=False)
class Literal(Node):
    value: Any
    raw: str = ""


@dataclass(slots=True, eq=False)
class Template(Node):
    parts: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Member(Node):
    obj: Node
    prop: str | None
    index: Node | None = None


@dataclass(slots=True, eq=False)
class Call(Node):
    callee: Node
    args: list[Node] = field(default_factory=list)
    kwargs: list[tuple[str, Node]] = field(default_factory=list)
    new: bool = False
    _dotted: Any = field(default=None, init=False, repr=False, compare=False)  # cache: (value,) once read

    @property
    def dotted(self) -> str | None:
        # read by many rules per call node; the IR is not changed after lowering, so compute it once
        c = self._dotted
        if c is None:
            c = self._dotted = (dotted(self.callee),)
        return c[0]

    @property
    def method(self) -> str | None:
        """The last name of the callee: `a.b.c(...)` -> "c", `f(...)` -> "f"."""
        c = self.callee
        if isinstance(c, Member):
            return c.prop
        if isinstance(c, Name):
            return c.id
        return None

    def kwarg(self, name: str) -> Node | None:
        for k, v in self.kwargs:
            if k == name:
                return v
        return None


@dataclass(slots=True, eq=False)
class Prop(Node):
    key: str | None
    value: Node
    spread: bool = False
    computed: Node | None = None


@dataclass(slots=True, eq=False)
class Object(Node):
    props: list[Prop] = field(default_factory=list)

    def get(self, key: str) -> Node | None:
        for p in self.props:
            if p.key == key and not p.spread:
                return p.value
        return None


@dataclass(slots=True, eq=False)
class Array(Node):
    items: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Spread(Node):
    value: Node


@dataclass(slots=True, eq=False)
class BinOp(Node):
    op: str
    left: Node
    right: Node


@dataclass(slots=True, eq=False)
class Unary(Node):
    op: str
    arg: Node


@dataclass(slots=True, eq=False)
class Cond(Node):
    test: Node
    then: Node
    orelse: Node


@dataclass(slots=True, eq=False)
class Assign(Node):
    target: Node
    value: Node
    op: str = "="


@dataclass(slots=True, eq=False)
class Unknown(Node):
    children: list[Node] = field(default_factory=list)
    what: str = ""


@dataclass(slots=True, eq=False)
class ObjectPattern(Node):
    props: list[tuple[str | None, Node, Node | None]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ArrayPattern(Node):
    items: list[Node | None] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ statements


@dataclass(slots=True, eq=False)
class VarDecl(Node):
    kind: str
    target: Node
    value: Node | None = None
    exported: str | None = None


@dataclass(slots=True, eq=False)
class ExprStmt(Node):
    expr: Node


@dataclass(slots=True, eq=False)
class Return(Node):
    value: Node | None = None


@dataclass(slots=True, eq=False)
class Throw(Node):
    value: Node | None = None


@dataclass(slots=True, eq=False)
class If(Node):
    test: Node
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Loop(Node):
    body: list[Node] = field(default_factory=list)
    target: Node | None = None
    iter: Node | None = None


@dataclass(slots=True, eq=False)
class Handler(Node):
    param: Node | None
    body: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Try(Node):
    body: list[Node] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)
    final: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Block(Node):
    body: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Param(Node):
    target: Node
    default: Node | None = None
    type: str | None = None


@dataclass(slots=True, eq=False)
class Func(Node):
    name: str | None
    params: list[Param] = field(default_factory=list)
    body: list[Node] = field(default_factory=list)
    is_async: bool = False
    kind: str = "function"
    exported: str | None = None


@dataclass(slots=True, eq=False)
class Class(Node):
    name: str | None
    bases: list[Node] = field(default_factory=list)
    methods: list[Func] = field(default_factory=list)
    fields: list[VarDecl] = field(default_factory=list)
    exported: str | None = None


@dataclass(slots=True, eq=False)
class Import(Node):
    source: str
    names: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Export(Node):
    names: list[tuple[str, str]] = field(default_factory=list)
    source: str | None = None


@dataclass(slots=True, eq=False)
class TypeDecl(Node):
    name: str
    members: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Module:
    path: str
    language: str
    body: list[Node] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    partial: bool = False

    def functions(self) -> Iterator[Func]:
        """Every function in the module, nested ones and class methods included."""
        for n in walk_all(self.body):
            if isinstance(n, Func):
                yield n


# ------------------------------------------------------------------------------------------ helpers

_NO_CHILDREN = {"line", "col", "end_line", "id", "raw", "prop", "new", "op", "spread", "kind", "name"}
_NO_CHILDREN |= {"is_async", "exported", "source", "names", "type", "key", "what", "members", "_dotted"}
_CHILD_CACHE: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    f = _CHILD_CACHE.get(cls)
    if f is None:
        f = tuple(s for s in cls.__slots__ if s not in _NO_CHILDREN)  # type: ignore[attr-defined]
        _CHILD_CACHE[cls] = f
    return f


def _make_children(cls: type) -> Any:
    """Compile `children(node)` for one node class (the fields unrolled, no per-node `getattr` loop)."""
    lines = ["def kids(node):", "    out = []", "    append = out.append"]
    for name in _child_fields(cls):
        lines += [
            f"    v = node.{name}",
            "    if v is not None:",
            "        if isinstance(v, list):",
            "            for item in v:",
            "                if isinstance(item, tuple):",
            "                    out.extend(x for x in item if isinstance(x, Node))",
            "                elif item is not None:",
            "                    append(item)",
            "        elif isinstance(v, Node):",
            "            append(v)",
        ]
    lines.append("    return out")
    ns: dict[str, Any] = {"Node": Node}
    exec("\n".join(lines), ns)  # noqa: S102 - generated from the dataclass slots above, no input involved
    return ns["kids"]


_CHILDREN: dict[type, Any] = {}


def children(node: Node) -> list[Node]:
    """The direct child nodes, in source order as far as the node's fields allow."""
    cls = type(node)
    fn = _CHILDREN.get(cls)
    if fn is None:
        fn = _CHILDREN[cls] = _make_children(cls)
    return fn(node)


def _make_pusher(cls: type) -> Any:
    """Compile `push(node, stack)` for one node class: appends the node's children to `stack` in REVERSE
    source order (so that popping yields them in order), with exactly the semantics of `children`."""
    lines = ["def push(node, stack):", "    append = stack.append"]
    for name in reversed(_child_fields(cls)):
        lines += [
            f"    v = node.{name}",
            "    if v is not None:",
            "        if isinstance(v, list):",
            "            for item in reversed(v):",
            "                if isinstance(item, tuple):",
            "                    for x in reversed(item):",
            "                        if isinstance(x, Node):",
            "                            append(x)",
            "                elif item is not None:",
            "                    append(item)",
            "        elif isinstance(v, Node):",
            "            append(v)",
        ]
    if len(lines) == 2:
        lines.append("    return None")
    ns: dict[str, Any] = {"Node": Node}
    exec("\n".join(lines), ns)  # noqa: S102 - generated from the dataclass slots above, no input involved
    return ns["push"]


_PUSHERS: dict[type, Any] = {}


def child_pusher(cls: type) -> Any:
    """The compiled `push(node, stack)` of a node class: appends its children to `stack` in reverse source
    order (for hand-written walks that prune subtrees; `walk` uses the same functions)."""
    push = _PUSHERS.get(cls)
    if push is None:
        push = _PUSHERS[cls] = _make_pusher(cls)
    return push


def calls_in(nodes: list[Node]) -> list[Call]:
    """Every `Call` of `walk_all(nodes)`, in the same order (a tight loop instead of a generator)."""
    out: list[Call] = []
    append = out.append
    stack = list(reversed(nodes))
    pop = stack.pop
    pushers = _PUSHERS
    while stack:
        n = pop()
        cls = type(n)
        if cls is Call:
            append(n)
        push = pushers.get(cls)
        if push is None:
            push = pushers[cls] = _make_pusher(cls)
        push(n, stack)
    return out


def walk(node: Node) -> Iterator[Node]:
    """Pre-order walk of `node` and everything below it (iterative: deep trees do not recurse)."""
    return walk_all([node])


def walk_all(nodes: list[Node]) -> Iterator[Node]:
    """Pre-order walk of each node of a list, in order (one stack for the whole list)."""
    stack = list(reversed(nodes))
    pop = stack.pop
    pushers = _PUSHERS
    while stack:
        n = pop()
        yield n
        cls = type(n)
        push = pushers.get(cls)
        if push is None:
            push = pushers[cls] = _make_pusher(cls)
        push(n, stack)


def dotted(expr: Node | None) -> str | None:
    """`a.b.c` -> "a.b.c" for a chain of names and string-keyed members; None otherwise."""
    parts: list[str] = []
    while isinstance(expr, Member) and expr.prop is not None:
        parts.append(expr.prop)
        expr = expr.obj
    if isinstance(expr, Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def names_in(pattern: Node | None) -> list[str]:
    """Every name a pattern binds."""
    out: list[str] = []
    stack = [pattern]
    while stack:
        p = stack.pop()
        if isinstance(p, Name):
            out.append(p.id)
        elif isinstance(p, ObjectPattern):
            stack.extend(v for _, v, _ in p.props)
        elif isinstance(p, ArrayPattern):
            stack.extend(x for x in p.items if x is not None)
        elif isinstance(p, Spread):
            stack.append(p.value)
    return out


def string_value(expr: Node | None) -> str | None:
    """The value of a string literal (or a template without interpolation), else None."""
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, Template) and all(isinstance(p, Literal) for p in expr.parts):
        return "".join(str(p.value) for p in expr.parts if isinstance(p, Literal))
    return None
