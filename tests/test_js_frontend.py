"""Front ends and the parsed-modules fact: IR shapes, positions, hostile input, the BL-19 REQ003 part."""

from __future__ import annotations

from conftest import copy_case, make_repo, run_scan
from edgeward.lang import ir, js, python
from edgeward.lang.sources import MAX_SOURCE_BYTES, modules
from edgeward.workspace.project import Project


def test_js_lowering_shapes():
    src = (
        'import jwt, { a as b } from "x";\n'
        "export default { async fetch(request: Request, env: Env) {\n"
        "  const { pathname, q: r = 1, ...rest } = new URL(request.url);\n"
        "  console.log(`${pathname}!`, (env as any).K!, { ...rest, k: 1 });\n"
        "} };\n"
    )
    mod = js.parse("a.ts", src)
    imp = mod.body[0]
    assert isinstance(imp, ir.Import) and imp.source == "x" and imp.names == [("default", "jwt"), ("a", "b")]
    fetch = next(mod.functions())
    assert fetch.name == "fetch" and fetch.is_async and [p.type for p in fetch.params] == ["Request", "Env"]
    decl = fetch.body[0]
    assert isinstance(decl, ir.VarDecl) and decl.kind == "const" and decl.line == 3
    assert [k for k, _, _ in decl.target.props] == ["pathname", "q", None]
    assert isinstance(decl.value, ir.Call) and decl.value.new and decl.value.dotted == "URL"
    call = fetch.body[1].expr
    assert call.dotted == "console.log" and (call.line, call.col) == (4, 3)
    tpl, member, obj = call.args
    assert isinstance(tpl, ir.Template) and isinstance(tpl.parts[0], ir.Name)
    assert (
        isinstance(member, ir.Member) and member.prop == "K" and ir.dotted(member) == "env.K"
    )  # as/! dropped
    assert obj.props[0].spread and obj.get("k").value == 1


def test_python_lowering_shapes():
    mod = python.parse(
        "w.py",
        "from workers import Response\nclass D:\n    async def fetch(self, request):\n"
        "        print(f'{self.env.K[:4]}', sep='')\n        return Response('x', status=401)\n",
    )
    cls = mod.body[1]
    assert isinstance(cls, ir.Class) and cls.methods[0].name == "fetch"
    call = cls.methods[0].body[0].expr
    assert call.dotted == "print" and call.kwargs[0][0] == "sep"
    part = call.args[0].parts[0]
    assert isinstance(part, ir.Call) and part.method == "slice"  # a slice keeps part of the value


def test_hostile_sources_become_notes(tmp_path):
    deep = "const x = " + "[" * 3000 + "]" * 3000 + ";\n"
    files = {
        "wrangler.toml": 'name = "w"\nmain = "src/index.js"\n',
        "src/index.js": "export default { fetch(request) { console.log(request.url); } };\n",
        "src/broken.ts": "export function f( {\n  return 1;\n",
        "src/deep.js": deep,
        "src/big.js": "var a=1;" * (MAX_SOURCE_BYTES // 8 + 10),
        "py/wrangler.toml": 'name = "p"\nmain = "src/entry.py"\n',
        "py/src/bad.py": "def f(:\n",
        "scripts/deploy.py": "print(env.SECRET)\n",
        "src/index.test.js": "console.log(request.url)\n",
        "dist/bundle.js": "console.log(env.SECRET)\n",
        "src/latin1.js": b"const s = '\xff\xfe';\nexport default s;\n",
    }
    root = make_repo(tmp_path / "r", files)
    project = Project.load(root)
    mods = project.fact(modules)
    assert "src/index.js" in mods and "dist/bundle.js" not in mods and "src/big.js" not in mods
    kinds = {(n.path, n.kind) for n in project.notes}
    assert ("src/broken.ts", "parse-error") in kinds
    assert ("py/src/bad.py", "parse-error") in kinds
    assert "scripts/deploy.py" not in mods and "src/index.test.js" not in mods  # not Worker source
    assert ("src/big.js", "skipped") in kinds
    assert ("src/latin1.js", "encoding") in kinds
    assert ("src/deep.js", "partial") in kinds
    result = run_scan(root)  # the scan goes on
    assert [(f.code, f.path, f.line) for f in result.findings if f.code == "SEC006"] == [
        ("SEC006", "src/index.js", 1)
    ]


def test_bl19_req003_only_on_vulnerable_api(tmp_path):
    root = copy_case("BL-19-hono-jwk-alg", tmp_path / "bl19")
    result = run_scan(root)
    got = sorted((f.code, f.path, f.line) for f in result.findings if f.code == "REQ003")
    assert got == [("REQ003", "api/src/index.ts", 6)]
    msg = next(f.message for f in result.findings if f.code == "REQ003")
    assert "4.11.3" in msg
