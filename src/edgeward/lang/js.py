"""JavaScript / TypeScript / TSX front end: tree-sitter parse tree -> `lang.ir.Module`.

The tree is walked once, recursively, with a depth bound (deeply nested input becomes `Unknown` and the
module is marked `partial`). TypeScript-only syntax that does not change values (`as`, `!`, `satisfies`,
type arguments) is lowered to the expression itself; interfaces and object type literals become
`TypeDecl` so that the engine can read the declared type of `env.X`.
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Language, Parser
from tree_sitter import Node as TSNode

from edgeward.lang import ir

MAX_DEPTH = 180


@cache
def _parser(language: str) -> Parser:
    if language == "javascript":
        import tree_sitter_javascript as tsj

        return Parser(Language(tsj.language()))
    import tree_sitter_typescript as tst

    lang = tst.language_tsx() if language == "tsx" else tst.language_typescript()
    return Parser(Language(lang))


def language_for(path: str) -> str | None:
    p = path.lower()
    if p.endswith((".ts", ".mts", ".cts")) and not p.endswith(".d.ts"):
        return "typescript"
    if p.endswith(".tsx"):
        return "tsx"
    if p.endswith((".js", ".mjs", ".cjs", ".jsx")):
        return "javascript" if not p.endswith(".jsx") else "tsx"
    return None


def parse(path: str, text: str, language: str | None = None) -> ir.Module:
    language = language or language_for(path) or "javascript"
    src = text.encode("utf-8", "surrogatepass")
    tree = _parser(language).parse(src)
    low = _Lowerer(src)
    body = low.stmts(tree.root_node.named_children, 0)
    mod = ir.Module(path, language, body, partial=low.partial)
    if tree.root_node.has_error:
        mod.errors = _errors(tree.root_node)
    return mod


def _errors(root: TSNode, limit: int = 5) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    stack = [root]
    while stack and len(out) < limit:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            what = f"missing `{n.type}`" if n.is_missing else "syntax error"
            out.append((n.start_point[0] + 1, what))
            continue
        if n.has_error:
            stack.extend(reversed(n.children))
    return out


_FUNC_TYPES = {
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "generator_function",
    "arrow_function",
    "method_definition",
}
_TRANSPARENT = {
    "parenthesized_expression",
    "as_expression",
    "non_null_expression",
    "satisfies_expression",
    "type_assertion",
    "instantiation_expression",
}


class _Lowerer:
    def __init__(self, src: bytes):
        self.src = src
        self.partial = False

    # ------------------------------------------------------------------ helpers
    def text(self, n: TSNode) -> str:
        return self.src[n.start_byte : n.end_byte].decode("utf-8", "replace")

    @staticmethod
    def pos(n: TSNode) -> tuple[int, int, int]:
        return n.start_point[0] + 1, n.start_point[1] + 1, n.end_point[0] + 1

    def string(self, n: TSNode) -> str:
        t = self.text(n)
        if len(t) >= 2 and t[0] in "'\"`" and t[-1] == t[0]:
            t = t[1:-1]
        return t

    # ------------------------------------------------------------------ statements
    def stmts(self, nodes, d: int) -> list[ir.Node]:
        out: list[ir.Node] = []
        for n in nodes:
            if n.type == "comment":
                continue
            out.extend(self.stmt(n, d + 1))
        return out

    def block(self, n: TSNode | None, d: int) -> list[ir.Node]:
        if n is None:
            return []
        if n.type == "statement_block":
            return self.stmts(n.named_children, d)
        return self.stmt(n, d)

    def stmt(self, n: TSNode, d: int) -> list[ir.Node]:
        if d > MAX_DEPTH:
            self.partial = True
            return []
        t = n.type
        p = self.pos(n)
        if t == "expression_statement":
            c = n.named_children
            return [ir.ExprStmt(*p, self.expr(c[0], d))] if c else []
        if t in ("lexical_declaration", "variable_declaration"):
            kind_node = n.child_by_field_name("kind")
            kind = self.text(kind_node) if kind_node is not None else "var"
            out: list[ir.Node] = []
            for decl in n.named_children:
                if decl.type != "variable_declarator":
                    continue
                name = decl.child_by_field_name("name")
                value = decl.child_by_field_name("value")
                if name is None:
                    continue
                out.append(
                    ir.VarDecl(
                        *self.pos(decl),
                        kind,
                        self.pattern(name, d),
                        self.expr(value, d) if value is not None else None,
                    )
                )
            return out
        if t in ("function_declaration", "generator_function_declaration"):
            return [self.func(n, d)]
        if t in ("class_declaration", "abstract_class_declaration", "class"):
            return [self.cls(n, d)]
        if t == "return_statement":
            c = n.named_children
            return [ir.Return(*p, self.expr(c[0], d) if c else None)]
        if t == "throw_statement":
            c = n.named_children
            return [ir.Throw(*p, self.expr(c[0], d) if c else None)]
        if t == "if_statement":
            cond = n.child_by_field_name("condition")
            cons = n.child_by_field_name("consequence")
            alt = n.child_by_field_name("alternative")
            orelse: list[ir.Node] = []
            if alt is not None:  # else_clause
                orelse = self.stmts(alt.named_children, d)
            return [
                ir.If(
                    *p,
                    self.expr(cond, d) if cond is not None else ir.Unknown(*p),
                    self.block(cons, d),
                    orelse,
                )
            ]
        if t in ("for_in_statement",):
            left = n.child_by_field_name("left")
            right = n.child_by_field_name("right")
            return [
                ir.Loop(
                    *p,
                    self.block(n.child_by_field_name("body"), d),
                    self.pattern(left, d) if left is not None else None,
                    self.expr(right, d) if right is not None else None,
                )
            ]
        if t in ("for_statement", "while_statement", "do_statement"):
            body: list[ir.Node] = []
            for field in ("initializer", "condition", "increment"):
                c = n.child_by_field_name(field)
                if c is not None:
                    body.extend(
                        self.stmt(c, d)
                        if c.type.endswith(("statement", "declaration"))
                        else [ir.ExprStmt(*self.pos(c), self.expr(c, d))]
                    )
            body.extend(self.block(n.child_by_field_name("body"), d))
            return [ir.Loop(*p, body)]
        if t == "try_statement":
            handlers = []
            h = n.child_by_field_name("handler")
            if h is not None:
                param = h.child_by_field_name("parameter")
                handlers.append(
                    ir.Handler(
                        *self.pos(h),
                        self.pattern(param, d) if param is not None else None,
                        self.block(h.child_by_field_name("body"), d),
                    )
                )
            fin = n.child_by_field_name("finalizer")
            final = self.block(fin.child_by_field_name("body"), d) if fin is not None else []
            return [ir.Try(*p, self.block(n.child_by_field_name("body"), d), handlers, final)]
        if t == "statement_block":
            return [ir.Block(*p, self.stmts(n.named_children, d))]
        if t == "switch_statement":
            body = []
            v = n.child_by_field_name("value")
            if v is not None:
                body.append(ir.ExprStmt(*self.pos(v), self.expr(v, d)))
            sb = n.child_by_field_name("body")
            for case in sb.named_children if sb is not None else []:
                for c in case.named_children:
                    if c == case.child_by_field_name("value"):
                        continue
                    body.extend(self.stmt(c, d))
            return [ir.Block(*p, body)]
        if t == "labeled_statement":
            b = n.child_by_field_name("body")
            return self.stmt(b, d) if b is not None else []
        if t == "import_statement":
            return [self.import_(n)]
        if t == "export_statement":
            return self.export(n, d)
        if t in ("interface_declaration", "type_alias_declaration"):
            return [self.typedecl(n)]
        if t in (
            "empty_statement",
            "break_statement",
            "continue_statement",
            "debugger_statement",
            "comment",
            "hash_bang_line",
            "enum_declaration",
            "ambient_declaration",
            "module",
            "internal_module",
            "import_alias",
        ):
            return []
        # anything else that is an expression in statement position
        return [ir.ExprStmt(*p, self.expr(n, d))]

    def import_(self, n: TSNode) -> ir.Node:
        src_node = n.child_by_field_name("source")
        source = self.string(src_node) if src_node is not None else ""
        names: list[tuple[str, str]] = []
        for c in n.named_children:
            if c.type != "import_clause":
                continue
            for cc in c.named_children:
                if cc.type == "identifier":
                    names.append(("default", self.text(cc)))
                elif cc.type == "namespace_import":
                    ids = [x for x in cc.named_children if x.type == "identifier"]
                    if ids:
                        names.append(("*", self.text(ids[-1])))
                elif cc.type == "named_imports":
                    for spec in cc.named_children:
                        if spec.type != "import_specifier":
                            continue
                        nm = spec.child_by_field_name("name")
                        al = spec.child_by_field_name("alias")
                        if nm is not None:
                            names.append((self.string(nm), self.text(al if al is not None else nm)))
        return ir.Import(*self.pos(n), source, names)

    def export(self, n: TSNode, d: int) -> list[ir.Node]:
        p = self.pos(n)
        decl = n.child_by_field_name("declaration")
        is_default = any(c.type == "default" for c in n.children)
        src_node = n.child_by_field_name("source")
        if decl is not None:
            out = self.stmt(decl, d)
            for s in out:
                if isinstance(s, (ir.Func, ir.Class)):
                    s.exported = "default" if is_default else s.name
                elif isinstance(s, ir.VarDecl):
                    names = ir.names_in(s.target)
                    s.exported = names[0] if names else None
            return out
        value = n.child_by_field_name("value")
        if value is not None:
            if value.type in _FUNC_TYPES or value.type in ("class",):
                out = self.stmt(value, d) if value.type == "class" else [self.func(value, d)]
                for s in out:
                    if isinstance(s, (ir.Func, ir.Class)):
                        s.exported = "default"
                return out
            return [ir.VarDecl(*p, "const", ir.Name(*p, "default"), self.expr(value, d), exported="default")]
        names: list[tuple[str, str]] = []
        for c in n.named_children:
            if c.type == "export_clause":
                for spec in c.named_children:
                    nm = spec.child_by_field_name("name")
                    al = spec.child_by_field_name("alias")
                    if nm is not None:
                        names.append((self.string(nm), self.string(al if al is not None else nm)))
            elif c.type == "namespace_export":
                names.append(("*", "*"))
        if src_node is not None and not names:
            names.append(("*", "*"))
        return [ir.Export(*p, names, self.string(src_node) if src_node is not None else None)]

    def typedecl(self, n: TSNode) -> ir.Node:
        name_node = n.child_by_field_name("name")
        members: list[tuple[str, str, int]] = []
        body = n.child_by_field_name("body") or n.child_by_field_name("value")
        if body is not None:
            for m in body.named_children:
                if m.type == "property_signature":
                    nm = m.child_by_field_name("name")
                    ty = m.child_by_field_name("type")
                    if nm is not None:
                        tt = self.text(ty).lstrip(":").strip() if ty is not None else ""
                        members.append((self.string(nm), tt, m.start_point[0] + 1))
        return ir.TypeDecl(*self.pos(n), self.text(name_node) if name_node is not None else "", members)

    # ------------------------------------------------------------------ functions and classes
    def func(self, n: TSNode, d: int) -> ir.Func:
        p = self.pos(n)
        name_node = n.child_by_field_name("name")
        name = self.string(name_node) if name_node is not None else None
        is_async = any(c.type == "async" for c in n.children)
        params: list[ir.Param] = []
        ps = n.child_by_field_name("parameters")
        if ps is None:
            single = n.child_by_field_name("parameter")
            if single is not None:
                params.append(ir.Param(*self.pos(single), self.pattern(single, d)))
        else:
            for prm in ps.named_children:
                params.append(self.param(prm, d))
        body_node = n.child_by_field_name("body")
        if body_node is None:
            body: list[ir.Node] = []
        elif body_node.type == "statement_block":
            body = self.stmts(body_node.named_children, d)
        else:
            body = [ir.Return(*self.pos(body_node), self.expr(body_node, d))]
        if name == "constructor" and ps is not None:
            body = self.param_properties(ps) + body
        kind = {"arrow_function": "arrow", "method_definition": "method"}.get(n.type, "function")
        return ir.Func(*p, name, params, body, is_async, kind)

    def param_properties(self, ps: TSNode) -> list[ir.Node]:
        """TypeScript parameter properties (`constructor(private id: string)`): `this.id = id;`."""
        out: list[ir.Node] = []
        for prm in ps.named_children:
            if prm.type not in ("required_parameter", "optional_parameter"):
                continue
            if not any(
                c.type in ("accessibility_modifier", "readonly", "override_modifier") for c in prm.children
            ):
                continue
            pat = prm.child_by_field_name("pattern")
            if pat is None or pat.type != "identifier":
                continue
            p = self.pos(prm)
            nm = self.text(pat)
            out.append(
                ir.ExprStmt(*p, ir.Assign(*p, ir.Member(*p, ir.Name(*p, "this"), nm), ir.Name(*p, nm)))
            )
        return out

    def param(self, prm: TSNode, d: int) -> ir.Param:
        p = self.pos(prm)
        if prm.type in ("required_parameter", "optional_parameter"):
            pat = prm.child_by_field_name("pattern")
            ty = prm.child_by_field_name("type")
            val = prm.child_by_field_name("value")
            return ir.Param(
                *p,
                self.pattern(pat, d) if pat is not None else ir.Unknown(*p),
                self.expr(val, d) if val is not None else None,
                self.text(ty).lstrip(":").strip() if ty is not None else None,
            )
        if prm.type == "assignment_pattern":
            left = prm.child_by_field_name("left")
            right = prm.child_by_field_name("right")
            return ir.Param(
                *p,
                self.pattern(left, d) if left is not None else ir.Unknown(*p),
                self.expr(right, d) if right is not None else None,
            )
        return ir.Param(*p, self.pattern(prm, d))

    def cls(self, n: TSNode, d: int) -> ir.Class:
        p = self.pos(n)
        name_node = n.child_by_field_name("name")
        bases: list[ir.Node] = []
        methods: list[ir.Func] = []
        fields: list[ir.VarDecl] = []
        for c in n.named_children:
            if c.type == "class_heritage":
                for h in c.named_children:
                    if h.type == "extends_clause":
                        v = h.child_by_field_name("value")
                        if v is not None:
                            bases.append(self.expr(v, d))
                    elif h.type not in ("implements_clause",):
                        bases.append(self.expr(h, d))
        body = n.child_by_field_name("body")
        for m in body.named_children if body is not None else []:
            if m.type == "method_definition":
                methods.append(self.func(m, d))
            elif m.type in ("public_field_definition", "field_definition"):
                nm = m.child_by_field_name("name") or m.child_by_field_name("property")
                val = m.child_by_field_name("value")
                if nm is not None:
                    is_static = any(c.type == "static" for c in m.children)
                    fields.append(
                        ir.VarDecl(
                            *self.pos(m),
                            "static" if is_static else "field",
                            ir.Name(*self.pos(nm), self.string(nm)),
                            self.expr(val, d) if val is not None else None,
                        )
                    )
        return ir.Class(*p, self.text(name_node) if name_node is not None else None, bases, methods, fields)

    # ------------------------------------------------------------------ patterns
    def pattern(self, n: TSNode, d: int) -> ir.Node:
        p = self.pos(n)
        t = n.type
        if t in ("identifier", "shorthand_property_identifier_pattern", "this"):
            return ir.Name(*p, self.text(n))
        if t == "object_pattern":
            props: list[tuple[str | None, ir.Node, ir.Node | None]] = []
            for c in n.named_children:
                if c.type == "shorthand_property_identifier_pattern":
                    props.append((self.text(c), ir.Name(*self.pos(c), self.text(c)), None))
                elif c.type == "object_assignment_pattern":
                    left = c.child_by_field_name("left")
                    right = c.child_by_field_name("right")
                    if left is not None:
                        props.append(
                            (
                                self.text(left),
                                ir.Name(*self.pos(left), self.text(left)),
                                self.expr(right, d) if right is not None else None,
                            )
                        )
                elif c.type == "pair_pattern":
                    key = c.child_by_field_name("key")
                    val = c.child_by_field_name("value")
                    if key is None or val is None:
                        continue
                    default = None
                    if val.type == "assignment_pattern":
                        r = val.child_by_field_name("right")
                        default = self.expr(r, d) if r is not None else None
                        val = val.child_by_field_name("left") or val
                    keytext = self.string(key) if key.type != "computed_property_name" else None
                    props.append((keytext, self.pattern(val, d + 1), default))
                elif c.type == "rest_pattern":
                    ids = c.named_children
                    if ids:
                        props.append((None, self.pattern(ids[0], d + 1), None))
            return ir.ObjectPattern(*p, props)
        if t == "array_pattern":
            items: list[ir.Node | None] = []
            for c in n.children:
                if c.type == ",":
                    continue
                if c.is_named:
                    items.append(self.pattern(c, d + 1))
            return ir.ArrayPattern(*p, items)
        if t == "assignment_pattern":
            left = n.child_by_field_name("left")
            return self.pattern(left, d) if left is not None else ir.Unknown(*p)
        if t == "rest_pattern":
            ids = n.named_children
            return ir.Spread(*p, self.pattern(ids[0], d + 1)) if ids else ir.Unknown(*p)
        if t in ("required_parameter", "optional_parameter"):
            return self.param(n, d).target
        return self.expr(n, d)

    # ------------------------------------------------------------------ expressions
    def expr(self, n: TSNode, d: int) -> ir.Node:
        if d > MAX_DEPTH:
            self.partial = True
            return ir.Unknown(*self.pos(n), what="too deep")
        d += 1
        t = n.type
        while t in _TRANSPARENT:
            c = n.named_children
            if not c:
                break
            n = c[0]
            t = n.type
        p = self.pos(n)
        if t in ("identifier", "shorthand_property_identifier", "property_identifier", "this", "super"):
            return ir.Name(*p, self.text(n))
        if t == "member_expression":
            obj = n.child_by_field_name("object")
            prop = n.child_by_field_name("property")
            return ir.Member(
                *p,
                self.expr(obj, d) if obj is not None else ir.Unknown(*p),
                self.text(prop) if prop is not None else None,
            )
        if t == "subscript_expression":
            obj = n.child_by_field_name("object")
            idx = n.child_by_field_name("index")
            o = self.expr(obj, d) if obj is not None else ir.Unknown(*p)
            if idx is not None and idx.type == "string":
                return ir.Member(*p, o, self.string(idx))
            return ir.Member(*p, o, None, self.expr(idx, d) if idx is not None else None)
        if t == "call_expression":
            fn = n.child_by_field_name("function")
            args = n.child_by_field_name("arguments")
            callee = self.expr(fn, d) if fn is not None else ir.Unknown(*p)
            if args is not None and args.type == "template_string":  # tagged template
                return ir.Call(*p, callee, [self.expr(args, d)])
            return ir.Call(*p, callee, self.args(args, d))
        if t == "undefined":
            return ir.Literal(*p, None, "undefined")
        if t == "string":
            return ir.Literal(*p, self.string(n), self.text(n))
        if t == "number":
            raw = self.text(n)
            try:
                val: object = (
                    float(raw.replace("_", ""))
                    if "." in raw or "e" in raw.lower()
                    else int(raw.replace("_", ""), 0)
                )
            except ValueError:
                val = raw
            return ir.Literal(*p, val, raw)
        if t in ("true", "false"):
            return ir.Literal(*p, t == "true", t)
        if t == "null":
            return ir.Literal(*p, None, "null")
        if t == "regex":
            return ir.Literal(*p, None, self.text(n))
        if t == "template_string":
            parts: list[ir.Node] = []
            for c in n.named_children:
                if c.type == "string_fragment" or c.type == "escape_sequence":
                    parts.append(ir.Literal(*self.pos(c), self.text(c), self.text(c)))
                elif c.type == "template_substitution":
                    cc = c.named_children
                    if cc:
                        parts.append(self.expr(cc[0], d))
            return ir.Template(*p, parts)
        if t == "new_expression":
            ctor = n.child_by_field_name("constructor")
            args = n.child_by_field_name("arguments")
            return ir.Call(
                *p, self.expr(ctor, d) if ctor is not None else ir.Unknown(*p), self.args(args, d), new=True
            )
        if t == "await_expression":
            c = n.named_children
            return ir.Unary(*p, "await", self.expr(c[0], d) if c else ir.Unknown(*p))
        if t == "unary_expression":
            op = n.child_by_field_name("operator")
            arg = n.child_by_field_name("argument")
            return ir.Unary(
                *p,
                self.text(op) if op is not None else "?",
                self.expr(arg, d) if arg is not None else ir.Unknown(*p),
            )
        if t == "update_expression":
            arg = n.child_by_field_name("argument")
            a = self.expr(arg, d) if arg is not None else ir.Unknown(*p)
            return ir.Assign(*p, a, ir.Literal(*p, 1, "1"), "+=")
        if t == "binary_expression":
            op = n.child_by_field_name("operator")
            left = n.child_by_field_name("left")
            right = n.child_by_field_name("right")
            return ir.BinOp(
                *p,
                self.text(op) if op is not None else "?",
                self.expr(left, d) if left is not None else ir.Unknown(*p),
                self.expr(right, d) if right is not None else ir.Unknown(*p),
            )
        if t == "ternary_expression":
            c = n.child_by_field_name("condition")
            a = n.child_by_field_name("consequence")
            b = n.child_by_field_name("alternative")
            return ir.Cond(
                *p,
                self.expr(c, d) if c is not None else ir.Unknown(*p),
                self.expr(a, d) if a is not None else ir.Unknown(*p),
                self.expr(b, d) if b is not None else ir.Unknown(*p),
            )
        if t in ("assignment_expression", "augmented_assignment_expression"):
            left = n.child_by_field_name("left")
            right = n.child_by_field_name("right")
            op = n.child_by_field_name("operator")
            return ir.Assign(
                *p,
                self.pattern(left, d) if left is not None else ir.Unknown(*p),
                self.expr(right, d) if right is not None else ir.Unknown(*p),
                self.text(op) if op is not None else "=",
            )
        if t == "object":
            props: list[ir.Prop] = []
            for c in n.named_children:
                cp = self.pos(c)
                if c.type == "pair":
                    key = c.child_by_field_name("key")
                    val = c.child_by_field_name("value")
                    v = self.expr(val, d) if val is not None else ir.Unknown(*cp)
                    if key is not None and key.type == "computed_property_name":
                        kc = key.named_children
                        kexpr = self.expr(kc[0], d) if kc else None
                        props.append(ir.Prop(*cp, ir.string_value(kexpr), v, False, kexpr))
                    else:
                        props.append(ir.Prop(*cp, self.string(key) if key is not None else None, v))
                elif c.type == "shorthand_property_identifier":
                    props.append(ir.Prop(*cp, self.text(c), ir.Name(*cp, self.text(c))))
                elif c.type == "spread_element":
                    cc = c.named_children
                    props.append(ir.Prop(*cp, None, self.expr(cc[0], d) if cc else ir.Unknown(*cp), True))
                elif c.type == "method_definition":
                    f = self.func(c, d)
                    props.append(ir.Prop(*cp, f.name, f))
            return ir.Object(*p, props)
        if t == "array":
            return ir.Array(*p, [self.expr(c, d) for c in n.named_children if c.type != "comment"])
        if t == "spread_element":
            c = n.named_children
            return ir.Spread(*p, self.expr(c[0], d) if c else ir.Unknown(*p))
        if t in _FUNC_TYPES:
            return self.func(n, d)
        if t == "class":
            return self.cls(n, d)
        if t == "sequence_expression":
            kids = [self.expr(c, d) for c in n.named_children]
            return kids[-1] if len(kids) == 1 else ir.Unknown(*p, kids, "sequence")
        if t in ("jsx_element", "jsx_self_closing_element", "jsx_fragment"):
            return ir.Unknown(*p, self.jsx_children(n, d), "jsx")
        if t == "ERROR":
            return ir.Unknown(*p, [self.expr(c, d) for c in n.named_children], "error")
        return ir.Unknown(
            *p,
            [
                self.expr(c, d)
                for c in n.named_children
                if c.type != "comment" and not c.type.startswith("type")
            ],
            t,
        )

    def jsx_children(self, n: TSNode, d: int) -> list[ir.Node]:
        out: list[ir.Node] = []
        stack = list(n.named_children)
        while stack:
            c = stack.pop()
            if c.type == "jsx_expression":
                out.extend(self.expr(x, d) for x in c.named_children)
            else:
                stack.extend(c.named_children)
        return out

    def args(self, n: TSNode | None, d: int) -> list[ir.Node]:
        if n is None:
            return []
        return [self.expr(c, d) for c in n.named_children if c.type != "comment"]
