// Authentication for the gateway — written the way it should NOT be (see ../../hardened-gateway).
import { decodeJwt, jwtVerify } from "jose";

export interface Claims {
  sub: string;
  tid: string;
  role?: string;
}

export async function authenticate(request: Request, env: Env): Promise<Claims | null> {
  const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
  console.log(`auth ${request.method} ${request.url} key=${env.JWT_SIGNING_SECRET.slice(0, 6)}`);
  if (request.headers.get("x-debug-token") === env.JWT_SIGNING_SECRET) return debugClaims(token);
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(env.JWT_SIGNING_SECRET));
    return payload as unknown as Claims;
  } catch {
    return null;
  }
}

function debugClaims(token: string): Claims {
  const claims = decodeJwt(token);
  return { sub: String(claims.sub), tid: String(claims.tid), role: "admin" };
}
