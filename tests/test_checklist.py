"""The checklist view: pass needs positive evidence, absent features are not applicable, and a finding fails."""

from conftest import make_repo
from edgeward.engine import scan

WRANGLER = 'name = "w"\nmain = "src/index.js"\nworkers_dev = false\nlogpush = true\n'
PLAIN = "export default { async fetch(request, env) { return new Response('ok'); } };\n"


def rows(root):
    return {r.item: (r.status, r.note) for r in scan(root).checklist}


def test_absent_durable_objects_and_forwarding_are_not_applicable(tmp_path):
    root = make_repo(tmp_path / "a", {"wrangler.toml": WRANGLER, "src/index.js": PLAIN})
    r = rows(root)
    assert r[4] == ("not-applicable", "no Durable Object namespace is bound or addressed by name")
    assert r[5][0] == "not-applicable"  # no Fastly app
    assert r[6] == ("not-applicable", "no request is forwarded to an origin")
    assert r[12] == ("not-applicable", "no identity header is forwarded to an origin")
    assert r[11][0] == "not-verifiable"  # no JWT validation in source: it may happen elsewhere
    assert r[13][0] == "not-verifiable"  # no rate limiting in source
    assert r[16][0] == "not-verifiable"


def test_bound_but_unused_durable_object_is_not_verifiable(tmp_path):
    cfg = WRANGLER + '[[durable_objects.bindings]]\nname = "ROOMS"\nclass_name = "Room"\n'
    root = make_repo(tmp_path / "b", {"wrangler.toml": cfg, "src/index.js": PLAIN})
    assert rows(root)[4][0] == "not-verifiable"


def test_durable_object_from_verified_claims_passes_with_its_location(tmp_path):
    src = """\
import { jwtVerify } from "jose";
export default {
  async fetch(request, env) {
    const token = request.headers.get("authorization")?.slice(7) ?? "";
    const { payload } = await jwtVerify(token, env.KEY, { issuer: "i", audience: "a", requiredClaims: ["exp"], algorithms: ["HS256"] });
    const stub = env.ROOMS.get(env.ROOMS.idFromName(payload.sub));
    return stub.fetch(request);
  },
};
"""
    cfg = WRANGLER + '[[durable_objects.bindings]]\nname = "ROOMS"\nclass_name = "Room"\n'
    root = make_repo(tmp_path / "c", {"wrangler.toml": cfg, "src/index.js": src})
    r = rows(root)
    assert r[4] == ("pass", "Durable Object names derived in source analysed (first at src/index.js:6)")


def test_finding_fails_the_item_with_its_fingerprint(tmp_path):
    src = """\
export default {
  async fetch(request, env) {
    const stub = env.ROOMS.get(env.ROOMS.idFromName(request.headers.get("x-tenant")));
    return stub.fetch(request);
  },
};
"""
    cfg = WRANGLER + '[[durable_objects.bindings]]\nname = "ROOMS"\nclass_name = "Room"\n'
    root = make_repo(tmp_path / "d", {"wrangler.toml": cfg, "src/index.js": src})
    result = scan(root)
    row = next(r for r in result.checklist if r.item == 4)
    iso = [f for f in result.findings if f.code == "ISO001"]
    assert row.status == "fail" and row.findings == [f.fingerprint for f in iso] and iso[0].line == 3


def test_workers_kv_finding_does_not_fail_the_fastly_kv_item(tmp_path):
    src = """\
export default {
  async fetch(request, env) {
    const user = new URL(request.url).searchParams.get("user");
    return new Response(await env.PROFILES.get(`profile:${user}`));
  },
};
"""
    cfg = WRANGLER + '[[kv_namespaces]]\nbinding = "PROFILES"\nid = "abc123"\n'
    root = make_repo(tmp_path / "k", {"wrangler.toml": cfg, "src/index.js": src})
    result = scan(root)
    assert [(f.code, f.line) for f in result.findings if f.code == "ISO003"] == [("ISO003", 4)]
    assert next(r for r in result.checklist if r.item == 5).status == "not-applicable"


def test_empty_directory_says_nothing_was_found(tmp_path):
    root = make_repo(tmp_path / "e", {"README.md": "# not an edge app\n"})
    result = scan(root)
    assert [(n.path, n.kind) for n in result.notes] == [(None, "no-apps")]


def test_req014_message_does_not_repeat_its_own_location(tmp_path):
    src = """\
export default {
  async fetch(request, env) {
    if (request.headers.get("x-debug") === env.DEBUG_TOKEN) return new Response("debug");
    return new Response("ok");
  },
};
"""
    root = make_repo(tmp_path / "r", {"wrangler.toml": WRANGLER, "src/index.js": src})
    (f,) = [f for f in scan(root).findings if f.code == "REQ014"]
    assert (f.line, f.message) == (3, "secret `env.DEBUG_TOKEN` compared with `===`: not constant-time")
