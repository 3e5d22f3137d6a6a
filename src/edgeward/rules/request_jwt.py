"""REQ rules about JWT handling in source: decode-only, unchecked claims, open algorithms, ignored results.

Library semantics are version-aware where they changed (versions from the unit's lockfile, else manifest):
- `@tsndr/cloudflare-worker-jwt` before 3.0.0: `verify` returns `false` on a bad signature, even with
  `throwError: true`; from 3.0.0 it returns the decoded token or `undefined`, and throws with `throwError`.
- `jsonwebtoken` before 9.0.0: `verify` without `algorithms` accepts HS256 signed with a public key.
- `hono` before 4.11.4: the JWK middleware without `alg` follows the key's or the token header's algorithm.
- `jose`: `jwtVerify` accepts tokens without `exp` unless `requiredClaims: ['exp']` or `maxTokenAge`.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.taint import CallEvent
from edgeward.rules._lang import Hits, flows, lib_version, props_read
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project

TSNDR = "@tsndr/cloudflare-worker-jwt"


def _ver(v: tuple[int, int, int] | None) -> str:
    return ".".join(map(str, v)) if v else "unknown"


def _verify_events(project: Project) -> Iterator[tuple[CallEvent, str]]:
    for ev in flows(project).calls:
        if ev.name in K.JWT_VERIFY:
            lib = K.JWT_VERIFY[ev.name]
            if lib == "pyjwt" and any(lab.kind == "decoded" for lab in ev.result):
                continue
            yield ev, lib


def _opt(ev: CallEvent, index: int, kw: str | None = None) -> ir.Node | None:
    node = ev.arg_node(index)
    if node is None and kw:
        node = ev.node.kwarg(kw)
    return node


def _obj_keys(node: ir.Node | None) -> set[str] | None:
    if node is None:
        return set()
    if isinstance(node, ir.Object):
        if any(p.spread for p in node.props):
            return None
        return {p.key for p in node.props if p.key}
    return None  # options we cannot see: say nothing


def _module_reads(project: Project, ev: CallEvent, props: set[str]) -> bool:
    return bool(props & props_read(project, ev.ctx.module))


@rule("REQ001", "jwt-decoded-not-verified", severity="critical", checklist=[11])
def jwt_decoded_not_verified(project: Project) -> Iterator[Hit]:
    """Token claims trusted after a decode-only call.

    What it finds: claims from jose `decodeJwt`, `jsonwebtoken.decode`, `@tsndr/cloudflare-worker-jwt`
    `decode`, `hono/jwt` `decode`, `jwt-decode`, or PyJWT `decode(..., options={"verify_signature": False})`,
    used in a function that never verifies the token.

    Why it matters: decoding reads a token anyone can write. Anyone sends `{"sub": "admin"}` and is admin.

    Example: `const { sub } = decodeJwt(token); return env.USERS.get(sub);`

    Fix: verify first and use the claims the verify call returns: `const { payload } = await jwtVerify(token,
    JWKS, { issuer, audience, algorithms: ["RS256"] })`.
    """
    hits = Hits(project)
    verify_funcs = {id(ev.func) for ev, _ in _verify_events(project)}
    for ev in flows(project).calls:
        decoded = [lab for lab in ev.result if lab.kind == "decoded"]
        if not decoded or ev.name not in K.JWT_DECODE_ONLY and ev.name not in K.JWT_VERIFY:
            continue
        if not ev.used or id(ev.func) in verify_funcs:
            continue
        what = ev.name.split("#", 1)[-1] if ev.name else "decode"
        hits.add(
            ev.path,
            ev.node.line,
            f"claims from the decode-only call `{what}` are used, and this function never verifies the token",
            column=ev.node.col,
            key="REQ001",
        )
    yield from hits


@rule("REQ002", "jwt-claims-unchecked", severity="high", checklist=[11], confidence="medium")
def jwt_claims_unchecked(project: Project) -> Iterator[Hit]:
    """JWT verification that does not check issuer and audience, or does not require expiry.

    What it finds: jose `jwtVerify` without `issuer` / `audience`, or without `requiredClaims: ['exp']` /
    `maxTokenAge` (jose accepts a token that carries no `exp` — it never expires); `jsonwebtoken.verify`
    without `issuer` / `audience`; PyJWT `decode` without `audience` / `issuer`; libraries that check neither
    (`@tsndr/cloudflare-worker-jwt`, `hono/jwt` `verify`) when the module never reads `iss` / `aud` itself;
    hono's `jwt()` / `jwk()` middleware without `verification: { aud, iss }`.

    Why it matters: a token signed by the same key for another service (or another environment) is accepted;
    a token issued without `exp` is valid forever once leaked.

    Example: `await jwtVerify(token, JWKS)`

    Fix: `await jwtVerify(token, JWKS, { issuer: "https://idp.example.com/", audience: "api",
    algorithms: ["RS256"], requiredClaims: ["exp"] })`.
    """
    hits = Hits(project)
    for ev, lib in _verify_events(project):
        missing: list[str] = []
        if lib == "jose":
            keys = _obj_keys(_opt(ev, 2))
            if keys is None:
                continue
            missing += [k for k in ("issuer", "audience") if k not in keys]
            if "maxTokenAge" not in keys and "requiredClaims" not in keys:
                missing.append(
                    "`requiredClaims: ['exp']` or `maxTokenAge` (tokens without `exp` never expire)"
                )
        elif lib == "jsonwebtoken":
            keys = _obj_keys(_opt(ev, 2))
            if keys is None:
                continue
            missing += [k for k in ("issuer", "audience") if k not in keys]
        elif lib == "pyjwt":
            kws = {k for k, _ in ev.node.kwargs}
            if "**" in kws:
                continue
            missing += [k for k in ("issuer", "audience") if k not in kws]
        elif lib in (TSNDR, "hono"):
            if not _module_reads(project, ev, {"iss", "aud"}):
                missing.append(
                    "issuer and audience (the library checks neither and the code never reads them)"
                )
        if not missing:
            continue
        hits.add(
            ev.path,
            ev.node.line,
            f"JWT verification without {', '.join(missing)}",
            column=ev.node.col,
            key="REQ002",
        )
    for ev in flows(project).calls:
        if ev.name not in K.JWT_MIDDLEWARE:
            continue
        opts = _opt(ev, 0)
        keys = _obj_keys(opts)
        if keys is None or not isinstance(opts, ir.Object):
            continue
        ver = opts.get("verification")
        vkeys = _obj_keys(ver) if ver is not None else set()
        if vkeys is None:
            continue
        missing = []
        if "aud" not in vkeys and not _module_reads(project, ev, {"aud"}):
            missing.append("`verification.aud`")
        if "iss" not in vkeys and "issuer" not in keys and not _module_reads(project, ev, {"iss"}):
            missing.append("`verification.iss`")
        if not missing:
            continue
        hits.add(
            ev.path,
            ev.node.line,
            f"hono JWT middleware without {' or '.join(missing)}: tokens issued for other services are accepted "
            "(hono checks no audience unless told, since 4.10.2 via `verification`)",
            column=ev.node.col,
            key="REQ002",
            severity=Severity.MEDIUM,
            confidence=Confidence.MEDIUM,
        )
    yield from hits


@rule("REQ003", "jwt-algorithm-open", severity="high", checklist=[11])
def jwt_algorithm_open(project: Project) -> Iterator[Hit]:
    """JWT verification that lets the token or the key choose the algorithm.

    What it finds: hono's `jwk()` middleware without `alg` on hono before 4.11.4 (the algorithm then follows
    the key or the unverified token header); jose `jwtVerify` with a JWKS or an imported public key and no
    `algorithms`; `jsonwebtoken.verify` without `algorithms` before jsonwebtoken 9.0.0 (HS256 with the public
    key as secret is accepted); PyJWT `algorithms` mixing HMAC and public-key families.

    Why it matters: algorithm confusion — a token signed with HS256 using the *public* key as the HMAC
    secret, or `alg: none`, is accepted, so anyone who can read the public key mints valid tokens.

    Example: `app.use("/api/*", jwk({ jwks_uri: "https://auth.example.com/.well-known/jwks.json" }))`

    Fix: pin the accepted algorithms: `jwk({ jwks_uri, alg: ["RS256"] })`, `jwtVerify(token, JWKS,
    { algorithms: ["RS256"] })`, and upgrade the library.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if ev.name == "hono/jwk#jwk":
            keys = _obj_keys(_opt(ev, 0))
            if keys is None or "alg" in keys:
                continue
            v = lib_version(project, ev, "hono")
            if v is not None and v >= (4, 11, 4):
                continue
            hits.add(
                ev.path,
                ev.node.line,
                f"hono JWK middleware without an `alg` allow-list (hono {_ver(v)}: the algorithm follows the key "
                "or the unverified token header; fixed in 4.11.4)",
                column=ev.node.col,
                key="REQ003",
            )
    for ev, lib in _verify_events(project):
        if lib == "jose":
            keys = _obj_keys(_opt(ev, 2))
            if keys is None or "algorithms" in keys:
                continue
            key = ev.arg(1)
            if not any(lab.kind in ("jwks", "asymkey") for lab in key):
                continue
            hits.add(
                ev.path,
                ev.node.line,
                "jose `jwtVerify` with a public key set and no `algorithms`: any algorithm the key allows is "
                "accepted",
                column=ev.node.col,
                key="REQ003",
                confidence=Confidence.MEDIUM,
                severity=Severity.MEDIUM,
            )
        elif lib == "jsonwebtoken":
            keys = _obj_keys(_opt(ev, 2))
            if keys is None or "algorithms" in keys:
                continue
            v = lib_version(project, ev, "jsonwebtoken")
            if v is None or v >= (9, 0, 0):
                continue
            hits.add(
                ev.path,
                ev.node.line,
                f"`jsonwebtoken.verify` without `algorithms` on jsonwebtoken {_ver(v)} (before 9.0.0 a public "
                "key is also accepted as an HS256 secret)",
                column=ev.node.col,
                key="REQ003",
            )
        elif lib == "pyjwt":
            algs = ev.node.kwarg("algorithms")
            if isinstance(algs, ir.Array):
                names = {str(x.value) for x in algs.items if isinstance(x, ir.Literal)}
                if any(n.startswith("HS") for n in names) and any(
                    n[:2] in ("RS", "ES", "PS", "Ed") for n in names
                ):
                    hits.add(
                        ev.path,
                        ev.node.line,
                        "PyJWT `algorithms` mixes HMAC and public-key algorithms (algorithm confusion)",
                        column=ev.node.col,
                        key="REQ003",
                    )
    yield from hits


def _handler_swallows(t: ir.Try) -> bool:
    for h in t.handlers:
        if not any(isinstance(s, (ir.Return, ir.Throw)) for s in ir.walk_all(h.body)):
            return True
    return False


@rule("REQ015", "jwt-verify-result-unchecked", severity="critical", checklist=[11])
def jwt_verify_result_unchecked(project: Project) -> Iterator[Hit]:
    """A JWT verify call whose result or failure does not decide.

    What it finds: the result of a verify call ignored where the library reports failure by return value
    (`@tsndr/cloudflare-worker-jwt` before 3.0.0 returns `false` on a bad signature even with
    `throwError: true`; from 3.0.0 it returns `undefined` unless `throwError` is set); a result compared with
    `=== false` where the library returns `undefined`; a verify call inside a `try` whose `catch` swallows the
    failure and goes on.

    Why it matters: the code looks like it verifies, but a token with any signature passes; what follows
    (often `decode()`) then trusts attacker-written claims.

    Example: `try { await jwt.verify(token, secret, { throwError: true }) } catch { return null }
    return jwt.decode(token).payload` with `@tsndr/cloudflare-worker-jwt` 2.5.4.

    Fix: decide on the result: `if (!(await jwt.verify(token, secret, { algorithm: "HS256" }))) return null;`
    and upgrade; use the claims the verify call returns.
    """
    hits = Hits(project)
    an = flows(project)
    for ev, lib in _verify_events(project):
        if lib == TSNDR:
            v = lib_version(project, ev, TSNDR)
            old = v is None or v < (3, 0, 0)
            opts = _opt(ev, 2)
            throw = (
                isinstance(opts, ir.Object)
                and isinstance(opts.get("throwError"), ir.Literal)
                and bool(
                    opts.get("throwError").value  # type: ignore[union-attr]
                )
            )
            if not ev.used and (old or not throw):
                why = (
                    f"{TSNDR} {_ver(v)} returns false on a bad signature (even with throwError; throwing came in "
                    "3.0.0)"
                    if old
                    else f"{TSNDR} {_ver(v)} returns undefined on failure unless `throwError: true`"
                )
                hits.add(
                    ev.path, ev.node.line, f"verify result ignored: {why}", column=ev.node.col, key="REQ015"
                )
                continue
            if not old:
                for c in an.compares:
                    if c.ctx is not ev.ctx or c.node.op not in ("===", "!=="):
                        continue
                    sides = [(c.left, c.node.right), (c.right, c.node.left)]
                    for val, other in sides:
                        if (
                            any(lab.kind == "verified" and lab.line == ev.node.line for lab in val)
                            and isinstance(other, ir.Literal)
                            and other.value is False
                        ):
                            hits.add(
                                c.ctx.path,
                                c.node.line,
                                f"verify result compared with `false`, but {TSNDR} {_ver(v)} returns undefined on "
                                "failure",
                                key="REQ015",
                            )
            continue
        for t in ev.trys:
            if _handler_swallows(t):
                hits.add(
                    ev.path,
                    ev.node.line,
                    "verify call inside a `try` whose `catch` swallows the failure: execution continues with an "
                    "unverified token",
                    column=ev.node.col,
                    key="REQ015",
                )
                break
    yield from hits
