"""OBS rules over Fastly Compute source (Rust, Go): log endpoint names and panic logging."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Confidence, Hit
from edgeward.lang.compute_facts import endpoint_uses, panic_endpoint_calls, rust_entry
from edgeward.lang.compute_sources import compute_code
from edgeward.rules.registry import rule
from edgeward.workspace.fastly_logging import declared_for
from edgeward.workspace.project import Project


@rule("OBS003", "undeclared-log-endpoint", severity="medium", checklist=[14], platforms=("fastly",))
def undeclared_log_endpoint(project: Project) -> Iterator[Hit]:
    """Fastly Compute code writes to a log endpoint name that no configuration declares.

    What it finds: a log endpoint name used in Rust (`fastly::log::Endpoint::from_name`, `try_from_name`,
    `set_panic_endpoint`, `log_fastly::init_simple`, `log_fastly` builder `endpoint`/`default_endpoint`) or Go
    (`rtlog.Open`) that neither `fastly.toml` (`[setup.log_endpoints.<name>]`, `[local_server]`) nor a
    Terraform `fastly_service_compute` logging block declares. Names are compared exactly, as Fastly does:
    `Splunk_Audit` is not `splunk_audit`. When nothing in the repository declares any endpoint, the finding
    has low confidence (the service may be configured elsewhere).

    Why it matters: an unknown name still gives a working handle; every line written to it is dropped in
    silence. The denial events, the audit trail, the attack you need to see later: none of it arrives.

    Example: `fastly.toml` declares `[setup.log_endpoints.splunk_audit]` and the code opens
    `Endpoint::from_name("Splunk_Audit")`.

    Fix: use the declared name exactly (keep it in one constant), or declare the endpoint in `fastly.toml`
    `[setup.log_endpoints]` and in the Terraform service.
    """
    for app in project.fact(compute_code):
        if app.unit.kind != "fastly":
            continue
        uses = endpoint_uses(app)
        if not uses:
            continue
        declared = declared_for(project, app.unit)
        for use in uses:
            if use.name is None or declared.exact(use.name):
                continue
            near = declared.folded(use.name)
            if near is not None:
                msg = (
                    f'log endpoint "{use.name}" is not declared; {near.where} ({near.path}:{near.line}) '
                    f'declares "{near.name}", and names are case-sensitive: these lines are dropped'
                )
                conf = Confidence.HIGH
            elif not declared.names:
                if not declared.complete:
                    continue
                msg = (
                    f'log endpoint "{use.name}" is declared nowhere in the repository (no fastly.toml '
                    "[setup.log_endpoints], no Terraform logging block): lines written to it may be dropped"
                )
                conf = Confidence.LOW
            else:
                if not declared.complete:
                    continue
                known = ", ".join(sorted({f'"{d.name}"' for d in declared.names}))
                msg = (
                    f'log endpoint "{use.name}" is not declared (declared: {known}): these lines are dropped'
                )
                conf = Confidence.HIGH
            yield Hit(
                use.path,
                use.line,
                msg,
                evidence=use.snippet,
                column=use.column,
                anchor=f"{use.call}:{use.name}",
                confidence=conf,
                extra={"endpoint": use.name},
            )


@rule("OBS005", "no-panic-logging", severity="low", checklist=[14], platforms=("fastly",))
def no_panic_logging(project: Project) -> Iterator[Hit]:
    """A Fastly Compute Rust app that never sends panic messages to a log endpoint.

    What it finds: a Rust Compute app (a `fastly.toml` with Rust sources) in which no code calls
    `fastly::log::set_panic_endpoint` (or installs its own `std::panic::set_hook`). The finding points at the
    `#[fastly::main]` function.

    Why it matters: a panic in a Compute app ends the request with a 500 and its message goes to stderr,
    which only the live log tail shows. Crashes triggered on purpose (malformed tokens, oversized headers)
    leave no trace in the log pipeline you alert on.

    Example: `#[fastly::main] fn main(req: Request) -> Result<Response, Error> { ... }` with no
    `set_panic_endpoint` anywhere.

    Fix: call `fastly::log::set_panic_endpoint("<declared endpoint>")` at the start of `main`.
    """
    for app in project.fact(compute_code):
        if app.unit.kind != "fastly" or app.language != "rust":
            continue
        if panic_endpoint_calls(app):
            continue
        entry = rust_entry(app)
        if entry is None:
            continue
        path, line = entry
        yield Hit(
            path,
            line,
            "Compute app never calls `fastly::log::set_panic_endpoint`: panic messages never reach a log endpoint",
            evidence=_line(app, path, line),
            anchor=f"{app.unit.config_path}:panic",
        )


def _line(app, path: str, line: int) -> str:
    for rf in app.rust:
        if rf.path == path:
            return rf.line_text(line)
    return ""
