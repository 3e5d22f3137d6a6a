"""ISO rules over source: Durable Object names and store keys from request data, shared objects for
tenants, and module-scope state that outlives a request."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity
from edgeward.lang import ir
from edgeward.lang.taint import Label, of
from edgeward.rules._lang import Hits, flow, flows, path_of, rate_limit_counter
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project

DO_NAME_METHODS = {"idFromName", "getByName", "idFromString"}


def _unverified(value: frozenset) -> list[Label]:
    """Request-data labels of a value that carries no verified identity."""
    if any(lab.kind == "verified" for lab in value):
        return []
    return of(value, "req")


@rule("ISO001", "do-name-from-request", severity="high", checklist=[4])
def do_name_from_request(project: Project) -> Iterator[Hit]:
    """A Durable Object chosen by a name the client controls.

    What it finds: the argument of `idFromName` / `getByName` / `idFromString` on a Durable Object namespace
    flowing from unverified request data (headers, cookies, URL path or query, body, Hono `c.req.*`) rather
    than from the claims a JWT verify call returned. The message gives the path (source line -> sink line).

    Why it matters: a Durable Object is usually one tenant's or one user's state. If the client names it, any
    client reaches any tenant's object — read its data, write to it, or exhaust it.

    Example: `const id = env.ROOMS.idFromName(request.headers.get("x-tenant-id"))`

    Fix: derive the name from verified identity (`const { payload } = await jwtVerify(...)`;
    `idFromName(`tenant:${payload.tid}`)`), or check the requested name against the caller's verified
    memberships first.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if ev.method not in DO_NAME_METHODS:
            continue
        is_ns = any(lab.kind == "binding" and lab.detail.startswith("do:") for lab in ev.recv)
        if not is_ns and ev.method == "idFromString" and not ev.recv:
            continue
        labs = _unverified(ev.arg(0))
        if not labs:
            continue
        lab = labs[0]
        hits.add(
            ev.path,
            ev.node.line,
            f"Durable Object name from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)}), not from a "
            "verified identity",
            column=ev.node.col,
            key="ISO001",
            extra=flow(lab, ev.path, ev.node.line, f"{ev.method} argument"),
        )
    yield from hits


@rule("ISO002", "shared-do-for-tenants", severity="medium", checklist=[4], confidence="medium")
def shared_do_for_tenants(project: Project) -> Iterator[Hit]:
    """One Durable Object, named by a constant, serving every tenant's requests.

    What it finds: a stub obtained from a constant name (`idFromName("global")`, `getByName("main")`) that is
    handed the incoming request (`stub.fetch(request)`) or per-request or per-tenant data (RPC arguments from
    the request or from token claims).

    Why it matters: every tenant's state then lives in one object: one tenant's bug or key choice reads
    another's data, and the single object is a throughput bottleneck any tenant can exhaust.

    Example: `const stub = env.STATE.get(env.STATE.idFromName("global")); return stub.fetch(request);`

    Fix: one object per tenant (`idFromName(`tenant:${claims.tid}`)`) from verified identity.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        stubs = [lab for lab in ev.recv if lab.kind == "do_stub" and lab.detail.startswith("const:")]
        if not stubs:
            continue
        values = [*ev.args, *ev.kwargs.values()]
        carries_request = any(lab.kind == "request" for v in values for lab in v)
        tenant_data = [lab for v in values for lab in v if lab.kind in ("req", "verified")]
        if not carries_request and not tenant_data:
            continue
        stub = stubs[0]
        what = "the incoming request" if carries_request else tenant_data[0].describe()
        hits.add(
            stub.path,
            stub.line,
            f"Durable Object with the constant name `{stub.detail[6:]}` receives {what} at line {ev.node.line}: "
            "every tenant shares one object",
            key="ISO002",
        )
    yield from hits


CLIENT_FACTORY = re.compile(r"(client|pool|connection|sdk|^create|^connect)", re.I)
TENANTISH = re.compile(r"(tenant|account|org|customer|user|team|workspace|owner)", re.I)
STORE_METHODS = {"get", "put", "delete", "list", "head", "getWithMetadata", "match", "insert", "lookup"}


@rule("ISO003", "store-key-from-request", severity="high", checklist=[5], confidence="medium")
def store_key_from_request(project: Project) -> Iterator[Hit]:
    """A KV / R2 / Durable Object storage / Cache key, or a Fastly KV Store key, built from request data.

    What it finds: the key argument of `get` / `put` / `delete` / `list` on a Workers KV namespace, an R2
    bucket, Durable Object storage, the Cache API, or a Fastly `KVStore`, that carries unverified request data
    (path, query, headers, body) and no verified-tenant part (claims returned by a JWT verify call) or explicit
    allow-list check. Writes are always reported; reads when the code has a verified identity it could have
    used, or the key part names a tenant, user or account. The message gives the path (source line -> sink
    line).

    Why it matters: stores are shared by every tenant of the Worker. A key the client chooses reads or
    overwrites other tenants' entries (`../`-style or simply another tenant's id).

    Example: `await env.FILES.get(`${url.searchParams.get("tenant")}/${name}`)`

    Fix: prefix keys with the verified tenant (`${claims.tid}/...`) and validate the rest against an
    allow-list or a strict pattern before use.
    """
    hits = Hits(project)
    an = flows(project)
    identity_funcs = {
        id(e.func) for e in an.calls if any(lab.kind in ("verified", "decoded") for lab in e.result)
    }
    for ev in an.calls:
        if ev.method not in STORE_METHODS:
            continue
        store = None
        for lab in ev.recv:
            if lab.kind == "binding" and lab.detail.split(":", 1)[0] in ("kv", "r2"):
                store = f"{lab.detail.split(':', 1)[0].upper()} `{lab.detail.split(':', 1)[1]}`"
            elif lab.kind == "storage":
                store = "Durable Object storage"
            elif lab.kind == "cache":
                store = "the Cache API"
            elif lab.kind == "fastlykv":
                store = "a Fastly KV Store"
        if store is None:
            continue
        labs = _unverified(ev.arg(0))
        if not labs or rate_limit_counter(ev):
            continue
        if ev.method not in ("put", "delete", "insert") and not (
            id(ev.func) in identity_funcs or any(TENANTISH.search(lab.detail) for lab in labs)
        ):
            continue  # a public lookup (short links, assets) in code with no notion of identity
        lab = labs[0]
        hits.add(
            ev.path,
            ev.node.line,
            f"{store} key from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)}) with no verified-tenant "
            "prefix",
            column=ev.node.col,
            key="ISO003",
            extra=flow(lab, ev.path, ev.node.line, f"{store} key"),
        )
    yield from hits


def _mutable_init(node: ir.Node | None) -> bool:
    if isinstance(node, (ir.Object, ir.Array)):
        return True
    if isinstance(node, ir.Call) and node.method in ("Map", "Set", "Array", "Object", "dict", "list", "set"):
        return True
    return False


@rule("ISO004", "cross-request-global", severity="high")
def cross_request_global(project: Project) -> Iterator[Hit]:
    """Module-scope state written while handling a request.

    What it finds: a module-scope `let` / `var` (Python: a `global`) assigned inside code that handles a request
    (a `fetch` handler, a route callback, a Durable Object or entrypoint method, and the helpers they call), a
    module-scope
    `Map` / `Set` / object / array / list / dict mutated there, or a `globalThis` property set
    there; also a client built from a secret and cached in module scope. A lazy one-time initialisation of a
    value that comes neither from the request nor from a secret is reported at low severity.

    Why it matters: a Worker isolate serves many requests, concurrently, and keeps its module state between
    them. Requests interleave at every `await`, so a request can read the user, tenant or token another
    request stored. A client cached with a secret keeps the old secret after rotation.

    Example: `let currentUser; ... currentUser = await verify(request); ... await db.query(currentUser.id)`

    Fix: keep per-request state in local variables or pass it as arguments; use `ctx`/request-scoped objects;
    build secret-bound clients per request (or key the cache by the secret's version).
    """
    hits = Hits(project)
    for w in flows(project).writes:
        ctx = w.ctx
        if not w.in_request:
            continue  # start-up code, or a helper no request handler calls
        if w.how == "assign":
            kind = ctx.decls.get(w.name, ("", 0, None))[0]
            if kind not in ("let", "var"):
                continue
        elif w.how == "mutate":
            kind, _, init = ctx.decls.get(w.name, ("", 0, None))
            if not _mutable_init(init) and kind not in ("let", "var"):
                continue
        secret = of(w.value, "secret")
        request = [lab for lab in w.value if lab.kind in ("req", "verified", "decoded", "request")]
        severity = confidence = None
        if secret:
            msg = (
                f"module-scope `{w.name}` (line {w.decl_line}) caches a value built from {secret[0].describe()}: "
                "it outlives secret rotation and is shared by every request of the isolate"
            )
        elif w.how == "globalThis":
            msg = f"`{w.name}` property set inside a handler: shared by every request of the isolate"
            if w.lazy and not request:
                severity, confidence = Severity.LOW, Confidence.LOW
                msg += " (lazy one-time initialisation)"
        else:
            verb = "assigned" if w.how == "assign" else "mutated"
            src = f" with {request[0].describe()}" if request else ""
            msg = (
                f"module-scope `{w.name}` (declared line {w.decl_line}) {verb} inside a handler{src}: warm isolates "
                "share it across requests, which interleave at every `await`"
            )
            if w.lazy and not request:
                severity, confidence = Severity.LOW, Confidence.LOW
                msg += " (lazy one-time initialisation)"
        hits.add(ctx.path, w.node.line, msg, key=f"ISO004:{w.name}", severity=severity, confidence=confidence)
    for ctx in flows(project).ctxs.values():
        if ctx.family != "javascript" or ctx.frame is None:
            continue
        for name, (_kind, line, init) in ctx.decls.items():
            call = init.arg if isinstance(init, ir.Unary) else init
            if not isinstance(call, ir.Call) or not (call.new or CLIENT_FACTORY.search(call.method or "")):
                continue  # a client or connection, not a converted value
            secret = of(ctx.frame.vars.get(name, frozenset()), "secret")
            if secret:
                hits.add(
                    ctx.path,
                    line,
                    f"module-scope `{name}` is built from {secret[0].describe()} once per isolate: it outlives "
                    "secret rotation and is shared by every request",
                    key=f"ISO004:{name}",
                )
    yield from hits
