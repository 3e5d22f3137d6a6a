"""REQ rules over source: rate-limit keys, DO storage options, KV limiters, cached authenticated responses,
SSRF, SQL from request data, Fastly dynamic backends, timing-unsafe secret comparison."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.taint import CallEvent, Label, of
from edgeward.rules._lang import (
    Hits,
    _binding_kind,
    _binding_names,
    _key_text,
    _limiter_context,
    flow,
    flows,
    lib_version,
    path_of,
)
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project
from edgeward.workspace.units import units


@rule("REQ005", "rate-limit-key-spoofable", severity="high", checklist=[13])
def rate_limit_key_spoofable(project: Project) -> Iterator[Hit]:
    """A rate-limit key the client can choose.

    What it finds: the key given to a rate limiter (the Workers Rate Limiting binding's `limit({ key })`, a
    limiter Durable Object's `idFromName`, a function or binding named like a rate limiter) that comes from
    `X-Forwarded-For`, `X-Real-IP`, `True-Client-IP` or another header the client sets (high); or from the
    client IP while a verified identity is available in the same function (low: key on the identity).

    Why it matters: the client rotates the header value on every request and is never limited; credential
    stuffing and scraping go unthrottled. Keying on IP when a user is known lets one user spread over many IPs
    (or many users share one IP behind NAT and lock each other out).

    Example: `await env.LIMITER.limit({ key: request.headers.get("x-forwarded-for") })`

    Fix: key on the verified identity (`claims.sub`), and on `CF-Connecting-IP` only as a fallback for
    anonymous requests.
    """
    hits = Hits(project)
    an = flows(project)
    verified_funcs = {id(e.func) for e in an.calls if any(lab.kind == "verified" for lab in e.result)}
    for ev in an.calls:
        kinds = _binding_kind(ev)
        is_limiter = (ev.method == "limit" and ("ratelimit" in kinds or not kinds)) or (
            ev.method in ("idFromName", "getByName", "put") and _limiter_context(ev)
        )
        if ev.method == "put" and not kinds & {"kv"} and not any(lab.kind == "storage" for lab in ev.recv):
            is_limiter = False
        if not is_limiter and ev.method and K.RATE_LIMIT_NAME.search(ev.method) and ev.args:
            is_limiter = not any(lab.kind == "func" for lab in ev.recv)
        if not is_limiter:
            continue
        labels = [lab for v in [*ev.args, *ev.kwargs.values()] for lab in v]
        spoof = [
            lab
            for lab in labels
            if lab.kind == "req"
            and lab.detail.startswith("header:")
            and lab.detail[7:] in K.SPOOFABLE_IP_HEADERS
        ]
        if spoof:
            lab = spoof[0]
            hits.add(
                ev.path,
                ev.node.line,
                f"rate-limit key from client-set header `{lab.detail[7:]}` ({path_of(lab, ev.path, ev.node.line)}): "
                "rotating it bypasses the limit",
                column=ev.node.col,
                key="REQ005",
                extra=flow(lab, ev.path, ev.node.line, "rate-limit key"),
            )
            continue
        ips = [lab for lab in labels if lab.kind == "ip"]
        if ips and not any(lab.kind == "verified" for lab in labels) and id(ev.func) in verified_funcs:
            hits.add(
                ev.path,
                ev.node.line,
                "rate-limit key is the client IP although a verified identity is available in this function",
                column=ev.node.col,
                key="REQ005",
                severity=Severity.LOW,
                confidence=Confidence.MEDIUM,
            )
    yield from hits


def _options_with(node: ir.Node | None, keys: tuple[str, ...]) -> ir.Prop | None:
    if isinstance(node, ir.Object):
        for p in node.props:
            if p.key in keys:
                return p
    return None


@rule("REQ006", "do-storage-ttl-ignored", severity="medium")
def do_storage_ttl_ignored(project: Project) -> Iterator[Hit]:
    """Durable Object storage called with options only Workers KV understands.

    What it finds: `storage.put(key, value, { expirationTtl })` or `{ expiration }` on Durable Object
    storage (`this.ctx.storage`, `state.storage`), often cast past the type checker.

    Why it matters: DO storage has no per-key TTL and ignores the option: OAuth state, nonces, sessions or
    rate-limit counters meant to expire live forever — replayable state and a limit that never resets.

    Example: `await this.ctx.storage.put(state, data, { expirationTtl: 600 } as any)`

    Fix: store the expiry time with the value and delete it from an alarm (`storage.setAlarm`), or use KV
    when a TTL is what you need.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if ev.method != "put":
            continue
        d = ev.node.dotted or ""
        if not any(lab.kind == "storage" for lab in ev.recv) and not d.endswith("storage.put"):
            continue
        opt = _options_with(ev.arg_node(2), ("expirationTtl", "expiration"))
        if opt is None:
            continue
        hits.add(
            ev.path,
            ev.node.line,
            f"`{opt.key}` is a Workers KV option; Durable Object storage ignores it and the entry never expires",
            column=ev.node.col,
            key="REQ006",
        )
    yield from hits


@rule("REQ007", "kv-rate-limiter", severity="medium", checklist=[13])
def kv_rate_limiter(project: Project) -> Iterator[Hit]:
    """Rate-limit counters kept in Workers KV.

    What it finds: a Workers KV `put` of a counter (key naming a rate limit / count / hits, or inside a function
    or binding named like a rate limiter).

    Why it matters: KV is eventually consistent (reads are cached at the edge for up to a minute) and allows
    one write per key per second: concurrent requests read the same old count, so the limit lets through far
    more than configured, and bursts fail writes.

    Example: `await env.KV.put(`rl:${ip}`, String(count + 1), { expirationTtl: 60 })`

    Fix: use the Workers Rate Limiting binding (`[[ratelimits]]`) or a Durable Object counter.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if ev.method != "put" or "kv" not in _binding_kind(ev):
            continue
        text = _key_text(ev.arg_node(0))
        if not (K.RATE_LIMIT_KEY_TEXT.search(text) or _limiter_context(ev)):
            continue
        hits.add(
            ev.path,
            ev.node.line,
            f"rate-limit counter written to Workers KV `{_binding_names(ev)[0]}`: eventually consistent, one write "
            "per key per second",
            column=ev.node.col,
            key="REQ007",
        )
    yield from hits


def _cf_caching(node: ir.Node | None) -> str | None:
    if not isinstance(node, ir.Object):
        return None
    cf = node.get("cf")
    if not isinstance(cf, ir.Object):
        return None
    ce = cf.get("cacheEverything")
    if isinstance(ce, ir.Literal) and ce.value is True:
        return "cacheEverything"
    ttl = cf.get("cacheTtl")
    if ttl is not None and not (
        isinstance(ttl, ir.Literal) and (ttl.value in (0, None) or ttl.value is False)
    ):
        if not (isinstance(ttl, ir.Literal) and isinstance(ttl.value, (int, float)) and ttl.value <= 0):
            return "cacheTtl"
    if cf.get("cacheTtlByStatus") is not None:
        return "cacheTtlByStatus"
    return None


def _is_fetch(ev: CallEvent) -> bool:
    base = ev.name.rsplit("#", 1)[-1] if ev.name else None
    return base == "fetch" and not ev.node.new


@rule("REQ008", "authenticated-response-cached", severity="high")
def authenticated_response_cached(project: Project) -> Iterator[Hit]:
    """A response to a request carrying the caller's credentials, stored in the shared edge cache.

    What it finds: `fetch(request, { cf: { cacheEverything: true | cacheTtl > 0 | cacheTtlByStatus } })` where
    the request is the incoming one or built from it (so it keeps `Cookie` / `Authorization`), and
    `caches.default.put(request, ...)` of the incoming request in a handler that never looks at its
    credentials.

    Why it matters: the edge cache is keyed by URL, not by user. The first user's personalised response
    (`/me`, account pages, API results) is served to everyone who requests the same URL.

    Example: `fetch(new Request("https://origin/me", request), { cf: { cacheEverything: true, cacheTtl: 300 } })`

    Fix: do not cache requests that carry credentials (bypass when `Authorization` or `Cookie` is present),
    or strip credentials and cache only public content; add a per-user cache key only when the origin's
    response is truly per-user and private.
    """
    hits = Hits(project)
    checked: dict[int, bool] = {}
    for ev in flows(project).calls:
        if _is_fetch(ev):
            how = _cf_caching(ev.arg_node(1))
            if how is None:
                continue
            reqs = [lab for lab in ev.arg(0) if lab.kind == "request"]
            reqs += [lab for lab in ev.arg(1) if lab.kind in ("request", "headers", "fwdheaders")]
            if not reqs:
                continue
            src = reqs[0]
            hits.add(
                ev.path,
                ev.node.line,
                f"request carrying the caller's credentials (from {src.path}:{src.line}) is fetched with `{how}`: "
                "one user's response is cached and served to others",
                column=ev.node.col,
                key="REQ008",
            )
        elif ev.method == "put" and any(lab.kind == "cache" for lab in ev.recv):
            if not any(lab.kind == "request" and not lab.detail for lab in ev.arg(0)):
                continue
            if ev.func is not None:
                if id(ev.func) not in checked:
                    checked[id(ev.func)] = _checks_credentials(ev.func)
                if checked[id(ev.func)]:
                    continue
            hits.add(
                ev.path,
                ev.node.line,
                "incoming request (with its credentials) used as a shared cache key and the handler never checks "
                "`Authorization` / `Cookie`",
                column=ev.node.col,
                key="REQ008",
                confidence=Confidence.MEDIUM,
            )
    yield from hits


def _checks_credentials(func: ir.Func) -> bool:
    for n in ir.walk_all(func.body):
        if (
            isinstance(n, ir.Literal)
            and isinstance(n.value, str)
            and n.value.lower() in ("authorization", "cookie")
        ):
            return True
    return False


def _ssrf_labels(v: frozenset) -> list[Label]:
    out = []
    for lab in v:
        if lab.kind != "req" or "p" in lab.flags:
            continue
        if lab.detail in ("url", "path", "search", "host"):
            continue  # the request's own URL: its host is this Worker's route
        out.append(lab)
    return sorted(out, key=lambda lab: (lab.path, lab.line))


@rule("REQ009", "ssrf-fetch", severity="high")
def ssrf_fetch(project: Project) -> Iterator[Hit]:
    """Outbound fetch to a URL or host the client chooses.

    What it finds: `fetch(url)` / `new Request(url)` / a Fastly backend whose URL's scheme or host comes from
    request data (a query parameter, header, path parameter, body field) — not when request data only fills in
    the path after a fixed `https://host/`.

    Why it matters: the Worker becomes a proxy into anything it can reach with its identity: internal
    services behind Access or IP allow-lists, cloud metadata, other tenants' origins — with the Worker's
    credentials attached if it adds them.

    Example: `return fetch(url.searchParams.get("target"))`

    Fix: map a client-supplied name to a fixed URL from an allow-list, or build the URL with a fixed origin
    (`new URL(path, env.ORIGIN_URL)`) and validate the path.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if not _is_fetch(ev):
            continue
        labs = _ssrf_labels(ev.arg(0))
        if not labs:
            continue
        lab = labs[0]
        hits.add(
            ev.path,
            ev.node.line,
            f"outbound fetch to a URL from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)})",
            column=ev.node.col,
            key="REQ009",
            extra=flow(lab, ev.path, ev.node.line, "fetch URL"),
        )
    yield from hits


@rule("REQ010", "sql-from-request", severity="high")
def sql_from_request(project: Project) -> Iterator[Hit]:
    """SQL statement text built from request data.

    What it finds: D1 `prepare` / `exec`, Durable Object `storage.sql.exec`, or the `query` / `execute` of a SQL
    client (Hyperdrive, `pg`, `mysql2`, `@neondatabase/serverless`, `@planetscale/database`, postgres.js
    `unsafe`) whose statement text (not a bound parameter) carries request data.

    Why it matters: SQL injection: the client reads or changes any row, in every tenant's data.

    Example: `env.DB.prepare(`SELECT * FROM notes WHERE owner = '${url.searchParams.get("u")}'`)`

    Fix: use placeholders and bind: `env.DB.prepare("SELECT * FROM notes WHERE owner = ?").bind(owner)`.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if ev.method not in ("prepare", "exec", "query", "batch", "execute", "unsafe"):
            continue
        kinds = _binding_kind(ev)
        d = ev.node.dotted or ""
        is_sql = any(lab.kind == "sql" for lab in ev.recv)
        if not (kinds & {"d1", "hyperdrive"} or is_sql or ".sql." in d):
            continue
        if ev.method in ("execute", "unsafe") and not is_sql:
            continue
        a0 = ev.arg_node(0)
        if isinstance(a0, ir.Object):  # node-postgres / mysql2 query config: `{ text | sql, values }`
            a0 = a0.get("text") or a0.get("sql")
            if a0 is None:
                continue
        if isinstance(a0, ir.Literal):
            continue
        labs = of(ev.arg(0), "req")
        if not labs:
            continue
        lab = labs[0]
        hits.add(
            ev.path,
            ev.node.line,
            f"SQL text built from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)}) instead of bound "
            "parameters",
            column=ev.node.col,
            key="REQ010",
            extra=flow(lab, ev.path, ev.node.line, "SQL text"),
        )
    yield from hits


@rule("REQ013", "dynamic-backends", severity="medium", platforms=("fastly",))
def dynamic_backends(project: Project) -> Iterator[Hit]:
    """Fastly dynamic backends enabled or used (JavaScript SDK part).

    What it finds: `allowDynamicBackends(true)` (`fastly:experimental`), `new Backend({...})`
    (`fastly:backend`), or — in `@fastly/js-compute` 3.24.0 and later, where `fetch()` without a `backend`
    option creates a dynamic backend whenever the service allows them — `fetch` calls without `backend` and no
    call to `enforceExplicitBackends()`.

    Why it matters: outbound requests are no longer limited to the backends declared for the service; with
    request data in the URL this is SSRF to any host, with the service's TLS identity.

    Example: `allowDynamicBackends(true); await fetch(userUrl);`

    Fix: declare backends and pass `{ backend: "origin" }` to every `fetch`; call `enforceExplicitBackends()`
    at start-up.
    """
    hits = Hits(project)
    an = flows(project)
    fastly_js = [u for u in project.fact(units) if u.kind == "fastly" and (u.language or "") == "javascript"]
    for ev in an.calls:
        if ev.ctx.unit is None or ev.ctx.unit.kind != "fastly":
            continue
        if ev.name == "fastly:experimental#allowDynamicBackends":
            a = ev.arg_node(0)
            if isinstance(a, ir.Literal) and a.value is False:
                continue
            hits.add(ev.path, ev.node.line, "dynamic backends enabled", column=ev.node.col, key="REQ013")
        elif ev.name == "fastly:backend#Backend" and ev.node.new:
            hits.add(
                ev.path,
                ev.node.line,
                "dynamic backend created: the outbound target is not a declared backend",
                column=ev.node.col,
                key="REQ013",
            )
    for unit in fastly_js:
        evs = [e for e in an.calls if e.ctx.unit is unit]
        if any(e.name == "fastly:backend#enforceExplicitBackends" for e in evs):
            continue
        v = None
        loose = []
        for e in evs:
            if _is_fetch(e):
                init = e.arg_node(1)
                if isinstance(init, ir.Object) and init.get("backend") is not None:
                    continue
                if isinstance(init, ir.Name):
                    continue
                loose.append(e)
        if not loose:
            continue
        v = lib_version(project, loose[0], "@fastly/js-compute")
        if v is None or v < (3, 24, 0):
            continue  # before 3.24.0 the JS runtime kept dynamic backends off unless allowDynamicBackends(true)
        e = loose[0]
        hits.add(
            e.path,
            e.node.line,
            f"`fetch` without a `backend` on @fastly/js-compute {'.'.join(map(str, v))} and no "
            "`enforceExplicitBackends()`: a dynamic backend may be created for any URL",
            column=e.node.col,
            key="REQ013",
            confidence=Confidence.MEDIUM,
        )
    yield from hits


@rule("REQ014", "timing-unsafe-secret-compare", severity="medium")
def timing_unsafe_secret_compare(project: Project) -> Iterator[Hit]:
    """A secret compared with a plain equality operator.

    What it finds: `==`, `===`, `!=`, `!==` (Python `==` / `!=`) between the value of a secret binding (or a
    value derived from it) and another non-constant value, such as a token from the request; and Basic-auth
    credentials decoded from the `Authorization` header (`atob(...).split(":")`) compared with a string literal
    (the literal password is also reported as SEC009).

    Why it matters: plain string comparison stops at the first differing character; response timing reveals
    how many leading characters matched, and the secret can be recovered byte by byte.

    Example: `if (request.headers.get("x-api-key") === env.API_KEY)`

    Fix: compare digests with `crypto.subtle.timingSafeEqual` (Workers), `hmac.compare_digest` (Python),
    after checking lengths.
    """
    hits = Hits(project)
    for c in flows(project).compares:
        if c.node.op not in ("==", "===", "!=", "!=="):
            continue
        for val, other_node in ((c.left, c.node.right), (c.right, c.node.left)):
            secrets = of(val, "secret")
            if not secrets or isinstance(other_node, ir.Literal):
                continue
            if isinstance(other_node, ir.Unary) and other_node.op == "typeof":
                continue
            origin = secrets[0].where()
            here = f"{c.ctx.path}:{c.node.line}"
            via = "" if origin == here else f" (from {origin})"
            hits.add(
                c.ctx.path,
                c.node.line,
                f"{secrets[0].describe()} compared with `{c.node.op}`{via}: not constant-time",
                column=c.node.col,
                key="REQ014",
            )
            break
    yield from hits
