"""Rust and Go platform knowledge for the shared taint engine, merged additively into `lang/knowledge.py`.

The tables live in `data/compute_sdk.json` (section `engine`): what Fastly Rust/Go SDK, workers-rs and JWT
crate calls return, request getters by receiver kind, and parameter roles by declared type. `install()` is
idempotent; it runs when the Rust/Go front ends are registered.
"""

from __future__ import annotations

import re

from edgeward.lang import knowledge as K
from edgeward.lang.compute_sources import knowledge

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    eng = knowledge()["engine"]
    for fam, table in eng["call_results"].items():
        K.CALL_RESULTS.setdefault(fam, {}).update({k: tuple(v) for k, v in table.items()})
    for fam, table in eng["method_results"].items():
        K.METHOD_RESULTS.setdefault(fam, {}).update({k: tuple(v) for k, v in table.items()})
    for fam, names in eng["passthrough_methods"].items():
        K.PASSTHROUGH_METHODS.setdefault(fam, set()).update(names)
    for kind, table in eng["methods"].items():
        target = K.METHODS.setdefault(kind, {})
        for k, v in table.items():
            target.setdefault(k, tuple(v))
    for kind, table in eng["members"].items():
        target = K.MEMBERS.setdefault(kind, {})
        for k, v in table.items():
            target.setdefault(k, tuple(v))
    for rx, role in eng["param_roles_by_type"]:
        K.PARAM_ROLES_BY_TYPE.append((re.compile(rx), role))
