// Entry module of the gateway Worker.
import { authenticate } from "./auth";
import { rateLimited } from "./ratelimit";
import { tenantState, TenantState } from "./tenant";

export { TenantState };

export interface Env {
  ORIGIN_URL: string;
  UPSTREAM_API_KEY: string;
  JWT_SIGNING_SECRET: string;
  SESSIONS: KVNamespace;
  TENANT_STATE: DurableObjectNamespace<TenantState>;
}

const TRUSTED_HEADERS = ["x-user-id", "x-tenant-id", "x-api-key"];

function deny(request: Request, status: number, reason: string): Response {
  console.log(
    JSON.stringify({
      event: "request.denied",
      reason,
      status,
      path: new URL(request.url).pathname,
      ray: request.headers.get("cf-ray"),
      ts: new Date().toISOString(),
    }),
  );
  return new Response(reason, { status });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const claims = await authenticate(request, env);
    if (!claims) return deny(request, 401, "unauthorized");
    if (await rateLimited(env, claims)) return deny(request, 429, "rate limited");
    if (url.pathname.startsWith("/tenant/")) return tenantState(request, env, claims);
    const upstream = new URL(url.pathname + url.search, env.ORIGIN_URL);
    const headers = new Headers(request.headers);
    for (const name of TRUSTED_HEADERS) headers.delete(name);
    headers.set("X-Api-Key", env.UPSTREAM_API_KEY);
    headers.set("X-User-Id", claims.sub);
    headers.set("X-Tenant-Id", claims.tid);
    return fetch(upstream.toString(), { method: request.method, headers, body: request.body });
  },
};
