"""Platform knowledge as data: what values mean, keyed by language where it differs.

The taint engine (`lang/taint.py`) reads these tables; it has no platform names of its own. Another front
end adds its language by adding entries (e.g. `LOG_CALLS["rust"]`), not engine code.

Vocabulary
    A value is a set of labels. Object labels say what a value *is* (the incoming `request`, its `headers`,
    a parsed `url`, the `env` bindings object, a Hono context `hono`, Durable Object `storage`...). Data
    labels say where its content *came from*: `req` (client-controlled request data; `detail` says which part:
    `url`, `path`, `search`, `query:<name>`, `param:<name>`, `header:<name>`, `cookie`, `body`, `host`),
    `secret` (a secret binding, `detail` = its name), `verified` (claims returned by a JWT verify call),
    `decoded` (claims of a decode-only call), `ip` (the client IP set by the platform), `allowed` (a value
    that passed an explicit allow-list).
"""

from __future__ import annotations

import re

# Languages the generic source rules (rules/*_source.py, secrets_logging, request_jwt, request_headers,
# observability_source) report on. A front end for another language adds its family here to reuse them as they
# are, or leaves it out and registers `@part` implementations that read `lang.taint.analysis` itself.
GENERIC_RULE_FAMILIES = {"javascript", "python"}

# ------------------------------------------------------------------------------ parameters by role
# A parameter whose name (or declared type) says what it is gets that object label.
PARAM_ROLES_BY_NAME = {
    "request": "request",
    "req": "request",
    "env": "env",
    "c": "hono",
    "state": "do_state",
    "event": "fetchevent",
    "context": "pagesctx",
}
# Destructured parameters (`({ request, env, params }) => ...`, Pages Functions) by property name.
PARAM_PROPS = {"request": "request", "env": "env", "params": "reqparams", "req": "request"}
PARAM_ROLES_BY_TYPE = [  # (regex on the declared type text, role)
    (re.compile(r"^(Request|IncomingRequest|Request<.*>)$"), "request"),
    (re.compile(r"^Context(<.*>)?$"), "hono"),
    (re.compile(r"^DurableObjectState$"), "do_state"),
    (re.compile(r"^(Env|Bindings|CloudflareBindings)$"), "env"),
]

# ------------------------------------------------------------------------------ member access
# (object label kind, property) -> ("obj", kind) | ("req", detail) | ("secret", None)...
MEMBERS: dict[str, dict[str, tuple[str, str]]] = {
    "request": {
        "headers": ("obj", "headers"),
        "url": ("req", "url"),
        "body": ("req", "body"),
        "params": ("obj", "reqparams"),  # itty-router
        "query": ("obj", "reqquery"),  # itty-router
        "cookies": ("obj", "cookies"),
    },
    "url": {
        "pathname": ("req", "path"),
        "path": ("req", "path"),
        "search": ("req", "search"),
        "query": ("req", "search"),
        "hash": ("req", "search"),
        "href": ("req", "url"),
        "searchParams": ("obj", "params"),
        "host": ("req", "host"),
        "hostname": ("req", "host"),
        "netloc": ("req", "host"),
        "origin": ("req", "host"),
    },
    "fetchevent": {"request": ("obj", "request")},
    "pagesctx": {"request": ("obj", "request"), "env": ("obj", "env"), "params": ("obj", "reqparams")},
    "hono": {"req": ("obj", "hono_req"), "env": ("obj", "env"), "var": ("obj", "hono_var")},
    "hono_req": {"url": ("req", "url"), "path": ("req", "path"), "raw": ("obj", "request")},
    "this": {
        "env": ("obj", "env"),
        "ctx": ("obj", "do_state"),
        "state": ("obj", "do_state"),
        "storage": ("obj", "storage"),
    },
    "do_state": {"storage": ("obj", "storage")},
    "storage": {"sql": ("obj", "sql")},
    "response": {"headers": ("obj", "respheaders")},
    "caches": {"default": ("obj", "cache")},
}
# Any property of these objects is request data of the given detail prefix.
ANY_MEMBER = {"reqparams": "param", "reqquery": "query", "cookies": "cookie", "headers": "header"}
# Reading these properties of data keeps nothing of it (length or presence is fine).
DROP_PROPS = {"length", "size", "byteLength", "status", "ok"}

# (object label kind, method) -> result
METHODS: dict[str, dict[str, tuple[str, str]]] = {
    "headers": {"get": ("req", "header"), "entries": ("req", "header:*"), "getAll": ("req", "header")},
    "params": {"get": ("req", "query"), "getAll": ("req", "query"), "toString": ("req", "search")},
    "request": {
        "json": ("req", "body"),
        "text": ("req", "body"),
        "formData": ("req", "body"),
        "arrayBuffer": ("req", "body"),
        "blob": ("req", "body"),
        "clone": ("obj", "request"),
    },
    "hono_req": {
        "header": ("req", "header"),
        "query": ("req", "query"),
        "queries": ("req", "query"),
        "param": ("req", "param"),
        "json": ("req", "body"),
        "text": ("req", "body"),
        "parseBody": ("req", "body"),
        "formData": ("req", "body"),
        "arrayBuffer": ("req", "body"),
        "valid": ("req", "body"),
        "cookie": ("req", "cookie"),
    },
    "env": {},
    "do_state": {},
    "caches": {"open": ("obj", "cache")},
    "response": {"clone": ("obj", "response")},
    # SQL clients (SQL_CLIENTS below): a pool hands out connections of the same kind
    "sql": {"getConnection": ("obj", "sql"), "connect": ("obj", "sql"), "promise": ("obj", "sql")},
}
# Methods whose result is a boolean, number or digest: the value's content does not flow through.
DROP_METHODS = {
    "has",
    "includes",
    "startsWith",
    "endsWith",
    "test",
    "indexOf",
    "lastIndexOf",
    "localeCompare",
    "digest",
    "sign",
    "verify",
    "timingSafeEqual",
    "compare_digest",
    "isdigit",
    "isalnum",
    "match",
    "encrypt",
    "decrypt",
    "importKey",
    "deriveKey",
    "deriveBits",
    "hash",
    "hmac",
    "createHash",
    "createHmac",
    "hexdigest",
}
DROP_FUNCS = {"Boolean", "typeof", "Number.isFinite", "isNaN", "len", "bool", "hmac.compare_digest"}

# Header names whose values carry credentials (logged = a secret in the logs).
CREDENTIAL_HEADERS = {
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-api-key",
    "cf-access-jwt-assertion",
}
SPOOFABLE_IP_HEADERS = {
    "x-forwarded-for",
    "x-real-ip",
    "true-client-ip",
    "x-client-ip",
    "forwarded",
    "x-cluster-client-ip",
    "fastly-client-ip",
}
PLATFORM_IP_HEADERS = {"cf-connecting-ip", "cf-connecting-ipv6"}
# Headers that carry `scheme credentials` (Basic auth: base64 of `user:password`).
AUTH_HEADERS = {"authorization", "proxy-authorization"}
AUTH_SCHEMES = {"basic", "bearer", "digest", "negotiate", "token", "hoba", "mutual", "aws4-hmac-sha256"}
# Base64 decoders: decoding an Authorization value gives Basic-auth `user:password` (REQ014, SEC009).
BASE64_DECODE_CALLS = {
    "atob",
    "Buffer.from",
    "base64#b64decode",
    "base64#standard_b64decode",
    "base64#urlsafe_b64decode",
    "decodeBase64",
}
SECRETISH_PARAM = re.compile(
    r"(token|secret|key|sig|signature|password|passwd|pwd|auth|session|code|jwt)", re.I
)

# ------------------------------------------------------------------------------ env bindings
# Declared TS types of `env.X` that mean a binding (not a string secret).
BINDING_TYPES = {
    "KVNamespace": "kv",
    "R2Bucket": "r2",
    "D1Database": "d1",
    "DurableObjectNamespace": "do",
    "Fetcher": "service",
    "Queue": "queue",
    "RateLimit": "ratelimit",
    "AnalyticsEngineDataset": "analytics",
    "Ai": "ai",
    "Hyperdrive": "hyperdrive",
    "VectorizeIndex": "vectorize",
    "Vectorize": "vectorize",
    "SecretsStoreSecret": "secretstore",
    "Service": "service",
}
# wrangler config keys that declare bindings: key path -> (kind, name field)
WRANGLER_BINDINGS = {
    "kv_namespaces": ("kv", "binding"),
    "r2_buckets": ("r2", "binding"),
    "d1_databases": ("d1", "binding"),
    "durable_objects.bindings": ("do", "name"),
    "services": ("service", "binding"),
    "queues.producers": ("queue", "binding"),
    "analytics_engine_datasets": ("analytics", "binding"),
    "vectorize": ("vectorize", "binding"),
    "hyperdrive": ("hyperdrive", "binding"),
    "mtls_certificates": ("mtls", "binding"),
    "send_email": ("email", "name"),
    "dispatch_namespaces": ("dispatch", "binding"),
    "workflows": ("workflow", "binding"),
    "unsafe.bindings": ("ratelimit", "name"),
    "ratelimits": ("ratelimit", "name"),
    "secrets_store_secrets": ("secretstore", "binding"),
    "browser": ("browser", "binding"),
    "ai": ("ai", "binding"),
    "assets": ("assets", "binding"),
    "version_metadata": ("version", "binding"),
    # the rest of wrangler's binding keys (config-schema.json `RawConfig`): none of them is a secret
    "images": ("images", "binding"),
    "media": ("media", "binding"),
    "stream": ("stream", "binding"),
    "analytics": ("analytics_sql", "binding"),
    "pipelines": ("pipeline", "binding"),
    "worker_loaders": ("loader", "binding"),
    "vpc_services": ("vpc", "binding"),
    "ai_search_namespaces": ("ai_search", "binding"),
    "ai_search": ("ai_search", "binding"),
    "agent_memory": ("agent_memory", "binding"),
    "k2": ("k2", "binding"),
    "artifacts": ("artifacts", "binding"),
    "flagship": ("flagship", "binding"),
    "logfwdr.bindings": ("logfwdr", "name"),
}
# service-worker format bindings declared as a map `{ NAME = "path" }`: the keys are binding names
WRANGLER_BINDING_MAPS = {"wasm_modules": "wasm", "text_blobs": "text", "data_blobs": "data"}
SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_?KEY|SIGNING|_KEY$|^KEY_|AUTH|HMAC|SALT|PEPPER)",
    re.I,
)

# ------------------------------------------------------------------------------ calls by name
# Canonical callee names: an imported name is "<module>#<name>[.<member>...]" with `default.`/`*.` removed;
# a global is its dotted name. Python Workers' `js` / `workers` modules map to the JS globals.
GLOBAL_MODULES = {"js", "workers", "pyodide.ffi", "cloudflare:workers"}

JWT_VERIFY = {  # canonical name -> library key (for version-aware semantics)
    "jose#jwtVerify": "jose",
    "jose#compactVerify": "jose",
    "jsonwebtoken#verify": "jsonwebtoken",
    "@tsndr/cloudflare-worker-jwt#verify": "@tsndr/cloudflare-worker-jwt",
    "hono/jwt#verify": "hono",
    "hono/utils/jwt/jwt#verify": "hono",
    "jwt#decode": "pyjwt",  # PyJWT: decode verifies unless told not to
    "jwt#api_jwt.decode": "pyjwt",
}
JWT_DECODE_ONLY = {
    "jose#decodeJwt": "jose",
    "jose#decodeProtectedHeader": "jose",
    "jsonwebtoken#decode": "jsonwebtoken",
    "@tsndr/cloudflare-worker-jwt#decode": "@tsndr/cloudflare-worker-jwt",
    "hono/jwt#decode": "hono",
    "hono/utils/jwt/jwt#decode": "hono",
    "jwt#get_unverified_header": "pyjwt",
    "jwt-decode#jwtDecode": "jwt-decode",
    "jwt-decode#default": "jwt-decode",
}
JWT_MIDDLEWARE = {"hono/jwt#jwt": "hono", "hono/jwk#jwk": "hono"}
JWKS_KEYS = {"jose#createRemoteJWKSet", "jose#createLocalJWKSet"}
ASYMMETRIC_KEYS = {"jose#importSPKI", "jose#importX509", "jose#importJWK"}

LOG_CALLS = {
    "javascript": {
        "console.log",
        "console.info",
        "console.warn",
        "console.error",
        "console.debug",
        "console.trace",
        "console.dir",
    },
    "python": {
        "print",
        "console.log",
        "console.info",
        "console.warn",
        "console.error",
        "console.debug",
        "logging.info",
        "logging.warning",
        "logging.error",
        "logging.debug",
        "logging.exception",
        "logging.critical",
    },
}
LOGGER_OBJECTS = re.compile(r"^(log|logger|_logger|LOG|LOGGER|console)$")
LOGGER_METHODS = {
    "log",
    "info",
    "warn",
    "warning",
    "error",
    "debug",
    "trace",
    "exception",
    "critical",
    "fatal",
}

RESPONSE_CTORS = {
    "Response",
    "Response.json",
    "Response.redirect",
    "Response.new",
    "HTTPException",
    "JSONResponse",
}
HONO_RESPONDERS = {"json", "text", "html", "body", "newResponse"}

RATE_LIMIT_NAME = re.compile(r"(rate.?limit|ratelimit|throttl|limiter|quota)", re.I)
RATE_LIMIT_KEY_TEXT = re.compile(r"(rate|limit|throttl|count|quota|^rl[:_-]|hits)", re.I)

IDENTITY_HEADER = re.compile(
    r"^x-(user|auth|authenticated|tenant|account|org|role|roles|scope|scopes|internal|admin|client-id|"
    r"customer|member|email|subject|sub|forwarded-user|forwarded-email|remote-user|jwt|claims|identity|principal|"
    r"verified|edge-auth)",
    re.I,
)
IDENTITY_HEADER_EXACT = {"remote-user", "x-forwarded-user", "x-forwarded-email", "x-remote-user"}


def is_identity_header(name: str) -> bool:
    n = name.strip().lower()
    return n in IDENTITY_HEADER_EXACT or bool(IDENTITY_HEADER.match(n))


CORRELATION_KEYS = re.compile(r"(ray|request.?id|req.?id|trace|correlation|FASTLY_TRACE_ID)", re.I)
TIMESTAMP_KEYS = {
    "ts",
    "timestamp",
    "time",
    "@timestamp",
    "datetime",
    "date",
    "at",
    "occurred_at",
    "event_time",
}
WALL_CLOCK_CALLS = {
    "Date.now",
    "Date",
    "time.time",
    "time.time_ns",
    "datetime.now",
    "datetime.utcnow",
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
}
ELAPSED_CALLS = {
    "performance.now",
    "time.perf_counter",
    "time.monotonic",
    "time.process_time",
    "process.hrtime",
}
DENIAL_STATUS = {401, 403, 429}


# ------------------------------------------------------------------------------ per-language call results
# Filled by the front ends' knowledge modules (e.g. `lang/knowledge_compute.py` for Rust and Go):
# CALL_RESULTS[family][canonical name] and METHOD_RESULTS[family][method] -> ("obj", kind) | (data kind, detail)
# | ("drop", ""); PASSTHROUGH_METHODS[family]: methods that return their receiver (Option/Result plumbing).
CALL_RESULTS: dict[str, dict[str, tuple[str, str]]] = {}
# SQL client libraries (node-postgres, mysql2, postgres.js, Neon, PlanetScale): what they return is an `sql`
# object, whose `query`/`execute` statement text REQ010 checks (the same label as a DO `storage.sql`).
SQL_CLIENTS = {
    f"{mod}#{name}": ("obj", "sql")
    for mod, names in {
        "pg": ("Client", "Pool"),
        "mysql2": ("createConnection", "createPool", "createPoolCluster"),
        "mysql2/promise": ("createConnection", "createPool", "createPoolCluster"),
        "mysql": ("createConnection", "createPool"),
        "@neondatabase/serverless": ("Client", "Pool", "neon"),
        "@planetscale/database": ("connect", "Client"),
        "postgres": ("default",),
    }.items()
    for name in names
}
# Fastly JS Config Store / Edge Dictionary handles (SEC007 reads the keys fetched from them with `get`).
CONFIG_STORES = {
    "fastly:config-store#ConfigStore": ("obj", "configstore"),
    "fastly:dictionary#Dictionary": ("obj", "configstore"),
}
CALL_RESULTS["javascript"] = {**SQL_CLIENTS, **CONFIG_STORES}
METHOD_RESULTS: dict[str, dict[str, tuple[str, str]]] = {}
PASSTHROUGH_METHODS: dict[str, set[str]] = {}
