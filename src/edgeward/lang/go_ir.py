"""Go -> shared IR (`lang/ir.py`).

- Imports are `Import(path, [("*", local)])`; a package-qualified call keeps its local name
  (`rtlog.Open(x)` is `Call(Member(Name("rtlog"), "Open"))`), to be resolved through the module's `Import`s.
- `a, b := f()` / `var a, b = x, y` / `a = b` are `VarDecl("let", ...)` / `Assign`; several targets from one
  call become an `ArrayPattern`; pairwise assignments are split.
- `if init; cond {}` puts `init` before the `If`; `switch` is a `Block` of `If`s (case values compared with
  `==`); `for ... range x` is `Loop(target, iter)`.
- Composite literals: struct literals `T{K: v}` are `Call(T, kwargs=[(K, v)], new=True)` (as in Rust), map
  literals with string keys are `Object`, slices are `Array`. `&x`, `*x`, `x.(T)`, `(x)` are `x`.
- `defer f()` / `go f()` are the call itself as a statement; func literals are `Func(kind="lambda")`.
"""

from __future__ import annotations

import re

from tree_sitter import Node as TSNode

from edgeward.lang import ir
from edgeward.lang.go import package_name, string_value
from edgeward.lang.tsparse import parser, text

MAX_DEPTH = 200


def parse(path: str, source: str) -> ir.Module:
    data = source.encode("utf-8", "surrogatepass")
    tree = parser("go").parse(data)
    low = _Lowerer()
    body = low.stmts(tree.root_node.named_children, 0)
    mod = ir.Module(path, "go", body, partial=low.partial)
    if tree.root_node.has_error:
        from edgeward.lang.rust_ir import _errors

        mod.errors = _errors(tree.root_node)
    return mod


def _named(n: TSNode | None) -> list[TSNode]:
    if n is None:
        return []
    return [c for c in n.named_children if c.type != "comment"]


class _Lowerer:
    def __init__(self) -> None:
        self.partial = False

    @staticmethod
    def pos(n: TSNode) -> tuple[int, int, int]:
        return n.start_point[0] + 1, n.start_point[1] + 1, n.end_point[0] + 1

    def stmts(self, nodes, d: int) -> list[ir.Node]:
        out: list[ir.Node] = []
        for n in nodes:
            out.extend(self.stmt(n, d + 1))
        return out

    def block(self, n: TSNode | None, d: int) -> list[ir.Node]:
        if n is None:
            return []
        kids = _named(n)
        if len(kids) == 1 and kids[0].type == "statement_list":
            kids = _named(kids[0])
        return self.stmts(kids, d)

    def stmt(self, n: TSNode, d: int) -> list[ir.Node]:
        if d > MAX_DEPTH:
            self.partial = True
            return []
        t = n.type
        p = self.pos(n)
        if t == "import_declaration":
            out = []
            for spec in (c for c in ir_walk_ts(n) if c.type == "import_spec"):
                path = string_value(spec.child_by_field_name("path")) or ""
                alias = spec.child_by_field_name("name")
                local = text(alias) if alias is not None else package_name(path)
                out.append(ir.Import(*self.pos(spec), path, [("*", local)]))
            return out
        if t in ("package_clause", "comment"):
            return []
        if t == "function_declaration" or t == "method_declaration":
            return [self.func(n, d, "method" if t == "method_declaration" else "function")]
        if t == "type_declaration":
            out = []
            for spec in _named(n):
                if spec.type != "type_spec":
                    continue
                name = spec.child_by_field_name("name")
                ty = spec.child_by_field_name("type")
                members = []
                if ty is not None and ty.type == "struct_type":
                    for f in (c for c in ir_walk_ts(ty) if c.type == "field_declaration"):
                        ftype = f.child_by_field_name("type")
                        for fname in f.children_by_field_name("name"):
                            members.append((text(fname), text(ftype), f.start_point[0] + 1))
                out.append(ir.TypeDecl(*self.pos(spec), text(name), members))
            return out
        if t in ("const_declaration", "var_declaration"):
            out = []
            kind = "const" if t == "const_declaration" else "let"
            for spec in (c for c in ir_walk_ts(n) if c.type in ("const_spec", "var_spec")):
                names = spec.children_by_field_name("name")
                value = spec.child_by_field_name("value")
                vals = _named(value)
                for i, nm in enumerate(names):
                    v = self.expr(vals[i], d) if i < len(vals) else (self.expr(vals[0], d) if vals else None)
                    out.append(ir.VarDecl(*self.pos(spec), kind, ir.Name(*self.pos(nm), text(nm)), v))
            return out
        if t == "short_var_declaration":
            return self.assign(n, d, decl=True)
        if t == "assignment_statement":
            return self.assign(n, d, decl=False)
        if t in ("inc_statement", "dec_statement"):
            kids = _named(n)
            return (
                [ir.ExprStmt(*p, ir.Assign(*p, self.expr(kids[0], d), ir.Literal(*p, 1, "1"), "+="))]
                if kids
                else []
            )
        if t == "expression_statement":
            kids = _named(n)
            return [ir.ExprStmt(*p, self.expr(kids[0], d))] if kids else []
        if t in ("defer_statement", "go_statement"):
            kids = _named(n)
            return [ir.ExprStmt(*p, self.expr(kids[0], d))] if kids else []
        if t == "return_statement":
            kids = _named(n)
            vals = _named(kids[0]) if kids and kids[0].type == "expression_list" else kids
            if not vals:
                return [ir.Return(*p, None)]
            v = self.expr(vals[0], d) if len(vals) == 1 else ir.Array(*p, [self.expr(x, d) for x in vals])
            return [ir.Return(*p, v)]
        if t == "if_statement":
            pre = []
            init = n.child_by_field_name("initializer")
            if init is not None:
                pre = self.stmt(init, d)
            cond = n.child_by_field_name("condition")
            alt = n.child_by_field_name("alternative")
            orelse = []
            if alt is not None:
                orelse = self.stmt(alt, d) if alt.type == "if_statement" else self.block(alt, d)
            return pre + [
                ir.If(*p, self.expr(cond, d), self.block(n.child_by_field_name("consequence"), d), orelse)
            ]
        if t == "for_statement":
            body = self.block(n.child_by_field_name("body"), d)
            kids = _named(n)
            for c in kids:
                if c.type == "range_clause":
                    left = c.child_by_field_name("left")
                    right = c.child_by_field_name("right")
                    targets = [self.expr(x, d) for x in _named(left)] if left is not None else []
                    target = targets[-1] if len(targets) == 1 else ir.ArrayPattern(*self.pos(c), targets)
                    return [ir.Loop(*p, body, target if targets else None, self.expr(right, d))]
                if c.type == "for_clause":
                    pre = []
                    for f in ("initializer", "condition", "update"):
                        x = c.child_by_field_name(f)
                        if x is None:
                            continue
                        pre.extend(
                            self.stmt(x, d) if f != "condition" else [ir.ExprStmt(*p, self.expr(x, d))]
                        )
                    return [ir.Loop(*p, pre + body)]
            return [ir.Loop(*p, body)]
        if t in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            pre = []
            init = n.child_by_field_name("initializer")
            if init is not None:
                pre = self.stmt(init, d)
            value = n.child_by_field_name("value")
            scrut = self.expr(value, d) if value is not None else None
            arms: list[ir.Node] = []
            for c in _named(n):
                if c.type not in ("expression_case", "default_case", "type_case", "communication_case"):
                    continue
                vals = _named(c.child_by_field_name("value"))
                body = self.stmts(
                    [x for x in _named(c) if x.type == "statement_list"]
                    and _named([x for x in _named(c) if x.type == "statement_list"][0]),
                    d,
                )
                test: ir.Node = ir.Literal(*self.pos(c), True, "default")
                if vals and scrut is not None and c.type == "expression_case":
                    test = ir.BinOp(*self.pos(c), "==", scrut, self.expr(vals[0], d))
                elif vals:
                    test = self.expr(vals[0], d)
                arms.append(ir.If(*self.pos(c), test, body, []))
            return pre + [ir.Block(*p, arms)]
        if t == "block":
            return [ir.Block(*p, self.block(n, d))]
        if t == "labeled_statement":
            kids = _named(n)
            return self.stmt(kids[-1], d) if kids else []
        if t in ("statement_list",):
            return self.stmts(_named(n), d)
        if t in (
            "break_statement",
            "continue_statement",
            "goto_statement",
            "empty_statement",
            "fallthrough_statement",
        ):
            return []
        if t == "send_statement":
            return [ir.ExprStmt(*p, ir.Unknown(*p, [self.expr(c, d) for c in _named(n)], "send"))]
        return []

    def assign(self, n: TSNode, d: int, decl: bool) -> list[ir.Node]:
        p = self.pos(n)
        left = _named(n.child_by_field_name("left"))
        right = _named(n.child_by_field_name("right"))
        op_node = n.child_by_field_name("operator")
        op = text(op_node) if op_node is not None else "="
        if op == ":=":
            op = "="
        targets = [self.expr(x, d) for x in left]
        values = [self.expr(x, d) for x in right]
        out: list[ir.Node] = []
        if len(targets) == len(values):
            pairs = list(zip(targets, values, strict=True))
        elif len(values) == 1:
            # `v, err := f()` / `v, ok := m[k]`: the value is the first result; the rest (err, ok) carry nothing
            pairs = [(targets[0], values[0])] + [(t, ir.Unknown(*p)) for t in targets[1:]]
        else:
            pairs = [(t, ir.Unknown(*p, values)) for t in targets]
        for tgt, val in pairs:
            if decl:
                out.append(ir.VarDecl(*p, "let", tgt, val))
            else:
                out.append(ir.ExprStmt(*p, ir.Assign(*p, tgt, val, op)))
        return out

    def func(self, n: TSNode, d: int, kind: str) -> ir.Func:
        p = self.pos(n)
        name = n.child_by_field_name("name")
        params: list[ir.Param] = []
        recv = n.child_by_field_name("receiver")
        for pd in _named(recv):
            params.extend(self.params(pd))
        for pd in _named(n.child_by_field_name("parameters")):
            params.extend(self.params(pd))
        body = self.block(n.child_by_field_name("body"), d)
        f = ir.Func(*p, text(name) if name is not None else None, params, body, False, kind)
        if kind == "function" and f.name:
            f.exported = f.name  # package scope: visible from the package's other files
        return f

    def params(self, pd: TSNode) -> list[ir.Param]:
        ty = pd.child_by_field_name("type")
        tt = text(ty) if ty is not None else None
        names = pd.children_by_field_name("name")
        return [ir.Param(*self.pos(nm), ir.Name(*self.pos(nm), text(nm)), None, tt) for nm in names]

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
        if t in ("identifier", "field_identifier", "package_identifier", "type_identifier"):
            return ir.Name(*p, text(n))
        if t in ("interpreted_string_literal", "raw_string_literal"):
            return ir.Literal(*p, string_value(n) or "", text(n))
        if t == "int_literal":
            raw = text(n)
            try:
                return ir.Literal(*p, int(raw.replace("_", ""), 0), raw)
            except ValueError:
                return ir.Literal(*p, raw, raw)
        if t == "float_literal":
            try:
                return ir.Literal(*p, float(text(n).replace("_", "")), text(n))
            except ValueError:
                return ir.Literal(*p, text(n), text(n))
        if t in ("true", "false"):
            return ir.Literal(*p, t == "true", t)
        if t == "nil":
            return ir.Literal(*p, None, "nil")
        if t in ("parenthesized_expression", "type_assertion_expression", "type_conversion_expression"):
            kids = _named(n)
            if t == "type_conversion_expression":
                v = n.child_by_field_name("operand")
                return self.expr(v, d)
            op = n.child_by_field_name("operand")
            return self.expr(op if op is not None else (kids[0] if kids else None), d)
        if t == "selector_expression":
            return ir.Member(
                *p, self.expr(n.child_by_field_name("operand"), d), text(n.child_by_field_name("field"))
            )
        if t == "index_expression":
            obj = self.expr(n.child_by_field_name("operand"), d)
            idx = n.child_by_field_name("index")
            key = string_value(idx)
            return ir.Member(*p, obj, key, None if key is not None else self.expr(idx, d))
        if t == "slice_expression":
            return ir.Member(
                *p, self.expr(n.child_by_field_name("operand"), d), None, ir.Unknown(*p, [], "slice")
            )
        if t == "call_expression":
            fn = n.child_by_field_name("function")
            args = [
                self.expr(a, d)
                for a in _named(n.child_by_field_name("arguments"))
                if not a.type.endswith("_type")
            ]
            return ir.Call(*p, self.expr(fn, d), args)
        if t == "binary_expression":
            op = n.child_by_field_name("operator")
            return ir.BinOp(
                *p,
                text(op),
                self.expr(n.child_by_field_name("left"), d),
                self.expr(n.child_by_field_name("right"), d),
            )
        if t == "unary_expression":
            op = n.child_by_field_name("operator")
            o = text(op) if op is not None else (text(n.children[0]) if n.children else "")
            arg = self.expr(n.child_by_field_name("operand"), d)
            return arg if o in ("&", "*", "<-") else ir.Unary(*p, o, arg)
        if t == "composite_literal":
            return self.composite(n, d)
        if t == "func_literal":
            params: list[ir.Param] = []
            for pd in _named(n.child_by_field_name("parameters")):
                params.extend(self.params(pd))
            return ir.Func(*p, None, params, self.block(n.child_by_field_name("body"), d), False, "lambda")
        if t == "expression_list":
            kids = _named(n)
            return self.expr(kids[0], d) if len(kids) == 1 else ir.Array(*p, [self.expr(k, d) for k in kids])
        return ir.Unknown(*p, [self.expr(c, d) for c in _named(n)], t)

    def composite(self, n: TSNode, d: int) -> ir.Node:
        p = self.pos(n)
        ty = n.child_by_field_name("type")
        body = n.child_by_field_name("body")
        elems = _named(body)
        keyed = [e for e in elems if e.type == "keyed_element"]
        if ty is not None and ty.type in ("type_identifier", "qualified_type", "generic_type") and keyed:
            kwargs = []
            for e in keyed:
                kids = _named(e)
                if len(kids) == 2:
                    kwargs.append((text(kids[0]).strip(), self.element(kids[1], d)))
            callee = self.type_path(ty)
            return ir.Call(*p, callee, [], kwargs, True)
        if ty is not None and ty.type == "map_type" or keyed:
            props = []
            for e in keyed:
                kids = _named(e)
                if len(kids) != 2:
                    continue
                k = self.element(kids[0], d)
                key = ir.string_value(k)
                props.append(ir.Prop(*self.pos(e), key, self.element(kids[1], d), False, None if key else k))
            return ir.Object(*p, props)
        if ty is not None and ty.type in ("type_identifier", "qualified_type"):
            return ir.Call(*p, self.type_path(ty), [self.element(e, d) for e in elems], [], True)
        return ir.Array(*p, [self.element(e, d) for e in elems])

    def element(self, n: TSNode, d: int) -> ir.Node:
        if n.type == "literal_element":
            kids = _named(n)
            return self.expr(kids[0], d) if kids else ir.Unknown(*self.pos(n))
        if n.type == "literal_value":
            return ir.Array(*self.pos(n), [self.element(e, d) for e in _named(n)])
        return self.expr(n, d)

    def type_path(self, ty: TSNode) -> ir.Node:
        p = self.pos(ty)
        raw = re.sub(r"\[.*\]", "", text(ty))
        parts = raw.split(".")
        node: ir.Node = ir.Name(*p, parts[0])
        for s in parts[1:]:
            node = ir.Member(*p, node, s)
        return node


def ir_walk_ts(n: TSNode):
    from edgeward.lang.tsparse import walk

    return walk(n)
