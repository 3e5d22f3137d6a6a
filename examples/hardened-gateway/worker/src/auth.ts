// Authentication for the gateway: verified claims only, with issuer, audience, algorithm and expiry pinned.
import { jwtVerify } from "jose";

export interface Claims {
  sub: string;
  tid: string;
}

const encoder = new TextEncoder();

export async function authenticate(request: Request, env: Env): Promise<Claims | null> {
  const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(token, encoder.encode(env.JWT_SIGNING_SECRET), {
      issuer: "https://auth.example.com/",
      audience: "api-gateway",
      algorithms: ["HS256"],
      requiredClaims: ["exp", "sub", "tid"],
    });
    return { sub: String(payload.sub), tid: String(payload.tid) };
  } catch {
    return null;
  }
}
