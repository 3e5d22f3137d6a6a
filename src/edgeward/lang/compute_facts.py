"""Facts about Rust and Go edge apps that rules read: log endpoint names written to, panic endpoint setup,
entry points. Built from the syntax facts (`lang/rust.py`, `lang/go.py`) and `data/compute_sdk.json`."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from edgeward.lang import go as golang
from edgeward.lang import rust
from edgeward.lang.compute_sources import CodeApp, knowledge
from edgeward.lang.tsparse import text


@dataclass
class EndpointUse:
    name: str | None  # None: not a constant the front end can resolve
    path: str
    line: int
    column: int
    call: str  # the API called, e.g. "Endpoint::from_name"
    snippet: str


def _rust_const(app: CodeApp, rf: rust.RustFile, node: Node) -> str | None:
    value = rust.string_value(node)
    if value is not None:
        return value
    if node.type in ("identifier", "scoped_identifier"):
        name = text(node).rsplit("::", 1)[-1]
        if name in rf.consts:
            return rf.consts[name]
        for other in app.rust:
            if name in other.consts:
                return other.consts[name]
    if node.type == "call_expression":  # "x".to_string(), String::from("x")
        fn = node.child_by_field_name("function")
        args = [c for c in (node.child_by_field_name("arguments") or node).named_children]
        if fn is not None and fn.type == "field_expression":
            field = text(fn.child_by_field_name("field"))
            if field in ("to_string", "to_owned", "into", "as_str"):
                return _rust_const(app, rf, fn.child_by_field_name("value"))
        if fn is not None and text(fn) in ("String::from", "std::string::String::from") and args:
            return _rust_const(app, rf, args[0])
    return None


def _is_fastly_rust(rf: rust.RustFile) -> bool:
    return any(v.split("::", 1)[0] in ("fastly", "log_fastly") for v in rf.uses.values()) or (
        b"fastly" in rf.data
    )


def rust_endpoint_uses(app: CodeApp) -> list[EndpointUse]:
    k = knowledge()["rust"]
    exact = k["log_endpoint_calls"]
    suffixes = tuple(k["log_endpoint_suffixes"])
    builder = k["log_builder_methods"]
    out: list[EndpointUse] = []
    for rf in app.rust:
        if not _is_fastly_rust(rf) or not any(
            k in rf.data for k in (b"from_name", b"endpoint", b"init_simple")
        ):
            continue
        uses_log_fastly = (
            any(v.startswith("log_fastly") for v in rf.uses.values()) or b"log_fastly" in rf.data
        )
        for call in rf.calls:
            idx: int | None = None
            label = call.callee
            if call.callee in exact:
                idx = exact[call.callee]
            elif call.callee.endswith(suffixes) and not call.is_macro:
                idx = 0
            elif call.callee == "init_simple" and uses_log_fastly:
                idx = 0
            elif call.callee in builder and uses_log_fastly and _builder_chain(call.receiver):
                idx = builder[call.callee]
                label = f"log_fastly Builder{call.callee}"
            if idx is None or idx >= len(call.args):
                continue
            name = _rust_const(app, rf, call.args[idx])
            short = label.split("::")
            out.append(
                EndpointUse(
                    name,
                    rf.path,
                    call.line,
                    call.column,
                    "::".join(short[-2:]) if len(short) > 1 else label,
                    rf.snippet(call.node),
                )
            )
    return out


def _builder_chain(receiver: Node | None) -> bool:
    """The receiver of `.endpoint(...)` is a `Logger::builder()` chain or a builder variable."""
    if receiver is None:
        return False
    t = text(receiver)
    return "builder" in t.lower() or "Builder" in t


def go_endpoint_uses(app: CodeApp) -> list[EndpointUse]:
    calls = knowledge()["go"]["log_endpoint_calls"]
    consts: dict[str, str] = {}
    for gf in app.go:
        consts.update(gf.consts)
    out: list[EndpointUse] = []
    for gf in app.go:
        for call in gf.calls:
            if call.callee not in calls:
                continue
            idx = calls[call.callee]
            if idx >= len(call.args):
                continue
            arg = call.args[idx]
            name = golang.string_value(arg)
            if name is None and arg.type == "identifier":
                name = gf.consts.get(text(arg), consts.get(text(arg)))
            out.append(
                EndpointUse(name, gf.path, call.line, call.column, "rtlog.Open", gf.snippet(call.node))
            )
    return out


def endpoint_uses(app: CodeApp) -> list[EndpointUse]:
    return rust_endpoint_uses(app) if app.language == "rust" else go_endpoint_uses(app)


def panic_endpoint_calls(app: CodeApp) -> list[tuple[str, int]]:
    """(path, line) of every call that routes panics somewhere (`set_panic_endpoint`, a panic hook)."""
    names = set(knowledge()["rust"]["panic_endpoint_calls"])
    out = []
    for rf in app.rust:
        if (
            b"set_panic_endpoint" not in rf.data
            and b"set_hook" not in rf.data
            and b"log_panics" not in rf.data
        ):
            continue
        for call in rf.calls:
            if call.callee in names or call.callee.endswith("::set_panic_endpoint"):
                out.append((rf.path, call.line))
    return out


def rust_entry(app: CodeApp) -> tuple[str, int] | None:
    """(path, line) of the `#[fastly::main]` / `#[event(fetch)]` function, else `fn main` of the entry."""
    attrs = {a.replace(" ", "") for a in knowledge()["rust"]["entry_attributes"]}
    for rf in app.rust:
        for fn in rf.functions:
            if any(a.replace(" ", "") in attrs or a.startswith("event(fetch") for a in fn.attributes):
                return rf.path, fn.line
    main = app.unit.main
    for rf in app.rust:
        if rf.path == main:
            for fn in rf.functions:
                if fn.name == "main":
                    return rf.path, fn.line
            return rf.path, 1
    return None
