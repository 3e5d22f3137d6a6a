"""OBS rules over source: denial paths without a structured, correlated security event; event timestamps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from edgeward.findings import Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.sources import modules
from edgeward.rules._lang import Hits
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project

_CORR_TEXT = re.compile(r"(cf-ray|fastly_trace_id|x-request-id|traceparent)", re.I)
_SECURITY_WORDS = re.compile(
    r"(auth|denied|deny|forbid|reject|block|rate|limit|invalid|unauthori|security)", re.I
)


def _is_log(call: ir.Call) -> bool:
    d = call.dotted or ""
    if d in K.LOG_CALLS["javascript"] or d in K.LOG_CALLS["python"]:
        return True
    if "." in d and call.method in K.LOGGER_METHODS:
        return bool(K.LOGGER_OBJECTS.match(d.split(".")[-2]))
    return False


def _status_of(call: ir.Call) -> int | None:
    """The literal 401/403/429 status a response-building call gives, if any."""
    d = call.dotted or ""
    base = d.rsplit(".", 1)[-1] if d else ""
    if d.endswith("Response.new"):
        base = "Response"
    cands: list[ir.Node] = []
    if base in ("Response", "json", "redirect", "JSONResponse", "text", "html", "body", "newResponse"):
        for a in call.args[1:]:
            cands.append(a)
            if isinstance(a, ir.Object):
                s = a.get("status")
                if s is not None:
                    cands.append(s)
        k = call.kwarg("status") or call.kwarg("status_code")
        if k is not None:
            cands.append(k)
    if base.endswith(("HTTPException", "HttpError")) and call.args:
        cands.append(call.args[0])
    for c in cands:
        if isinstance(c, ir.Literal) and c.value in K.DENIAL_STATUS and not isinstance(c.value, bool):
            return int(c.value)
    return None


@dataclass
class Denial:
    line: int
    col: int
    status: int
    logs: list[ir.Call]


class _Collector:
    def __init__(self, mod: ir.Module):
        self.mod = mod
        self.local_funcs: dict[str, ir.Func] = {}
        for s in mod.body:
            if isinstance(s, ir.Func) and s.name:
                self.local_funcs[s.name] = s
            elif isinstance(s, ir.VarDecl) and isinstance(s.value, ir.Func) and isinstance(s.target, ir.Name):
                self.local_funcs[s.target.id] = s.value
        self.denials: list[Denial] = []
        self.structured: list[tuple[ir.Call, ir.Object]] = []
        # local functions that only build a denial (`function blocked(id) { return page(403, ...) }`): a
        # call to one is the denial, reported where it is returned with the logs of that path
        self.denial_helpers: dict[str, int] = {}
        # one walk of the module: functions (pre-order), log calls, names of local functions called
        local_funcs = self.local_funcs
        funcs: list[ir.Func] = []
        all_logs: list[ir.Call] = []
        called: set[str] = set()
        Func, Call, Name = ir.Func, ir.Call, ir.Name
        for n in ir.walk_all(mod.body):
            cls = type(n)
            if cls is Func:
                funcs.append(n)
            elif cls is Call:
                if _is_log(n):
                    all_logs.append(n)
                callee = n.callee
                if type(callee) is Name and callee.id in local_funcs:
                    called.add(callee.id)
        self.funcs = funcs
        self.all_logs = all_logs
        self.log_ids = {id(n) for n in all_logs}
        self._memo: dict[int, list[ir.Call]] = {}
        for _ in range(3):  # helpers built on helpers
            for name, f in self.local_funcs.items():
                if name in self.denial_helpers or name not in called:
                    continue
                rets = _own_returns(f)
                statuses = [self.denial_of(r.value) for r in rets]
                if rets and all(st is not None for st in statuses):
                    self.denial_helpers[name] = statuses[0]
        self.helper_funcs = {id(self.local_funcs[n]) for n in self.denial_helpers}

    def logs_in(self, node: ir.Node | None, depth: int = 0) -> list[ir.Call]:
        """The log calls under `node` (not in nested functions), with those of the same-file functions it
        calls (one level), sorted by position. The result is shared: callers must not change it."""
        if node is None:
            return []
        if depth:
            memo = self._memo.get(id(node))
            if memo is not None:
                return memo
        out: list[ir.Call] = []
        stack = [node]
        pop, pusher = stack.pop, ir.child_pusher
        log_ids, local_funcs = self.log_ids, self.local_funcs
        Func, Call, Name = ir.Func, ir.Call, ir.Name
        while stack:
            n = pop()
            cls = type(n)
            if cls is Func and n is not node:
                continue  # a nested function's logs belong to its own paths
            pusher(cls)(n, stack)
            if cls is Call:
                if id(n) in log_ids:
                    out.append(n)
                elif depth < 1 and type(n.callee) is Name and n.callee.id in local_funcs:
                    f = local_funcs[n.callee.id]
                    for s in f.body:
                        out.extend(self.logs_in(s, depth + 1))
        out.sort(key=lambda c: (c.line, c.col))
        if depth:
            self._memo[id(node)] = out
        return out

    def denial_of(self, value: ir.Node | None) -> int | None:
        if value is None:
            return None
        v = value
        while isinstance(v, ir.Unary) and v.op == "await":
            v = v.arg
        if isinstance(v, ir.Cond):
            return self.denial_of(v.then) or self.denial_of(v.orelse)
        if isinstance(v, ir.Call):
            st = _status_of(v)
            if st is not None:
                return st
            if isinstance(v.callee, ir.Name) and v.callee.id in self.denial_helpers:
                return self.denial_helpers[v.callee.id]
            if isinstance(v.callee, ir.Name) and v.callee.id in self.local_funcs:
                for a in v.args:
                    if (
                        isinstance(a, ir.Literal)
                        and a.value in K.DENIAL_STATUS
                        and not isinstance(a.value, bool)
                    ):
                        return int(a.value)
        return None

    def visit(self, body: list[ir.Node], prior: list[ir.Call]) -> None:
        logs = list(prior)
        for s in body:
            if isinstance(s, (ir.Return, ir.Throw)):
                st = self.denial_of(s.value)
                if st is not None:
                    self.denials.append(Denial(s.line, s.col, st, logs + self.logs_in(s.value)))
                continue
            if isinstance(s, (ir.ExprStmt, ir.VarDecl)):
                logs.extend(self.logs_in(s))
                continue
            if isinstance(s, ir.If):
                self.visit(s.body, logs)
                self.visit(s.orelse, logs)
            elif isinstance(s, ir.Try):
                self.visit(s.body, logs)
                for h in s.handlers:
                    self.visit(h.body, logs)
                self.visit(s.final, logs)
            elif isinstance(s, (ir.Loop, ir.Block)):
                self.visit(s.body, logs)

    def run(self) -> None:
        for f in self.funcs:
            if id(f) in self.helper_funcs:
                continue  # its denials are reported where it is called
            self.visit(f.body, [])


def _own_returns(f: ir.Func) -> list[ir.Return]:
    """The return statements of f itself (not of functions nested in it); an expression-bodied arrow
    counts as one return."""
    out: list[ir.Return] = []
    stack: list[ir.Node] = list(f.body)
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Func):
            continue
        if isinstance(n, ir.Return):
            out.append(n)
            continue
        stack.extend(ir.children(n))
    return out


def _event_object(call: ir.Call) -> ir.Object | None:
    """The one JSON object a log call writes, or None when it writes free text."""
    if len(call.args) != 1:
        return None
    a = call.args[0]
    if isinstance(a, ir.Object):
        return a
    if isinstance(a, ir.Call) and (a.dotted or "") in ("JSON.stringify", "json.dumps") and a.args:
        if isinstance(a.args[0], ir.Object):
            return a.args[0]
    return None


def _opaque(call: ir.Call) -> bool:
    """A log call whose argument we cannot see (a variable): give it the benefit of the doubt."""
    if len(call.args) != 1:
        return False
    a = call.args[0]
    if isinstance(a, ir.Call) and (a.dotted or "") in ("JSON.stringify", "json.dumps") and a.args:
        a = a.args[0]
    return isinstance(a, (ir.Name, ir.Member))


def _has_correlation(obj: ir.Object) -> bool:
    for n in ir.walk(obj):
        if isinstance(n, ir.Prop) and n.key and K.CORRELATION_KEYS.search(n.key):
            return True
        if isinstance(n, ir.Literal) and isinstance(n.value, str) and _CORR_TEXT.search(n.value):
            return True
        if isinstance(n, ir.Prop) and n.spread:
            return True  # spread of a shared context object: cannot tell, assume it carries the id
    return False


def _denials(project: Project) -> list[tuple[str, _Collector]]:
    return project.fact(_collect)


def _collect(project: Project) -> list[tuple[str, _Collector]]:
    out = []
    for path, mod in sorted(project.fact(modules).items()):
        family = {"typescript": "javascript", "tsx": "javascript"}.get(mod.language, mod.language)
        if family not in K.GENERIC_RULE_FAMILIES:
            continue
        c = _Collector(mod)
        c.run()
        out.append((path, c))
    return out


@rule("OBS004", "unstructured-security-event", severity="medium", checklist=[15], confidence="medium")
def unstructured_security_event(project: Project) -> Iterator[Hit]:
    """A denial path that leaves no usable security event.

    What it finds: a handler path that answers 401, 403 or 429 (`new Response(..., { status: 401 })`,
    `c.json(..., 403)`, `HTTPException(401)`, Python `Response(..., status=429)`) and on the way logs nothing,
    logs free text instead of one JSON object, or logs an object without a request correlation id (`CF-Ray`,
    `FASTLY_TRACE_ID`, a request id). Logs in same-file helpers called on the path count; a same-file helper
    that only builds the denial (`function denied(id) { return page(403, ...) }`) is judged where it is called.

    Why it matters: denials are the signal of an attack in progress (credential stuffing, token forgery,
    scraping). Without a structured event nothing can alert on their rate; without a correlation id the event
    cannot be tied to the request in the CDN's own logs.

    Example: `if (!user) return new Response("unauthorized", { status: 401 });`

    Fix: before denying, `console.log(JSON.stringify({ event: "auth.denied", reason, ray:
    request.headers.get("cf-ray"), ts: new Date().toISOString() }))`.
    """
    hits = Hits(project)
    for path, c in _denials(project):
        for d in c.denials:
            if any(_opaque(log) for log in d.logs):
                continue
            structured = [(log, obj) for log in d.logs if (obj := _event_object(log)) is not None]
            if not d.logs:
                msg = f"denial ({d.status}) logs no security event"
            elif not structured:
                msg = (
                    f"denial ({d.status}) logs free text (line {d.logs[-1].line}) instead of one JSON object"
                )
            elif not any(_has_correlation(obj) for _, obj in structured):
                msg = (
                    f"security event for this denial ({d.status}, logged line {structured[-1][0].line}) has no "
                    "request correlation id (CF-Ray / FASTLY_TRACE_ID)"
                )
            else:
                continue
            hits.add(path, d.line, msg, column=d.col, key="OBS004")
    yield from hits


def _timestamp_problem(obj: ir.Object) -> str | None:
    for p in obj.props:
        if p.spread:
            return None
        if p.key and p.key.lower() in K.TIMESTAMP_KEYS:
            v = p.value
            for n in ir.walk(v):
                if isinstance(n, ir.Call) and (n.dotted or "") in K.ELAPSED_CALLS:
                    return f"`{p.key}` is elapsed processing time (`{n.dotted}`), not wall-clock time"
            if isinstance(v, ir.BinOp) and v.op == "-":
                return f"`{p.key}` is a time difference, not wall-clock time"
            return None
    return "has no timestamp"


@rule("OBS006", "event-timestamp-wrong", severity="low", checklist=[15], confidence="medium")
def event_timestamp_wrong(project: Project) -> Iterator[Hit]:
    """A structured security event without a wall-clock timestamp.

    What it finds: a JSON security event (the object logged on a 401/403/429 path, or an object whose
    `event` / `type` / `action` names a security outcome) with no timestamp field (`ts`, `timestamp`, `time`,
    `@timestamp`), or one whose value is elapsed time (`performance.now()`, `Date.now() - start`,
    `time.perf_counter()`).

    Why it matters: detection rules and incident timelines order and window events by time; an elapsed-time
    value sorts every event to 1970 and breaks correlation with other sources.

    Example: `console.log(JSON.stringify({ event: "auth.denied", ray, ts: performance.now() }))`

    Fix: `ts: new Date().toISOString()` (or `Date.now()`), keep durations in a separate `duration_ms` field.
    """
    hits = Hits(project)
    for path, c in _denials(project):
        events: dict[int, tuple[ir.Call, ir.Object]] = {}
        for d in c.denials:
            for log in d.logs:
                obj = _event_object(log)
                if obj is not None:
                    events[id(log)] = (log, obj)
        for n in c.all_logs:
            obj = _event_object(n)
            if obj is None:
                continue
            for key in ("event", "type", "action", "outcome"):
                v = ir.string_value(obj.get(key))
                if v and _SECURITY_WORDS.search(v):
                    events[id(n)] = (n, obj)
        for log, obj in events.values():
            problem = _timestamp_problem(obj)
            if problem:
                hits.add(path, log.line, f"security event {problem}", column=log.col, key="OBS006")
    yield from hits
