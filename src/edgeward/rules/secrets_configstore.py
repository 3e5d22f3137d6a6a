"""JavaScript part of SEC007: a secret-like key read from a Fastly Config Store / Edge Dictionary
(`new ConfigStore("x").get("api_token")`). The owning `@rule` (rules/secrets.py) carries metadata and
documentation; the Rust/Go part is in rules/secrets_compute.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.rules._lang import Hits, flows
from edgeward.rules.registry import part
from edgeward.workspace.project import Project


@part("SEC007", optional=True)
def secret_in_config_store_js(project: Project) -> Iterator[Hit]:
    """`get(key)` on a `fastly:config-store` `ConfigStore` or `fastly:dictionary` `Dictionary` with a literal
    secret-like key."""
    hits = Hits(project)
    for ev in flows(project).calls:
        if ev.method != "get" or not any(lab.kind == "configstore" for lab in ev.recv):
            continue
        key_node = ev.arg_node(0)
        if not isinstance(key_node, ir.Literal) or not isinstance(key_node.value, str):
            continue
        key = key_node.value
        if not K.SECRET_NAME.search(key):
            continue
        hits.add(
            ev.path,
            ev.node.line,
            f'secret-like key "{key}" is read from a Config Store / Edge Dictionary, whose values are '
            "visible in the Fastly UI, API and logs of config changes: keep it in a Secret Store",
            column=ev.node.col,
            key=f"SEC007:{key}",
            confidence=None
            if re.search(r"(secret|token|password|private)", key, re.I)
            else Confidence.MEDIUM,
        )
    yield from hits
