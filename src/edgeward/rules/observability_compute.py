"""OBS rules over Fastly Compute source (Rust, Go): log endpoint names and panic logging."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.compute_facts import endpoint_uses, panic_endpoint_calls, rust_entry
from edgeward.lang.compute_sources import compute_code
from edgeward.rules._compute import calls_under
from edgeward.rules.registry import part, rule
from edgeward.workspace.fastly_logging import declared_for
from edgeward.workspace.project import Project


@rule("OBS003", "undeclared-log-endpoint", severity="medium", checklist=[14], platforms=("fastly",))
def undeclared_log_endpoint(project: Project) -> Iterator[Hit]:
    """Fastly Compute code writes to a log endpoint name that no configuration declares.

    What it finds: a log endpoint name used in Rust (`fastly::log::Endpoint::from_name`, `try_from_name`,
    `set_panic_endpoint`, `log_fastly::init_simple`, `log_fastly` builder `endpoint`/`default_endpoint`),
    Go (`rtlog.Open`) or JavaScript (`new Logger("name")` of `fastly:logger`) that neither `fastly.toml`
    (`[setup.log_endpoints.<name>]`, `[local_server]`) nor a Terraform `fastly_service_compute` logging
    block declares. Constants are resolved. Names are compared exactly, as Fastly does: `Splunk_Audit` is
    not `splunk_audit`. When nothing in the repository declares any endpoint, the finding has low
    confidence (the service may be configured elsewhere).

    Why it matters: an unknown name still gives a working handle; every line written to it is dropped in
    silence. The denial events, the audit trail, the attack you need to see later: none of it arrives.

    Example: `fastly.toml` declares `[setup.log_endpoints.splunk_audit]` and the code opens
    `Endpoint::from_name("Splunk_Audit")`.

    Fix: use the declared name exactly (keep it in one constant), or declare the endpoint in `fastly.toml`
    `[setup.log_endpoints]` and in the Terraform service.
    """
    by_unit: dict[str, tuple] = {}
    for app in project.fact(compute_code):
        if app.unit.kind == "fastly":
            entry = by_unit.setdefault(app.unit.config_path, (app.unit, []))
            entry[1].extend(endpoint_uses(app))
    for unit, use in _js_endpoint_uses(project):
        entry = by_unit.setdefault(unit.config_path, (unit, []))
        entry[1].append(use)
    for _path, (unit, uses) in sorted(by_unit.items(), key=lambda kv: kv[0]):
        if not uses:
            continue
        declared = declared_for(project, unit)
        for use in uses:
            if use.name is None or declared.exact(use.name):
                continue
            near = declared.folded(use.name)
            if near is not None:
                msg = (
                    f'log endpoint "{use.name}" is not declared; {near.where} ({near.path}:{near.line}) '
                    f'declares "{near.name}", and names are case-sensitive: these lines are dropped'
                )
                conf = Confidence.HIGH
            elif not declared.names:
                if not declared.complete:
                    continue
                msg = (
                    f'log endpoint "{use.name}" is declared nowhere in the repository (no fastly.toml '
                    "[setup.log_endpoints], no Terraform logging block): lines written to it may be dropped"
                )
                conf = Confidence.LOW
            else:
                if not declared.complete:
                    continue
                known = ", ".join(sorted({f'"{d.name}"' for d in declared.names}))
                msg = (
                    f'log endpoint "{use.name}" is not declared (declared: {known}): these lines are dropped'
                )
                conf = Confidence.HIGH
            yield Hit(
                use.path,
                use.line,
                msg,
                evidence=use.snippet,
                column=use.column,
                anchor=f"{use.call}:{use.name}",
                confidence=conf,
                extra={"endpoint": use.name},
            )


def _js_endpoint_uses(project: Project) -> list[tuple]:
    """`new Logger("name")` of `fastly:logger` in Fastly JavaScript apps (names resolved through constants)."""
    from edgeward.lang.compute_facts import EndpointUse
    from edgeward.lang.sources import modules
    from edgeward.workspace.units import compute_apps

    if not any((u.language or "") == "javascript" for u in compute_apps(project)):
        return []
    if not any(m.language in ("javascript", "typescript", "tsx") for m in project.fact(modules).values()):
        return []
    from edgeward.rules._lang import flows

    out = []
    seen: set[tuple[str, int]] = set()
    for ev in flows(project).calls:  # JavaScript: the generic flows
        if ev.name != "fastly:logger#Logger" or not ev.node.new or not ev.node.args:
            continue
        unit = ev.ctx.unit
        if unit is None or unit.kind != "fastly" or (ev.path, ev.node.line) in seen:
            continue
        seen.add((ev.path, ev.node.line))
        arg = ev.node.args[0]
        name = ir.string_value(arg)
        if name is None and isinstance(arg, ir.Name) and arg.id in ev.ctx.decls:
            name = ir.string_value(ev.ctx.decls[arg.id][2])
        line_text = _src(project, ev.path, ev.node.line)
        out.append((unit, EndpointUse(name, ev.path, ev.node.line, ev.node.col, "new Logger", line_text)))
    return out


@rule("OBS005", "no-panic-logging", severity="low", checklist=[14], platforms=("fastly",))
def no_panic_logging(project: Project) -> Iterator[Hit]:
    """A Fastly Compute Rust app that never sends panic messages to a log endpoint.

    What it finds: a Rust Compute app (a `fastly.toml` with Rust sources) in which no code calls
    `fastly::log::set_panic_endpoint` (or installs its own `std::panic::set_hook`, or `log_panics::init()`
    with a `log` backend). The finding points at the
    `#[fastly::main]` function.

    Why it matters: a panic in a Compute app ends the request with a 500 and its message goes to stderr,
    which only the live log tail shows. Crashes triggered on purpose (malformed tokens, oversized headers)
    leave no trace in the log pipeline you alert on.

    Example: `#[fastly::main] fn main(req: Request) -> Result<Response, Error> { ... }` with no
    `set_panic_endpoint` anywhere.

    Fix: call `fastly::log::set_panic_endpoint("<declared endpoint>")` at the start of `main`.
    """
    for app in project.fact(compute_code):
        if app.unit.kind != "fastly" or app.language != "rust":
            continue
        if panic_endpoint_calls(app):
            continue
        entry = rust_entry(app)
        if entry is None:
            continue
        path, line = entry
        yield Hit(
            path,
            line,
            "Compute app never calls `fastly::log::set_panic_endpoint`: panic messages never reach a log endpoint",
            evidence=_line(app, path, line),
            anchor=f"{app.unit.config_path}:panic",
        )


def _line(app, path: str, line: int) -> str:
    for rf in app.rust:
        if rf.path == path:
            return rf.line_text(line)
    return ""


# ------------------------------------------------------------------------------------------ OBS004 / OBS006

_DENY_NAMES = {"FORBIDDEN": 403, "UNAUTHORIZED": 401, "TOO_MANY_REQUESTS": 429}
_GO_DENY = {"StatusForbidden": 403, "StatusUnauthorized": 401, "StatusTooManyRequests": 429}
_TS_KEY = re.compile(
    r"^(ts|timestamp|time|@timestamp|datetime|date|at|occurred_at|event_time|logged_at|created_at)"
    r"(_?(ms|s|ns|us|millis|secs))?$",
    re.I,
)
_ELAPSED = {"elapsed", "duration_since_start"}
_WALL = (
    "SystemTime.now",
    "Utc.now",
    "chrono.Utc.now",
    "OffsetDateTime.now_utc",
    "time.Now",
    "Date.now",
    "now_utc",
)


def _status(node: ir.Node | None) -> int | None:
    if isinstance(node, ir.Literal) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value if node.value in (401, 403, 429) else None
    if isinstance(node, ir.Member) and node.prop in _DENY_NAMES:
        return _DENY_NAMES[node.prop]
    if isinstance(node, ir.Member) and node.prop in _GO_DENY:
        return _GO_DENY[node.prop]
    if isinstance(node, ir.Call) and node.args and node.method in ("from_u16", "try_from"):
        return _status(node.args[0])
    return None


def _denial(call: ir.Call) -> int | None:
    d = call.dotted or ""
    m = call.method or ""
    if d.endswith("Response.from_status") or m in ("with_status", "set_status", "WriteHeader"):
        return _status(call.args[0]) if call.args else None
    if d.endswith(("Response.error", "fsthttp.Error")) or m == "error" and d.startswith("Response"):
        for a in call.args[1:]:
            s = _status(a)
            if s:
                return s
    return None


def _bodies(s: ir.Node) -> list[list[ir.Node]]:
    if isinstance(s, ir.If):
        return [s.body, s.orelse]
    if isinstance(s, (ir.Loop, ir.Block)):
        return [s.body]
    if isinstance(s, ir.Try):
        return [s.body, *[h.body for h in s.handlers], s.final]
    return []


class _LogInfo:
    def __init__(self) -> None:
        self.logged = False
        self.structured = False
        self.correlated = False
        self.objects: list[tuple[ir.Object, ir.Func | None, ir.Module]] = []


def _classify(project, mod: ir.Module, func: ir.Func | None, call: ir.Call, ev, info: _LogInfo) -> None:
    from edgeward.rules._compute import sink_kind

    if ev is None or sink_kind(ev) != "log":
        return
    info.logged = True
    args = list(call.args)
    if (ev.name or "") in ("write", "writeln", "fmt#Fprint", "fmt#Fprintln", "fmt#Fprintf") or (
        ev.name or ""
    ).endswith(("Write.write_all", "Write.write")):
        args = args[1:]
    for a in args:
        obj = _json_of(func, mod, a, call.line)
        if obj is not None:
            info.structured = True
            info.objects.append((obj, func, mod))
            if _has_correlation(obj, func, mod, call.line):
                info.correlated = True
        elif isinstance(a, ir.Literal) and isinstance(a.value, str) and a.value.lstrip().startswith("{"):
            info.structured = True
            if K.CORRELATION_KEYS.search(a.value):
                info.correlated = True


def _json_of(func, mod, node: ir.Node, line: int, depth: int = 0) -> ir.Object | None:
    from edgeward.rules._compute import resolve_expr

    if depth > 4 or node is None:
        return None
    if isinstance(node, ir.Template):
        texts = "".join(str(p.value) for p in node.parts if isinstance(p, ir.Literal))
        values = [p for p in node.parts if not isinstance(p, ir.Literal)]
        if texts.strip() or len(values) != 1:
            return None
        node = values[0]
    node = resolve_expr(func, mod, node, line)
    if isinstance(node, ir.Object):
        return node
    if isinstance(node, ir.Call):
        d = node.dotted or ""
        if d.endswith("json") and node.args:  # serde_json::json!(...)
            return _json_of(func, mod, node.args[0], line, depth + 1)
        if d.endswith(("to_string", "to_vec", "Marshal", "to_string_pretty")) and node.args:
            return _json_of(func, mod, node.args[0], line, depth + 1)
        if d in ("string", "[]byte") and len(node.args) == 1:  # Go conversions
            return _json_of(func, mod, node.args[0], line, depth + 1)
        if node.method in ("to_string", "as_str", "as_bytes", "into_bytes", "to_vec") and isinstance(
            node.callee, ir.Member
        ):
            return _json_of(func, mod, node.callee.obj, line, depth + 1)
        if node.new and node.kwargs:  # struct literal serialised
            return ir.Object(
                node.line,
                node.col,
                node.end_line,
                [ir.Prop(node.line, node.col, node.end_line, k, v) for k, v in node.kwargs],
            )
    return None


def _has_correlation(obj: ir.Object, func, mod, line: int) -> bool:
    for p in obj.props:
        if p.key and K.CORRELATION_KEYS.search(p.key):
            return True
        for n in ir.walk(p.value):
            if isinstance(n, ir.Literal) and n.value == "FASTLY_TRACE_ID":
                return True
    return False


def _app_log_index(project: Project, by_node: dict) -> dict[str, _LogInfo]:
    """Per function name: what its own log calls look like (for helpers such as `audit::record`)."""
    from edgeward.rules._compute import compute_modules, func_calls, named_functions

    # only log calls change a _LogInfo (`_classify` ignores the others)
    logs = {k: ev for k, ev in by_node.items() if _sink_kind(ev) == "log"}
    out: dict[str, _LogInfo] = {}
    for mod in compute_modules(project):
        for func in named_functions(mod):
            if not func.name:
                continue
            info = out.setdefault(func.name, _LogInfo())
            if logs:
                for n in func_calls(project, func):
                    ev = logs.get(id(n))
                    if ev is not None:
                        _classify(project, mod, func, n, ev, info)
    return out


def _sink_kind(ev) -> str | None:
    from edgeward.rules._compute import sink_kind

    return sink_kind(ev)


def _denials_in(body: list[ir.Node], statuses: dict[int, int]):
    """(denial call, status, the innermost statement list around it); `statuses` maps the id of every
    denial call under `body` to its status (`_denial`)."""
    for s in body:
        subs = _bodies(s)
        if subs:
            for sub in subs:
                yield from _denials_in(sub, statuses)
            continue
        if isinstance(s, ir.Func):
            yield from _denials_in(s.body, statuses)
            continue
        for c in calls_under([s]):
            status = statuses.get(id(c))
            if status is not None:
                yield c, status, body


def _security_events_fact(project: Project) -> list:
    from edgeward.rules._compute import compute_calls, compute_modules, func_calls, named_functions

    by_node = {id(ev.node): ev for ev in compute_calls(project)}
    helpers = _app_log_index(project, by_node)
    out = []
    block_calls: dict[int, list[ir.Call]] = {}  # the calls with events in one statement list
    for mod in compute_modules(project):
        for func in named_functions(mod):
            statuses = {id(c): st for c in func_calls(project, func) if (st := _denial(c)) is not None}
            if not statuses:
                continue  # no denial call anywhere in the function
            for n, status, block in _denials_in(func.body, statuses):
                info = _LogInfo()
                # what the innermost block around the denial logs (a helper called there counts)
                calls = block_calls.get(id(block))
                if calls is None:
                    calls = block_calls[id(block)] = [
                        c
                        for c in calls_under([s for s in block if not isinstance(s, ir.Func)])
                        if id(c) in by_node
                    ]
                for c in calls:
                    if c is not n:
                        ev = by_node[id(c)]
                        _classify(project, mod, func, c, ev, info)
                        h = helpers.get(c.method or "") if sink_free(ev) else None
                        if h is not None and h.logged and c.method != func.name:
                            info.logged = True
                            info.structured = info.structured or h.structured
                            info.correlated = info.correlated or h.correlated
                out.append((mod, func, n, status, info))
    return out


def _security_events(project: Project):
    """(module, func, denial call, status, what was logged on its path) for every Rust/Go denial."""
    return project.fact(_security_events_fact)


def sink_free(ev) -> bool:
    from edgeward.rules._compute import sink_kind

    return sink_kind(ev) is None


@part("OBS004", optional=True)
def unstructured_security_event_rust_go(project: Project) -> Iterator[Hit]:
    """Rust/Go denial paths (`Response::from_status(StatusCode::FORBIDDEN)`, 401/403/429, Go
    `w.WriteHeader(fsthttp.StatusForbidden)`) that log nothing, log free text, or omit `FASTLY_TRACE_ID`."""
    seen: set[tuple[str, int]] = set()
    for mod, _func, call, status, info in _security_events(project):
        key = (mod.path, call.line)
        if key in seen:
            continue
        seen.add(key)
        if not info.logged:
            msg = f"{status} denial logs no security event: the rejection leaves no trace in the log pipeline"
        elif not info.structured:
            msg = f"{status} denial is logged as free text, not one JSON object: it cannot be queried or alerted on"
        elif not info.correlated:
            msg = (
                f"{status} denial event has no request correlation id (`FASTLY_TRACE_ID`): it cannot be tied to "
                "the request's other log lines"
            )
        else:
            continue
        yield Hit(
            mod.path,
            call.line,
            msg,
            evidence=_src(project, mod.path, call.line),
            column=call.col,
            anchor=f"OBS004:{status}",
        )


@part("OBS006", optional=True)
def event_timestamp_wrong_rust_go(project: Project) -> Iterator[Hit]:
    """Structured security events (JSON logged on a Rust/Go denial path) without a timestamp, or whose
    timestamp is elapsed time (`Instant::now().elapsed()`, Go `time.Since`) instead of wall-clock time."""
    seen: set[tuple[str, int]] = set()
    for _mod, _func, _call, _status, info in _security_events(project):
        for obj, func, mod in info.objects:
            key = (mod.path, obj.line)
            if key in seen:
                continue
            seen.add(key)
            ts = [p for p in obj.props if p.key and _TS_KEY.match(p.key)]
            if not ts:
                yield Hit(
                    mod.path,
                    obj.line,
                    "security event has no timestamp field: delivery delays and batching make arrival time useless",
                    evidence=_src(project, mod.path, obj.line),
                    column=obj.col,
                    anchor="OBS006:missing",
                )
                continue
            p = ts[0]
            if _elapsed(func, mod, p.value, obj.line) and not _wall(func, mod, p.value, obj.line):
                yield Hit(
                    mod.path,
                    p.line,
                    f"`{p.key}` is elapsed processing time, not wall-clock time: events cannot be ordered or "
                    "correlated across systems",
                    evidence=_src(project, mod.path, p.line),
                    column=p.col,
                    anchor=f"OBS006:{p.key}",
                )


def _expr_closure(func, mod, node: ir.Node, line: int, depth: int = 0):
    from edgeward.rules._compute import local_value

    for n in ir.walk(node):
        yield n
        if isinstance(n, ir.Name) and depth < 4:
            v = local_value(func, mod, n.id, line)
            if v is not None:
                yield from _expr_closure(func, mod, v, line, depth + 1)


def _elapsed(func, mod, node, line) -> bool:
    for n in _expr_closure(func, mod, node, line):
        if isinstance(n, ir.Call) and (
            n.method in _ELAPSED or (n.dotted or "").endswith(("time.Since", "Instant.now"))
        ):
            return True
    return False


def _wall(func, mod, node, line) -> bool:
    for n in _expr_closure(func, mod, node, line):
        if isinstance(n, ir.Call) and (n.dotted or "").endswith(_WALL):
            return True
    return False


def _src(project: Project, path: str, line: int) -> str:
    lines = project.lines(path)
    return lines[line - 1].strip()[:160] if 1 <= line <= len(lines) else ""
