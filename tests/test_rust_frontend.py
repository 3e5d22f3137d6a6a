"""Rust and Go front ends: macros rewritten into calls with positions kept, `use`/import resolution, lowering
to the shared IR, and hostile input (syntax errors, deep nesting, huge files) becoming notes, not crashes."""

from __future__ import annotations

from conftest import run_scan
from edgeward.lang import ir
from edgeward.lang.go import package_name, parse_go
from edgeward.lang.go_ir import parse as parse_go_ir
from edgeward.lang.rust import parse_rust
from edgeward.lang.rust_ir import parse as parse_rust_ir

RUST = """use fastly::log::{self as flog, Endpoint};
use jsonwebtoken as jwt;
use serde_json::json;

#[fastly::main]
fn main(req: Request) -> Result<Response, Error> {
    let secret = load();
    log::info!(target: "audit", "user {} {secret}", req.get_path());
    println!("{}", format!("{:?}", vec![1, 2]));
    let mut ep = Endpoint::from_name("x");
    writeln!(ep, "{}", json!({"event": "deny", "nested": {"id": 1}, "list": [1, 2]}))?;
    let claims = jwt::decode::<C>(t, &k, &v)?;
    Ok(req.send("origin")?)
}
"""


def _calls(mod: ir.Module) -> list[ir.Call]:
    return [n for n in ir.walk_all(mod.body) if isinstance(n, ir.Call)]


def test_rust_macros_become_calls_at_their_position():
    rf = parse_rust("src/main.rs", RUST)
    assert not rf.has_errors
    assert len(rf.data) == len(RUST.encode())  # rewritten in place: offsets and lines are unchanged
    by_name = {(c.callee, c.line) for c in rf.calls if c.is_macro}
    assert ("log::info", 8) in by_name
    assert ("println", 9) in by_name and ("format", 9) in by_name and ("vec", 9) in by_name
    assert ("writeln", 11) in by_name and ("serde_json::json", 11) in by_name
    info = next(c for c in rf.calls if c.callee == "log::info")
    assert info.target == "audit" and info.column == 5
    assert rf.uses["flog"] == "fastly::log" and rf.uses["jwt"] == "jsonwebtoken"
    assert [f.attributes for f in rf.functions] == [["fastly::main"]]


def test_rust_lowering_templates_objects_and_paths():
    mod = parse_rust_ir("src/main.rs", RUST)
    main = next(mod.functions())
    assert main.exported == "fastly::main"
    calls = {c.dotted: c for c in _calls(mod) if c.dotted}
    info = calls["log.info"]
    tpl = info.args[0]
    assert isinstance(tpl, ir.Template)
    assert [type(p).__name__ for p in tpl.parts] == ["Literal", "Call", "Literal", "Name"]
    assert tpl.parts[3].id == "secret"  # implicit `{secret}` capture
    assert info.kwarg("target").value == "audit"
    assert "fastly.log.Endpoint.from_name" in calls
    assert "jsonwebtoken.decode" in calls  # `use jsonwebtoken as jwt` resolved
    obj = next(n for n in ir.walk_all(mod.body) if isinstance(n, ir.Object))
    assert [p.key for p in obj.props] == ["event", "nested", "list"]
    assert isinstance(obj.props[1].value, ir.Object) and isinstance(obj.props[2].value, ir.Array)
    assert isinstance(main.body[-1], ir.Return)  # the tail expression


def test_rust_blocks_and_patterns():
    src = """fn f(req: Request) -> u8 {
    let v = if let Some(h) = req.get_header_str("x") { h.len() } else { 0 };
    match req.get_path() {
        "/a" => log(1),
        p if p.len() > 3 => { log(p); }
        _ => {}
    }
    let Some(t) = opt else { return 0; };
    let Cfg { a, b: c, .. } = cfg;
    let s = Settings { ttl: 1, ..Default::default() };
    v
}
"""
    mod = parse_rust_ir("a.rs", src)
    f = next(mod.functions())
    kinds = [type(s).__name__ for s in f.body]
    assert kinds[:2] == ["VarDecl", "VarDecl"]  # the `if let` binding is hoisted, then `let v`
    assert isinstance(f.body[1].value, ir.Cond)
    block = next(s for s in f.body if isinstance(s, ir.Block))
    tests = [arm.test for arm in block.body]
    assert isinstance(tests[0], ir.BinOp) and tests[0].right.value == "/a"
    arm2 = block.body[1]
    assert isinstance(arm2.body[0], ir.VarDecl) and ir.names_in(arm2.body[0].target) == ["p"]
    struct = next(n for n in ir.walk_all(f.body) if isinstance(n, ir.Call) and n.new)
    assert [k for k, _ in struct.kwargs] == ["ttl"] and isinstance(struct.args[0], ir.Spread)
    pats = [s.target for s in f.body if isinstance(s, ir.VarDecl) and isinstance(s.target, ir.ObjectPattern)]
    assert [k for k, _, _ in pats[0].props] == ["a", "b"]


def test_go_imports_and_lowering():
    src = """package main

import (
	"github.com/golang-jwt/jwt/v5"
	rt "github.com/fastly/compute-sdk-go/rtlog"
)

func handle(w fsthttp.ResponseWriter, r *fsthttp.Request) {
	v, err := r.Header.Get("x"), 1
	tok, err := jwt.Parse(v, nil)
	l := rt.Open("audit")
	m := map[string]string{"k": v}
	_ = T{Name: v}
}
"""
    assert package_name("github.com/golang-jwt/jwt/v5") == "jwt"
    assert package_name("gopkg.in/yaml.v3") == "yaml"
    gf = parse_go("main.go", src)
    assert gf.imports == {
        "jwt": "github.com/golang-jwt/jwt/v5",
        "rt": "github.com/fastly/compute-sdk-go/rtlog",
    }
    assert [c.callee for c in gf.calls if "/" in c.callee] == [
        "github.com/golang-jwt/jwt/v5.Parse",
        "github.com/fastly/compute-sdk-go/rtlog.Open",
    ]
    mod = parse_go_ir("main.go", src)
    f = next(mod.functions())
    assert f.params[1].type == "*fsthttp.Request"
    decls = [s for s in f.body if isinstance(s, ir.VarDecl)]
    # `tok, err := jwt.Parse(...)`: the first target gets the value
    tok = next(d for d in decls if isinstance(d.target, ir.Name) and d.target.id == "tok")
    assert isinstance(tok.value, ir.Call) and tok.value.dotted == "jwt.Parse"
    assert any(isinstance(d.value, ir.Object) for d in decls)


def test_hostile_sources_become_notes(repo):
    deep = "fn f() -> u32 { " + "(" * 3000 + "1" + ")" * 3000 + " }\n"
    root = repo(
        {
            "fastly.toml": 'language = "rust"\nmanifest_version = 3\nname = "x"\n',
            "src/main.rs": "#[fastly::main]\nfn main(req: Request) -> Result<Response, Error> {\n"
            '    let e = fastly::log::Endpoint::from_name("x")\n    Ok(req.send("origin")?\n}\n',
            "src/deep.rs": deep,
            "src/bin.rs": b"\x00\x01\x02 not rust",
            "src/latin.rs": "// caf\xe9\nfn g() {}\n".encode("latin-1"),
            "main.go": "package main\nfunc main( {\n",
        }
    )
    result = run_scan(root)
    kinds = {(n.path, n.kind) for n in result.notes}
    assert ("src/main.rs", "parse-error") in kinds
    assert ("main.go", "parse-error") in kinds
    assert ("src/bin.rs", "binary") in kinds
    assert ("src/latin.rs", "encoding") in kinds
    # the scan went on: the endpoint of the broken file is still checked
    assert [(f.code, f.path, f.line) for f in result.findings if f.code == "OBS003"] == [
        ("OBS003", "src/main.rs", 3)
    ]


def test_oversized_rust_file_is_skipped(repo, monkeypatch):
    from edgeward.lang import compute_sources, sources

    monkeypatch.setattr(compute_sources, "MAX_SOURCE_BYTES", 100)
    monkeypatch.setattr(sources, "MAX_SOURCE_BYTES", 100)
    root = repo({"fastly.toml": 'language = "rust"\nname = "x"\n', "src/main.rs": "fn main() {}\n" * 20})
    result = run_scan(root)
    assert ("src/main.rs", "skipped") in {(n.path, n.kind) for n in result.notes}


def test_rust_syntax_tour_parses_cleanly():
    # generics, where clauses, raw strings, labels, let-else, guards, async/move closures, macro_rules,
    # tracing fields (`user = %t`), `log!` with a level, named and positional format arguments
    from pathlib import Path

    src = (Path(__file__).parent / "fixtures" / "rust" / "syntax_tour.rs").read_text()
    assert not parse_rust("s.rs", src).has_errors
    mod = parse_rust_ir("s.rs", src)
    assert mod.errors == [] and not mod.partial
    fmt = next(c for c in _calls(mod) if c.dotted == "format")
    parts = fmt.args[0].parts
    # `{raw}` captured, `{:?}` and `{0}` the first positional, `{name}` the named argument
    assert [p.id for p in parts if isinstance(p, ir.Name)] == ["raw", "bytes", "bytes", "t"]


def test_go_syntax_tour_parses_cleanly():
    # generics, embedding, type switch, select with labels, goroutines, defer, composite literals
    from pathlib import Path

    src = (Path(__file__).parent / "fixtures" / "go" / "syntax_tour.go").read_text()
    assert not parse_go("s.go", src).has_errors
    mod = parse_go_ir("s.go", src)
    assert mod.errors == [] and not mod.partial
    names = [f.name for f in mod.functions() if f.name]
    assert names == ["Map", "Admin", "run"]
