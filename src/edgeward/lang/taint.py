"""One data-flow (taint) engine over the shared IR, for every language.

The engine evaluates each module abstractly: a value is a frozenset of `Label`s (see `knowledge` for the
vocabulary: object labels such as `request`, `env`, `storage`; data labels `req`, `secret`, `verified`,
`decoded`, `ip`, `allowed`). It walks statements in order, binds locals, destructuring, parameters and
module-scope names, and follows values through template literals, concatenation, object spread, `await`,
calls of functions of the same file (inlined with the argument values, bounded and memoised) and of other
files of the project where a relative import names them.

What the rules consume is the record of what happened (`Analysis`):
- `calls`: every call evaluated, with the canonical callee name (imports resolved), the receiver's and the
  arguments' values, whether the result was used, and the enclosing statement, `try` blocks and `if`s;
- `compares`: every equality comparison with both sides' values;
- `writes`: writes to module-scope state (assignments, mutating method calls, `globalThis.x = ...`)
  from inside a function.

Every function is analysed on its own as well (parameters get a role from their name or declared type:
`request`, `env`, Hono `c`...), so handlers registered by callbacks are covered. Work is bounded: inlining
depth, contexts per function, and labels per value.

A label carries where it came from (`path`, `line`), so a finding can say "source line -> sink line".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.sources import modules
from edgeward.secrets.classifier import classify
from edgeward.workspace.project import Project

DATA_KINDS = {"req", "secret", "verified", "decoded", "ip", "allowed", "var"}
CARRIED = {"headers", "fwdheaders", "request"}
HANDLER_ROLES = {"request", "hono", "fetchevent", "pagesctx", "hono_req"}
SERVICE_BASES = {
    "DurableObject",
    "WorkerEntrypoint",
    "DurableObjectBase",
    "Agent",
    "WorkflowEntrypoint",
}  # object labels an object literal keeps from its values
MAX_INLINE_DEPTH = 4
MAX_CONTEXTS = 6
MAX_LABELS = 24


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    detail: str = ""
    path: str = ""
    line: int = 0
    flags: str = ""  # "p": placed after a fixed scheme://host/ prefix (cannot choose the host)
    ref: Any = None  # functions: (Func, ModCtx, Frame); classes: (Class, ModCtx)

    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        if self.kind == "secret":
            if self.detail == "SecretStore":
                return "a Secret Store value (`plaintext()`)"
            if " " in self.detail:
                return f"a secret ({self.detail})"
            return f"secret `env.{self.detail}`" if self.detail else "a secret"
        if self.kind == "req":
            d = self.detail
            if d == "url":
                return "the full request URL (query string included)"
            if d == "search":
                return "the request query string"
            if d.startswith("header:"):
                return f"request header `{d[7:]}`"
            if d.startswith("query:"):
                return f"query parameter `{d[6:]}`"
            if d.startswith("param:"):
                return f"path parameter `{d[6:]}`"
            return {"path": "the request path", "body": "the request body", "cookie": "a request cookie"}.get(
                d, f"request data ({d})"
            )
        if self.kind == "verified":
            return "verified token claims"
        if self.kind == "decoded":
            return "claims of an unverified (decode-only) token"
        return self.kind


Value = frozenset
EMPTY: frozenset = frozenset()


def data(v: Iterable[Label]) -> frozenset:
    if not v:
        return EMPTY
    for lab in v:
        if lab.kind not in DATA_KINDS:
            return frozenset(lab for lab in v if lab.kind in DATA_KINDS)
    return v if isinstance(v, frozenset) else frozenset(v)


def has(v: Iterable[Label], kind: str) -> bool:
    return any(lab.kind == kind for lab in v)


def of(v: Iterable[Label], kind: str) -> list[Label]:
    return sorted((lab for lab in v if lab.kind == kind), key=lambda lab: (lab.path, lab.line, lab.detail))


def _cap(v: frozenset) -> frozenset:
    if len(v) <= MAX_LABELS:
        return v
    # a "fields" label only refines member reads; when labels must go, it goes first (reads fall back to the
    # whole object's labels)
    return frozenset(
        sorted(v, key=lambda lab: (lab.kind == "fields", lab.kind != "req", lab.kind, lab.line))[:MAX_LABELS]
    )


@dataclass(eq=False)
class ModCtx:
    path: str
    module: ir.Module
    unit: Any
    bindings: dict[str, str] = field(default_factory=dict)
    vars: set[str] = field(default_factory=set)
    has_config: bool = False
    env_types: dict[str, str] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    decls: dict[str, tuple[str, int, ir.Node | None]] = field(default_factory=dict)
    exports: dict[str, frozenset] = field(default_factory=dict)
    frame: Any = None
    state: str = "new"

    @property
    def language(self) -> str:
        return "python" if self.module.language == "python" else self.module.language

    @cached_property
    def family(self) -> str:  # read per call event and per rule lookup: computed once per module
        return {"typescript": "javascript", "tsx": "javascript"}.get(
            self.module.language, self.module.language
        )


@dataclass(eq=False)
class Frame:
    vars: dict[str, frozenset]
    parent: Frame | None
    ctx: ModCtx
    func: ir.Func | None = None
    is_module: bool = False
    globals: set[str] = field(default_factory=set)
    returns: frozenset = EMPTY
    this: frozenset = EMPTY

    def lookup(self, name: str) -> tuple[frozenset, Frame | None]:
        f: Frame | None = self
        while f is not None:
            if name in f.vars:
                return f.vars[name], f
            f = f.parent
        return EMPTY, None


@dataclass(eq=False)
class CallEvent:
    ctx: ModCtx
    func: ir.Func | None
    node: ir.Call
    name: str | None
    method: str | None
    recv: frozenset
    args: list[frozenset]
    kwargs: dict[str, frozenset]
    result: frozenset
    used: bool
    stmt: ir.Node | None
    trys: tuple
    conds: tuple

    @property
    def path(self) -> str:
        return self.ctx.path

    def arg(self, i: int) -> frozenset:
        return self.args[i] if i < len(self.args) else EMPTY

    def arg_node(self, i: int) -> ir.Node | None:
        return self.node.args[i] if i < len(self.node.args) else None


@dataclass(eq=False)
class CompareEvent:
    ctx: ModCtx
    func: ir.Func | None
    node: ir.BinOp
    left: frozenset
    right: frozenset


@dataclass(eq=False)
class WriteEvent:
    ctx: ModCtx
    func: ir.Func | None
    node: ir.Node
    name: str
    decl_line: int
    how: str  # "assign", "mutate", "globalThis"
    value: frozenset
    lazy: bool = False
    in_request: bool = True


@dataclass(eq=False)
class ObjectEvent:
    """An object literal with header-like keys (containing "-") or a spread of request headers."""

    ctx: ModCtx
    func: ir.Func | None
    node: ir.Object
    props: list[tuple[str | None, frozenset, ir.Prop]]
    spreads: frozenset  # labels of spread values


@dataclass
class Analysis:
    calls: list[CallEvent] = field(default_factory=list)
    compares: list[CompareEvent] = field(default_factory=list)
    writes: list[WriteEvent] = field(default_factory=list)
    objects: list[ObjectEvent] = field(default_factory=list)
    ctxs: dict[str, ModCtx] = field(default_factory=dict)

    def calls_in(self, family: str | None = None) -> Iterable[CallEvent]:
        for e in self.calls:
            if family is None or e.ctx.family == family:
                yield e


_MUTATORS = {"set", "add", "push", "delete", "clear", "splice", "unshift", "pop", "shift", "append", "update"}
_MUTATORS |= {"extend", "insert", "remove", "setdefault", "popitem"}


class Engine:
    def __init__(self, project: Project):
        self.project = project
        self.mods = project.fact(modules)
        cfg = project.options.get("config")
        self.secret_names = set(getattr(cfg, "secret_names", None) or ())
        self.out = Analysis()
        self.pending: list[tuple[ir.Func, ModCtx, Frame, frozenset]] = []
        self.analysed: set[int] = set()
        self.memo: dict[tuple, frozenset] = {}
        self.contexts: dict[int, int] = {}
        self.active: set[int] = set()
        self.depth = 0
        self.class_fields: dict[int, dict[str, frozenset]] = {}
        # per-evaluation context
        self.cur_func: ir.Func | None = None
        self.stmt: ir.Node | None = None
        self.trys: tuple = ()
        self.conds: tuple = ()
        self.unused: ir.Node | None = None
        self.branch = 0
        self.in_request = False  # evaluating code that runs while a request is handled
        # evaluating code behind a once-per-isolate guard (`if (done) return; done = true; ...`), callees
        # included: what it writes to module scope is one-time initialisation
        self.once = False
        # per function: module names whose cached value an earlier `if (name && ...) return name;` hands out,
        # so a later write to them in the same function only fills a memo (see _lazy)
        self.memo_guards: dict[int, set[str]] = {}
        # object literals with plain keys: what each key contributed to the object's labels, so that reading
        # `cfg.ttl` of `cfg = {apiKey: env.KEY, ttl: 60}` (also returned from a helper) is not the API key
        self.obj_fields: dict[int, dict[str, frozenset]] = {}

    # ------------------------------------------------------------------ driver
    def run(self) -> Analysis:
        import sys

        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 8000))
        try:
            for path in sorted(self.mods):
                self.module_ctx(path)
            while self.pending:
                func, ctx, closure, this = self.pending.pop(0)
                self.standalone(func, ctx, closure, this)
        finally:
            sys.setrecursionlimit(limit)
        return self.out

    def module_ctx(self, path: str) -> ModCtx | None:
        ctx = self.out.ctxs.get(path)
        if ctx is not None:
            return ctx
        mod = self.mods.get(path)
        if mod is None:
            return None
        ctx = self._new_ctx(path, mod)
        self.out.ctxs[path] = ctx
        ctx.state = "running"
        frame = Frame({}, None, ctx, is_module=True)
        ctx.frame = frame
        saved = self._save()
        self._reset(None)
        try:
            self.hoist(mod.body, frame)
            self.block(mod.body, frame)
        except RecursionError:
            self.project.note(path, "partial", "analysis nested too deeply: only partly analysed")
        self._restore(saved)
        self._exports(ctx)
        ctx.state = "done"
        return ctx

    def _new_ctx(self, path: str, mod: ir.Module) -> ModCtx:
        from edgeward.workspace.units import unit_for_file

        unit = unit_for_file(self.project, path)
        ctx = ModCtx(path, mod, unit)
        if unit is not None and unit.kind == "workers" and unit.doc is not None:
            ctx.has_config = True
            for env in unit.envs:
                hit = env.own("vars")
                if hit and isinstance(hit[0], dict):
                    for k, v in hit[0].items():
                        # a secret-looking value misplaced in vars (SEC001) is still a secret; a low-confidence
                        # guess (an unnamed "high-entropy" value: a regex, a path list) stays a plain var, or
                        # every read of it would become a high-severity secret flow
                        verdict = classify(str(k), v)
                        if not verdict.is_secret or verdict.confidence == "low":
                            ctx.vars.add(str(k))
                for key, (kind, fieldname) in K.WRANGLER_BINDINGS.items():
                    hit = env.own(key)
                    items = hit[0] if hit else None
                    if isinstance(items, dict):
                        items = [items]
                    for b in items if isinstance(items, list) else []:
                        if isinstance(b, dict) and isinstance(b.get(fieldname), str):
                            ctx.bindings[b[fieldname]] = kind
                for key, kind in K.WRANGLER_BINDING_MAPS.items():
                    hit = env.own(key)
                    if hit and isinstance(hit[0], dict):
                        for name in hit[0]:
                            ctx.bindings[str(name)] = kind
        for n in mod.body:  # interfaces / type literals are module-level declarations
            if isinstance(n, ir.TypeDecl):
                for name, ty, _line in n.members:
                    ctx.env_types.setdefault(name, ty)
        for s in mod.body:
            if isinstance(s, ir.Import):
                for imported, local in s.names:
                    ctx.imports[local] = (s.source, imported)
            elif isinstance(s, ir.VarDecl):
                for name in ir.names_in(s.target):
                    ctx.decls[name] = (s.kind, s.line, s.value)
        return ctx

    def _exports(self, ctx: ModCtx) -> None:
        frame = ctx.frame
        for s in ctx.module.body:
            if isinstance(s, (ir.Func, ir.Class)) and s.name:
                if s.exported or ctx.family == "python":
                    ctx.exports[s.exported or s.name] = frame.vars.get(s.name, EMPTY)
            elif isinstance(s, ir.VarDecl):
                for name in ir.names_in(s.target):
                    if s.exported or ctx.family == "python":
                        ctx.exports[s.exported if s.exported == "default" else name] = frame.vars.get(
                            name, EMPTY
                        )
            elif isinstance(s, ir.Export) and s.source is None:
                for local, exported in s.names:
                    ctx.exports[exported] = frame.lookup(local)[0]

    def _save(self) -> tuple:
        return (
            self.cur_func,
            self.stmt,
            self.trys,
            self.conds,
            self.unused,
            self.branch,
            self.in_request,
            self.once,
        )

    def _restore(self, saved: tuple) -> None:
        (
            self.cur_func,
            self.stmt,
            self.trys,
            self.conds,
            self.unused,
            self.branch,
            self.in_request,
            self.once,
        ) = saved

    def _reset(self, func: ir.Func | None, in_request: bool = False, once: bool = False) -> None:
        self.cur_func, self.stmt, self.trys, self.conds = func, None, (), ()
        self.unused, self.branch, self.in_request, self.once = None, 0, in_request, once

    # ------------------------------------------------------------------ functions
    def func_label(self, func: ir.Func, frame: Frame) -> Label:
        if id(func) not in self.analysed:
            self.pending.append((func, frame.ctx, frame, frame.this))
            self.analysed.add(id(func))
        return Label("func", func.name or "", frame.ctx.path, func.line, ref=(func, frame.ctx, frame))

    def standalone(self, func: ir.Func, ctx: ModCtx, closure: Frame, this: frozenset) -> None:
        frame = Frame({}, closure, ctx, func=func, this=this)
        for p in func.params:  # `env: { KV: KVNamespace }`: inline types name bindings too
            if p.type and p.type.lstrip().startswith("{"):
                for name, ty in _inline_type_members(p.type):
                    ctx.env_types.setdefault(name, ty)
        for i, p in enumerate(func.params):
            if isinstance(p.target, ir.ObjectPattern):
                for key, sub, _default in p.target.props:
                    role = K.PARAM_PROPS.get(key or "")
                    if role and isinstance(sub, ir.Name):
                        frame.vars[sub.id] = frozenset({Label(role, "", ctx.path, p.line)})
                    else:
                        self.bind(sub, EMPTY, frame, declare=True)
                continue
            role = self.param_role(p, i, func)
            value = frozenset({Label(role, "", ctx.path, p.line)}) if role else EMPTY
            if role == "this" and this:
                value = this  # Python `self`: the class, so that `self.method(...)` resolves
            if p.default is not None:
                value |= data(self.expr(p.default, frame))
            self.bind(p.target, value, frame, declare=True)
        handler = any(
            lab.kind in HANDLER_ROLES for v in frame.vars.values() for lab in v
        ) or self._service_method(this)
        saved = self._save()
        self._reset(func, handler)
        try:
            self.hoist(func.body, frame)
            self.block(func.body, frame)
        except RecursionError:
            self.project.note(ctx.path, "partial", "analysis nested too deeply: only partly analysed")
        self._restore(saved)

    @staticmethod
    def _service_method(this: frozenset) -> bool:
        """A method of a Durable Object / entrypoint class: every call of it serves a request or an RPC."""
        for lab in this:
            if lab.kind == "this" and isinstance(lab.ref, ir.Class):
                for b in lab.ref.bases:
                    d = ir.dotted(b) or ""
                    if d.rsplit(".", 1)[-1] in SERVICE_BASES:
                        return True
        return False

    @staticmethod
    def param_role(p: ir.Param, index: int, func: ir.Func) -> str | None:
        names = ir.names_in(p.target)
        name = names[0] if len(names) == 1 and isinstance(p.target, ir.Name) else None
        if p.type:
            t = p.type.strip()
            for rx, role in K.PARAM_ROLES_BY_TYPE:
                if rx.match(t):
                    return role
        if name is None:
            return None
        if name == "self" and index == 0:
            return "this"
        if name == "ctx" and func.name == "constructor":
            return "do_state"
        return K.PARAM_ROLES_BY_NAME.get(name)

    def call_function(self, lab: Label, args: list[frozenset], call: ir.Call, frame: Frame) -> frozenset:
        func, ctx, closure = lab.ref
        key = (id(func), tuple(args))
        if key in self.memo:
            return self.memo[key]
        if (
            id(func) in self.active
            or self.depth >= MAX_INLINE_DEPTH
            or self.contexts.get(id(func), 0) >= MAX_CONTEXTS
        ):
            return frozenset().union(*(data(a) for a in args)) if args else EMPTY
        self.contexts[id(func)] = self.contexts.get(id(func), 0) + 1
        self.active.add(id(func))
        self.depth += 1
        inner = Frame({}, closure, ctx, func=func, this=closure.this if closure else EMPTY)
        params = func.params
        first = params[0].target if params else None
        if (
            ctx.family == "python"
            and func.kind == "method"
            and isinstance(first, ir.Name)
            and first.id in ("self", "cls")
        ):
            self.bind(
                first, inner.this, inner, declare=True
            )  # a bound method: `self` is not in the arguments
            params = params[1:]
        for i, p in enumerate(params):
            if isinstance(p.target, ir.Spread):
                v = frozenset().union(*args[i:]) if i < len(args) else EMPTY
                self.bind(p.target.value, v, inner, declare=True)
                continue
            v = args[i] if i < len(args) else EMPTY
            if not v and p.default is not None:
                v = self.expr(p.default, inner)
            self.bind(p.target, v, inner, declare=True)
        saved = self._save()
        self._reset(func, self.in_request, self.once)
        try:
            self.hoist(func.body, inner)
            self.block(func.body, inner)
        finally:
            self._restore(saved)
            self.depth -= 1
            self.active.discard(id(func))
        result = inner.returns
        self.memo[key] = result
        return result

    def construct(self, fval: frozenset, args: list[frozenset], call: ir.Call, frame: Frame) -> frozenset:
        """`new C(...)` of a class of the project: run its constructor with the arguments (fields it sets from
        them, TypeScript parameter properties included, are what `this.x` reads in C's methods) and return the
        instance (a `this` label, so that `obj.method()` resolves)."""
        out: frozenset = EMPTY
        for lab in fval:
            c = lab.ref
            if lab.kind != "class" or not isinstance(c, ir.Class):
                continue
            ctx = frame.ctx if lab.path == frame.ctx.path else self.out.ctxs.get(lab.path)
            if ctx is None or ctx.frame is None:
                continue
            this = frozenset({Label("this", c.name or "", lab.path, c.line, ref=c)})
            ctor = next((m for m in c.methods if m.name == "constructor"), None)
            if ctor is not None and args:
                closure = Frame({}, ctx.frame, ctx, this=this)
                self.call_function(
                    Label("func", "constructor", ctx.path, ctor.line, ref=(ctor, ctx, closure)),
                    args,
                    call,
                    frame,
                )
            out |= this
        return out

    # ------------------------------------------------------------------ statements
    def hoist(self, body: list[ir.Node], frame: Frame) -> None:
        for s in body:
            if isinstance(s, ir.Func) and s.name:
                frame.vars[s.name] = frozenset({self.func_label(s, frame)})
            elif isinstance(s, ir.Import):
                for imported, local in s.names:
                    frame.vars[local] = self.import_value(frame.ctx, s.source, imported, s.line)

    def import_value(self, ctx: ModCtx, source: str, imported: str, line: int) -> frozenset:
        if source == "cloudflare:workers" and imported == "env":
            return frozenset({Label("env", "", ctx.path, line)})  # module-scope access to the bindings
        target = self.resolve(ctx, source)
        if ctx.family == "rust" and imported != "*" and source.startswith("."):
            # `use crate::a::b`: `b` is an item of module `a`, or the module `a/b` itself
            sub = f"{source.rstrip('/')}/{imported}"
            if self.resolve(ctx, sub) is not None:
                return self.import_value(ctx, sub, "*", line)
        if target is None:
            return frozenset({Label("import", f"{source}#{imported}", ctx.path, line)})
        tctx = self.out.ctxs.get(target)
        if tctx is None or tctx.state == "new":
            tctx = self.module_ctx(target)
        if tctx is None or tctx.state != "done":
            return EMPTY
        if imported == "*":
            return frozenset().union(*tctx.exports.values()) if tctx.exports else EMPTY
        return tctx.exports.get(imported, EMPTY)

    def resolve(self, ctx: ModCtx, source: str) -> str | None:
        base = ctx.path.rsplit("/", 1)[0] if "/" in ctx.path else ""
        if ctx.family == "python":
            rel = source.lstrip(".")
            if not rel:
                return None
            cand = (base + "/" if base else "") + rel.replace(".", "/")
            for c in (cand + ".py", cand + "/__init__.py"):
                if c in self.mods:
                    return c
            return None
        if not source.startswith("."):
            return None
        parts = [p for p in base.split("/") if p]
        for p in source.split("/"):
            if p in ("", "."):
                continue
            if p == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(p)
        stem = "/".join(parts)
        cands = [stem]
        for ext in (".ts", ".tsx", ".js", ".mjs", ".jsx", ".mts", ".cjs"):
            cands.append(stem + ext)
            if stem.endswith((".js", ".mjs", ".jsx")):
                cands.append(stem.rsplit(".", 1)[0] + ext)
        cands += [stem + "/index.ts", stem + "/index.js", stem + "/index.tsx"]
        cands += [stem + ".rs", stem + "/mod.rs"]  # Rust `mod x;` / `use crate::x` (see lang/rust_ir.py)
        for c in cands:
            if c in self.mods:
                return c
        return None

    def block(self, body: list[ir.Node], frame: Frame) -> None:
        for s in body:
            self.statement(s, frame)

    def statement(self, s: ir.Node, frame: Frame) -> None:
        self.stmt = s
        if isinstance(s, ir.ExprStmt):
            e = s.expr
            if isinstance(e, ir.Unary) and e.op == "await":
                e = e.arg
            self.unused = e if isinstance(e, ir.Call) else None
            self.expr(s.expr, frame)
            self.unused = None
        elif isinstance(s, ir.VarDecl):
            value = self.expr(s.value, frame) if s.value is not None else EMPTY
            if s.value is not None and isinstance(s.value, ir.Func) and isinstance(s.target, ir.Name):
                if s.value.name is None:
                    s.value.name = s.target.id
            self.bind(s.target, value, frame, declare=True)
        elif isinstance(s, ir.Return):
            if s.value is not None:
                frame.returns = _cap(frame.returns | self.expr(s.value, frame))
        elif isinstance(s, ir.Throw):
            if s.value is not None:
                self.expr(s.value, frame)
        elif isinstance(s, ir.If):
            self.if_(s, frame)
        elif isinstance(s, ir.Loop):
            if s.iter is not None:
                it = self.expr(s.iter, frame)
                if s.target is not None:
                    self.bind(s.target, data(it), frame, declare=True)
            self.branch += 1
            self.block(s.body, frame)
            self.branch -= 1
        elif isinstance(s, ir.Try):
            saved = self.trys
            self.trys = self.trys + (s,)
            self.block(s.body, frame)
            self.trys = saved
            for h in s.handlers:
                if h.param is not None:
                    self.bind(h.param, EMPTY, frame, declare=True)
                self.branch += 1
                self.block(h.body, frame)
                self.branch -= 1
            self.block(s.final, frame)
        elif isinstance(s, ir.Block):
            self.block(s.body, frame)
        elif isinstance(s, ir.Func):
            lab = self.func_label(s, frame)
            if s.name:
                frame.vars[s.name] = frozenset({lab})
        elif isinstance(s, ir.Class):
            self.class_(s, frame)
        elif isinstance(s, ir.Import):
            for imported, local in s.names:
                frame.vars[local] = self.import_value(frame.ctx, s.source, imported, s.line)
        # Export, TypeDecl: nothing to evaluate

    def class_(self, c: ir.Class, frame: Frame) -> None:
        for b in c.bases:
            self.expr(b, frame)
        this = frozenset({Label("this", c.name or "", frame.ctx.path, c.line, ref=c)})
        if c.name:
            frame.vars[c.name] = frozenset({Label("class", c.name, frame.ctx.path, c.line, ref=c)})
        self.class_fields.setdefault(id(c), {})
        inner = Frame({}, frame, frame.ctx, this=this)
        for f in c.fields:
            if f.value is not None:
                v = self.expr(f.value, inner)
                if isinstance(f.target, ir.Name):
                    self.class_fields[id(c)][f.target.id] = v
        # constructor first: it sets the fields the other methods read
        methods = sorted(c.methods, key=lambda m: m.name not in ("constructor", "__init__"))
        for m in methods:
            if id(m) not in self.analysed:
                self.analysed.add(id(m))
                self.standalone(m, frame.ctx, inner, this)

    def if_(self, s: ir.If, frame: Frame) -> None:
        self.expr(s.test, frame)
        names, negated = _allowlist_guard(s.test)
        conds = self.conds
        self.conds = conds + (s,)
        self.branch += 1
        saved: dict[str, frozenset] = {}
        if names and not negated:
            for n in names:
                v, f = frame.lookup(n)
                if f is not None:
                    saved[n] = v
                    f.vars[n] = _sanitize(v)
        self.block(s.body, frame)
        for n, v in saved.items():
            _, f = frame.lookup(n)
            if f is not None:
                f.vars[n] = v | f.vars[n]
        self.block(s.orelse, frame)
        self.branch -= 1
        self.conds = conds
        if _exits(s.body) and not s.orelse:
            present = _presence_tested(s.test)
            if present:
                self.memo_guards.setdefault(id(self.cur_func), set()).update(present)
        if names and negated and _exits(s.body):
            for n in names:
                v, f = frame.lookup(n)
                if f is not None:
                    f.vars[n] = _sanitize(v)

    # ------------------------------------------------------------------ binding
    def bind(
        self,
        target: ir.Node | None,
        value: frozenset,
        frame: Frame,
        declare: bool = False,
        node: ir.Node | None = None,
    ) -> None:
        if target is None:
            return
        if isinstance(target, ir.Name):
            self.assign_name(target.id, value, frame, declare, node or target)
        elif isinstance(target, ir.ObjectPattern):
            for key, sub, default in target.props:
                v = self.member_value(value, key, frame, sub) if key is not None else value
                if default is not None:
                    v = v | self.expr(default, frame)
                self.bind(sub, v, frame, declare, node)
        elif isinstance(target, ir.ArrayPattern):
            elem = self.element_value(value)
            for item in target.items:
                self.bind(item, elem, frame, declare, node)
        elif isinstance(target, ir.Spread):
            self.bind(target.value, value, frame, declare, node)
        elif isinstance(target, ir.Member):
            self.assign_member(target, value, frame, node or target)
        else:
            self.expr(target, frame)

    def element_value(self, value: frozenset) -> frozenset:
        return frozenset(
            lab for lab in value if lab.kind in DATA_KINDS or lab.kind in ("response", "request")
        )

    def assign_name(self, name: str, value: frozenset, frame: Frame, declare: bool, node: ir.Node) -> None:
        value = _cap(value)
        if declare:
            frame.vars[name] = (
                value if not self.branch or name not in frame.vars else frame.vars[name] | value
            )
            return
        ctx = frame.ctx
        if ctx.family == "python" and not frame.is_module and name not in frame.globals:
            frame.vars[name] = (
                value if not self.branch or name not in frame.vars else frame.vars[name] | value
            )
            return
        old, owner = frame.lookup(name)
        if owner is None:
            owner = frame
        if owner.is_module and not frame.is_module and name in ctx.decls:
            kind, line, _ = ctx.decls[name]
            self.out.writes.append(
                WriteEvent(
                    ctx,
                    self.cur_func,
                    node,
                    name,
                    line,
                    "assign",
                    value,
                    lazy=self._lazy(node, name),
                    in_request=self.in_request,
                )
            )
            if (
                not self.branch
                and name in self.memo_guards.get(id(self.cur_func), ())
                and not (data(value) or any(lab.kind in CARRIED for lab in value))
            ):
                self.once = True  # `if (done) return; done = true;`: the rest of this call runs once
        owner.vars[name] = value if not self.branch else old | value

    def _lazy(self, node: ir.Node, name: str) -> bool:
        if isinstance(node, ir.Assign) and node.op in ("??=", "||="):
            return True
        if name in self.memo_guards.get(id(self.cur_func), ()):
            return True  # `if (cache && key === k) return cache; cache = build(k);`: a memo, refilled
        if self.once:
            return True
        for c in self.conds:
            t = c.test
            if any(
                isinstance(u, ir.Unary)
                and u.op in ("!", "not")
                and isinstance(u.arg, ir.Name)
                and u.arg.id == name
                for u in _conjuncts(t)
            ):
                return True  # `if (!x) x = ...`, also `if (!cfg.key && !warned) { warned = true; ... }`
            if isinstance(t, ir.BinOp) and isinstance(t.left, ir.Name) and t.left.id == name:
                if isinstance(t.right, ir.Literal) and t.right.value is None:
                    return True
        return False

    def assign_member(self, target: ir.Member, value: frozenset, frame: Frame, node: ir.Node) -> None:
        obj = target.obj
        objv = self.expr(obj, frame)
        if target.index is not None:
            self.expr(target.index, frame)
        for lab in objv:
            if lab.kind == "this" and target.prop:
                fields = self.class_fields.setdefault(id(lab.ref), {})
                fields[target.prop] = _cap(fields.get(target.prop, EMPTY) | value)
        root = obj
        while isinstance(root, ir.Member):
            root = root.obj
        if isinstance(root, ir.Name):
            self.module_mutation(root.id, node, value, frame)

    def module_mutation(self, name: str, node: ir.Node, value: frozenset, frame: Frame) -> None:
        if frame.is_module:
            return
        ctx = frame.ctx
        if name in ("globalThis", "self", "window", "global") and ctx.family == "javascript":
            _, owner = frame.lookup(name)
            if owner is None:
                lazy = self.once or (isinstance(node, ir.Assign) and node.op in ("??=", "||="))
                self.out.writes.append(
                    WriteEvent(
                        ctx,
                        self.cur_func,
                        node,
                        name,
                        0,
                        "globalThis",
                        value,
                        lazy=lazy,
                        in_request=self.in_request,
                    )
                )
            return
        _, owner = frame.lookup(name)
        if owner is not None and owner.is_module and name in ctx.decls:
            kind, line, _ = ctx.decls[name]
            self.out.writes.append(
                WriteEvent(ctx, self.cur_func, node, name, line, "mutate", value, in_request=self.in_request)
            )

    # ------------------------------------------------------------------ expressions
    def expr(self, e: ir.Node | None, frame: Frame) -> frozenset:
        if e is None:
            return EMPTY
        t = type(e)
        if t is ir.Name:
            return self.name(e.id, frame, e)
        if t is ir.Literal:
            return EMPTY
        if t is ir.Member:
            objv = self.expr(e.obj, frame)
            if e.index is not None:
                self.expr(e.index, frame)
            return self.member_value(objv, e.prop, frame, e)
        if t is ir.Call:
            return self.call(e, frame)
        if t is ir.Template:
            out: frozenset = EMPTY
            prefix_fixed = False
            for i, part in enumerate(e.parts):
                if isinstance(part, ir.Literal):
                    if i == 0 and isinstance(part.value, str) and _fixed_origin(part.value):
                        prefix_fixed = True
                    continue
                v = data(self.expr(part, frame))
                out |= _placed(v) if prefix_fixed else v
            return _cap(out)
        if t is ir.BinOp:
            return self.binop(e, frame)
        if t is ir.Unary:
            v = self.expr(e.arg, frame)
            if e.op == "await":
                return v
            if e.op in ("-", "+", "~"):
                return data(v)
            return EMPTY
        if t is ir.Cond:
            self.expr(e.test, frame)
            return _cap(self.expr(e.then, frame) | self.expr(e.orelse, frame))
        if t is ir.Assign:
            v = self.expr(e.value, frame)
            if e.op != "=":
                v = v | (self.expr(e.target, frame) if isinstance(e.target, (ir.Name, ir.Member)) else EMPTY)
            self.bind(e.target, v, frame, node=e)
            return v
        if t is ir.Object:
            out = EMPTY
            props = []
            spreads: frozenset = EMPTY
            record = False
            fields: dict[str, frozenset] | None = {}
            for p in e.props:
                if p.computed is not None:
                    self.expr(p.computed, frame)
                v = self.expr(p.value, frame)
                props.append((p.key, v, p))
                if p.spread:
                    spreads |= v
                    if any(lab.kind in ("headers", "fwdheaders", "request") for lab in v):
                        record = True
                    out |= v if any(lab.kind in ("headers", "fwdheaders") for lab in v) else data(v)
                    fields = None
                else:
                    part = data(v) if not isinstance(p.value, ir.Func) else EMPTY
                    part |= frozenset(lab for lab in v if lab.kind in CARRIED)
                    out |= part
                    if fields is not None and p.key is not None and p.computed is None:
                        fields[p.key] = fields.get(p.key, EMPTY) | part
                    else:
                        fields = None
                if p.key and "-" in p.key:
                    record = True
            if record:
                self.out.objects.append(ObjectEvent(frame.ctx, self.cur_func, e, props, spreads))
            if fields and out:
                known = self.obj_fields.setdefault(id(e), {})
                for k, part in fields.items():
                    known[k] = _cap(known.get(k, EMPTY) | part)
                out = out | {Label("fields", "", frame.ctx.path, e.line, ref=e)}
            return _cap(out)
        if t is ir.Array:
            out = EMPTY
            for item in e.items:
                out |= data(self.expr(item, frame))
            return _cap(out)
        if t is ir.Spread:
            return self.expr(e.value, frame)
        if t is ir.Func:
            return frozenset({self.func_label(e, frame)})
        if t is ir.Class:
            self.class_(e, frame)
            return EMPTY
        if t is ir.Unknown:
            if e.what == "global":
                frame.globals.update(c.id for c in e.children if isinstance(c, ir.Name))
                return EMPTY
            out = EMPTY
            for c in e.children:
                out |= data(self.expr(c, frame))
            return _cap(out)
        if t is ir.ObjectPattern or t is ir.ArrayPattern:
            return EMPTY
        return EMPTY

    def name(self, name: str, frame: Frame, node: ir.Node) -> frozenset:
        if name in ("this", "self"):
            v, owner = frame.lookup(name)
            if owner is not None:
                return v
            f: Frame | None = frame
            while f is not None:
                if f.this:
                    return f.this
                f = f.parent
            return EMPTY
        v, owner = frame.lookup(name)
        if owner is not None:
            return v
        if name == "caches":
            return frozenset({Label("caches")})
        if name == "globalThis":
            return frozenset({Label("globalThis")})
        if frame.ctx.family == "go":
            return self.package_name(frame.ctx, name)
        return EMPTY

    def package_name(self, ctx: ModCtx, name: str) -> frozenset:
        """Go: a top-level name of another file of the same package (same directory)."""
        d = ctx.path.rsplit("/", 1)[0] if "/" in ctx.path else ""
        for path in self.mods:
            if path == ctx.path or not path.endswith(".go"):
                continue
            if (path.rsplit("/", 1)[0] if "/" in path else "") != d:
                continue
            other = self.out.ctxs.get(path)
            if other is None or other.state == "new":
                other = self.module_ctx(path)
            if other is not None and other.state == "done" and name in other.exports:
                return other.exports[name]
        return EMPTY

    def member_value(
        self, objv: frozenset, prop: str | None, frame: Frame, node: ir.Node | None = None
    ) -> frozenset:
        if not objv:
            return EMPTY
        if prop is not None and any(lab.kind == "fields" for lab in objv):
            picked = self._field_read(objv, prop)
            if picked is not None:
                own, rest = picked
                return _cap(own | self.member_value(rest, prop, frame, node)) if rest else own
            objv = frozenset(lab for lab in objv if lab.kind != "fields")
        out: set[Label] = set()
        ctx = frame.ctx
        line = node.line if node is not None else 0
        for lab in objv:
            k = lab.kind
            if k == "func" and prop is not None and lab.detail == prop and lab.ref is not None:
                out.add(lab)  # a function of an imported module namespace (`mod::f`, `ns.f`)
                continue
            if k == "env":
                if prop is None:
                    continue
                out.add(self.env_member(ctx, prop, line))
                continue
            if k == "this":
                fields = self.class_fields.get(id(lab.ref), {})
                if prop in fields:
                    out.update(fields[prop])
                    continue
            if k in K.ANY_MEMBER and prop:
                what = K.ANY_MEMBER[k]
                name = prop.lower() if what == "header" else prop
                if what == "header" and name in K.PLATFORM_IP_HEADERS:
                    out.add(Label("ip", name, ctx.path, line))
                elif what == "header" and name == "cookie":
                    out.add(Label("req", "cookie", ctx.path, line))
                else:
                    out.add(Label("req", f"{what}:{name}", ctx.path, line))
                continue
            if k == "hono_var" and prop == "jwtPayload":
                out.add(Label("verified", "hono jwt middleware", ctx.path, line))
                continue
            table = K.MEMBERS.get(k)
            if table is not None and prop in table:
                what, detail = table[prop]
                out.add(
                    Label(detail, "", ctx.path, line)
                    if what == "obj"
                    else Label(what, detail, ctx.path, line)
                )
                continue
            if k == "req" and lab.detail == "url" and prop in K.MEMBERS["url"]:
                what, detail = K.MEMBERS["url"][prop]
                out.add(
                    Label(detail, "", ctx.path, line)
                    if what == "obj"
                    else Label(what, detail, ctx.path, line)
                )
                continue
            if k in DATA_KINDS:
                if prop in K.DROP_PROPS:
                    continue
                out.add(lab)
        return _cap(frozenset(out))

    def _field_read(self, objv: frozenset, prop: str) -> tuple[frozenset, frozenset] | None:
        """(labels of `prop` in the object literals of objv, labels of objv from elsewhere), or None when some
        literal has no such key (it may have been added later: read the whole object then)."""
        own: frozenset = EMPTY
        contributed: frozenset = EMPTY
        for lab in objv:
            if lab.kind != "fields":
                continue
            fields = self.obj_fields.get(id(lab.ref))
            if fields is None or prop not in fields:
                return None
            own |= fields[prop]
            for part in fields.values():
                contributed |= part
        rest = frozenset(lab for lab in objv if lab.kind != "fields" and lab not in contributed)
        return own, rest

    def env_member(self, ctx: ModCtx, prop: str, line: int) -> Label:
        if prop in self.secret_names:
            return Label("secret", prop, ctx.path, line)
        if prop in ctx.bindings:
            return Label("binding", f"{ctx.bindings[prop]}:{prop}", ctx.path, line)
        ty = ctx.env_types.get(prop, "")
        base = ty.split("<", 1)[0].strip()
        if base in K.BINDING_TYPES:
            return Label("binding", f"{K.BINDING_TYPES[base]}:{prop}", ctx.path, line)
        if prop in ctx.vars:
            return Label("var", prop, ctx.path, line)
        if ctx.has_config:
            return Label("secret", prop, ctx.path, line)
        if K.SECRET_NAME.search(prop) and (not ty or ty in ("string", "str")):
            return Label("secret", prop, ctx.path, line)
        return Label("var", prop, ctx.path, line)

    def binop(self, e: ir.BinOp, frame: Frame) -> frozenset:
        left = self.expr(e.left, frame)
        right = self.expr(e.right, frame)
        op = e.op
        if op in ("==", "===", "!=", "!==", "is", "is not"):
            self.out.compares.append(CompareEvent(frame.ctx, self.cur_func, e, left, right))
            return EMPTY
        if op in ("<", ">", "<=", ">=", "in", "not in", "instanceof"):
            return EMPTY
        if op == "+":
            if (
                isinstance(e.left, ir.Literal)
                and isinstance(e.left.value, str)
                and _fixed_origin(e.left.value)
            ):
                return _cap(data(left) | _placed(data(right)))
            if _placed_all(left) and not isinstance(e.left, ir.Literal):
                return _cap(left | _placed(data(right)))
            return _cap(data(left) | data(right))
        if op in ("&&", "||", "??", "and", "or"):
            return _cap(left | right)
        return _cap(data(left) | data(right))

    # ------------------------------------------------------------------ calls
    def canonical(self, callee: ir.Node, frame: Frame) -> str | None:
        d = ir.dotted(callee)
        if d is None:
            return None
        head, _, tail = d.partition(".")
        ctx = frame.ctx
        if head in ctx.imports:
            _, owner = frame.lookup(head)
            if owner is not None and not owner.is_module:
                return d
            source, imported = ctx.imports[head]
            rest = imported if not tail else f"{imported}.{tail}"
            for pre in ("default.", "*."):
                if rest.startswith(pre):
                    rest = rest[len(pre) :]
            if source in K.GLOBAL_MODULES:
                return rest
            return f"{source}#{rest}"
        return d

    def call(self, e: ir.Call, frame: Frame) -> frozenset:
        used = self.unused is not e
        self.unused = None
        callee = e.callee
        recv: frozenset = EMPTY
        fval: frozenset = EMPTY
        if isinstance(callee, ir.Member):
            recv = self.expr(callee.obj, frame)
            if callee.index is not None:
                self.expr(callee.index, frame)
            fval = self.member_value(recv, callee.prop, frame, callee)
            if recv and callee.prop and any(lab.kind == "this" for lab in recv):
                for lab in recv:
                    if lab.kind == "this" and isinstance(lab.ref, ir.Class):
                        # the class's module (an instance made by `new C()` may be used in another file)
                        mctx = self.out.ctxs.get(lab.path) if lab.path != frame.ctx.path else None
                        if mctx is None or mctx.frame is None:
                            mctx = frame.ctx
                        for m in lab.ref.methods:
                            if m.name == callee.prop:
                                fval = fval | frozenset(
                                    {
                                        Label(
                                            "func",
                                            m.name,
                                            mctx.path,
                                            m.line,
                                            ref=(
                                                m,
                                                mctx,
                                                Frame({}, mctx.frame, mctx, this=frozenset({lab})),
                                            ),
                                        )
                                    }
                                )
        else:
            fval = self.expr(callee, frame)
        args = [self.expr(a, frame) for a in e.args]
        kwargs = {k: self.expr(v, frame) for k, v in e.kwargs}
        name = self.canonical(callee, frame)
        method = e.method
        if isinstance(callee, ir.Member) and method in _MUTATORS and not frame.is_module:
            root = callee.obj
            while isinstance(root, ir.Member):
                root = root.obj
            if isinstance(root, ir.Name):
                self.module_mutation(root.id, e, frozenset().union(*args) if args else EMPTY, frame)
        result = self.call_semantics(e, name, method, recv, fval, args, kwargs, frame)
        self.out.calls.append(
            CallEvent(
                frame.ctx,
                self.cur_func,
                e,
                name,
                method,
                recv,
                args,
                kwargs,
                result,
                used,
                self.stmt,
                self.trys,
                self.conds,
            )
        )
        return result

    def call_semantics(
        self,
        e: ir.Call,
        name: str | None,
        method: str | None,
        recv: frozenset,
        fval: frozenset,
        args: list[frozenset],
        kwargs: dict[str, frozenset],
        frame: Frame,
    ) -> frozenset:
        ctx = frame.ctx
        line = e.line
        a0 = args[0] if args else EMPTY
        all_data = frozenset().union(*(data(a) for a in args)) if args else EMPTY
        for kv in kwargs.values():
            all_data |= data(kv)
        # functions of the project: inline with the argument values
        funcs = [lab for lab in fval if lab.kind == "func" and lab.ref is not None]
        if funcs:
            out: frozenset = EMPTY
            for lab in funcs[:3]:
                out |= self.call_function(lab, args, e, frame)
            return _cap(out)
        if e.new:
            inst = self.construct(fval, args, e, frame)
            if inst:
                return _cap(inst | all_data)
        if name in K.JWT_VERIFY:
            lib = K.JWT_VERIFY[name]
            if lib == "pyjwt":
                opts = e.kwarg("options")
                if opts is not None and _dict_false(opts, "verify_signature"):
                    return frozenset({Label("decoded", name, ctx.path, line)})
            return frozenset({Label("verified", name, ctx.path, line)})
        if name in K.JWT_DECODE_ONLY:
            return frozenset({Label("decoded", name, ctx.path, line)})
        if name in K.JWKS_KEYS:
            return frozenset({Label("jwks", name, ctx.path, line)})
        if name in K.ASYMMETRIC_KEYS:
            return frozenset({Label("asymkey", name, ctx.path, line)})
        if name in K.DROP_FUNCS:
            return EMPTY
        # calls whose result is known by name, per language (Rust/Go SDK constructors, JWT helpers...)
        known = K.CALL_RESULTS.get(ctx.family, {}).get(name) if name else None
        if known is None and method and not funcs:
            known = K.METHOD_RESULTS.get(ctx.family, {}).get(method)
            if known is not None and known[0] == "obj" and any(lab.kind in DATA_KINDS for lab in recv):
                known = None  # a data method of the same name (e.g. `s.get(...)` on a string)
        if known is not None:
            what, detail = known
            if what == "obj":
                return frozenset({Label(detail, "", ctx.path, line)})
            if what == "drop":
                return EMPTY
            return frozenset({Label(what, detail, ctx.path, line)})
        if name in ("JSON.stringify", "String", "json.dumps", "str", "repr"):
            # a serialised `env` is every secret binding at once
            envs = frozenset(lab for a in args for lab in a if lab.kind == "env")
            return _cap(all_data | envs)
        if name in ("Object.fromEntries", "Object.assign", "structuredClone", "dict"):
            return _cap(frozenset().union(*args) if args else EMPTY)
        base = name.rsplit("#", 1)[-1] if name else None
        if e.new or base in (
            "URL",
            "Request",
            "Headers",
            "Response",
            "fetch",
            "urlparse",
            "urllib.parse.urlparse",
        ):
            if base in ("URL", "urlparse", "urllib.parse.urlparse", "URL.parse"):
                out = data(a0)
                if any(lab.kind == "req" and lab.detail == "url" for lab in a0):
                    out |= {Label("url", "", ctx.path, line)}
                if len(args) > 1:
                    out = _placed(out) | data(args[1]) if not _placed_all(args[1]) else out | data(args[1])
                return _cap(out)
            if base == "Request":
                out = frozenset(lab for lab in a0 if lab.kind in DATA_KINDS)
                if any(lab.kind in CARRIED for a in args for lab in a):
                    out |= {Label("request", "copy", ctx.path, line)}  # keeps the caller's credential headers
                return _cap(out)
            if base == "Headers":
                if any(lab.kind in ("headers", "request") for lab in a0):
                    return frozenset({Label("fwdheaders", "", ctx.path, line)})
                return frozenset({Label("newheaders", "", ctx.path, line)})
            if base == "Response":
                return frozenset({Label("response", "new", ctx.path, line)})
            if base == "fetch":
                return frozenset({Label("response", "fetch", ctx.path, line)})
            if base and base.endswith("SecretStore"):
                return frozenset({Label("secretstore", "", ctx.path, line)})
            if base and base.endswith("KVStore"):
                return frozenset({Label("fastlykv", "", ctx.path, line)})
            return all_data
        if base == "fetch" or (method == "fetch" and any(lab.kind in ("binding", "do_stub") for lab in recv)):
            return frozenset({Label("response", "fetch", ctx.path, line)})
        # methods by receiver kind
        out_set: set[Label] = set()
        matched = False
        for lab in recv:
            k = lab.kind
            table = K.METHODS.get(k)
            if table is not None and method in table:
                matched = True
                what, detail = table[method]
                if what == "obj":
                    out_set.add(Label(detail, "", ctx.path, line))
                elif (
                    detail in ("header", "query", "param", "cookie")
                    and args
                    and isinstance(e.args[0], ir.Literal)
                ):
                    hname = str(e.args[0].value).lower() if detail == "header" else str(e.args[0].value)
                    if detail == "header" and hname in K.PLATFORM_IP_HEADERS:
                        out_set.add(Label("ip", hname, ctx.path, line))
                    elif detail == "header" and hname == "cookie":
                        out_set.add(Label("req", "cookie", ctx.path, line))
                    else:
                        out_set.add(Label(what, f"{detail}:{hname}", ctx.path, line))
                else:
                    out_set.add(Label(what, detail if detail != "header" else "header:*", ctx.path, line))
            elif k == "hono" and method == "get" and args and isinstance(e.args[0], ir.Literal):
                matched = True
                if e.args[0].value == "jwtPayload":
                    out_set.add(Label("verified", "hono jwt middleware", ctx.path, line))
            elif k == "binding" and lab.detail.startswith("do:"):
                matched = True
                if method in ("idFromName", "idFromString", "newUniqueId"):
                    const = method == "idFromName" and args and isinstance(e.args[0], ir.Literal)
                    out_set.add(Label("do_id", f"const:{e.args[0].value}" if const else "", ctx.path, line))
                elif method in ("get", "getByName", "jurisdiction"):
                    const_id = [x for x in a0 if x.kind == "do_id" and x.detail.startswith("const:")]
                    if method == "getByName" and args and isinstance(e.args[0], ir.Literal):
                        out_set.add(Label("do_stub", f"const:{e.args[0].value}", ctx.path, line))
                    elif const_id:
                        out_set.add(Label("do_stub", const_id[0].detail, const_id[0].path, const_id[0].line))
                    else:
                        out_set.add(Label("do_stub", "", ctx.path, line))
            elif k == "binding" and lab.detail.startswith("secretstore:") and method == "get":
                matched = True
                out_set.add(Label("secret", lab.detail.split(":", 1)[1], ctx.path, line))
            elif k == "secretstore" and method == "get":
                matched = True
                out_set.add(Label("secretentry", "", ctx.path, line))
            elif k == "secretentry" and method == "plaintext":
                matched = True
                out_set.add(Label("secret", "SecretStore", ctx.path, line))
        if matched:
            return _cap(frozenset(out_set))
        if method in K.DROP_METHODS:
            return EMPTY
        if method in K.PASSTHROUGH_METHODS.get(ctx.family, ()):
            # Option/Result plumbing (`unwrap`, `expect`, `ok_or`...): the receiver itself comes back
            return _cap(recv | all_data)
        # data methods (slice, toLowerCase, split, replace...) keep the receiver's data; unknown calls
        # pass their arguments' data through
        return _cap(data(recv) | all_data)


# ------------------------------------------------------------------------------------------ helpers


_FIXED_ORIGIN = re.compile(r"^(https?://[^/${}]+/|/)")


def _fixed_origin(text: str) -> bool:
    """A string that fixes scheme and host (or is a path): what follows cannot choose the host."""
    return bool(_FIXED_ORIGIN.match(text))


def _placed(v: frozenset) -> frozenset:
    return frozenset(lab if lab.kind != "req" or "p" in lab.flags else _with_flag(lab, "p") for lab in v)


def _placed_all(v: frozenset) -> bool:
    reqs = [lab for lab in v if lab.kind == "req"]
    return bool(reqs) and all("p" in lab.flags for lab in reqs)


def _with_flag(lab: Label, flag: str) -> Label:
    return Label(lab.kind, lab.detail, lab.path, lab.line, lab.flags + flag, lab.ref)


def _sanitize(v: frozenset) -> frozenset:
    out = set()
    for lab in v:
        if lab.kind == "req":
            out.add(Label("allowed", lab.detail, lab.path, lab.line))
        else:
            out.add(lab)
    return frozenset(out)


def _allowlist_guard(test: ir.Node) -> tuple[list[str], bool]:
    """Names checked against an explicit allow-list in an `if` test, and whether the test is negated."""
    negated = False
    t = test
    if isinstance(t, ir.Unary) and t.op in ("!", "not"):
        negated, t = True, t.arg
    names: list[str] = []
    if isinstance(t, ir.Call) and t.method in ("includes", "has", "__contains__") and t.args:
        if (
            isinstance(t.args[0], ir.Name)
            and isinstance(t.callee, ir.Member)
            and not isinstance(t.callee.obj, ir.Literal)
        ):
            names.append(t.args[0].id)
    elif isinstance(t, ir.BinOp) and t.op in ("in", "not in") and isinstance(t.left, ir.Name):
        names.append(t.left.id)
        negated = negated != (t.op == "not in")
    elif isinstance(t, ir.BinOp) and t.op in ("===", "==", "!==", "!="):
        if isinstance(t.left, ir.Name) and isinstance(t.right, ir.Literal) and isinstance(t.right.value, str):
            names.append(t.left.id)
            negated = negated != (t.op in ("!==", "!="))
    return names, negated


def _conjuncts(test: ir.Node) -> list[ir.Node]:
    """The operands of a chain of `&&` / `and` (the test itself when it is not one)."""
    if isinstance(test, ir.BinOp) and test.op in ("&&", "and"):
        return _conjuncts(test.left) + _conjuncts(test.right)
    return [test]


def _presence_tested(test: ir.Node) -> set[str]:
    """Memo state an `if` test checks: names it requires to be set (`x`, `x !== null`, `x != undefined`,
    `x is not None`, as conjuncts of `&&`) and, next to such a name, the cache keys it compares (`key === k`).
    An early return under such a test means what follows runs only while the memo is unset or stale: a write
    there refills it. Empty when nothing in the test is a presence check."""
    present: set[str] = set()
    keys: set[str] = set()

    def walk(t: ir.Node) -> None:
        if isinstance(t, ir.Name):
            present.add(t.id)
        elif isinstance(t, ir.BinOp) and t.op in ("&&", "and"):
            walk(t.left)
            walk(t.right)
        elif isinstance(t, ir.BinOp) and t.op in ("!==", "!=", "is not") and isinstance(t.left, ir.Name):
            r = t.right
            if (isinstance(r, ir.Literal) and r.value is None) or (
                isinstance(r, ir.Name) and r.id == "undefined"
            ):
                present.add(t.left.id)
        elif isinstance(t, ir.BinOp) and t.op in ("===", "==") and isinstance(t.left, ir.Name):
            keys.add(t.left.id)

    walk(test)
    return present | keys if present else set()


def _exits(body: list[ir.Node]) -> bool:
    return bool(body) and isinstance(body[-1], (ir.Return, ir.Throw))


def _dict_false(node: ir.Node, key: str) -> bool:
    if isinstance(node, ir.Object):
        v = node.get(key)
        return isinstance(v, ir.Literal) and v.value is False
    return False


def _inline_type_members(text: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r"([A-Za-z_$][\w$]*)\??\s*:\s*([A-Za-z_$][\w$<>]*)", text)


def analysis(project: Project) -> Analysis:
    """Fact provider: `project.fact(analysis)` runs the engine once per scan."""
    return Engine(project).run()
