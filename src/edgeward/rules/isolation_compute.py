"""Rust and Go parts of the isolation rules: Durable Object names (workers-rs, ISO001) and store keys
(Fastly KV Store, workers-rs KV; ISO003) built from unverified request data. The owning `@rule`s carry
metadata and documentation."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Hit
from edgeward.rules._compute import compute_calls, kinds, unverified_request
from edgeward.rules._lang import Hits, path_of
from edgeward.rules.registry import part
from edgeward.workspace.project import Project

DO_NAME_METHODS = {"id_from_name", "id_from_string", "get_by_name"}
KV_KEY_METHODS = {
    "kvstore": {
        "lookup",
        "lookup_bytes",
        "lookup_str",
        "insert",
        "delete",
        "get",
        "put",
        "put_bytes",
        "list",
    },
    "kvinsert": {"execute"},
    "kvlookup": {"execute"},
}
GO_KV_KEY_METHODS = {"Lookup", "Insert", "Delete"}


@part("ISO001", optional=True)
def do_name_from_request_rust(project: Project) -> Iterator[Hit]:
    """workers-rs `namespace.id_from_name(..)` / `id_from_string(..)` with a name from request data."""
    hits = Hits(project)
    for ev in compute_calls(project):
        if ev.method not in DO_NAME_METHODS or not ev.args:
            continue
        if ev.recv and "donamespace" not in kinds(ev.recv):
            continue
        labs = unverified_request(ev.args[0])
        if not labs:
            continue
        lab = labs[0]
        hits.add(
            ev.path,
            ev.node.line,
            f"Durable Object name from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)}): any client "
            "can address another tenant's object; derive it from verified claims",
            column=ev.node.col,
            key="ISO001",
        )
    yield from hits


@part("ISO003", optional=True)
def store_key_from_request_rust_go(project: Project) -> Iterator[Hit]:
    """Fastly KV Store keys (Rust `KVStore::lookup/insert/delete`, `build_insert().execute`; Go
    `kvstore.Store.Lookup/Insert/Delete`) and workers-rs KV keys built from unverified request data."""
    hits = Hits(project)
    for ev in compute_calls(project):
        rk = kinds(ev.recv)
        if ev.ctx.family == "go":
            if "kvstore" not in rk or ev.method not in GO_KV_KEY_METHODS:
                continue
        elif not any(ev.method in KV_KEY_METHODS.get(k, ()) for k in rk):
            continue
        if not ev.args:
            continue
        labs = unverified_request(ev.args[0])
        if not labs:
            continue
        lab = labs[0]
        hits.add(
            ev.path,
            ev.node.line,
            f"KV Store key from {lab.describe()} ({path_of(lab, ev.path, ev.node.line)}) with no verified "
            "tenant prefix: a client can read or overwrite any key, another tenant's included",
            column=ev.node.col,
            key="ISO003",
        )
    yield from hits
