// Per-tenant state — the tenant comes from a header the client sets.
import { DurableObject } from "cloudflare:workers";

let currentTenant = "";

export async function tenantState(request: Request, env: Env): Promise<Response> {
  const tenant = request.headers.get("x-tenant-id") ?? "public";
  currentTenant = tenant;
  const stub = env.TENANT_STATE.get(env.TENANT_STATE.idFromName(tenant));
  await env.SESSIONS.put(`${tenant}:last-seen`, new Date().toISOString());
  return stub.fetch(request);
}

export class TenantState extends DurableObject {
  async fetch(request: Request): Promise<Response> {
    await this.ctx.storage.put("last", Date.now(), { expirationTtl: 86400 } as any);
    return new Response(`tenant ${currentTenant}`);
  }
}
