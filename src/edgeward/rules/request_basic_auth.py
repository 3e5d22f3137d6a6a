"""Basic-auth credentials checked against literals: `const [user, pass] = atob(auth.split(" ")[1]).split(":")`
then `if (user !== "admin" || pass !== "hunter2")`. The password is written in the source (SEC009) and the
comparison is not constant-time (REQ014). The owning `@rule`s (secrets_source.py, request_source.py) carry
metadata and documentation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from edgeward.findings import Hit
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.taint import Label
from edgeward.rules._lang import flows, snippet
from edgeward.rules.registry import part
from edgeward.secrets.scan import redact_line
from edgeward.workspace.project import Project


@dataclass(frozen=True)
class LiteralCredentialCompare:
    path: str
    line: int
    column: int
    op: str
    value: str  # the literal (never shown unredacted)
    header: Label  # where the Authorization value was read


def _auth_labels(v) -> set[Label]:
    return {lab for lab in v if lab.kind == "req" and lab.detail.partition(":")[2] in K.AUTH_HEADERS}


def _decoded_auth(project: Project) -> dict[int, set[Label]]:
    """Per function (by id): the Authorization labels that reach a base64 decoder in it and are split on ":"
    there (`user:password`; a JWT's segments are base64 too, but are split on "." and parsed as JSON)."""
    colon: dict[int, set[Label]] = {}
    for ev in flows(project).calls:
        if ev.method in ("split", "indexOf", "partition", "rsplit") and ev.recv:
            sep = ev.arg_node(0)
            if isinstance(sep, ir.Literal) and sep.value == ":":
                colon.setdefault(id(ev.func), set()).update(_auth_labels(ev.recv))
    out: dict[int, set[Label]] = {}
    for ev in flows(project).calls:
        if id(ev.func) not in colon:
            continue
        if ev.name not in K.BASE64_DECODE_CALLS:
            continue
        if ev.name == "Buffer.from":
            enc = ev.arg_node(1)
            if not (isinstance(enc, ir.Literal) and str(enc.value).lower() in ("base64", "base64url")):
                continue
        labs = _auth_labels(ev.arg(0)) & colon[id(ev.func)]
        if labs:
            out.setdefault(id(ev.func), set()).update(labs)
    return out


def literal_credential_compares(project: Project) -> list[LiteralCredentialCompare]:
    return project.fact(_compares)


def _compares(project: Project) -> list[LiteralCredentialCompare]:
    decoded = _decoded_auth(project)
    if not decoded:
        return []
    out: list[LiteralCredentialCompare] = []
    seen: set[tuple[str, int, str]] = set()
    for c in flows(project).compares:
        if c.node.op not in ("==", "===", "!=", "!=="):
            continue
        labs = decoded.get(id(c.func))
        if not labs:
            continue
        for val, lit in ((c.left, c.node.right), (c.right, c.node.left)):
            if not isinstance(lit, ir.Literal) or not isinstance(lit.value, str):
                continue
            value = lit.value
            if not value.strip() or value.strip().lower() in K.AUTH_SCHEMES:
                continue
            hit = sorted((lab for lab in val if lab in labs), key=lambda lab: (lab.path, lab.line))
            if not hit:
                continue
            k = (c.ctx.path, c.node.line, value)
            if k in seen:
                continue
            seen.add(k)
            out.append(
                LiteralCredentialCompare(c.ctx.path, c.node.line, c.node.col, c.node.op, value, hit[0])
            )
    return out


def _evidence(project: Project, path: str, line: int, values: list[str]) -> str:
    return redact_line(snippet(project, path, line), [(v, "password") for v in values])


def _anchor(code: str, path: str, values: list[str]) -> str:
    digest = hashlib.sha256("\0".join(sorted(values)).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{code}:basic-auth:{path}|{digest}"


def _by_line(project: Project) -> dict[tuple[str, int], list[LiteralCredentialCompare]]:
    out: dict[tuple[str, int], list[LiteralCredentialCompare]] = {}
    for c in literal_credential_compares(project):
        out.setdefault((c.path, c.line), []).append(c)
    return out


@part("SEC009", optional=True)
def basic_auth_literal_credential(project: Project) -> Iterator[Hit]:
    """Decoded Basic-auth credentials compared with a string literal: the password is in the source."""
    for (path, line), cs in sorted(_by_line(project).items()):
        values = [c.value for c in cs]
        h = cs[0].header
        yield Hit(
            path,
            line,
            f"Basic-auth credentials from request header `{h.detail.partition(':')[2]}` ({h.where()}) are "
            f"checked against {len(values)} string literal(s): the password is hard-coded in the source "
            "and the bundle",
            evidence=_evidence(project, path, line, values),
            column=cs[0].column,
            anchor=_anchor("SEC009", path, values),
            extra={"secret_kind": "password", "detector": "basic-auth-literal"},
        )


@part("REQ014", optional=True)
def basic_auth_timing_unsafe(project: Project) -> Iterator[Hit]:
    """Decoded Basic-auth credentials compared with `==`/`===`/`!=`/`!==`: not constant-time."""
    for (path, line), cs in sorted(_by_line(project).items()):
        values = [c.value for c in cs]
        ops = sorted({c.op for c in cs})
        yield Hit(
            path,
            line,
            f"Basic-auth credentials (request header `{cs[0].header.detail.partition(':')[2]}`) compared with "
            f"{', '.join(f'`{o}`' for o in ops)}: not constant-time",
            evidence=_evidence(project, path, line, values),
            column=cs[0].column,
            anchor=_anchor("REQ014", path, values),
        )
