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

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (await rateLimited(request, env)) return new Response("slow down", { status: 429 });
    if (url.pathname.startsWith("/tenant/")) return tenantState(request, env);
    const claims = await authenticate(request, env);
    const upstream = new URL(url.pathname + url.search, env.ORIGIN_URL);
    const headers = new Headers(request.headers);
    headers.set("X-Api-Key", env.UPSTREAM_API_KEY);
    if (claims) headers.set("X-User-Id", claims.sub);
    return fetch(upstream.toString(), {
      method: request.method,
      headers,
      body: request.body,
      cf: { cacheEverything: true, cacheTtl: 120 },
    });
  },
};
