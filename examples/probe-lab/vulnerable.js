// probe-lab: a gateway with the mistakes `edgeward probe` looks for. FOR LOCAL TESTS ONLY — never deploy.
// Each mistake is marked with the PRB rule that proves it. Plain JavaScript and WebCrypto, no bundling.
//
// Bindings (see lab.capnp): ORIGIN_URL, PUBLIC_KEY_PEM (the RSA/EC public key), RATE_LIMIT, LIMITER.

const enc = (s) => new TextEncoder().encode(s);
const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const text = (s) => new TextDecoder().decode(b64(s));

function pemToDer(pem) {
  return b64(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
}

async function verify(token, env) {
  const [h, p, s] = token.split(".");
  const header = JSON.parse(text(h));
  const claims = JSON.parse(text(p));
  const data = enc(`${h}.${p}`);
  const alg = String(header.alg);
  // MISTAKE (PRB002): the token chooses "none" and skips verification.
  if (alg.toLowerCase() === "none") return claims;
  // MISTAKE (PRB003): the token chooses HMAC, keyed with the public key's PEM text.
  if (alg === "HS256") {
    const key = await crypto.subtle.importKey(
      "raw", enc(env.PUBLIC_KEY_PEM), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    return (await crypto.subtle.verify("HMAC", key, b64(s), data)) ? claims : null;
  }
  if (alg === "RS256") {
    const key = await crypto.subtle.importKey(
      "spki", pemToDer(env.PUBLIC_KEY_PEM), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    return (await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, b64(s), data)) ? claims : null;
  }
  if (alg === "ES256") {
    const key = await crypto.subtle.importKey(
      "spki", pemToDer(env.PUBLIC_KEY_PEM), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    return (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, b64(s), data)) ? claims : null;
  }
  return null;
  // MISTAKE (PRB004, PRB005, PRB006, PRB007): exp, nbf, iss and aud are never looked at.
}

async function allowed(env, key) {
  const stub = env.LIMITER.get(env.LIMITER.idFromName(key));
  const res = await stub.fetch("https://limiter/", { method: "POST", body: JSON.stringify({ limit: Number(env.RATE_LIMIT), window: 60 }) });
  return (await res.json()).ok;
}

export default {
  async fetch(request, env) {
    // MISTAKE (PRB009): the limit is keyed on a header the client chooses.
    const client = request.headers.get("X-Forwarded-For") || request.headers.get("CF-Connecting-IP") || "anonymous";
    if (!(await allowed(env, client))) {
      return new Response("rate limited\n", { status: 429, headers: { "Retry-After": "60" } });
    }
    // MISTAKE (PRB008): every client header is forwarded, X-User-* / X-Verified-* / X-Internal-* included.
    const headers = new Headers(request.headers);
    const auth = request.headers.get("Authorization");
    // MISTAKE (PRB001): without a token the request is forwarded anyway, "anonymously".
    if (auth) {
      let claims = null;
      try {
        claims = await verify(auth.replace(/^Bearer\s+/i, ""), env);
      } catch {
        claims = null;
      }
      if (!claims) return new Response("invalid token\n", { status: 401 });
      // MISTAKE (PRB008): the client's X-User-Id wins over the verified subject.
      if (!headers.has("X-User-Id")) headers.set("X-User-Id", String(claims.sub));
      headers.delete("Authorization");
    }
    const url = new URL(request.url);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers });
  },
};

// A fixed-window counter per key (in-memory Durable Object storage in the lab).
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
