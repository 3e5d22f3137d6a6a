"""Helpers for the Rust and Go parts of source rules: the engine's events for those languages, sink kinds,
and small IR look-ups (a local's defining expression, the statements of a function)."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.compute_sources import knowledge
from edgeward.lang.taint import CallEvent, CompareEvent, Label, analysis
from edgeward.workspace.project import Project

FAMILIES = ("rust", "go")
RUST_LOG = {
    "println",
    "print",
    "eprintln",
    "eprint",
    "dbg",
    "console_log",
    "console_error",
    "console_warn",
    "console_debug",
}
LEVELS = {"trace", "debug", "info", "warn", "error", "log"}
RUST_ERROR = {
    "panic",
    "anyhow",
    "anyhow.anyhow",
    "bail",
    "anyhow.bail",
    "ensure",
    "anyhow.ensure",
    "fastly.Error.msg",
    "Error.msg",
    "anyhow.Error.msg",
    "worker.Error.RustError",
    "Error.RustError",
    "unreachable",
    "todo",
}
RUST_BODY = {
    "with_body",
    "set_body",
    "with_body_text_plain",
    "set_body_text_plain",
    "with_body_text_html",
    "set_body_text_html",
    "with_body_json",
    "set_body_json",
    "with_body_octet_stream",
    "set_body_octet_stream",
}
RUST_HEADER = {"with_header", "set_header", "append_header", "with_set_header"}
RUST_RESPONSE_CTORS = (
    "Response.from_body",
    "Response.ok",
    "Response.from_json",
    "Response.from_html",
    "Response.from_bytes",
    "Response.error",
)
GO_LOG = {
    "fmt#Print",
    "fmt#Println",
    "fmt#Printf",
    "log#Print",
    "log#Println",
    "log#Printf",
    "log#Fatal",
    "log#Fatalf",
    "log#Fatalln",
    "log#Panic",
    "log#Panicf",
    "slog#Info",
    "slog#Warn",
    "slog#Error",
    "slog#Debug",
}
GO_FPRINT = {"fmt#Fprint", "fmt#Fprintln", "fmt#Fprintf"}
GO_ERROR = {"fmt#Errorf", "errors#New"}


def _compute_flows(project: Project) -> tuple[list[CallEvent], list[CompareEvent]]:
    an = project.fact(analysis)
    return (
        [e for e in an.calls if e.ctx.family in FAMILIES],
        [c for c in an.compares if c.ctx.family in FAMILIES],
    )


def compute_calls(project: Project) -> Iterator[CallEvent]:
    """The engine's call events in Rust and Go modules (the generic rules cover JavaScript and Python)."""
    yield from project.fact(_compute_flows)[0]


def compute_compares(project: Project) -> Iterator[CompareEvent]:
    yield from project.fact(_compute_flows)[1]


def kinds(v) -> set[str]:
    return {lab.kind for lab in v}


def base(ev: CallEvent) -> str:
    return ev.name or ""


def sink_kind(ev: CallEvent) -> str | None:
    """ "log", "response", "response header", "error" or None, for a Rust or Go call."""
    name = base(ev)
    m = ev.method or ""
    if ev.ctx.family == "rust":
        if name in RUST_LOG:
            return "log"
        head = name.split(".")[0]
        if head in ("log", "tracing") and m in LEVELS and "." in name:
            return "log"
        if name in ("write", "writeln") and ev.args:
            k = kinds(ev.args[0])
            if "logendpoint" in k:
                return "log"
            if "response" in k:
                return "response"
            return None
        if m in ("write_all", "write", "write_str", "write_fmt") and "logendpoint" in kinds(ev.recv):
            return "log"
        if (
            name.endswith(("Write.write_all", "Write.write"))
            and ev.args
            and "logendpoint" in kinds(ev.args[0])
        ):
            return "log"
        if name in RUST_ERROR:
            return "error"
        if name.endswith(RUST_RESPONSE_CTORS) and not name.endswith("Request.from_body"):
            return "response"
        rk = kinds(ev.recv)
        if "response" in rk and m in RUST_BODY:
            return "response"
        if "response" in rk and m in RUST_HEADER:
            return "response header"
        return None
    # go
    if name in GO_LOG:
        return "log"
    if name in GO_FPRINT and ev.args:
        k = kinds(ev.args[0])
        return "response" if "gowriter" in k else "log"
    if name in GO_ERROR:
        return "error"
    rk = kinds(ev.recv)
    if "gowriter" in rk and m in ("Write", "WriteString"):
        return "response"
    if "respheaders" in rk and m in ("Set", "Add"):
        return "response header"
    if "logendpoint" in rk and m in ("Write", "WriteString"):
        return "log"
    return None


def sink_args(ev: CallEvent) -> list:
    """The argument values that reach the sink (a header sink: the value, not the name)."""
    kind = sink_kind(ev)
    if kind == "response header":
        return ev.args[1:2]
    if (
        base(ev) in ("write", "writeln")
        or base(ev) in GO_FPRINT
        or base(ev).endswith(("Write.write_all", "Write.write"))
    ):
        return ev.args[1:]
    return [*ev.args, *ev.kwargs.values()]


def request_credential(lab: Label) -> bool:
    if lab.kind != "req":
        return False
    d = lab.detail
    if d in ("url", "search", "cookie"):
        return True
    if d.startswith("header:"):
        return d[7:] in K.CREDENTIAL_HEADERS
    if d.startswith("query:"):
        return bool(K.SECRETISH_PARAM.search(d[6:]))
    return False


def unverified_request(v) -> list[Label]:
    """Request-controlled labels of a value, unless a verified identity is part of it too."""
    labs = [lab for lab in v if lab.kind == "req"]
    if not labs or any(lab.kind in ("verified", "allowed") for lab in v):
        return []
    return sorted(labs, key=lambda lab: (lab.path, lab.line, lab.detail))


# ------------------------------------------------------------------------------------------ IR look-ups


def compute_modules(project: Project) -> Iterator[ir.Module]:
    from edgeward.lang.sources import modules

    for _path, mod in sorted(project.fact(modules).items()):
        if mod.language in FAMILIES:
            yield mod


_CACHES: dict[int, tuple[ir.Module, dict]] = {}


def _mod_cache(mod: ir.Module) -> dict:
    """Derived data of one IR module (functions, local bindings), kept while the module lives."""
    hit = _CACHES.get(id(mod))
    if hit is not None and hit[0] is mod:
        return hit[1]
    if len(_CACHES) > 20_000:
        _CACHES.clear()
    data: dict = {}
    _CACHES[id(mod)] = (mod, data)
    return data


def _locals(func: ir.Func | None, mod: ir.Module) -> dict[str, list[tuple[int, ir.Node | None]]]:
    """name -> [(line, value)] of the plain `let`/`:=` bindings in a function (or module), built once."""
    cache = _mod_cache(mod).setdefault("locals", {})
    key = id(func) if func is not None else 0
    table = cache.get(key)
    if table is None:
        table = {}
        body = func.body if func is not None else mod.body
        for n in ir.walk_all(body):
            if isinstance(n, ir.VarDecl) and isinstance(n.target, ir.Name):
                table.setdefault(n.target.id, []).append((n.line, n.value))
        cache[key] = table
    return table


def local_value(func: ir.Func | None, mod: ir.Module, name: str, before_line: int) -> ir.Node | None:
    """The expression last bound to `name` before `before_line` in `func` (else at module level)."""
    best: ir.Node | None = None
    for line, value in _locals(func, mod).get(name, ()):
        if line <= before_line:
            best = value
    if best is None and func is not None:
        for s in mod.body:
            if isinstance(s, ir.VarDecl) and isinstance(s.target, ir.Name) and s.target.id == name:
                best = s.value
    return best


_PASS = {"clone", "unwrap", "to_owned", "ok", "expect", "unwrap_or_default", "as_ref", "into"}


def resolve_expr(
    func: ir.Func | None, mod: ir.Module, node: ir.Node | None, line: int, depth: int = 0
) -> ir.Node | None:
    """Follow a name (through `&`, `Some(x)`, `.clone()`) to the expression that defined it."""
    while depth < 6 and node is not None:
        depth += 1
        if isinstance(node, ir.Name):
            node = local_value(func, mod, node.id, line)
            continue
        if isinstance(node, ir.Call) and node.dotted in ("Some", "Ok") and node.args:
            node = node.args[0]
            continue
        if isinstance(node, ir.Call) and node.method in _PASS and isinstance(node.callee, ir.Member):
            node = node.callee.obj
            continue
        return node
    return node


def named_functions(mod: ir.Module) -> list[ir.Func]:
    """The module's functions except closures (their bodies are walked with the function around them)."""
    cache = _mod_cache(mod)
    funcs = cache.get("funcs")
    if funcs is None:
        funcs = [f for f in mod.functions() if f.kind != "lambda"]
        cache["funcs"] = funcs
    return funcs


def calls_under(nodes: list[ir.Node]) -> list[ir.Call]:
    """Every call under `nodes`, in `ir.walk_all` order."""
    return ir.calls_in(nodes)


def _func_calls(project: Project) -> dict[int, list[ir.Call]]:
    out: dict[int, list[ir.Call]] = {}
    for mod in compute_modules(project):
        for func in named_functions(mod):
            out[id(func)] = calls_under(func.body)
    return out


def func_calls(project: Project, func: ir.Func) -> list[ir.Call]:
    """The calls in a named function's body (closures and nested functions included), in `ir.walk_all`
    order; built once per scan for every function of `compute_modules` and shared by the rules."""
    calls = project.fact(_func_calls).get(id(func))
    return calls if calls is not None else calls_under(func.body)


def enclosing_func(mod: ir.Module, line: int) -> ir.Func | None:
    """The innermost named function around `line` (closures belong to it: its walk covers them)."""
    best: ir.Func | None = None
    for f in named_functions(mod):
        if f.line <= line <= f.end_line and (best is None or f.line >= best.line):
            best = f
    return best


def module_of(project: Project, path: str) -> ir.Module | None:
    from edgeward.lang.sources import modules

    return project.fact(modules).get(path)


def sdk() -> dict:
    return knowledge()
