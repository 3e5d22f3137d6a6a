"""Rust -> shared IR (`lang/ir.py`), so that the one taint engine serves Rust like JavaScript.

Built on the syntax facts of `lang/rust.py` (macros already rewritten into calls). How Rust maps:

- Paths are member chains with `use` aliases resolved: `Endpoint::from_name(x)` with
  `use fastly::log::Endpoint` is `Call(Member(Member(Member(Name("fastly"), "log"), "Endpoint"), "from_name"))`,
  so `call.dotted == "fastly.log.Endpoint.from_name"`. A bare function imported by `use` is resolved the same way
  (`decode(...)` -> `jsonwebtoken.decode`); local variables are never renamed.
- Format macros (`format!`, `println!`, `log::info!`, `write!`, `panic!`, `anyhow!`...) take a `Template` built
  from the format string and its arguments (implicit `{name}` captures included). `write!`/`writeln!` keep
  the destination as first argument; a log macro's `target: "x"` is the keyword argument `target`.
  Macro callees keep their path: `log::info!` is `log.info`, `println!` is `println`.
- `serde_json::json!({...})` objects are `Object`s; struct literals are `Call(Type, kwargs=[(field, value)],
  new=True)` with `..base` as a `Spread` argument.
- `&x`, `*x`, `x?`, `x as T`, `(x)` are `x`; `x.await` is `Unary("await", x)`.
- Blocks are expressions in Rust: in statement position `if`/`match`/loops are `If`/`Loop`/`Block` statements;
  in expression position their inner statements are hoisted before the statement and the value is the tail
  (`Cond` for `if`, `Unknown` of the arm values for `match`). `if let P = v`, `while let` and match arms
  bind their pattern with a `VarDecl` at the top of the body. A function's tail expression is a `Return`.
- `#[fastly::main]` and `#[event(fetch)]` functions carry the attribute as `Func.exported`
  ("fastly::main", "event(fetch)"); `impl` blocks are `Class`es of methods; `struct`s are `TypeDecl`s.
"""

from __future__ import annotations

import re

from tree_sitter import Node as TSNode

from edgeward.lang import ir
from edgeward.lang.rust import FORMAT_MACROS, RustFile, parse_rust_cached, string_value
from edgeward.lang.tsparse import text

MAX_DEPTH = 200
_FMT_SPEC = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_TRANSPARENT = {"parenthesized_expression", "reference_expression", "try_expression", "type_cast_expression"}
_BLOCKY = {
    "if_expression",
    "match_expression",
    "block",
    "unsafe_block",
    "async_block",
    "loop_expression",
    "while_expression",
    "for_expression",
    "const_block",
}
ENTRY_ATTRS = ("fastly::main", "event(fetch")
_ROUTER_METHODS = {
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "on",
    "get_async",
    "post_async",
    "put_async",
    "patch_async",
    "delete_async",
    "head_async",
    "options_async",
    "on_async",
}


def parse(path: str, source: str) -> ir.Module:
    return lower(parse_rust_cached(path, source))


def lower(rf: RustFile) -> ir.Module:
    low = _Lowerer(rf)
    body = low.items(rf.root.named_children, 0)
    mod = ir.Module(rf.path, "rust", body, partial=low.partial)
    if rf.has_errors:
        mod.errors = _errors(rf.root)
    return mod


def _errors(root: TSNode, limit: int = 5) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    stack = [root]
    while stack and len(out) < limit:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            out.append((n.start_point[0] + 1, f"missing `{n.type}`" if n.is_missing else "syntax error"))
            continue
        if n.has_error:
            stack.extend(reversed(n.children))
    return out


class _Lowerer:
    def __init__(self, rf: RustFile):
        self.rf = rf
        self.partial = False
        self.pre: list[ir.Node] = []  # statements hoisted out of the expression being lowered
        self.mods: set[str] = set()  # `mod x;` declared in this file

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def pos(n: TSNode) -> tuple[int, int, int]:
        return n.start_point[0] + 1, n.start_point[1] + 1, n.end_point[0] + 1

    def unknown(self, n: TSNode, d: int, what: str = "") -> ir.Unknown:
        kids = [self.expr(c, d) for c in _named(n)]
        return ir.Unknown(*self.pos(n), kids, what or n.type)

    def path(self, n: TSNode, resolve: bool = True) -> ir.Node:
        raw = re.sub(r"::<.*?>", "", text(n)).replace(" ", "").replace("\n", "")
        full = self.rf.resolve(raw) if resolve else raw
        if full.split("::", 1)[0] in ("crate", "self", "super"):
            full = raw  # a crate module: keep the local name the engine binds through `Import`
        p = self.pos(n)
        parts = [s for s in full.split("::") if s]
        if not parts:
            return ir.Unknown(*p)
        node: ir.Node = ir.Name(*p, parts[0])
        for seg in parts[1:]:
            node = ir.Member(*p, node, seg)
        return node

    # ------------------------------------------------------------------ items
    def items(self, nodes, d: int) -> list[ir.Node]:
        out: list[ir.Node] = []
        for n in nodes:
            out.extend(self.item(n, d + 1))
        return out

    def item(self, n: TSNode, d: int) -> list[ir.Node]:
        if d > MAX_DEPTH:
            self.partial = True
            return []
        t = n.type
        p = self.pos(n)
        if t == "function_item" or t == "function_signature_item":
            return [self.func(n, d)] if t == "function_item" else []
        if t == "impl_item" or t == "trait_item":
            ty = n.child_by_field_name("type") or n.child_by_field_name("name")
            body = n.child_by_field_name("body")
            methods = []
            for c in _named(body):
                if c.type == "function_item":
                    f = self.func(c, d, kind="method")
                    methods.append(f)
            trait = n.child_by_field_name("trait")
            bases = [self.path(trait)] if trait is not None else []
            return [ir.Class(*p, text(ty) if ty is not None else None, bases, methods)]
        if t == "mod_item":
            body = n.child_by_field_name("body")
            if body is not None:
                return [ir.Block(*p, self.items(_named(body), d))]
            name = text(n.child_by_field_name("name"))
            self.mods.add(name)
            src = self.crate_source(f"self::{name}")
            return [ir.Import(*p, src, [("*", name)])] if src else []
        if t == "use_declaration":
            return self.use(n)
        if t in ("const_item", "static_item"):
            name = n.child_by_field_name("name")
            value = n.child_by_field_name("value")
            if name is None:
                return []
            v = self.expr(value, d) if value is not None else None
            return self.flush([ir.VarDecl(*p, "const", ir.Name(*self.pos(name), text(name)), v)])
        if t == "struct_item":
            name = n.child_by_field_name("name")
            members = []
            for f in _named(n.child_by_field_name("body")):
                if f.type == "field_declaration":
                    fn = f.child_by_field_name("name")
                    ft = f.child_by_field_name("type")
                    members.append((text(fn), text(ft), f.start_point[0] + 1))
            return [ir.TypeDecl(*p, text(name), members)]
        if t in ("expression_statement", "let_declaration", "macro_invocation"):
            return self.stmt(n, d)
        return []

    def use(self, n: TSNode) -> list[ir.Node]:
        arg = n.child_by_field_name("argument")
        if arg is None:
            return []
        found: dict[str, str] = {}
        from edgeward.lang.rust import _use_paths

        _use_paths(arg, "", found)
        by_source: dict[str, list[tuple[str, str]]] = {}
        for local, full in found.items():
            src, _, imported = full.rpartition("::")
            rel = self.crate_source(src) if src else None
            if src and rel is None and src.split("::")[0] in ("crate", "self", "super"):
                continue
            if rel == "":  # `use crate::x`: the module x
                mod_rel = self.crate_source(f"{src}::{imported}")
                if mod_rel:
                    by_source.setdefault(mod_rel, []).append(("*", local))
                continue
            by_source.setdefault(rel or src, []).append((imported or full, local))
        p = self.pos(n)
        return [ir.Import(*p, src, names) for src, names in by_source.items()]

    # ------------------------------------------------------------------ crate modules as files
    def module_dir(self) -> str:
        """Directory holding this file's child modules (`mod x;` -> <dir>/x.rs or <dir>/x/mod.rs)."""
        path = self.rf.path
        d, _, name = path.rpartition("/")
        if name in ("main.rs", "lib.rs", "mod.rs"):
            return d
        return f"{d}/{name[:-3]}" if d else name[:-3]

    def crate_root(self) -> str:
        parts = self.rf.path.split("/")[:-1]
        if "src" in parts:
            i = len(parts) - 1 - parts[::-1].index("src")
            return "/".join(parts[: i + 1])
        return "/".join(parts)

    def crate_source(self, path: str) -> str | None:
        """`crate::a::b` / `self::a` / `super::a` / `a` (a child module) -> a relative import source for the
        engine ("./a/b"), "" for the crate root itself, None when the path is not a crate module."""
        import posixpath

        segs = [x for x in path.split("::") if x]
        if not segs:
            return None
        if segs[0] == "crate":
            base, rest = self.crate_root(), segs[1:]
        elif segs[0] == "self":
            base, rest = self.module_dir(), segs[1:]
        elif segs[0] == "super":
            base = self.module_dir().rsplit("/", 1)[0] if "/" in self.module_dir() else ""
            rest = segs[1:]
            while rest and rest[0] == "super":
                base = base.rsplit("/", 1)[0] if "/" in base else ""
                rest = rest[1:]
        elif segs[0] in self.mods:
            base, rest = self.module_dir(), segs
        else:
            return None
        if not rest:
            return ""
        target = "/".join([base, *rest]) if base else "/".join(rest)
        here = self.rf.path.rsplit("/", 1)[0] if "/" in self.rf.path else ""
        rel = posixpath.relpath(target, here or ".")
        return rel if rel.startswith("..") else "./" + rel

    def func(self, n: TSNode, d: int, kind: str = "function") -> ir.Func:
        p = self.pos(n)
        name = n.child_by_field_name("name")
        params: list[ir.Param] = []
        for prm in _named(n.child_by_field_name("parameters")):
            params.append(self.param(prm, d))
        body = self.fn_body(n.child_by_field_name("body"), d)
        is_async = any(c.type == "function_modifiers" and "async" in text(c) for c in n.children)
        f = ir.Func(*p, text(name) if name is not None else None, params, body, is_async, kind)
        if any(c.type == "visibility_modifier" for c in n.children) and f.name:
            f.exported = f.name  # `pub fn`: visible to `use crate::...` in other files
        attrs = _attributes(n)
        for a in attrs:
            if a.startswith(ENTRY_ATTRS):
                f.exported = "fastly::main" if a.startswith("fastly::main") else "event(fetch)"
        return f

    def param(self, prm: TSNode, d: int) -> ir.Param:
        p = self.pos(prm)
        if prm.type == "self_parameter":
            return ir.Param(*p, ir.Name(*p, "self"), None, "Self")
        pat = prm.child_by_field_name("pattern")
        ty = prm.child_by_field_name("type")
        target = self.pattern(pat, d) if pat is not None else ir.Name(*p, text(prm))
        return ir.Param(*p, target, None, text(ty) if ty is not None else None)

    def fn_body(self, block: TSNode | None, d: int) -> list[ir.Node]:
        if block is None:
            return []
        saved, self.pre = self.pre, []
        stmts, tail = self.block_parts(block, d)
        if tail is not None:
            stmts.extend(self.flush_expr(tail, d, as_return=True))
        self.pre = saved
        return stmts

    # ------------------------------------------------------------------ statements
    def flush(self, stmts: list[ir.Node]) -> list[ir.Node]:
        out = self.pre + stmts
        self.pre = []
        return out

    def flush_expr(self, n: TSNode, d: int, as_return: bool = False) -> list[ir.Node]:
        """A tail expression: statement form for blocky expressions, else ExprStmt / Return."""
        if n.type in _BLOCKY and not as_return:
            return self.blocky_stmt(n, d)
        if n.type == "return_expression":
            return self.stmt_expr(n, d)
        e = self.expr(n, d)
        p = self.pos(n)
        return self.flush([ir.Return(*p, e) if as_return else ir.ExprStmt(*p, e)])

    def block_parts(self, block: TSNode, d: int) -> tuple[list[ir.Node], TSNode | None]:
        """Statements of a block and its tail expression (the value of the block), if any."""
        kids = _named(block)
        if block.type in ("unsafe_block", "async_block", "const_block"):
            inner = [c for c in kids if c.type == "block"]
            if inner:
                return self.block_parts(inner[0], d)
        tail = None
        if kids and kids[-1].type not in (
            "expression_statement",
            "let_declaration",
            "empty_statement",
            "function_item",
            "use_declaration",
            "const_item",
            "static_item",
            "struct_item",
            "impl_item",
            "mod_item",
            "attribute_item",
            "macro_definition",
            "enum_item",
            "type_item",
            "trait_item",
        ):
            tail = kids[-1]
            kids = kids[:-1]
        out: list[ir.Node] = []
        for c in kids:
            out.extend(self.stmt(c, d + 1))
        return out, tail

    def block_stmts(self, block: TSNode | None, d: int) -> list[ir.Node]:
        if block is None:
            return []
        if block.type not in ("block", "unsafe_block", "async_block", "const_block"):
            return self.flush_expr(block, d)
        saved, self.pre = self.pre, []
        stmts, tail = self.block_parts(block, d)
        if tail is not None:
            stmts.extend(self.flush_expr(tail, d))
        self.pre = saved
        return stmts

    def stmt(self, n: TSNode, d: int) -> list[ir.Node]:
        if d > MAX_DEPTH:
            self.partial = True
            return []
        t = n.type
        p = self.pos(n)
        if t == "let_declaration":
            pat = n.child_by_field_name("pattern")
            value = n.child_by_field_name("value")
            v = self.expr(value, d) if value is not None else None
            target = self.pattern(pat, d) if pat is not None else ir.Name(*p, "_")
            out = [ir.VarDecl(*p, "let", target, v)]
            alt = n.child_by_field_name("alternative")
            if alt is not None:
                out.append(ir.If(*self.pos(alt), ir.Unknown(*self.pos(alt)), [], self.block_stmts(alt, d)))
            return self.flush(out)
        if t == "expression_statement":
            kids = _named(n)
            return self.stmt_expr(kids[0], d) if kids else []
        if t in ("function_item", "use_declaration", "const_item", "static_item", "struct_item", "impl_item"):
            return self.item(n, d)
        if t in ("line_comment", "block_comment", "attribute_item", "empty_statement", "macro_definition"):
            return []
        return self.stmt_expr(n, d)

    def stmt_expr(self, n: TSNode, d: int) -> list[ir.Node]:
        t = n.type
        p = self.pos(n)
        if t in _BLOCKY:
            return self.blocky_stmt(n, d)
        if t == "return_expression":
            kids = _named(n)
            v = self.expr(kids[0], d) if kids else None
            return self.flush([ir.Return(*p, v)])
        e = self.expr(n, d)
        return self.flush([ir.ExprStmt(*p, e)])

    def blocky_stmt(self, n: TSNode, d: int) -> list[ir.Node]:
        t = n.type
        p = self.pos(n)
        if t == "if_expression":
            test, binds = self.condition(n.child_by_field_name("condition"), d)
            body = binds + self.block_stmts(n.child_by_field_name("consequence"), d)
            orelse: list[ir.Node] = []
            alt = n.child_by_field_name("alternative")
            if alt is not None:
                inner = _named(alt)
                if inner:
                    orelse = self.block_stmts(inner[0], d)
            return self.flush([ir.If(*p, test, body, orelse)])
        if t == "match_expression":
            scrut_node = n.child_by_field_name("value")
            scrut = self.expr(scrut_node, d) if scrut_node is not None else ir.Unknown(*p)
            arms: list[ir.Node] = []
            for arm in _named(n.child_by_field_name("body")):
                if arm.type != "match_arm":
                    continue
                arms.append(self.arm(arm, scrut, d, None))
            return self.flush([ir.Block(*p, arms)])
        if t in ("while_expression", "loop_expression"):
            test, binds = self.condition(n.child_by_field_name("condition"), d)
            body = binds + self.block_stmts(n.child_by_field_name("body"), d)
            if t == "while_expression":
                body = [ir.ExprStmt(*p, test), *body]
            return self.flush([ir.Loop(*p, body)])
        if t == "for_expression":
            pat = n.child_by_field_name("pattern")
            value = n.child_by_field_name("value")
            it = self.expr(value, d) if value is not None else None
            body = self.block_stmts(n.child_by_field_name("body"), d)
            return self.flush([ir.Loop(*p, body, self.pattern(pat, d) if pat is not None else None, it)])
        # block, unsafe_block, async_block
        return self.flush([ir.Block(*p, self.block_stmts(n, d))])

    def arm(self, arm: TSNode, scrut: ir.Node, d: int, values: list[ir.Node] | None) -> ir.Node:
        p = self.pos(arm)
        mp = arm.child_by_field_name("pattern")
        pat_nodes = [c for c in _named(mp) if c != (mp.child_by_field_name("condition") if mp else None)]
        guard = mp.child_by_field_name("condition") if mp is not None else None
        binds: list[ir.Node] = []
        test: ir.Node = scrut
        if pat_nodes:
            lit = string_value(pat_nodes[0])
            if lit is not None:
                test = ir.BinOp(*p, "==", scrut, ir.Literal(*self.pos(pat_nodes[0]), lit, text(pat_nodes[0])))
            target = self.pattern(pat_nodes[0], d)
            if ir.names_in(target):
                binds.append(ir.VarDecl(*p, "let", target, scrut))
        if guard is not None:
            test = ir.BinOp(*p, "&&", test, self.expr(guard, d))
        value = arm.child_by_field_name("value")
        if values is None:
            body = binds + (self.block_stmts(value, d) if value is not None else [])
        else:
            saved, self.pre = self.pre, []
            v = self.expr(value, d) if value is not None else None
            body = binds + self.pre
            self.pre = saved
            if v is not None:
                values.append(v)
        return ir.If(*p, test, body, [])

    def condition(self, n: TSNode | None, d: int) -> tuple[ir.Node, list[ir.Node]]:
        """A condition and the bindings `let` conditions make (at the top of the body)."""
        if n is None:
            return ir.Literal(0, 0, 0, True, "true"), []
        p = self.pos(n)
        if n.type == "let_condition":
            pat = n.child_by_field_name("pattern")
            value = n.child_by_field_name("value")
            v = self.expr(value, d) if value is not None else ir.Unknown(*p)
            return v, [ir.VarDecl(*p, "let", self.pattern(pat, d), v)] if pat is not None else []
        if n.type == "let_chain":
            tests: list[ir.Node] = []
            binds: list[ir.Node] = []
            for c in _named(n):
                t, b = self.condition(c, d)
                tests.append(t)
                binds.extend(b)
            test = tests[0] if tests else ir.Unknown(*p)
            for t in tests[1:]:
                test = ir.BinOp(*p, "&&", test, t)
            return test, binds
        return self.expr(n, d), []

    # ------------------------------------------------------------------ patterns
    def pattern(self, n: TSNode, d: int) -> ir.Node:
        t = n.type
        p = self.pos(n)
        if t == "identifier":
            return ir.Name(*p, text(n))
        if t in ("mut_pattern", "ref_pattern", "reference_pattern", "parenthesized_pattern"):
            kids = _named(n)
            return self.pattern(kids[-1], d) if kids else ir.Name(*p, "_")
        if t == "captured_pattern":
            kids = _named(n)
            return self.pattern(kids[0], d) if kids else ir.Name(*p, "_")
        if t in ("tuple_pattern", "slice_pattern"):
            return ir.ArrayPattern(*p, [self.pattern(c, d) for c in _named(n)])
        if t == "tuple_struct_pattern":
            ty = n.child_by_field_name("type")
            return ir.ArrayPattern(*p, [self.pattern(c, d) for c in _named(n) if c != ty])
        if t == "struct_pattern":
            props: list[tuple[str | None, ir.Node, ir.Node | None]] = []
            for c in _named(n):
                if c.type == "field_pattern":
                    name = c.child_by_field_name("name")
                    sub = c.child_by_field_name("pattern")
                    key = text(name)
                    props.append((key, self.pattern(sub, d) if sub is not None else ir.Name(*p, key), None))
                elif c.type == "remaining_field_pattern":
                    continue
            return ir.ObjectPattern(*p, props)
        if t == "or_pattern":
            kids = _named(n)
            return self.pattern(kids[0], d) if kids else ir.Name(*p, "_")
        if t in ("field_expression", "index_expression", "scoped_identifier"):
            return self.expr(n, d)
        return ir.Name(*p, "_")

    # ------------------------------------------------------------------ expressions
    def expr(self, n: TSNode | None, d: int) -> ir.Node:
        if n is None:
            return ir.Unknown(0, 0, 0)
        if d > MAX_DEPTH:
            self.partial = True
            return ir.Unknown(*self.pos(n))
        d += 1
        t = n.type
        p = self.pos(n)
        if t in _TRANSPARENT:
            kids = _named(n)
            if t == "type_cast_expression":
                v = n.child_by_field_name("value")
                return self.expr(v, d)
            if t == "reference_expression":
                v = n.child_by_field_name("value")
                return self.expr(v, d)
            return self.expr(kids[0], d) if kids else ir.Unknown(*p)
        if t == "identifier":
            return ir.Name(*p, text(n))
        if t == "self":
            return ir.Name(*p, "self")
        if t in ("scoped_identifier", "generic_function"):
            return self.path(n)
        if t in ("string_literal", "raw_string_literal"):
            return ir.Literal(*p, string_value(n) or "", text(n))
        if t == "integer_literal":
            raw = text(n)
            try:
                return ir.Literal(*p, int(re.sub(r"[_a-z]+$|_", "", raw) or "0", 0), raw)
            except ValueError:
                return ir.Literal(*p, raw, raw)
        if t == "float_literal":
            raw = text(n)
            try:
                return ir.Literal(*p, float(re.sub(r"f(32|64)$|_", "", raw)), raw)
            except ValueError:
                return ir.Literal(*p, raw, raw)
        if t == "boolean_literal":
            return ir.Literal(*p, text(n) == "true", text(n))
        if t == "char_literal":
            return ir.Literal(*p, text(n)[1:-1], text(n))
        if t == "unit_expression":
            return ir.Literal(*p, None, "()")
        if t == "call_expression":
            return self.call(n, d)
        if t == "field_expression":
            return ir.Member(
                *p, self.expr(n.child_by_field_name("value"), d), text(n.child_by_field_name("field"))
            )
        if t == "index_expression":
            kids = _named(n)
            obj = self.expr(kids[0], d) if kids else ir.Unknown(*p)
            idx = kids[1] if len(kids) > 1 else None
            key = string_value(idx) if idx is not None else None
            return ir.Member(*p, obj, key, None if key is not None or idx is None else self.expr(idx, d))
        if t == "binary_expression":
            op = n.child_by_field_name("operator")
            return ir.BinOp(
                *p,
                text(op),
                self.expr(n.child_by_field_name("left"), d),
                self.expr(n.child_by_field_name("right"), d),
            )
        if t == "unary_expression":
            kids = _named(n)
            op = text(n.children[0]) if n.children else ""
            arg = self.expr(kids[0], d) if kids else ir.Unknown(*p)
            return arg if op == "*" else ir.Unary(*p, op, arg)
        if t == "await_expression":
            kids = _named(n)
            return ir.Unary(*p, "await", self.expr(kids[0], d) if kids else ir.Unknown(*p))
        if t == "assignment_expression":
            return ir.Assign(
                *p,
                self.pattern(n.child_by_field_name("left"), d),
                self.expr(n.child_by_field_name("right"), d),
            )
        if t == "compound_assignment_expr":
            op = n.child_by_field_name("operator")
            return ir.Assign(
                *p,
                self.pattern(n.child_by_field_name("left"), d),
                self.expr(n.child_by_field_name("right"), d),
                text(op),
            )
        if t == "tuple_expression":
            items = [self.expr(c, d) for c in _named(n) if c.type != "attribute_item"]
            if self.rf.is_json_object(n):
                return self.json_object(n, items, p)
            return ir.Array(*p, items)
        if t == "array_expression":
            return ir.Array(*p, [self.expr(c, d) for c in _named(n)])
        if t == "struct_expression":
            return self.struct(n, d)
        if t == "closure_expression":
            return self.closure(n, d)
        if t in _BLOCKY:
            return self.blocky_expr(n, d)
        if t == "return_expression":
            self.pre.extend(self.stmt_expr(n, d))
            return ir.Unknown(*p, [], "return")
        if t == "range_expression":
            return self.unknown(n, d, "range")
        if t == "macro_invocation":
            return ir.Unknown(*p, [], f"{text(n.child_by_field_name('macro'))}!")
        return self.unknown(n, d)

    def blocky_expr(self, n: TSNode, d: int) -> ir.Node:
        """Hoist a block-like expression's statements; return its value."""
        t = n.type
        p = self.pos(n)
        if t == "if_expression":
            test, binds = self.condition(n.child_by_field_name("condition"), d)
            self.pre.extend(binds)
            then_v = self.block_value(n.child_by_field_name("consequence"), d)
            alt = n.child_by_field_name("alternative")
            else_v: ir.Node = ir.Literal(*p, None, "()")
            if alt is not None and _named(alt):
                else_v = self.block_value(_named(alt)[0], d)
            return ir.Cond(*p, test, then_v, else_v)
        if t == "match_expression":
            scrut_node = n.child_by_field_name("value")
            scrut = self.expr(scrut_node, d) if scrut_node is not None else ir.Unknown(*p)
            values: list[ir.Node] = []
            arms = []
            for arm in _named(n.child_by_field_name("body")):
                if arm.type == "match_arm":
                    arms.append(self.arm(arm, scrut, d, values))
            self.pre.append(ir.Block(*p, arms))
            return ir.Unknown(*p, values, "match")
        if t in ("block", "unsafe_block", "async_block", "const_block"):
            return self.block_value(n, d)
        # loops: statements hoisted, value unknown
        self.pre.extend(self.blocky_stmt_nested(n, d))
        return ir.Unknown(*p, [], t)

    def blocky_stmt_nested(self, n: TSNode, d: int) -> list[ir.Node]:
        saved, self.pre = self.pre, []
        out = self.blocky_stmt(n, d)
        self.pre = saved
        return out

    def block_value(self, n: TSNode | None, d: int) -> ir.Node:
        if n is None:
            return ir.Unknown(0, 0, 0)
        if n.type not in ("block", "unsafe_block", "async_block", "const_block"):
            return self.expr(n, d)
        saved, self.pre = self.pre, []
        stmts, tail = self.block_parts(n, d)
        value = self.expr(tail, d) if tail is not None else ir.Literal(*self.pos(n), None, "()")
        hoisted = stmts + self.pre
        self.pre = saved
        self.pre.extend(hoisted)
        return value

    def closure(self, n: TSNode, d: int) -> ir.Func:
        p = self.pos(n)
        params = [
            self.param(c, d) if c.type == "parameter" else ir.Param(*self.pos(c), self.pattern(c, d))
            for c in _named(n.child_by_field_name("parameters"))
        ]
        body_node = n.child_by_field_name("body")
        saved, self.pre = self.pre, []
        if body_node is not None and body_node.type == "block":
            body = self.fn_body(body_node, d)
        elif body_node is not None:
            e = self.expr(body_node, d)
            body = self.pre + [ir.Return(*self.pos(body_node), e)]
        else:
            body = []
        self.pre = saved
        is_async = text(n).lstrip().startswith("async")
        return ir.Func(*p, None, params, body, is_async, "lambda")

    def struct(self, n: TSNode, d: int) -> ir.Node:
        p = self.pos(n)
        name = n.child_by_field_name("name")
        callee = self.path(name) if name is not None else ir.Unknown(*p)
        kwargs: list[tuple[str, ir.Node]] = []
        args: list[ir.Node] = []
        for c in _named(n.child_by_field_name("body")):
            if c.type == "field_initializer":
                f = c.child_by_field_name("field")
                kwargs.append((text(f), self.expr(c.child_by_field_name("value"), d)))
            elif c.type == "shorthand_field_initializer":
                kids = _named(c)
                if kids:
                    kwargs.append((text(kids[0]), ir.Name(*self.pos(kids[0]), text(kids[0]))))
            elif c.type == "base_field_initializer":
                kids = _named(c)
                if kids:
                    args.append(ir.Spread(*self.pos(c), self.expr(kids[0], d)))
        return ir.Call(*p, callee, args, kwargs, True)

    def json_object(self, n: TSNode, items: list[ir.Node], p) -> ir.Object:
        props: list[ir.Prop] = []
        for i in range(0, len(items) - 1, 2):
            key = ir.string_value(items[i])
            props.append(
                ir.Prop(
                    items[i].line,
                    items[i].col,
                    items[i + 1].end_line,
                    key,
                    items[i + 1],
                    False,
                    None if key is not None else items[i],
                )
            )
        return ir.Object(*p, props)

    def call(self, n: TSNode, d: int) -> ir.Node:
        p = self.pos(n)
        fn = n.child_by_field_name("function")
        arg_nodes = _named(n.child_by_field_name("arguments"))
        is_macro = fn is not None and fn.end_byte in self.rf.macro_callees
        if fn is None:
            return self.unknown(n, d)
        if fn.type == "field_expression":
            callee: ir.Node = ir.Member(
                *self.pos(fn.child_by_field_name("field") or fn),
                self.expr(fn.child_by_field_name("value"), d),
                text(fn.child_by_field_name("field")),
            )
        elif fn.type == "generic_function":
            inner = fn.child_by_field_name("function")
            if inner is not None and inner.type == "field_expression":
                callee = ir.Member(
                    *self.pos(inner),
                    self.expr(inner.child_by_field_name("value"), d),
                    text(inner.child_by_field_name("field")),
                )
            else:
                callee = self.path(inner) if inner is not None else ir.Unknown(*p)
        elif fn.type in ("identifier", "scoped_identifier"):
            callee = self.path(fn)
            if (
                is_macro
                and fn.type == "identifier"
                and text(fn) in ("trace", "debug", "info", "warn", "error")
            ):
                if text(fn) not in self.rf.uses:
                    callee = ir.Member(*self.pos(fn), ir.Name(*self.pos(fn), "log"), text(fn))
        else:
            callee = self.expr(fn, d)
        if not is_macro:
            args = [self.expr(a, d) for a in arg_nodes]
            if (
                isinstance(callee, ir.Member)
                and callee.prop in _ROUTER_METHODS
                and any(isinstance(a, ir.Func) for a in args)
                and "Router" in text(fn)
            ):
                # workers-rs `Router::new().get("/x", |req, ctx| ...)`: the handler's parameters
                for a in args:
                    if isinstance(a, ir.Func) and len(a.params) >= 2:
                        a.params[0].type = a.params[0].type or "Request"
                        a.params[1].type = a.params[1].type or "RouteContext"
            return ir.Call(*p, callee, args)
        name = text(fn).rsplit("::", 1)[-1]
        kwargs: list[tuple[str, ir.Node]] = []
        target = self.rf.targets.get(fn.end_byte)
        if target is not None:
            kwargs.append(("target", ir.Literal(*p, target, repr(target))))
        if name in ("write", "writeln") and arg_nodes:
            dest = self.expr(arg_nodes[0], d)
            return ir.Call(*p, callee, [dest, *self.template(arg_nodes[1:], d)], kwargs)
        if name == "log" and arg_nodes:
            level = self.expr(arg_nodes[0], d)
            return ir.Call(*p, callee, [level, *self.template(arg_nodes[1:], d)], kwargs)
        if name in FORMAT_MACROS:
            return ir.Call(*p, callee, self.template(arg_nodes, d), kwargs)
        return ir.Call(*p, callee, [self.expr(a, d) for a in arg_nodes], kwargs)

    def template(self, args: list[TSNode], d: int) -> list[ir.Node]:
        """Format string + arguments -> one Template (implicit `{name}` captures become `Name`s)."""
        if not args:
            return []
        fmt = string_value(args[0])
        if fmt is None:
            return [self.expr(a, d) for a in args]
        p = self.pos(args[0])
        positional: list[ir.Node] = []
        named: dict[str, ir.Node] = {}
        for a in args[1:]:
            if a.type == "assignment_expression":  # name = value
                left = a.child_by_field_name("left")
                named[text(left)] = self.expr(a.child_by_field_name("right"), d)
            else:
                positional.append(self.expr(a, d))
        parts: list[ir.Node] = []
        next_pos = 0
        last = 0
        used: set[int] = set()
        for m in _FMT_SPEC.finditer(fmt):
            if m.group(0) in ("{{", "}}"):
                continue
            if m.start() > last:
                parts.append(ir.Literal(*p, fmt[last : m.start()].replace("{{", "{").replace("}}", "}")))
            last = m.end()
            spec = m.group(1)
            arg = spec.split(":", 1)[0].strip()
            if arg == "":
                if next_pos < len(positional):
                    parts.append(positional[next_pos])
                    used.add(next_pos)
                next_pos += 1
            elif arg.isdigit():
                i = int(arg)
                if i < len(positional):
                    parts.append(positional[i])
                    used.add(i)
            elif arg in named:
                parts.append(named[arg])
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg):
                parts.append(ir.Name(*p, arg))
        if last < len(fmt):
            parts.append(ir.Literal(*p, fmt[last:].replace("{{", "{").replace("}}", "}")))
        tpl = ir.Template(p[0], p[1], args[-1].end_point[0] + 1, parts)
        extra = [a for i, a in enumerate(positional) if i not in used]
        return [tpl, *extra]


def _named(n: TSNode | None) -> list[TSNode]:
    if n is None:
        return []
    return [c for c in n.named_children if c.type not in ("line_comment", "block_comment")]


def _attributes(n: TSNode) -> list[str]:
    out = []
    prev = n.prev_named_sibling
    while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment"):
        if prev.type == "attribute_item":
            out.append("".join(text(prev)[2:-1].split()))
        prev = prev.prev_named_sibling
    return out
