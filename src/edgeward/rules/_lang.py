"""Helpers shared by the rule modules that read source analysis (`lang/taint.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from edgeward.findings import Confidence, Hit, Severity
from edgeward.lang import ir
from edgeward.lang import knowledge as K
from edgeward.lang.taint import Analysis, CallEvent, Label, analysis
from edgeward.workspace.lockfiles import locked_version
from edgeward.workspace.project import Project
from edgeward.workspace.units import parse_version


def flows(project: Project) -> Analysis:
    """What the engine recorded, for the languages the generic rules cover (`K.GENERIC_RULE_FAMILIES`)."""
    return project.fact(_generic_flows)


def _generic_flows(project: Project) -> Analysis:
    an = project.fact(analysis)
    fams = K.GENERIC_RULE_FAMILIES
    return Analysis(
        calls=[e for e in an.calls if e.ctx.family in fams],
        compares=[e for e in an.compares if e.ctx.family in fams],
        writes=[e for e in an.writes if e.ctx.family in fams],
        objects=[e for e in an.objects if e.ctx.family in fams],
        ctxs=an.ctxs,
    )


def _line_cache(project: Project) -> dict[str, list[str]]:
    return {}


def snippet(project: Project, path: str, line: int, limit: int = 160) -> str:
    cache = project.fact(_line_cache)
    lines = cache.get(path)
    if lines is None:
        lines = cache[path] = project.lines(path)
    if 1 <= line <= len(lines):
        s = lines[line - 1].strip()
        return s if len(s) <= limit else s[: limit - 1] + "…"
    return ""


def path_of(lab: Label, sink_path: str, sink_line: int) -> str:
    """`source line -> sink line`, naming files when they differ."""
    if lab.path == sink_path and lab.line == sink_line:
        return f"line {sink_line}"  # source and sink on one line: no path to show
    src = f"{lab.path}:{lab.line}" if lab.path != sink_path else f"line {lab.line}"
    dst = f"line {sink_line}" if lab.path == sink_path else f"{sink_path}:{sink_line}"
    return f"{src} -> {dst}"


def flow(lab: Label, sink_path: str, sink_line: int, sink: str) -> dict:
    """`extra` for a finding: the source and the sink, machine-readable (`flow` in JSON output)."""
    return {
        "flow": [
            {"path": lab.path, "line": lab.line, "step": "source", "what": lab.describe()},
            {"path": sink_path, "line": sink_line, "step": "sink", "what": sink},
        ]
    }


class Hits:
    """Collects hits, one per (path, line, key): the same sink reached in several call contexts is one finding."""

    def __init__(self, project: Project):
        self.project = project
        self.seen: set[tuple] = set()
        self.out: list[Hit] = []

    def add(
        self,
        path: str,
        line: int,
        message: str,
        *,
        key: str = "",
        column: int = 1,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        anchor: str | None = None,
        extra: dict | None = None,
    ) -> None:
        k = (path, line, key)
        if k in self.seen:
            return
        self.seen.add(k)
        ev = snippet(self.project, path, line)
        self.out.append(
            Hit(
                path,
                line,
                message,
                evidence=ev,
                column=column,
                anchor=anchor or f"{key}:{ev}",
                severity=severity,
                confidence=confidence,
                extra=extra or {},
            )
        )

    def __iter__(self) -> Iterator[Hit]:
        return iter(sorted(self.out, key=lambda h: (h.path or "", h.line)))


def lib_version(project: Project, ev: CallEvent, package: str) -> tuple[int, int, int] | None:
    unit = ev.ctx.unit
    lock = getattr(unit, "lockfile", None)
    if lock is None:
        from edgeward.workspace.units import LOCKFILES

        lock = project.nearest(ev.ctx.path.rsplit("/", 1)[0] if "/" in ev.ctx.path else "", LOCKFILES)
    locked = locked_version(project, lock, package) if lock else None
    if locked is not None:
        return parse_version(locked.version)
    manifest = getattr(unit, "manifest", None)
    if manifest:
        from edgeward.workspace.manifests import declared

        for d in declared(project, manifest):
            if getattr(d, "name", None) == package:
                spec = str(getattr(d, "spec", "") or getattr(d, "version", ""))
                return parse_version(spec.lstrip("^~=<>v "))
    return None


def is_log_call(ev: CallEvent) -> bool:
    fam = ev.ctx.family
    if ev.name and ev.name in K.LOG_CALLS.get(fam, ()):
        return True
    d = ev.node.dotted
    if d and "." in d and ev.method in K.LOGGER_METHODS:
        root = d.split(".")[-2]
        return bool(K.LOGGER_OBJECTS.match(root))
    return False


def response_sink(ev: CallEvent) -> str | None:
    """What kind of response sink a call is (body / header), or None."""
    base = ev.name.rsplit("#", 1)[-1] if ev.name else None
    if base in K.RESPONSE_CTORS and (ev.node.new or base != "Response" or ev.ctx.family == "python"):
        return "response"
    if base in ("Response.json", "Response.redirect"):
        return "response"
    if ev.method in K.HONO_RESPONDERS and any(lab.kind == "hono" for lab in ev.recv):
        return "response"
    if ev.method in ("set", "append") and any(lab.kind == "respheaders" for lab in ev.recv):
        return "response header"
    if ev.method == "header" and any(lab.kind == "hono" for lab in ev.recv):
        return "response header"
    return None


def error_sink(ev: CallEvent) -> bool:
    base = ev.name.rsplit("#", 1)[-1] if ev.name else None
    return bool(base) and base.endswith("Error") and (ev.node.new or ev.ctx.family == "python")


def enclosing_funcs(mod: ir.Module) -> Iterable[ir.Func]:
    return mod.functions()


def literal_status(node: ir.Node | None) -> int | None:
    if isinstance(node, ir.Literal) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


def _props_read(project: Project) -> dict[int, set[str]]:
    return {}


def props_read(project: Project, mod: ir.Module) -> set[str]:
    """Every property name a module reads (`a.b`, `{ b } = a`), computed once per module."""
    cache = project.fact(_props_read)
    got = cache.get(id(mod))
    if got is None:
        got = set()
        for n in ir.walk_all(mod.body):
            if isinstance(n, ir.Member) and n.prop:
                got.add(n.prop)
            elif isinstance(n, ir.ObjectPattern):
                got.update(k for k, _, _ in n.props if k)
        cache[id(mod)] = got
    return got


# ----------------------------------------------------------------- rate limiting (REQ005, REQ007, ISO003)


def _binding_kind(ev: CallEvent) -> set[str]:
    return {lab.detail.split(":", 1)[0] for lab in ev.recv if lab.kind == "binding"}


def _binding_names(ev: CallEvent) -> list[str]:
    return [lab.detail.split(":", 1)[1] for lab in ev.recv if lab.kind == "binding"]


def _func_name(ev: CallEvent) -> str:
    return (ev.func.name if ev.func is not None else "") or ""


def _limiter_context(ev: CallEvent) -> bool:
    if K.RATE_LIMIT_NAME.search(_func_name(ev)):
        return True
    return any(K.RATE_LIMIT_NAME.search(n) for n in _binding_names(ev))


def _key_text(node: ir.Node | None) -> str:
    if isinstance(node, ir.Literal) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ir.Template):
        return "".join(str(p.value) for p in node.parts if isinstance(p, ir.Literal))
    if isinstance(node, ir.BinOp):
        return _key_text(node.left) + _key_text(node.right)
    return ""


def rate_limit_counter(ev: CallEvent) -> bool:
    """A store call that keeps a rate-limit counter (key text like `rl:`/`count`, or a limiter-named
    function or binding): REQ005/REQ007 judge those keys; they are not tenant data."""
    return bool(K.RATE_LIMIT_KEY_TEXT.search(_key_text(ev.arg_node(0)))) or _limiter_context(ev)
