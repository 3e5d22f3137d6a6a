"""Python Workers front end: Python's `ast` -> `lang.ir.Module`.

`self` stays `Name("self")`; f-strings become `Template`; keyword arguments become `Call.kwargs`;
`from js import Response` / `from workers import WorkerEntrypoint` are ordinary `Import`s. A module-level
assignment is a `VarDecl(kind="let")` (Python has no const), so module state is visible to ISO004.
"""

from __future__ import annotations

import ast

from edgeward.lang import ir

MAX_DEPTH = 180

_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
}
_CMPOPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def parse(path: str, text: str) -> ir.Module:
    tree = ast.parse(text, filename=path)
    low = _Lowerer()
    body = low.stmts(tree.body, 0)
    return ir.Module(path, "python", body, partial=low.partial)


def _pos(n: ast.AST) -> tuple[int, int, int]:
    line = getattr(n, "lineno", 1)
    return line, getattr(n, "col_offset", 0) + 1, getattr(n, "end_lineno", None) or line


class _Lowerer:
    def __init__(self) -> None:
        self.partial = False

    def stmts(self, nodes: list[ast.stmt], d: int) -> list[ir.Node]:
        out: list[ir.Node] = []
        for n in nodes:
            out.extend(self.stmt(n, d + 1))
        return out

    def stmt(self, n: ast.stmt, d: int) -> list[ir.Node]:
        if d > MAX_DEPTH:
            self.partial = True
            return []
        p = _pos(n)
        if isinstance(n, ast.Expr):
            return [ir.ExprStmt(*p, self.expr(n.value, d))]
        if isinstance(n, ast.Assign):
            value = self.expr(n.value, d)
            out: list[ir.Node] = []
            for t in n.targets:
                if isinstance(t, (ast.Name, ast.Tuple, ast.List)):
                    out.append(ir.VarDecl(*p, "let", self.pattern(t, d), value))
                else:
                    out.append(ir.ExprStmt(*p, ir.Assign(*p, self.pattern(t, d), value)))
            return out
        if isinstance(n, ast.AnnAssign):
            if n.value is None:
                return []
            if isinstance(n.target, ast.Name):
                return [ir.VarDecl(*p, "let", self.pattern(n.target, d), self.expr(n.value, d))]
            return [ir.ExprStmt(*p, ir.Assign(*p, self.pattern(n.target, d), self.expr(n.value, d)))]
        if isinstance(n, ast.AugAssign):
            op = _BINOPS.get(type(n.op), "?") + "="
            return [ir.ExprStmt(*p, ir.Assign(*p, self.pattern(n.target, d), self.expr(n.value, d), op))]
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return [self.func(n, d)]
        if isinstance(n, ast.ClassDef):
            methods: list[ir.Func] = []
            fields: list[ir.VarDecl] = []
            for s in n.body:
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    f = self.func(s, d)
                    f.kind = "method"
                    methods.append(f)
                elif isinstance(s, (ast.Assign, ast.AnnAssign)):
                    for x in self.stmt(s, d):
                        if isinstance(x, ir.VarDecl):
                            x.kind = "field"
                            fields.append(x)
            return [ir.Class(*p, n.name, [self.expr(b, d) for b in n.bases], methods, fields)]
        if isinstance(n, ast.Return):
            return [ir.Return(*p, self.expr(n.value, d) if n.value is not None else None)]
        if isinstance(n, ast.Raise):
            return [ir.Throw(*p, self.expr(n.exc, d) if n.exc is not None else None)]
        if isinstance(n, ast.If):
            return [ir.If(*p, self.expr(n.test, d), self.stmts(n.body, d), self.stmts(n.orelse, d))]
        if isinstance(n, (ast.For, ast.AsyncFor)):
            return [
                ir.Loop(
                    *p,
                    self.stmts(n.body, d) + self.stmts(n.orelse, d),
                    self.pattern(n.target, d),
                    self.expr(n.iter, d),
                )
            ]
        if isinstance(n, ast.While):
            return [ir.Loop(*p, [ir.ExprStmt(*p, self.expr(n.test, d))] + self.stmts(n.body, d))]
        if isinstance(n, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            handlers = [
                ir.Handler(*_pos(h), ir.Name(*_pos(h), h.name) if h.name else None, self.stmts(h.body, d))
                for h in n.handlers
            ]
            return [
                ir.Try(
                    *p, self.stmts(n.body, d) + self.stmts(n.orelse, d), handlers, self.stmts(n.finalbody, d)
                )
            ]
        if isinstance(n, (ast.With, ast.AsyncWith)):
            body: list[ir.Node] = []
            for item in n.items:
                v = self.expr(item.context_expr, d)
                if item.optional_vars is not None:
                    body.append(ir.VarDecl(*p, "let", self.pattern(item.optional_vars, d), v))
                else:
                    body.append(ir.ExprStmt(*p, v))
            return [ir.Block(*p, body + self.stmts(n.body, d))]
        if isinstance(n, ast.Import):
            return [ir.Import(*p, a.name, [("*", a.asname or a.name.split(".")[0])]) for a in n.names]
        if isinstance(n, ast.ImportFrom):
            src = "." * (n.level or 0) + (n.module or "")
            return [ir.Import(*p, src, [(a.name, a.asname or a.name) for a in n.names])]
        if isinstance(n, ast.Match):
            body = [ir.ExprStmt(*p, self.expr(n.subject, d))]
            for c in n.cases:
                body.extend(self.stmts(c.body, d))
            return [ir.Block(*p, body)]
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            return [ir.ExprStmt(*p, ir.Unknown(*p, [ir.Name(*p, x) for x in n.names], "global"))]
        if isinstance(n, ast.Delete):
            return [ir.ExprStmt(*p, ir.Unary(*p, "delete", self.expr(t, d))) for t in n.targets]
        return []

    def func(self, n: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, d: int) -> ir.Func:
        p = _pos(n)
        a = n.args
        params: list[ir.Param] = []
        positional = a.posonlyargs + a.args
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for arg, default in zip(positional, defaults, strict=False):
            params.append(self.param(arg, default, d))
        if a.vararg:
            params.append(self.param(a.vararg, None, d))
        for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=False):
            params.append(self.param(arg, default, d))
        if a.kwarg:
            params.append(self.param(a.kwarg, None, d))
        if isinstance(n, ast.Lambda):
            return ir.Func(
                *p, None, params, [ir.Return(*_pos(n.body), self.expr(n.body, d))], False, "lambda"
            )
        return ir.Func(*p, n.name, params, self.stmts(n.body, d), isinstance(n, ast.AsyncFunctionDef))

    def param(self, arg: ast.arg, default: ast.expr | None, d: int) -> ir.Param:
        p = _pos(arg)
        ty = ast.unparse(arg.annotation) if arg.annotation is not None else None
        return ir.Param(*p, ir.Name(*p, arg.arg), self.expr(default, d) if default is not None else None, ty)

    def pattern(self, n: ast.expr, d: int) -> ir.Node:
        p = _pos(n)
        if isinstance(n, ast.Name):
            return ir.Name(*p, n.id)
        if isinstance(n, (ast.Tuple, ast.List)):
            return ir.ArrayPattern(*p, [self.pattern(e, d + 1) for e in n.elts])
        if isinstance(n, ast.Starred):
            return ir.Spread(*p, self.pattern(n.value, d + 1))
        return self.expr(n, d)

    def expr(self, n: ast.expr, d: int) -> ir.Node:
        p = _pos(n)
        if d > MAX_DEPTH:
            self.partial = True
            return ir.Unknown(*p, what="too deep")
        d += 1
        if isinstance(n, ast.Name):
            return ir.Name(*p, n.id)
        if isinstance(n, ast.Constant):
            v = n.value
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            return ir.Literal(*p, v, repr(n.value)[:200])
        if isinstance(n, ast.JoinedStr):
            parts: list[ir.Node] = []
            for v in n.values:
                if isinstance(v, ast.FormattedValue):
                    parts.append(self.expr(v.value, d))
                else:
                    parts.append(self.expr(v, d))
            return ir.Template(*p, parts)
        if isinstance(n, ast.Attribute):
            return ir.Member(*p, self.expr(n.value, d), n.attr)
        if isinstance(n, ast.Subscript):
            obj = self.expr(n.value, d)
            if isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
                return ir.Member(*p, obj, n.slice.value)
            if isinstance(n.slice, ast.Slice):  # x[:4] keeps (part of) the value
                return ir.Call(*p, ir.Member(*p, obj, "slice"), [])
            return ir.Member(*p, obj, None, self.expr(n.slice, d))
        if isinstance(n, ast.Call):
            args: list[ir.Node] = []
            for a in n.args:
                args.append(
                    ir.Spread(*_pos(a), self.expr(a.value, d))
                    if isinstance(a, ast.Starred)
                    else self.expr(a, d)
                )
            kwargs = [(k.arg or "**", self.expr(k.value, d)) for k in n.keywords]
            return ir.Call(*p, self.expr(n.func, d), args, kwargs)
        if isinstance(n, ast.Await):
            return ir.Unary(*p, "await", self.expr(n.value, d))
        if isinstance(n, ast.BinOp):
            return ir.BinOp(*p, _BINOPS.get(type(n.op), "?"), self.expr(n.left, d), self.expr(n.right, d))
        if isinstance(n, ast.BoolOp):
            op = "&&" if isinstance(n.op, ast.And) else "||"
            out = self.expr(n.values[0], d)
            for v in n.values[1:]:
                out = ir.BinOp(*p, op, out, self.expr(v, d))
            return out
        if isinstance(n, ast.Compare):
            left = self.expr(n.left, d)
            out = None
            for op, right in zip(n.ops, n.comparators, strict=False):
                r = self.expr(right, d)
                cmp = ir.BinOp(*p, _CMPOPS.get(type(op), "?"), left, r)
                out = cmp if out is None else ir.BinOp(*p, "&&", out, cmp)
                left = r
            return out if out is not None else ir.Unknown(*p)
        if isinstance(n, ast.UnaryOp):
            op = {ast.Not: "!", ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}.get(type(n.op), "?")
            return ir.Unary(*p, op, self.expr(n.operand, d))
        if isinstance(n, ast.IfExp):
            return ir.Cond(*p, self.expr(n.test, d), self.expr(n.body, d), self.expr(n.orelse, d))
        if isinstance(n, ast.Dict):
            props = []
            for k, v in zip(n.keys, n.values, strict=False):
                vp = _pos(v)
                if k is None:
                    props.append(ir.Prop(*vp, None, self.expr(v, d), True))
                elif isinstance(k, ast.Constant) and isinstance(k.value, str):
                    props.append(ir.Prop(*_pos(k), k.value, self.expr(v, d)))
                else:
                    props.append(ir.Prop(*_pos(k), None, self.expr(v, d), False, self.expr(k, d)))
            return ir.Object(*p, props)
        if isinstance(n, (ast.List, ast.Tuple, ast.Set)):
            return ir.Array(*p, [self.expr(e, d) for e in n.elts])
        if isinstance(n, ast.Starred):
            return ir.Spread(*p, self.expr(n.value, d))
        if isinstance(n, ast.Lambda):
            return self.func(n, d)
        if isinstance(n, ast.NamedExpr):
            return ir.Assign(*p, self.pattern(n.target, d), self.expr(n.value, d))
        if isinstance(n, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return ir.Unknown(
                *p, [self.expr(n.elt, d)] + [self.expr(g.iter, d) for g in n.generators], "comprehension"
            )
        if isinstance(n, ast.DictComp):
            return ir.Unknown(*p, [self.expr(n.key, d), self.expr(n.value, d)], "comprehension")
        if isinstance(n, ast.FormattedValue):
            return self.expr(n.value, d)
        kids = [self.expr(c, d) for c in ast.iter_child_nodes(n) if isinstance(c, ast.expr)]
        return ir.Unknown(*p, kids, type(n).__name__)
