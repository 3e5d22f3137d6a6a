"""REQ rules about headers in source: spoofable trusted headers, CORS with credentials, origin trust."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from edgeward.findings import Confidence, Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.taint import Analysis, ModCtx
from edgeward.rules._lang import Hits, flows
from edgeward.rules._util import config
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project

FORWARDED = {"headers", "fwdheaders"}


@dataclass
class HeaderWrite:
    ctx: ModCtx
    func: ir.Func | None
    line: int
    col: int
    name: str  # as written
    how: str  # "set", "append", "object", "merge"
    value: frozenset
    value_node: ir.Node | None
    forwarded: bool
    conditional: bool


def header_writes(an: Analysis) -> list[HeaderWrite]:
    out: list[HeaderWrite] = []
    for ev in an.calls:
        if ev.method not in ("set", "append", "header") or not ev.args:
            continue
        name = ir.string_value(ev.arg_node(0))
        if not name:
            continue
        if ev.method == "header" and not any(lab.kind == "hono" for lab in ev.recv):
            continue
        forwarded = any(lab.kind in FORWARDED for lab in ev.recv)
        out.append(
            HeaderWrite(
                ev.ctx,
                ev.func,
                ev.node.line,
                ev.node.col,
                name,
                "append" if ev.method == "append" else "set",
                ev.arg(1),
                ev.arg_node(1),
                forwarded,
                bool(ev.conds),
            )
        )
    for ob in an.objects:
        merged = any(lab.kind in ("headers", "fwdheaders") for lab in ob.spreads)
        for key, value, prop in ob.props:
            if key is None:
                continue
            out.append(
                HeaderWrite(
                    ob.ctx,
                    ob.func,
                    prop.line,
                    prop.col,
                    key,
                    "merge" if merged else "object",
                    value,
                    prop.value,
                    merged,
                    False,
                )
            )
    return out


def _identity(project: Project, name: str) -> bool:
    extra = {h.lower() for h in config(project).trusted_headers}
    return K.is_identity_header(name) or name.lower() in extra


def _deleted_before(an: Analysis, w: HeaderWrite) -> bool:
    for ev in an.calls:
        if ev.func is not w.func or ev.ctx is not w.ctx or ev.method != "delete" or ev.conds:
            continue
        name = ir.string_value(ev.arg_node(0))
        if name and name.lower() == w.name.lower() and ev.node.line <= w.line:
            return True
    return False


def _unconditional_set(writes: list[HeaderWrite], w: HeaderWrite) -> bool:
    return any(
        o.func is w.func
        and o.ctx is w.ctx
        and o.how == "set"
        and not o.conditional
        and o.name.lower() == w.name.lower()
        for o in writes
        if o.line < w.line
    )


@rule("REQ004", "trusted-header-spoofable", severity="high", checklist=[6])
def trusted_header_spoofable(project: Project) -> Iterator[Hit]:
    """Identity or internal headers forwarded to the origin in a way the client can also set them.

    What it finds: on a request forwarded to the origin, an identity header (`X-User-Id`, `X-Tenant-Id`,
    `X-Auth-*`, `X-Forwarded-User`, `X-Internal-*`...) that is `append`ed (the client's value stays, the origin
    sees both), `set` only under a condition with no `delete` before it (when the condition is false the
    client's value goes through), or put in a plain object merged with `request.headers`
    (`{...Object.fromEntries(request.headers), "X-User-Id": id}`: header keys from the request are lower-case,
    so a mixed-case key adds a second header instead of replacing the client's).

    Extra header names come from `trusted-headers` in `[tool.edgeward]` / `.edgeward.toml`.

    Why it matters: the origin trusts these headers because only the edge should set them. A client that sends
    `X-User-Id: admin` becomes admin whenever the edge does not overwrite or remove it.

    Example: `if (claims) headers.set("X-User-Id", claims.sub); return fetch(origin, { headers });`

    Fix: delete every trusted header from the incoming request first (`headers.delete("x-user-id")`), then
    `set` it unconditionally from verified claims; never merge plain objects with request headers.
    """
    hits = Hits(project)
    an = flows(project)
    writes = header_writes(an)
    for w in writes:
        if not _identity(project, w.name):
            continue
        msg = None
        if w.how == "append" and w.forwarded:
            msg = f"`{w.name}` is appended: a client-sent `{w.name}` reaches the origin alongside it"
        elif w.how == "set" and w.forwarded and w.conditional:
            if _deleted_before(an, w) or _unconditional_set(writes, w):
                continue
            msg = (
                f"`{w.name}` is set only under a condition and never deleted first: when the condition is false "
                "the client's value reaches the origin"
            )
        elif w.how == "merge" and w.name != w.name.lower():
            msg = (
                f"plain-object merge of the request headers (lower-case keys) with `{w.name}`: the client's "
                f"`{w.name.lower()}` survives and the origin receives both values"
            )
        if msg:
            hits.add(w.ctx.path, w.line, msg, column=w.col, key=f"REQ004:{w.name.lower()}")
    yield from hits


def _origin_auth_evidence(project: Project, an: Analysis, unit: object) -> bool:
    for ctx in an.ctxs.values():
        if ctx.unit is unit and "mtls" in ctx.bindings.values():
            return True
    for w in header_writes(an):
        if w.ctx.unit is unit and any(lab.kind == "secret" for lab in w.value):
            return True
    for ev in an.calls:
        if ev.ctx.unit is unit and (ev.node.dotted or "").endswith("subtle.sign"):
            return True
    for info in project.glob("*.tf", "*.tf.json"):
        text = project.text(info.path) or ""
        if "authenticated_origin_pulls" in text:
            return True
    return False


@rule("REQ012", "origin-trust-unenforced", severity="medium", checklist=[12], confidence="medium")
def origin_trust_unenforced(project: Project) -> Iterator[Hit]:
    """Identity headers sent to an origin that has no way to know the request came from the edge.

    What it finds: a Worker that forwards identity headers (`X-User-Id`, `X-Tenant-Id`...) to an origin over
    the internet (`fetch`, not only service bindings) with no sign that the origin authenticates the edge: no `mtls_certificates` binding, no header carrying a
    secret or an HMAC signature (`crypto.subtle.sign`), no Authenticated Origin Pulls in the repository's IaC.

    Why it matters: anyone who finds the origin's address sends the same headers directly and is whoever they
    claim to be; the edge's checks are skipped entirely.

    Example: `headers.set("X-User-Id", claims.sub); return fetch("https://origin.example.com" + path, { headers })`

    Fix: make the origin accept only the edge: mTLS (`mtls_certificates` binding + origin client-cert check),
    Authenticated Origin Pulls, or a signed header (HMAC over the identity headers with a Worker secret).
    """
    hits = Hits(project)
    an = flows(project)
    internet: set[int] = set()  # units that fetch over the internet (service bindings are internal)
    for ev in an.calls:
        if (
            ev.ctx.unit is not None
            and ev.name in ("fetch", "Request")
            and not any(lab.kind == "binding" for lab in ev.recv)
        ):
            internet.add(id(ev.ctx.unit))
    first: dict[int, object] = {}
    for w in sorted(header_writes(an), key=lambda w: (w.ctx.path, w.line)):
        if not _identity(project, w.name) or w.ctx.unit is None or id(w.ctx.unit) not in internet:
            continue
        if not (w.forwarded or w.how in ("object", "merge")):
            continue
        if id(w.ctx.unit) in first:
            continue
        first[id(w.ctx.unit)] = w
        if _origin_auth_evidence(project, an, w.ctx.unit):
            continue
        hits.add(
            w.ctx.path,
            w.line,
            f"identity header `{w.name}` forwarded to the origin, and nothing shows the origin authenticates the "
            "edge (no mTLS binding, no secret or signed header, no Authenticated Origin Pulls)",
            column=w.col,
            key="REQ012",
        )
    yield from hits


def _reflects(node: ir.Node | None) -> bool:
    if (
        isinstance(node, ir.Func)
        and node.params
        and len(node.body) == 1
        and isinstance(node.body[0], ir.Return)
    ):
        ret = node.body[0].value
        return isinstance(ret, ir.Name) and ret.id in ir.names_in(node.params[0].target)
    return False


@rule("REQ011", "cors-credentials-wildcard", severity="high")
def cors_credentials_wildcard(project: Project) -> Iterator[Hit]:
    """CORS that allows credentials for any origin.

    What it finds: `Access-Control-Allow-Credentials: true` together with `Access-Control-Allow-Origin: *` or an
    origin reflected from the request's `Origin` header without an allow-list check; hono `cors()` with
    `credentials: true` and a wildcard or reflecting `origin`.

    Why it matters: any web site the user visits can call the API with the user's cookies and read the
    answers: account data, CSRF tokens, API keys.

    Example: `headers.set("Access-Control-Allow-Origin", request.headers.get("Origin")); headers.set(
    "Access-Control-Allow-Credentials", "true")`

    Fix: reflect the origin only after checking it against an explicit allow-list
    (`if (ALLOWED.has(origin))`), or do not allow credentials.
    """
    hits = Hits(project)
    an = flows(project)
    by_func: dict[tuple, list[HeaderWrite]] = {}
    for w in header_writes(an):
        by_func.setdefault((w.ctx.path, id(w.func)), []).append(w)
    for ws in by_func.values():
        creds = [
            w
            for w in ws
            if w.name.lower() == "access-control-allow-credentials"
            and isinstance(w.value_node, ir.Literal)
            and str(w.value_node.value).lower() == "true"
        ]
        if not creds:
            continue
        for w in ws:
            if w.name.lower() != "access-control-allow-origin":
                continue
            wildcard = ir.string_value(w.value_node) == "*"
            reflected = any(lab.kind == "req" and lab.detail == "header:origin" for lab in w.value)
            if wildcard or reflected:
                what = "`*`" if wildcard else "the request's `Origin` reflected without an allow-list"
                hits.add(
                    creds[0].ctx.path,
                    creds[0].line,
                    f"`Access-Control-Allow-Credentials: true` with Allow-Origin {what} (line {w.line})",
                    column=creds[0].col,
                    key="REQ011",
                )
    for ev in an.calls:
        if ev.name != "hono/cors#cors":
            continue
        opts = ev.arg_node(0)
        if not isinstance(opts, ir.Object):
            continue
        cred = opts.get("credentials")
        if not (isinstance(cred, ir.Literal) and cred.value is True):
            continue
        origin = opts.get("origin")
        if origin is None or ir.string_value(origin) == "*" or _reflects(origin):
            hits.add(
                ev.path,
                ev.node.line,
                "hono `cors()` with `credentials: true` and "
                + (
                    "a wildcard origin"
                    if not _reflects(origin)
                    else "an origin function that reflects any origin"
                ),
                column=ev.node.col,
                key="REQ011",
                confidence=Confidence.HIGH,
            )
    yield from hits
