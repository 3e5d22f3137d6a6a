// Per-tenant state: the Durable Object and the KV keys come from verified claims only.
import { DurableObject } from "cloudflare:workers";
import type { Claims } from "./auth";

export async function tenantState(request: Request, env: Env, claims: Claims): Promise<Response> {
  const stub = env.TENANT_STATE.get(env.TENANT_STATE.idFromName(`tenant:${claims.tid}`));
  await env.SESSIONS.put(`${claims.tid}:last-seen`, new Date().toISOString(), { expirationTtl: 86400 });
  return stub.fetch(request);
}

export class TenantState extends DurableObject {
  async fetch(request: Request): Promise<Response> {
    await this.ctx.storage.put("last", Date.now());
    await this.ctx.storage.setAlarm(Date.now() + 86_400_000);
    return new Response("ok");
  }

  async hit(limit: number): Promise<boolean> {
    const count = ((await this.ctx.storage.get<number>("hits")) ?? 0) + 1;
    await this.ctx.storage.put("hits", count);
    if (count === 1) await this.ctx.storage.setAlarm(Date.now() + 60_000);
    return count > limit;
  }

  async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
