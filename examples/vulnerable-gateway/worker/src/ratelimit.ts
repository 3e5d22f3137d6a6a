// Rate limiting keyed on a header the client controls, with counters in eventually consistent KV.
export async function rateLimited(request: Request, env: Env): Promise<boolean> {
  const ip = request.headers.get("x-forwarded-for") ?? "unknown";
  const count = Number((await env.SESSIONS.get(`rl:${ip}`)) ?? "0");
  await env.SESSIONS.put(`rl:${ip}`, String(count + 1), { expirationTtl: 60 });
  return count > 100;
}
