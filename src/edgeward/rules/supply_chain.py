"""SUP rules over manifests and lockfiles."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Hit, Severity
from edgeward.rules.registry import rule
from edgeward.workspace.docs import load_toml
from edgeward.workspace.lockfiles import is_exact, locked_version
from edgeward.workspace.manifests import declared
from edgeward.workspace.project import Project
from edgeward.workspace.units import LOCKFILES_FOR, units

EDGE_TOOLING_NPM = ("wrangler", "@fastly/cli", "@fastly/js-compute")
EDGE_TOOLING_CARGO = ("fastly", "worker")


@rule("SUP001", "missing-lockfile", severity="high", checklist=[7])
def missing_lockfile(project: Project) -> Iterator[Hit]:
    """A deployable app whose dependencies are not locked in the repository.

    What it finds: a Worker or Compute app whose manifest (`package.json`, `Cargo.toml`, `go.mod`) has no
    lockfile beside it or above it, or whose lockfile git does not track or an ignore rule covers.

    Why it matters: without a committed lockfile every install resolves ranges afresh: a compromised or
    broken release published between review and deploy goes to production, and no one can tell which
    versions the deployed bundle contains.

    Example: `package.json` with `"hono": "^4.6.0"` and `package-lock.json` in `.gitignore`.

    Fix: commit the lockfile (`package-lock.json`, `pnpm-lock.yaml`, `yarn.lock`, `bun.lock`, `Cargo.lock`,
    `go.sum`) and install from it in CI (`npm ci`, `cargo build --locked`).
    """
    seen: set[str] = set()
    for unit in project.fact(units):
        if not unit.manifest or unit.manifest in seen:
            continue
        seen.add(unit.manifest)
        mname = unit.manifest.rsplit("/", 1)[-1]
        deps = declared(project, unit.manifest) if mname in ("package.json", "Cargo.toml") else None
        if mname == "go.mod" and "require" not in (project.text(unit.manifest) or ""):
            continue
        if deps is not None and not deps and mname == "package.json":
            continue  # nothing to lock
        if unit.lockfile is None:
            wanted = " or ".join(LOCKFILES_FOR.get(mname, ())[:4])
            yield Hit(
                unit.manifest,
                1,
                f"{mname} has no lockfile ({wanted}) for `{unit.config_path}`",
                evidence=f"{len(deps) if deps is not None else 'some'} declared dependencies",
                anchor="missing",
            )
            continue
        info = project.files[unit.lockfile]
        if info.tracked is False:
            state = "is ignored by git and not committed" if info.ignored else "is not committed"
            yield Hit(unit.lockfile, 1, f"lockfile {state}", evidence=unit.lockfile, anchor="untracked")
        elif info.tracked is None and info.ignored:
            yield Hit(
                unit.lockfile,
                1,
                "lockfile is covered by an ignore rule",
                evidence=unit.lockfile,
                anchor="ignored",
            )


@rule("SUP004", "unpinned-edge-tooling", severity="medium", checklist=[9])
def unpinned_edge_tooling(project: Project) -> Iterator[Hit]:
    """Edge tooling not pinned to an exact version in the manifest, or a floating Rust toolchain.

    What it finds: `wrangler`, `@fastly/cli` or `@fastly/js-compute` declared with a range (`^4.1.0`,
    `latest`, `*`) in package.json; the `fastly` or `worker` crate without `=x.y.z` in Cargo.toml; a Rust
    Compute app or workers-rs Worker with no `rust-toolchain.toml`, or one with a channel such as `stable`.
    In CI and build scripts: `npx wrangler` (also `bunx`, `pnpm dlx`, `yarn dlx`) without an exact version and
    without a pinned local install the job installs first; `npm i -g wrangler` / `@fastly/cli` without an exact
    version; `cloudflare/wrangler-action` without `wranglerVersion` when the working directory does not lock
    wrangler; Fastly CLI set-up actions without `cli_version`; `cargo install` without `--locked` and a
    version; a floating Rust toolchain action when no rust-toolchain file pins one.

    Why it matters: the deploy CLI holds the account's API token and the SDK is compiled into the deployed
    Wasm; a range lets a new release — compromised, or with changed defaults such as preview URLs — reach
    production without review.

    Example: `"wrangler": "^4.20.0"`; `fastly = "0.11"`; `channel = "stable"`; `uses:
    cloudflare/wrangler-action@v3` with no `wranglerVersion` in a directory that does not lock wrangler.

    Fix: pin exact versions (`"wrangler": "4.164.0"`, `fastly = "=0.11.7"`, `channel = "1.83.0"`,
    `wranglerVersion: "4.164.0"`, `cli_version: 11.3.0`), run `npm ci` before `npx wrangler`, and let a
    dependency bot propose upgrades.
    """
    seen: set[str] = set()
    for unit in project.fact(units):
        if not unit.manifest or unit.manifest in seen:
            continue
        seen.add(unit.manifest)
        cargo = unit.manifest.endswith("Cargo.toml")
        tools = EDGE_TOOLING_CARGO if cargo else EDGE_TOOLING_NPM
        for dep in declared(project, unit.manifest):
            if dep.name not in tools or is_exact(dep.spec, "cargo" if cargo else "npm"):
                continue
            locked = locked_version(project, unit.lockfile, dep.name)
            committed = bool(locked and project.is_exposed(locked.lockfile))
            note = (
                f"; the lockfile resolves {locked.version}"
                if committed
                else "; no committed lockfile resolves it"
            )
            yield Hit(
                dep.manifest,
                dep.line,
                f"`{dep.name}` is not pinned to an exact version (`{dep.spec}`){note}",
                evidence=f"{dep.name}: {dep.spec}",
                anchor=dep.name,
                severity=Severity.LOW if committed else Severity.MEDIUM,
            )
    toolchain_seen: set[str] = set()
    for unit in project.fact(units):
        if unit.language != "rust" or not unit.manifest:
            continue
        tdir = unit.manifest.rsplit("/", 1)[0] if "/" in unit.manifest else ""
        tc = project.nearest(tdir, ("rust-toolchain.toml", "rust-toolchain"))
        key = tc or f"missing:{tdir}"
        if key in toolchain_seen:
            continue
        toolchain_seen.add(key)
        if tc is None:
            yield Hit(
                unit.manifest,
                1,
                "no rust-toolchain.toml: the build uses whatever Rust the machine has",
                evidence="rust-toolchain.toml missing",
                anchor="rust-toolchain",
            )
            continue
        if tc.endswith(".toml"):
            doc = project.data(tc, load_toml, "rust-toolchain.toml")
            channel = doc.get(("toolchain", "channel")) if doc else None
            line = doc.line(("toolchain", "channel")) if doc else 1
        else:
            channel = (project.text(tc) or "").strip()
            line = 1
        if not isinstance(channel, str) or not _exact_toolchain(channel):
            yield Hit(
                tc,
                line,
                f"Rust toolchain channel `{channel}` floats; pin a release such as `1.83.0`",
                evidence=f"channel = {channel!r}",
                anchor="channel",
            )


def _exact_toolchain(channel: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d+\.\d+\.\d+|(nightly|beta)-\d{4}-\d{2}-\d{2}", channel.strip()))
