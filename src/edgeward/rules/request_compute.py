"""Rust and Go parts of the request-validation rules: JWT crates (REQ001-REQ003), trusted headers forwarded
to origin (REQ004), SSRF (REQ009), Fastly dynamic backends (REQ013) and timing-unsafe secret comparison
(REQ014). The owning `@rule`s carry metadata and documentation."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Confidence, Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.rules._compute import (
    compute_calls,
    compute_compares,
    compute_modules,
    enclosing_func,
    func_calls,
    kinds,
    named_functions,
    resolve_expr,
    unverified_request,
)
from edgeward.rules._lang import Hits, path_of
from edgeward.rules.registry import part
from edgeward.workspace.project import Project

DECODE_ONLY = {
    "jsonwebtoken.dangerous_insecure_decode",
    "jsonwebtoken.dangerous_insecure_decode_with_validation",
    "jsonwebtoken.dangerous.insecure_decode",
    "dangerous_insecure_decode",
}
DECODE_ONLY_METHODS = {
    "deserialize_claims_unchecked",
    "ParseUnverified",
    "insecure_disable_signature_validation",
}
JWT_DECODE = {"jsonwebtoken.decode"}
VALIDATION_NEW = {"jsonwebtoken.Validation.new", "Validation.new"}
VALIDATION_DEFAULT = {"jsonwebtoken.Validation.default", "Validation.default"}
GOJWT = ("github.com/golang-jwt/jwt/v5#", "github.com/golang-jwt/jwt/v4#", "github.com/golang-jwt/jwt#")
DYNAMIC_BACKENDS = {
    "fastly.backend.Backend.builder",
    "fastly.Backend.builder",
    "Backend.builder",
    "fastly.backend.BackendBuilder.new",
    "BackendBuilder.new",
    "github.com/fastly/compute-sdk-go/fsthttp#RegisterDynamicBackend",
}


# ------------------------------------------------------------------------------------------ REQ001


@part("REQ001", optional=True)
def jwt_decoded_not_verified_rust_go(project: Project) -> Iterator[Hit]:
    """jsonwebtoken `dangerous_insecure_decode*` / `insecure_disable_signature_validation()`, jwt-compact
    `deserialize_claims_unchecked`, golang-jwt `ParseUnverified`, when their claims are used."""
    hits = Hits(project)
    for ev in compute_calls(project):
        name = ev.name or ""
        if name not in DECODE_ONLY and ev.method not in DECODE_ONLY_METHODS:
            continue
        if not ev.used and ev.method != "insecure_disable_signature_validation":
            continue
        what = ev.method if ev.method in DECODE_ONLY_METHODS else name.rsplit(".", 1)[-1]
        if what == "insecure_disable_signature_validation":
            msg = (
                "`insecure_disable_signature_validation()` turns the following `decode` into a decode-only "
                "call: any forged token's claims are accepted"
            )
        else:
            msg = f"`{what}` reads token claims without checking the signature; decisions made on them trust a forged token"
        hits.add(ev.path, ev.node.line, msg, column=ev.node.col, key="REQ001")
    yield from hits


# ------------------------------------------------------------------------------------------ REQ002 / REQ003


def _validation_ops(func: ir.Func | None, mod: ir.Module, var: str) -> dict[str, tuple[int, ir.Node | None]]:
    """What the code does to a jsonwebtoken `Validation` held in `var`: set_issuer, set_audience,
    `validate_exp = false`, `required_spec_claims = ...`, `algorithms = ...`, `insecure_disable_...`."""
    ops: dict[str, tuple[int, ir.Node | None]] = {}
    body = func.body if func is not None else mod.body
    for n in ir.walk_all(body):
        if isinstance(n, ir.Call) and isinstance(n.callee, ir.Member) and isinstance(n.callee.obj, ir.Name):
            if n.callee.obj.id == var and n.callee.prop:
                ops[n.callee.prop] = (n.line, n.args[0] if n.args else None)
        elif (
            isinstance(n, ir.Assign) and isinstance(n.target, ir.Member) and isinstance(n.target.obj, ir.Name)
        ):
            if n.target.obj.id == var and n.target.prop:
                ops["=" + n.target.prop] = (n.line, n.value)
    return ops


def _jsonwebtoken_checks(project: Project) -> Iterator[tuple[str, str, int, str, str]]:
    """(code, path, line, message, key) for jsonwebtoken decode calls and their `Validation`."""
    for ev in compute_calls(project):
        if (ev.name or "") not in JWT_DECODE or ev.ctx.family != "rust":
            continue
        mod = ev.ctx.module
        func = enclosing_func(mod, ev.node.line)
        val_node = ev.node.args[2] if len(ev.node.args) > 2 else None
        if val_node is None:
            continue
        var = val_node.id if isinstance(val_node, ir.Name) else None
        ctor = resolve_expr(func, mod, val_node, ev.node.line)
        ops = _validation_ops(func, mod, var) if var else {}
        ctor_name = ctor.dotted if isinstance(ctor, ir.Call) else None
        # REQ003: Validation::new(<algorithm from the token header>)
        if ctor_name in VALIDATION_NEW and isinstance(ctor, ir.Call) and ctor.args:
            alg = ctor.args[0]
            if _from_header(func, mod, alg, ev.node.line):
                yield (
                    "REQ003",
                    ev.path,
                    ctor.line,
                    "`Validation::new` takes the algorithm from the token's own header: the token chooses how "
                    "it is verified (algorithm confusion)",
                    "alg-header",
                )
        if "=algorithms" in ops:
            line, value = ops["=algorithms"]
            if _from_header(func, mod, value, line):
                yield (
                    "REQ003",
                    ev.path,
                    line,
                    "`validation.algorithms` comes from the token's own header: the token chooses how it is verified",
                    "alg-header",
                )
        # REQ002
        if "=validate_exp" in ops:
            line, value = ops["=validate_exp"]
            if isinstance(value, ir.Literal) and value.value is False:
                yield ("REQ002", ev.path, line, "`validate_exp = false`: expired tokens are accepted", "exp")
        if "=required_spec_claims" in ops:
            line, value = ops["=required_spec_claims"]
            if not _mentions(value, "exp"):
                yield (
                    "REQ002",
                    ev.path,
                    line,
                    '`required_spec_claims` without "exp": tokens that carry no expiry are accepted',
                    "exp-required",
                )
        missing = []
        if "set_issuer" not in ops and "=iss" not in ops:
            missing.append("issuer")
        if ("set_audience" not in ops and "=aud" not in ops) or _is_false(ops.get("=validate_aud")):
            missing.append("audience")
        if missing and ctor_name in VALIDATION_NEW | VALIDATION_DEFAULT | {None}:
            yield (
                "REQ002",
                ev.path,
                ev.node.line,
                f"jsonwebtoken `decode` with a `Validation` that checks no {' and no '.join(missing)}: "
                "tokens issued for other services are accepted",
                "iss-aud",
            )


def _is_false(op) -> bool:
    return op is not None and isinstance(op[1], ir.Literal) and op[1].value is False


def _mentions(node: ir.Node | None, text: str) -> bool:
    if node is None:
        return False
    return any(isinstance(n, ir.Literal) and n.value == text for n in ir.walk(node))


def _from_header(func, mod, node: ir.Node | None, line: int) -> bool:
    """`header.alg` where `header` comes from `decode_header(token)` (or the expression itself)."""
    for n in ir.walk(node) if node is not None else []:
        if isinstance(n, ir.Member) and n.prop == "alg":
            src = resolve_expr(func, mod, n.obj, line)
            if isinstance(src, ir.Call) and (src.dotted or "").endswith("decode_header"):
                return True
            if isinstance(src, ir.Call) and src.method == "decode_header":
                return True
    return False


def _jwt_simple_checks(project: Project) -> Iterator[tuple[str, str, int, str, str]]:
    for ev in compute_calls(project):
        if ev.method != "verify_token" or ev.ctx.family != "rust":
            continue
        mod = ev.ctx.module
        func = enclosing_func(mod, ev.node.line)
        opt = ev.node.args[1] if len(ev.node.args) > 1 else None
        opts = resolve_expr(func, mod, opt, ev.node.line)
        if opts is None or (isinstance(opts, ir.Name) and opts.id == "None"):
            yield (
                "REQ002",
                ev.path,
                ev.node.line,
                "jwt-simple `verify_token(.., None)` checks no issuer and no audience: tokens issued for other "
                "services are accepted",
                "iss-aud",
            )
            continue
        if isinstance(opts, ir.Call) and (opts.dotted or "").endswith("VerificationOptions") and opts.new:
            keys = {k for k, _ in opts.kwargs}
            missing = [
                w
                for k, w in (("allowed_issuers", "issuer"), ("allowed_audiences", "audience"))
                if k not in keys
            ]
            if missing:
                yield (
                    "REQ002",
                    ev.path,
                    opts.line,
                    f"jwt-simple `VerificationOptions` without {' and '.join('allowed_' + ('issuers' if m == 'issuer' else 'audiences') for m in missing)}: "
                    f"the token's {' and '.join(missing)} is not checked",
                    "iss-aud",
                )


def _jwt_compact_checks(project: Project) -> Iterator[tuple[str, str, int, str, str]]:
    for mod in compute_modules(project):
        if mod.language != "rust":
            continue
        for func in named_functions(mod):
            validates = None
            checks_exp = False
            for n in func_calls(project, func):
                if n.method in ("validate_integrity", "validate"):
                    callee = n.callee
                    if (
                        isinstance(callee, ir.Member)
                        and isinstance(callee.obj, ir.Call)
                        and callee.obj.method == "validator"
                    ):
                        validates = validates or n
                    elif n.method == "validate_integrity":
                        validates = validates or n
                if n.method == "validate_expiration":
                    checks_exp = True
            if validates is not None and not checks_exp:
                yield (
                    "REQ002",
                    mod.path,
                    validates.line,
                    "jwt-compact checks the signature only: without `claims.validate_expiration(..)` expired "
                    "tokens are accepted",
                    "exp",
                )


def _golang_jwt_checks(project: Project) -> Iterator[tuple[str, str, int, str, str]]:
    for ev in compute_calls(project):
        name = ev.name or ""
        if ev.ctx.family != "go" or not name.startswith(GOJWT):
            continue
        fn = name.rsplit("#", 1)[-1]
        if fn not in ("Parse", "ParseWithClaims"):
            continue
        opts = set()
        for a in ev.node.args:
            for n in ir.walk(a):
                if isinstance(n, ir.Call) and n.method and n.method.startswith("With"):
                    opts.add(n.method)
        keyfunc = (
            ev.node.args[2 if fn == "ParseWithClaims" else 1]
            if len(ev.node.args) > (2 if fn == "ParseWithClaims" else 1)
            else None
        )
        checks_method = keyfunc is not None and any(
            isinstance(n, ir.Member) and n.prop == "Method" for n in ir.walk(keyfunc)
        )
        if "WithValidMethods" not in opts and not checks_method:
            yield (
                "REQ003",
                ev.path,
                ev.node.line,
                f"golang-jwt `{fn}` without `jwt.WithValidMethods(...)` and a key function that does not check "
                "`token.Method`: the token's header chooses the algorithm",
                "alg",
            )
        missing = [w for o, w in (("WithIssuer", "issuer"), ("WithAudience", "audience")) if o not in opts]
        if "WithExpirationRequired" not in opts:
            missing.append("required expiry")
        if missing:
            yield (
                "REQ002",
                ev.path,
                ev.node.line,
                f"golang-jwt `{fn}` without {', '.join('`jwt.With' + {'issuer': 'Issuer', 'audience': 'Audience', 'required expiry': 'ExpirationRequired'}[m] + '`' for m in missing)}: "
                f"the token's {', '.join(missing)} is not enforced",
                "claims",
            )


def _jwt_all(project: Project) -> list[tuple[str, str, int, str, str]]:
    """Fact: every JWT finding of the Rust/Go checks, computed once for REQ002 and REQ003."""
    out: list[tuple[str, str, int, str, str]] = []
    for source in (_jsonwebtoken_checks, _jwt_simple_checks, _jwt_compact_checks, _golang_jwt_checks):
        out.extend(source(project))
    return out


def _jwt_findings(project: Project, code: str) -> Iterator[Hit]:
    hits = Hits(project)
    for c, path, line, msg, key in project.fact(_jwt_all):
        if c == code:
            hits.add(path, line, msg, key=f"{code}:{key}")
    yield from hits


@part("REQ002", optional=True)
def jwt_claims_unchecked_rust_go(project: Project) -> Iterator[Hit]:
    """jsonwebtoken `Validation` without issuer/audience or with `validate_exp = false`; jwt-simple without
    `VerificationOptions` issuers/audiences; jwt-compact without `validate_expiration`; golang-jwt options."""
    yield from _jwt_findings(project, "REQ002")


@part("REQ003", optional=True)
def jwt_algorithm_open_rust_go(project: Project) -> Iterator[Hit]:
    """jsonwebtoken `Validation::new(header.alg)`; golang-jwt without `WithValidMethods` or a method check."""
    yield from _jwt_findings(project, "REQ003")


# ------------------------------------------------------------------------------------------ REQ004

_REMOVE = {"remove_header", "Del"}
_SET = {"set_header", "with_header", "insert_header", "Set"}
_APPEND = {"append_header", "Add"}


@part("REQ004", optional=True)
def trusted_header_spoofable_rust_go(project: Project) -> Iterator[Hit]:
    """A request forwarded to a backend (`req.send(..)`, Go `r.Send(..)`) whose identity headers the client
    could also send: appended, or set only on some paths, and never removed first."""
    hits = Hits(project)
    for mod in compute_modules(project):
        for func in named_functions(mod):
            sends = [
                n for n in func_calls(project, func) if n.method in ("send", "send_async", "Send") and n.args
            ]
            if not sends:
                continue
            roots = {r for r in (_root(n.callee.obj) for n in sends if isinstance(n.callee, ir.Member)) if r}
            ops: dict[str, list[tuple[str, int, bool]]] = {}
            _header_ops(func.body, 0, ops, roots)
            for hname, seq in ops.items():
                if not K.is_identity_header(hname):
                    continue
                removed = any(op == "remove" and depth == 0 for op, _, depth in seq)
                for op, line, conditional in seq:
                    if op == "append" and not removed:
                        hits.add(
                            mod.path,
                            line,
                            f"`{hname}` is appended to the forwarded request: a client-sent `{hname}` stays in "
                            "front of it and the origin may read the client's value",
                            key=f"REQ004:{hname}",
                        )
                    elif op == "set" and conditional and not removed and not _set_unconditionally(seq):
                        hits.add(
                            mod.path,
                            line,
                            f"`{hname}` is set only on some paths and never removed: on the others the "
                            "client's own header reaches the origin",
                            key=f"REQ004:{hname}",
                        )
    yield from hits


def _set_unconditionally(seq) -> bool:
    return any(op == "set" and not cond for op, _, cond in seq)


def _root(e: ir.Node | None) -> str | None:
    while isinstance(e, ir.Member):
        e = e.obj
    return e.id if isinstance(e, ir.Name) else None


def _header_ops(body: list[ir.Node], depth: int, ops, roots: set[str]) -> None:
    for s in body:
        if isinstance(s, ir.If):
            _scan_expr(s.test, depth, ops, roots)
            _header_ops(s.body, depth + 1, ops, roots)
            _header_ops(s.orelse, depth + 1, ops, roots)
        elif isinstance(s, (ir.Loop, ir.Block)):
            _header_ops(s.body, depth + (1 if isinstance(s, ir.Loop) else 0), ops, roots)
        elif isinstance(s, ir.Try):
            _header_ops(s.body, depth, ops, roots)
        elif isinstance(s, ir.Func):
            continue
        else:
            for n in ir.walk(s):
                _record(n, depth, ops, roots)


def _scan_expr(e: ir.Node, depth: int, ops, roots: set[str]) -> None:
    for n in ir.walk(e):
        _record(n, depth + 1, ops, roots)


def _record(n: ir.Node, depth: int, ops, roots: set[str]) -> None:
    if not isinstance(n, ir.Call) or not n.args or not isinstance(n.callee, ir.Member):
        return
    if _root(n.callee.obj) not in roots:
        return
    m = n.method
    if m in _REMOVE:
        op = "remove"
    elif m in _SET:
        op = "set"
    elif m in _APPEND:
        op = "append"
    else:
        return
    name = ir.string_value(n.args[0])
    if name is None:
        return
    ops.setdefault(name.lower(), []).append((op, n.line, depth > 0))


# ------------------------------------------------------------------------------------------ REQ009

_URL_CTORS = (
    "Request.get",
    "Request.post",
    "Request.put",
    "Request.delete",
    "Request.patch",
    "Request.head",
    "Request.new",
    "Fetch.Url",
    "fsthttp#NewRequest",
)


@part("REQ009", optional=True)
def ssrf_fetch_rust_go(project: Project) -> Iterator[Hit]:
    """Outbound request URL (`Request::get(url)`, `set_url`, workers-rs `Fetch::Url`, Go `fsthttp.NewRequest`),
    dynamic backend target, or backend name chosen by request data."""
    hits = Hits(project)
    for ev in compute_calls(project):
        name = ev.name or ""
        m = ev.method or ""
        args: list = []
        what = ""
        if name.endswith(_URL_CTORS) and not name.endswith("Request.from_client"):
            args, what = list(ev.args), "outbound request URL"
        elif m in ("set_url", "with_url") and kinds(ev.recv) & {"request", "outrequest"}:
            args, what = ev.args[:1], "outbound request URL"
        elif name in DYNAMIC_BACKENDS:
            args, what = ev.args[1:2], "dynamic backend target"
        elif m in ("send", "send_async") and kinds(ev.recv) & {"request", "outrequest"}:
            args, what = ev.args[:1], "backend name"
        elif m == "Send" and kinds(ev.recv) & {"request", "outrequest"}:
            args, what = ev.args[1:2], "backend name"
        else:
            continue
        for v in args:
            labs = [lab for lab in unverified_request(v) if "p" not in lab.flags]
            if labs:
                lab = labs[0]
                hits.add(
                    ev.path,
                    ev.node.line,
                    f"{what} comes from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)}): the client "
                    "chooses where the edge connects",
                    column=ev.node.col,
                    key="REQ009",
                )
                break
    yield from hits


# ------------------------------------------------------------------------------------------ REQ013


@part("REQ013", optional=True)
def dynamic_backends_rust_go(project: Project) -> Iterator[Hit]:
    """Fastly dynamic backends created in Rust (`Backend::builder`, `BackendBuilder::new`) or Go
    (`fsthttp.RegisterDynamicBackend`)."""
    hits = Hits(project)
    for ev in compute_calls(project):
        if (ev.name or "") not in DYNAMIC_BACKENDS:
            continue
        from_req = any(unverified_request(v) for v in ev.args)
        hits.add(
            ev.path,
            ev.node.line,
            "dynamic backend created at run time: outbound targets are no longer limited to the backends "
            "declared for the service" + (" (and this target comes from request data)" if from_req else ""),
            column=ev.node.col,
            key="REQ013",
            confidence=Confidence.HIGH,
        )
    yield from hits


# ------------------------------------------------------------------------------------------ REQ014


@part("REQ014", optional=True)
def timing_unsafe_compare_rust_go(project: Project) -> Iterator[Hit]:
    """`==` / `!=` between a secret and another non-constant value in Rust or Go; Go `bytes.Equal` /
    `reflect.DeepEqual` on a secret."""
    hits = Hits(project)
    for c in compute_compares(project):
        if c.node.op not in ("==", "!="):
            continue
        if isinstance(c.node.left, ir.Literal) or isinstance(c.node.right, ir.Literal):
            continue
        sec = [lab for lab in (*c.left, *c.right) if lab.kind == "secret"]
        if not sec:
            continue
        fix = (
            "`subtle::ConstantTimeEq` / `constant_time_eq`"
            if c.ctx.family == "rust"
            else "`subtle.ConstantTimeCompare`"
        )
        hits.add(
            c.ctx.path,
            c.node.line,
            f"{sec[0].describe()} compared with `{c.node.op}` (from {sec[0].where()}): not constant-time, response "
            f"timing leaks how much matched; use {fix}",
            column=c.node.col,
            key="REQ014",
        )
    for ev in compute_calls(project):
        if ev.ctx.family == "go" and (ev.name or "") in ("bytes#Equal", "reflect#DeepEqual"):
            if any(lab.kind == "secret" for v in ev.args for lab in v):
                hits.add(
                    ev.path,
                    ev.node.line,
                    "a secret compared with `bytes.Equal`: not constant-time; use `subtle.ConstantTimeCompare`",
                    column=ev.node.col,
                    key="REQ014",
                )
    yield from hits
