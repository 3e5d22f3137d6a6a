"""Rust and Go parts of the secrets rules: SEC005 (secrets compiled in with `env!`/`include_str!`...),
SEC006 (secret values reaching logs, responses, errors) and SEC007 (secret-like keys read from a Fastly
Config Store / Edge Dictionary). The owning `@rule`s carry metadata and documentation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.compute_sources import rust_files
from edgeward.lang.rust import string_value as rust_string
from edgeward.rules._compute import compute_calls, kinds, request_credential, sink_args, sink_kind
from edgeward.rules._lang import Hits, path_of
from edgeward.rules.registry import part
from edgeward.workspace.project import Project

SECRET_FILE = re.compile(
    r"(secret|token|credential|passw|private|id_rsa|id_ed25519|api[_-]?key|\.pem$|\.key$|\.p12$|\.pfx$|"
    r"\.der$|\.jks$|service[_-]?account|\.env$)",
    re.I,
)


@part("SEC006", optional=True)
def secret_logged_rust_go(project: Project) -> Iterator[Hit]:
    """Rust/Go sinks: `println!`/`eprintln!`/`dbg!`, `log::*!`/`tracing::*!`, `write!` to a Fastly log
    endpoint, `panic!`/`anyhow!`, `Response` bodies and headers; Go `fmt`/`log` printing, `rtlog` endpoints,
    `ResponseWriter`, errors."""
    hits = Hits(project)
    for ev in compute_calls(project):
        kind = sink_kind(ev)
        if kind is None:
            continue
        sink = {"log": "a log call", "error": "an error message"}.get(kind, f"a {kind}")
        labels = []
        for v in sink_args(ev):
            for lab in v:
                if lab.kind == "secret" or (kind == "log" and request_credential(lab)):
                    labels.append(lab)
        if not labels:
            continue
        labels.sort(key=lambda lab: (lab.kind != "secret", lab.path, lab.line))
        lab = labels[0]
        what = lab.describe() if lab.detail != "SecretStore" else "a Secret Store value (`plaintext()`)"
        hits.add(
            ev.path,
            ev.node.line,
            f"{what} reaches {sink} ({path_of(lab, ev.path, ev.node.line)})",
            column=ev.node.col,
            key="SEC006",
        )
    yield from hits


@part("SEC005", optional=True)
def secret_compiled_in_rust(project: Project) -> Iterator[Hit]:
    """Rust `env!`/`option_env!` of a secret-named variable and `include_str!`/`include_bytes!` of key
    material: the value is baked into the `.wasm` that is uploaded to the platform."""
    if not any(i.name.endswith(".rs") for i in project.files.values()):
        return
    for path, rf in sorted(project.fact(rust_files).items()):
        if b"env" not in rf.data and b"include_" not in rf.data:
            continue
        for call in rf.calls:
            if not call.is_macro or call.name not in ("env", "option_env", "include_str", "include_bytes"):
                continue
            if not call.args:
                continue
            value = rust_string(call.args[0])
            if value is None:
                continue
            if call.name in ("env", "option_env"):
                if not K.SECRET_NAME.search(value):
                    continue
                msg = (
                    f'`{call.name}!("{value}")` compiles the build machine\'s `{value}` into the Wasm binary: '
                    "anyone with the package or the deployed module can read it"
                )
            else:
                if not SECRET_FILE.search(value.rsplit("/", 1)[-1]) and not SECRET_FILE.search(value):
                    continue
                msg = (
                    f'`{call.name}!("{value}")` embeds what looks like key material in the Wasm binary; '
                    "read it from a Secret Store at run time instead"
                )
            yield Hit(
                path,
                call.line,
                msg,
                evidence=rf.line_text(call.line),
                column=call.column,
                anchor=f"{call.name}:{value}",
            )


@part("SEC007", optional=True)
def secret_in_config_store_code(project: Project) -> Iterator[Hit]:
    """Code that reads a secret-like key from a Fastly Config Store / Edge Dictionary (Rust `ConfigStore`,
    `Dictionary`; Go `configstore`, `edgedict`)."""
    hits = Hits(project)
    for ev in compute_calls(project):
        if "configstore" not in kinds(ev.recv):
            continue
        if ev.method not in ("get", "try_get", "Get", "GetBytes", "contains", "Has"):
            continue
        key_node = ev.node.args[0] if ev.node.args else None
        key = ir.string_value(key_node)
        if key is None or not K.SECRET_NAME.search(key):
            continue
        hits.add(
            ev.path,
            ev.node.line,
            f'secret-like key "{key}" is read from a Config Store / Edge Dictionary, whose values are '
            "visible in the Fastly UI, API and logs of config changes: keep it in a Secret Store",
            column=ev.node.col,
            key=f"SEC007:{key}",
            confidence=Confidence.MEDIUM
            if not re.search(r"(secret|token|password|private)", key, re.I)
            else None,
        )
    yield from hits
