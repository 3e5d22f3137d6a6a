// probe-lab: the same gateway done right. `edgeward probe` must find nothing here.
// Plain JavaScript and WebCrypto, no bundling.
//
// Bindings (see lab.capnp): ORIGIN_URL, ORIGIN_SECRET (shared with the origin), PUBLIC_JWK (the one key
// trusted, with its alg and kid), ISSUER, AUDIENCE, RATE_LIMIT, LIMITER.

const enc = (s) => new TextEncoder().encode(s);
const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const text = (s) => new TextDecoder().decode(b64(s));

// Identity headers only the gateway may set: deleted from every incoming request, whatever their case.
const TRUSTED_PREFIXES = ["x-verified-", "x-user-", "x-internal-"];
const DROPPED = new Set(["authorization", "host", "x-origin-auth", "x-forwarded-for", "x-real-ip", "true-client-ip"]);
const LEEWAY = 60;
const ALGS = {
  RS256: { verify: "RSASSA-PKCS1-v1_5", import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } },
  ES256: { verify: { name: "ECDSA", hash: "SHA-256" }, import: { name: "ECDSA", namedCurve: "P-256" } },
  ES384: { verify: { name: "ECDSA", hash: "SHA-384" }, import: { name: "ECDSA", namedCurve: "P-384" } },
};

let cachedKey = null;
async function trustedKey(env) {
  if (!cachedKey) {
    const jwk = JSON.parse(env.PUBLIC_JWK);
    const alg = ALGS[jwk.alg];
    if (!alg) throw new Error(`unsupported key alg ${jwk.alg}`);
    const { kty, n, e, crv, x, y } = jwk;
    const key = await crypto.subtle.importKey("jwk", { kty, n, e, crv, x, y }, alg.import, false, ["verify"]);
    cachedKey = { key, alg: jwk.alg, kid: jwk.kid };
  }
  return cachedKey;
}

async function verify(token, env) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [h, p, s] = parts;
  const header = JSON.parse(text(h));
  const trusted = await trustedKey(env);
  // The algorithm is the key's, never the token's choice: no "none", no HS256 with a public key.
  if (header.alg !== trusted.alg) return null;
  if (trusted.kid && header.kid !== trusted.kid) return null;
  const ok = await crypto.subtle.verify(ALGS[trusted.alg].verify, trusted.key, b64(s), enc(`${h}.${p}`));
  if (!ok) return null;
  const claims = JSON.parse(text(p));
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now - LEEWAY) return null; // exp required
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > now + LEEWAY)) return null;
  if (claims.iss !== env.ISSUER) return null;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(env.AUDIENCE)) return null;
  if (typeof claims.sub !== "string" || claims.sub === "") return null;
  return claims;
}

async function allowed(env, key) {
  const stub = env.LIMITER.get(env.LIMITER.idFromName(key));
  const res = await stub.fetch("https://limiter/", { method: "POST", body: JSON.stringify({ limit: Number(env.RATE_LIMIT), window: 60 }) });
  return (await res.json()).ok;
}

const deny = (status, why) => new Response(`${why}\n`, { status, headers: { "WWW-Authenticate": "Bearer" } });

export default {
  async fetch(request, env) {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(request.headers.get("Authorization") || "");
    if (!m) return deny(401, "missing token");
    let claims = null;
    try {
      claims = await verify(m[1], env);
    } catch {
      claims = null;
    }
    if (!claims) return deny(401, "invalid token");
    // Keyed on the verified identity: no client-chosen header resets it.
    if (!(await allowed(env, `sub:${claims.sub}`))) {
      return new Response("rate limited\n", { status: 429, headers: { "Retry-After": "60" } });
    }
    const headers = new Headers();
    for (const [name, value] of request.headers) {
      const lower = name.toLowerCase();
      if (DROPPED.has(lower) || TRUSTED_PREFIXES.some((p) => lower.startsWith(p))) continue;
      headers.append(name, value);
    }
    headers.set("X-User-Id", claims.sub);
    // The origin answers only requests carrying this secret (a stand-in for mTLS / authenticated origin pulls).
    headers.set("X-Origin-Auth", env.ORIGIN_SECRET);
    const url = new URL(request.url);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers });
  },
};

export class Limiter {
  constructor(state) {
    this.storage = state.storage;
  }
  async fetch(request) {
    const { limit, window } = await request.json();
    const now = Date.now();
    let w = (await this.storage.get("w")) || { count: 0, reset: 0 };
    if (now >= w.reset) w = { count: 0, reset: now + window * 1000 };
    w.count += 1;
    await this.storage.put("w", w);
    return Response.json({ ok: w.count <= limit });
  }
}
