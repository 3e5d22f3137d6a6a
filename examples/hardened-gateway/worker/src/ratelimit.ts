// Rate limiting keyed on the verified identity, counted in a Durable Object (strongly consistent).
import type { Claims } from "./auth";

export async function rateLimited(env: Env, claims: Claims): Promise<boolean> {
  const limiter = env.TENANT_STATE.get(env.TENANT_STATE.idFromName(`rl:${claims.tid}:${claims.sub}`));
  return limiter.hit(100);
}
