// Entry module of the gateway Worker.
export interface Env {
  ORIGIN_URL: string;
  UPSTREAM_API_KEY: string;
  SESSIONS: KVNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const upstream = new URL(url.pathname + url.search, env.ORIGIN_URL);
    const headers = new Headers(request.headers);
    headers.set("X-Api-Key", env.UPSTREAM_API_KEY);
    return fetch(upstream.toString(), { method: request.method, headers, body: request.body });
  },
};
