"""The fast paths of the analysis internals give exactly what the plain versions give."""

from __future__ import annotations

import gc

from edgeward.engine import bulk_allocation
from edgeward.lang import ir, js, rust, rust_ir
from edgeward.lang.tsparse import changed_ranges, parser, reparse, walk

TS = """
import { helper } from "./util";
export async function handle(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const { a, b: [c, , d] = [] } = await request.json();
  if (url.pathname === "/x") { console.log(`seen ${a}`, { k: c, ...d }); }
  try { helper(env.KEY, url.searchParams.get("q") ?? "") } catch (e) { throw e } finally { }
  for (const x of [1, 2]) { await env.KV.put(`k:${x}`, String(x)); }
  return new Response(a ? "y" : "n", { status: 200 });
}
class Room extends DurableObject { count = 0; fetch(req) { return this.count++; } }
"""

RS = """
use fastly::{Request, Response};
fn main(req: Request) -> Response {
    let t = req.get_header_str("x").unwrap_or_default();
    log::info!(target: "sec", "seen {} {}", t, 1);
    let v = serde_json::json!({ "a": t, "b": [1, 2] });
    println!("{v}");
    Response::from_status(200)
}
"""


def _reference_children(node: ir.Node) -> list[ir.Node]:
    """The generic rule the compiled helpers follow (slots in order, lists flattened, tuples' nodes)."""
    out: list[ir.Node] = []
    for name in ir._child_fields(type(node)):
        v = getattr(node, name)
        if v is None:
            continue
        if isinstance(v, list):
            for item in v:
                if isinstance(item, tuple):
                    out.extend(x for x in item if isinstance(x, ir.Node))
                elif item is not None:
                    out.append(item)
        elif isinstance(v, ir.Node):
            out.append(v)
    return out


def _reference_walk(node: ir.Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(_reference_children(n)))


def test_walk_and_children_match_the_generic_rule():
    for mod in (js.parse("src/a.ts", TS), rust_ir.parse("src/main.rs", RS)):
        expected = [id(x) for n in mod.body for x in _reference_walk(n)]
        assert [id(x) for x in ir.walk_all(mod.body)] == expected
        assert len(expected) > 40
        for n in ir.walk_all(mod.body):
            assert [id(x) for x in ir.children(n)] == [id(x) for x in _reference_children(n)]
            assert [id(x) for x in ir.walk(n)] == [id(x) for x in _reference_walk(n)]


def test_call_dotted_is_cached_and_correct():
    call = ir.Call(1, 1, 1, ir.Member(1, 1, 1, ir.Name(1, 1, 1, "a"), "b"))
    assert call.dotted == "a.b"
    assert call.dotted == "a.b"
    anon = ir.Call(1, 1, 1, ir.Call(1, 1, 1, ir.Name(1, 1, 1, "f")))
    assert anon.dotted is None and anon.dotted is None
    assert ir.children(call) == [call.callee]


def test_changed_ranges():
    assert changed_ranges(b"abcdef", b"abcdef") == []
    assert changed_ranges(b"abcdef", b"aXcdYY") == [(1, 2), (4, 6)]
    old = b"x" * 300
    new = bytearray(old)
    new[63:66] = b"yyy"
    new[299] = ord("z")
    assert changed_ranges(old, bytes(new)) == [(63, 66), (299, 300)]


def _shape(tree) -> list[tuple]:
    return [
        (n.type, n.start_byte, n.end_byte, n.start_point, n.end_point, n.has_error)
        for n in walk(tree.root_node)
    ]


def test_incremental_reparse_equals_a_fresh_parse():
    p = parser("rust")
    data = RS.encode()
    tree = p.parse(data)
    rw = rust._rewrite(tree.root_node, data)
    assert rw is not None
    new = bytes(rw.buf)
    assert new != data and len(new) == len(data)
    assert _shape(reparse(p, tree, data, new)) == _shape(p.parse(new))


def test_rust_front_end_still_lowers_macros():
    mod = rust.parse_rust_cached("src/main.rs", RS)
    assert not mod.has_errors
    assert mod.macro_callees


def test_bulk_allocation_restores_the_collector():
    assert gc.isenabled()
    with bulk_allocation():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_allocation():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_cli_main_with_argv_leaves_the_collector_alone(capsys):
    from edgeward.cli import main

    before = gc.get_freeze_count()
    assert main(["--help"]) == 0
    assert gc.get_freeze_count() == before
    assert gc.isenabled()
