"""SUP rules over CI pipelines and build scripts: unlocked installs, audits, pinned tooling and actions,
deploy provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Hit, Severity
from edgeward.rules.registry import part, rule
from edgeward.workspace.ci import (
    Command,
    Job,
    Pipeline,
    _join,
    commands,
    job_deploy_credentials,
    pipelines,
)
from edgeward.workspace.docs import load_jsonc, load_toml
from edgeward.workspace.lockfiles import is_exact, lock_info, locked_version
from edgeward.workspace.manifests import declared
from edgeward.workspace.project import Project
from edgeward.workspace.units import LOCKFILES_FOR

SHA = re.compile(r"^[0-9a-fA-F]{40}$")
EDGE_CLIS = {"wrangler": "wrangler", "@fastly/cli": "@fastly/cli"}


# --------------------------------------------------------------------------------------------- helpers


def _npm_lock(project: Project, cwd: str) -> str | None:
    manifest = project.nearest(cwd, ("package.json",))
    mdir = manifest.rsplit("/", 1)[0] if manifest and "/" in manifest else ""
    return project.nearest(mdir if manifest else cwd, LOCKFILES_FOR["package.json"])


def yarn_flavour(project: Project, cwd: str) -> str:
    """ "berry" or "classic" for the yarn project around cwd."""
    manifest = project.nearest(cwd, ("package.json",))
    if manifest:
        doc = project.data(manifest, load_jsonc, "package.json")
        pm = doc.data.get("packageManager") if doc and isinstance(doc.data, dict) else None
        if isinstance(pm, str) and pm.startswith("yarn@"):
            return "classic" if pm[5:].startswith("1.") else "berry"
    if project.nearest(cwd, (".yarnrc.yml",)):
        return "berry"
    lock = project.nearest(cwd, ("yarn.lock",))
    if lock and lock_info(project, lock).kind == "yarn-berry":
        return "berry"
    return "classic"


def _sub(cmd: Command) -> str:
    rest = [a for a in cmd.argv[1:] if not a.startswith("-")]
    return rest[0] if rest else ""


def _positional(cmd: Command, after: int = 2) -> list[str]:
    out = []
    skip = False
    for a in cmd.argv[after:]:
        if skip:
            skip = False
            continue
        if a in ("--workspace", "-w", "--prefix", "-C", "--dir", "--filter", "--cwd"):
            skip = True
            continue
        if not a.startswith("-"):
            out.append(a)
    return out


def is_install(cmd: Command) -> bool:
    """Any dependency install of a JS package manager (locked or not)."""
    p, sub = cmd.program, _sub(cmd)
    if cmd.has("-g", "--global"):
        return False
    if p == "npm":
        return sub in ("ci", "install", "i", "isntall", "clean-install", "install-clean", "add")
    if p == "yarn":
        return sub in ("", "install")
    if p == "pnpm":
        return sub in ("install", "i")
    if p == "bun":
        return sub in ("install", "i", "ci")
    return False


def unlocked_install(project: Project, cmd: Command) -> str | None:
    """Why an install does not stick to the lockfile, or None."""
    p, sub = cmd.program, _sub(cmd)
    in_ci = cmd.job is not None
    if cmd.has("-g", "--global") or (p == "yarn" and sub == "global"):
        return None
    if p == "npm" and sub in ("install", "i", "isntall", "add"):
        pkgs = _positional(cmd)
        if pkgs:
            return f"`npm {sub} {' '.join(pkgs)}` adds packages outside the lockfile"
        return "`npm install` resolves ranges afresh and rewrites package-lock.json; use `npm ci`"
    if p == "yarn":
        if sub == "add":
            return "`yarn add` changes the dependency set at build time"
        if sub in ("", "install"):
            flavour = yarn_flavour(project, cmd.cwd)
            if cmd.has("--frozen-lockfile", "--immutable", "--pure-lockfile"):
                return None
            if flavour == "berry":
                if cmd.has("--no-immutable"):
                    return "`yarn install --no-immutable` lets the lockfile change"
                if in_ci:
                    return None  # berry is immutable by default in CI (enableImmutableInstalls)
                return "`yarn install` outside CI may rewrite yarn.lock; use `yarn install --immutable`"
            return "yarn classic `yarn install` without `--frozen-lockfile` may resolve new versions"
    if p == "pnpm":
        if sub in ("add",):
            return "`pnpm add` changes the dependency set at build time"
        if sub in ("install", "i"):
            if cmd.has("--no-frozen-lockfile", "--fix-lockfile"):
                return "`pnpm install --no-frozen-lockfile` lets the lockfile change"
            if "--frozen-lockfile=false" in cmd.argv:
                return "`pnpm install --frozen-lockfile=false` lets the lockfile change"
            if cmd.has("--frozen-lockfile") or in_ci:
                return None  # pnpm freezes the lockfile by default in CI
            return "`pnpm install` outside CI may rewrite pnpm-lock.yaml; use `--frozen-lockfile`"
    if p == "bun":
        if sub == "add":
            return "`bun add` changes the dependency set at build time"
        if sub in ("install", "i") and not cmd.has("--frozen-lockfile"):
            return "`bun install` without `--frozen-lockfile` may update bun.lock; use `bun ci`"
    if p == "cargo" and sub in ("build", "test", "run", "check", "clippy", "bench"):
        if not cmd.has("--locked", "--frozen", "--offline"):
            return f"`cargo {sub}` without `--locked` may resolve new crate versions"
    return None


def _where(cmd: Command) -> str:
    return f" (reached from {cmd.via})" if cmd.via else ""


# ---------------------------------------------------------------------------------------------- SUP002


@rule("SUP002", "unlocked-install", severity="medium", checklist=[7])
def unlocked_install_rule(project: Project) -> Iterator[Hit]:
    """An install in CI or a build script that does not install exactly what the lockfile says.

    What it finds: `npm install` / `npm i pkg`, yarn classic without `--frozen-lockfile`, `yarn install
    --no-immutable`, `pnpm install --no-frozen-lockfile` (pnpm and yarn berry freeze the lockfile by default in
    CI, npm does not), `bun install` without `--frozen-lockfile`, `cargo build|test|run` without `--locked`, in
    GitHub Actions, GitLab CI, the scripts they call, `fastly.toml [scripts]` and wrangler `[build] command`.
    Severity is raised when the job exposes a deploy token to every step, so the install scripts of whatever
    was resolved can read it.

    Why it matters: an unlocked install resolves ranges at build time; a release published minutes ago — a
    compromised one, as in the npm worm campaigns — is built into the deployed bundle, and its lifecycle
    scripts run with the job's credentials.

    Example: a deploy job with `env: CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_API_TOKEN }}` that runs
    `npm install`.

    Fix: `npm ci --ignore-scripts` (or `pnpm install --frozen-lockfile`, `yarn install --immutable`,
    `cargo build --locked`), and give the deploy token only to the deploy step.
    """
    for cmd in project.fact(commands):
        why = unlocked_install(project, cmd)
        if not why:
            continue
        sev = None
        msg = why
        if cmd.job is not None:
            creds = [c for c in job_deploy_credentials(cmd.job) if c[2] in ("job", "workflow")]
            if creds and cmd.program != "cargo":
                sev = Severity.HIGH
                msg += (
                    f"; the job exposes {_cred_list(creds, lines=True)} to every step, so install scripts "
                    f"of the resolved packages can read {'the deploy token' if len({c[0] for c in creds}) == 1 else 'these deploy tokens'}"
                )
        yield Hit(
            cmd.file,
            cmd.line,
            msg + _where(cmd),
            evidence=cmd.text,
            column=cmd.column,
            anchor=f"{cmd.job.key if cmd.job else cmd.origin}:{cmd.text}",
            severity=sev,
        )


# ---------------------------------------------------------------------------------------------- SUP003

AUDIT_ACTIONS = {
    "actions/dependency-review-action": "all",
    "google/osv-scanner-action": "all",
    "rustsec/audit-check": "cargo",
    "actions-rs/audit-check": "cargo",
    "embarkstudios/cargo-deny-action": "cargo",
    "snyk/actions": "all",
    "aquasecurity/trivy-action": "all",
    "anchore/scan-action": "all",
    "socketdev/action": "all",
    "golang/govulncheck-action": "go",
}


def audit_kind(cmd: Command) -> str | None:
    """The ecosystem an audit command covers ("npm", "cargo", "go", "all"), or None."""
    p, sub, a = cmd.program, _sub(cmd), cmd.argv
    if p in ("npm", "pnpm", "bun") and sub == "audit" and "signatures" not in a:
        return "npm"
    if p == "yarn" and (sub == "audit" or a[1:3] == ["npm", "audit"]):
        return "npm"
    if p in ("npx", "pnpx") and any(x in ("audit-ci", "better-npm-audit", "osv-scanner") for x in a[1:3]):
        return "npm"
    if p == "cargo" and sub in ("audit", "deny"):
        return "cargo"
    if p in ("cargo-audit", "cargo-deny"):
        return "cargo"
    if p == "govulncheck":
        return "go"
    if (
        p in ("osv-scanner", "grype")
        or (p == "snyk" and sub == "test")
        or (p == "socket" and sub in ("ci", "scan"))
    ):
        return "all"
    if p == "trivy" and sub in ("fs", "filesystem", "repo", "repository", "rootfs"):
        return "all"
    return None


def _audit_nonblocking(cmd: Command) -> str | None:
    if cmd.op_after == "||":
        return f"`|| {cmd.handler or '…'}` swallows its failure"
    if cmd.errexit_off:
        return "`set +e` is in effect, so its exit status is ignored"
    if cmd.condition:
        return "it is the condition of an `if` / `while` / `!`, so its failure only picks a branch"
    if cmd.op_after == "|" and not cmd.pipefail:
        return "it is piped without `pipefail`, so the pipeline's status is the last command's"
    for i, a in enumerate(cmd.argv):
        if a in ("--audit-level=none", "--level=none") or (
            a == "--audit-level" and cmd.argv[i + 1 : i + 2] == ["none"]
        ):
            return "`--audit-level=none` never fails"
    if cmd.program == "trivy" and not any(
        a.startswith("--exit-code") and not a.endswith("=0") for a in cmd.argv
    ):
        return "trivy exits 0 on findings unless `--exit-code 1` is given"
    if cmd.step is not None and cmd.step.continue_on_error:
        return "the step has `continue-on-error: true`"
    if cmd.job is not None and cmd.job.continue_on_error:
        return "the job has `continue-on-error: true`"
    if cmd.job is not None and cmd.job.allow_failure:
        return "the job has `allow_failure: true`"
    return None


def ecosystems(project: Project) -> dict[str, list[str]]:
    """Ecosystems present (npm, cargo, go) -> their manifests (with dependencies)."""
    out: dict[str, list[str]] = {}
    for rel, info in sorted(project.files.items()):
        if info.name == "package.json":
            if declared(project, rel):
                out.setdefault("npm", []).append(rel)
        elif info.name == "Cargo.toml":
            out.setdefault("cargo", []).append(rel)
        elif info.name == "go.mod":
            out.setdefault("go", []).append(rel)
    return out


@rule("SUP003", "audit-not-blocking", severity="medium", checklist=[8])
def audit_not_blocking(project: Project) -> Iterator[Hit]:
    """No dependency audit in CI for an ecosystem the repository uses, or an audit whose failure is ignored.

    What it finds: CI (GitHub Actions, GitLab CI and the scripts they call) with no `npm audit` /
    `pnpm audit` / `yarn npm audit`, `cargo audit` / `cargo deny`, `govulncheck`, `osv-scanner`, `snyk test`,
    dependency-review or similar step for the npm, Cargo or Go dependencies present; and audit steps made
    non-blocking: `|| true`, `set +e`, a pipe without `pipefail`, `--audit-level=none`, `continue-on-error`,
    GitLab `allow_failure`, trivy without a failing exit code.

    Why it matters: a known-vulnerable dependency (the wrangler dev-server or hono JWT advisories, say) is
    only caught if some step fails the pipeline; a report nobody is forced to read changes nothing.

    Example: `- run: npm audit --audit-level=high || true`.

    Fix: run the audit as its own blocking step (`npm audit --audit-level=high`, `cargo audit`,
    `osv-scanner -r .`) on every pull request, and handle accepted advisories with an ignore list that names
    them.
    """
    pipes: list[Pipeline] = [p for p in project.fact(pipelines) if p.platform in ("github", "gitlab")]
    if not pipes:
        return
    covered: set[str] = set()
    weak: set[str] = set()
    for p in pipes:
        for job in p.jobs:
            for st in job.steps:
                kind = next((k for a, k in AUDIT_ACTIONS.items() if st.action.startswith(a)), None)
                if kind:
                    why = None
                    if st.continue_on_error:
                        why = "the step has `continue-on-error: true`"
                    elif job.continue_on_error:
                        why = "the job has `continue-on-error: true`"
                    elif st.action.startswith("aquasecurity/trivy-action") and str(
                        st.with_.get("exit-code", "0")
                    ).strip() in ("0", ""):
                        why = "trivy-action exits 0 on findings unless `exit-code: 1` is set"
                    if why:
                        weak.add(kind)
                        yield Hit(
                            st.file,
                            st.line,
                            f"dependency audit `{st.uses}` does not block: {why}",
                            evidence=st.uses or "",
                            anchor=f"{job.key}:{st.action}",
                        )
                    else:
                        covered.add(kind)
                for cmd in st.commands:
                    kind = audit_kind(cmd)
                    if not kind:
                        continue
                    why = _audit_nonblocking(cmd)
                    if why:
                        weak.add(kind)
                        yield Hit(
                            cmd.file,
                            cmd.line,
                            f"dependency audit does not block: {why}{_where(cmd)}",
                            evidence=cmd.text,
                            column=cmd.column,
                            anchor=f"{job.key}:{cmd.text}",
                        )
                    else:
                        covered.add(kind)
    if "all" in covered:
        return
    present = ecosystems(project)
    names = {
        "npm": "npm / JavaScript (`npm audit`, `pnpm audit`, `yarn npm audit`)",
        "cargo": "Cargo (`cargo audit`, `cargo deny check advisories`)",
        "go": "Go (`govulncheck`)",
    }
    for eco in ("npm", "cargo", "go"):
        if eco in present and eco not in covered and eco not in weak and "all" not in weak:
            where = _install_site(pipes, eco) or (pipes[0].file, 1)
            yield Hit(
                where[0],
                where[1],
                f"no dependency audit for {names[eco]} in CI; {len(present[eco])} manifest(s) use it",
                evidence=", ".join(present[eco][:3]),
                anchor=f"missing:{eco}",
            )


def _install_site(pipes: list[Pipeline], eco: str) -> tuple[str, int] | None:
    for p in pipes:
        for job in p.jobs:
            for cmd in job.commands():
                if (
                    (eco == "npm" and is_install(cmd))
                    or (eco == "cargo" and cmd.program == "cargo")
                    or (eco == "go" and cmd.program == "go")
                ):
                    return job.file, job.line
    return None


# ---------------------------------------------------------------------------------------------- SUP004


def _local_tool(project: Project, cwd: str, tool: str) -> tuple[bool, str]:
    """Whether the package.json around cwd declares `tool` exactly or a committed lockfile pins it."""
    manifest = project.nearest(cwd, ("package.json",))
    if not manifest:
        return False, "no package.json declares it"
    for dep in declared(project, manifest):
        if dep.name != tool:
            continue
        if is_exact(dep.spec, "npm"):
            return True, f"{manifest} pins {dep.spec}"
        lock = _npm_lock(project, cwd)
        locked = locked_version(project, lock, tool)
        if locked and project.is_exposed(locked.lockfile):
            return True, f"{locked.lockfile} locks {locked.version}"
        return False, f"{manifest} declares `{dep.spec}` and no committed lockfile pins it"
    return False, f"{manifest} does not declare {tool}"


def _installed_before(project: Project, cmd_job: Job | None, index: int, cwd: str) -> bool:
    if cmd_job is None:
        return True
    target = project.nearest(cwd, ("package.json",))
    for c in cmd_job.commands():
        if c.index >= index:
            break
        if is_install(c) and project.nearest(c.cwd, ("package.json",)) == target:
            return True
    return False


def _exact_spec(spec: str) -> bool:
    return bool(re.fullmatch(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?", spec.strip()))


def _pkg_version(word: str) -> tuple[str, str]:
    """`@fastly/cli@10.1.0` -> ("@fastly/cli", "10.1.0")."""
    at = word.rfind("@")
    return (word[:at], word[at + 1 :]) if at > 0 else (word, "")


@part("SUP004")
def unpinned_edge_tooling_ci(project: Project) -> Iterator[Hit]:
    """CI part of SUP004 (documented with the rule)."""
    for cmd in project.fact(commands):
        yield from _tool_command(project, cmd)
    pinned_toolchain = _pinned_toolchain_file(project)
    for p in project.fact(pipelines):
        for job in p.jobs:
            for st in job.steps:
                a = st.action
                if a == "cloudflare/wrangler-action":
                    ver = str(st.with_.get("wranglerVersion", "") or "")
                    if ver and all(_exact_spec(v) for v in job.expand_matrix(ver)):
                        continue
                    if ver:
                        yield Hit(
                            st.file,
                            st.with_lines.get("wranglerVersion", st.line),
                            f"wrangler-action `wranglerVersion: {ver}` is not an exact version",
                            evidence=f"wranglerVersion: {ver}",
                            anchor=f"{job.key}:wrangler-action",
                        )
                        continue
                    wd = str(st.with_.get("workingDirectory", "") or "")

                    cwd = _join("", wd)
                    ok, why = _local_tool(project, cwd, "wrangler")
                    idx = _step_index(job, st)
                    if ok and _installed_before(project, job, idx, cwd):
                        continue
                    if ok:
                        why += ", but the job installs no dependencies before the action"
                    yield Hit(
                        st.file,
                        st.line,
                        f"`{st.uses}` without `wranglerVersion`: the action installs its own built-in default "
                        f"wrangler release ({why})",
                        evidence=st.uses or "",
                        anchor=f"{job.key}:wrangler-action",
                    )
                elif a in (
                    "fastly/compute-actions",
                    "fastly/compute-actions/setup",
                    "softprops/setup-fastly-cli",
                ):
                    key = "version" if a == "softprops/setup-fastly-cli" else "cli_version"
                    ver = str(st.with_.get(key, "") or "")
                    if all(_exact_spec(v) for v in job.expand_matrix(ver)):
                        continue
                    yield Hit(
                        st.file,
                        st.with_lines.get(key, st.line),
                        f"`{st.uses}` installs the Fastly CLI without a pinned `{key}`"
                        + (f" (`{ver}`)" if ver else " (defaults to latest)"),
                        evidence=st.uses or "",
                        anchor=f"{job.key}:{a}",
                    )
                elif (
                    a in ("dtolnay/rust-toolchain", "actions-rs/toolchain")
                    or a.startswith("actions-rust-lang/setup-rust-toolchain")
                ) and not pinned_toolchain:
                    channel = str(
                        st.with_.get("toolchain", "") or (st.ref if a == "dtolnay/rust-toolchain" else "")
                    )
                    if channel and all(
                        re.fullmatch(r"\d+\.\d+(\.\d+)?|(nightly|beta)-\d{4}-\d{2}-\d{2}", c)
                        for c in job.expand_matrix(channel)
                    ):
                        continue  # an exact release, also when it comes from the job's matrix
                    if a.startswith("actions-rust-lang") and not channel:
                        continue  # it reads rust-toolchain.toml; SUP004's manifest part reports a missing one
                    yield Hit(
                        st.file,
                        st.with_lines.get("toolchain", st.line),
                        f"Rust toolchain `{channel or 'stable'}` floats in CI and no rust-toolchain.toml pins "
                        "one",
                        evidence=st.uses or "",
                        anchor=f"{job.key}:{a}",
                    )


def _step_index(job: Job, step) -> int:
    for st in job.steps[job.steps.index(step) :]:
        if st.commands:
            return st.commands[0].index
    return 10**9


def _pinned_toolchain_file(project: Project) -> bool:
    for info in project.glob("rust-toolchain.toml", "rust-toolchain"):
        if info.name.endswith(".toml"):
            doc = project.data(info.path, load_toml, "rust-toolchain.toml")
            ch = doc.get(("toolchain", "channel")) if doc else None
        else:
            ch = (project.text(info.path) or "").strip()
        if isinstance(ch, str) and re.fullmatch(
            r"\d+\.\d+\.\d+|(nightly|beta)-\d{4}-\d{2}-\d{2}", ch.strip()
        ):
            return True
    return False


def _tool_command(project: Project, cmd: Command) -> Iterator[Hit]:
    p, argv = cmd.program, cmd.argv
    anchor = f"{cmd.job.key if cmd.job else cmd.origin}:{cmd.text}"
    # npx / bunx / pnpm dlx / yarn dlx
    runner = None
    if p in ("npx", "bunx", "pnpx"):
        runner, words = p, argv[1:]
    elif p in ("pnpm", "yarn", "bun") and len(argv) > 1 and argv[1] in ("dlx", "x"):
        runner, words = f"{p} {argv[1]}", argv[2:]
    if runner:
        pkg = ""
        i = 0
        while i < len(words):
            w = words[i]
            if w in ("-p", "--package") and i + 1 < len(words):
                pkg = words[i + 1]
                i += 2
                continue
            if w.startswith("--package="):
                pkg = w.split("=", 1)[1]
            elif not w.startswith("-"):
                pkg = pkg or w
                break
            i += 1
        name, ver = _pkg_version(pkg)
        if name not in EDGE_CLIS and name != "fastly":
            return
        name = EDGE_CLIS.get(name, "@fastly/cli")
        if ver:
            if _exact_spec(ver):
                return
            yield Hit(
                cmd.file,
                cmd.line,
                f"`{runner} {pkg}` runs a floating `{ver}` release{_where(cmd)}",
                evidence=cmd.text,
                column=cmd.column,
                anchor=anchor,
            )
            return
        always_fetch = runner in ("pnpm dlx", "yarn dlx")
        ok, why = _local_tool(project, cmd.cwd, name)
        if ok and not always_fetch and _installed_before(project, cmd.job, cmd.index, cmd.cwd):
            return
        if ok and not always_fetch:
            why += ", but the job installs no dependencies before this command"
        elif always_fetch:
            why = f"`{runner}` always downloads from the registry"
        yield Hit(
            cmd.file,
            cmd.line,
            f"`{runner} {pkg}` without a pinned version fetches whatever release is current ({why}){_where(cmd)}",
            evidence=cmd.text,
            column=cmd.column,
            anchor=anchor,
        )
        return
    # global installs
    glob_pkgs: list[str] = []
    if p in ("npm", "pnpm", "bun") and cmd.has("-g", "--global") and _sub(cmd) in ("install", "i", "add"):
        glob_pkgs = _positional(cmd)
    elif p == "yarn" and argv[1:3] == ["global", "add"]:
        glob_pkgs = [a for a in argv[3:] if not a.startswith("-")]
    for w in glob_pkgs:
        name, ver = _pkg_version(w)
        if name in EDGE_CLIS and not _exact_spec(ver):
            yield Hit(
                cmd.file,
                cmd.line,
                f"global install of `{w}` without an exact version{_where(cmd)}",
                evidence=cmd.text,
                column=cmd.column,
                anchor=anchor,
            )
    if p == "go" and _sub(cmd) == "install":
        for w in _positional(cmd):
            if "fastly/cli" in w and (not w.partition("@")[2] or w.endswith(("@latest", "@main", "@master"))):
                yield Hit(
                    cmd.file,
                    cmd.line,
                    f"`go install {w}` installs a floating Fastly CLI{_where(cmd)}",
                    evidence=cmd.text,
                    column=cmd.column,
                    anchor=anchor,
                )
    if p == "cargo" and _sub(cmd) in ("install", "binstall"):
        crates = _positional(cmd)
        skipped = {
            i
            for i, a in enumerate(argv)
            if i
            and argv[i - 1]
            in (
                "--version",
                "--vers",
                "--git",
                "--rev",
                "--tag",
                "--branch",
                "--root",
                "--path",
                "--target",
                "--features",
                "-F",
                "--bin",
                "--profile",
                "--registry",
                "--index",
                "-j",
                "--jobs",
            )
        }
        crates = [a for i, a in enumerate(argv[2:], 2) if not a.startswith("-") and i not in skipped]
        versioned = cmd.has("--version", "--vers", "--rev", "--tag") or any("@" in c for c in crates)
        locked = cmd.has("--locked") or _sub(cmd) == "binstall"
        missing = [x for x, ok in (("`--locked`", locked), ("a version", versioned)) if not ok]
        if missing and crates:
            yield Hit(
                cmd.file,
                cmd.line,
                f"`cargo {_sub(cmd)} {' '.join(crates)}` without {' and '.join(missing)}: the tool and its "
                f"dependencies float{_where(cmd)}",
                evidence=cmd.text,
                column=cmd.column,
                anchor=anchor,
            )


# ---------------------------------------------------------------------------------------------- SUP005


def _pinned(uses: str) -> bool:
    if uses.startswith("./") or uses.startswith("docker://"):
        return uses.startswith("./") or "@sha256:" in uses
    ref = uses.split("@", 1)[1] if "@" in uses else ""
    return bool(SHA.match(ref))


@rule("SUP005", "unpinned-action", severity="high", checklist=[9])
def unpinned_action(project: Project) -> Iterator[Hit]:
    """Actions referenced by a mutable tag or branch in a workflow that holds deploy credentials.

    What it finds: `uses: owner/repo@v4` (or a branch, or no ref) in any job of a GitHub Actions workflow in
    which some job, step or the workflow `env` receives a Cloudflare / Fastly / deploy token
    (`${{ secrets.CLOUDFLARE_API_TOKEN }}`, `secrets: inherit`...). Local actions (`./`) and docker images
    pinned by digest are fine.

    Why it matters: a tag is a pointer the action's owner — or whoever compromises the owner — can move; the
    moved code runs in the deploy job with the API token (the tj-actions/changed-files compromise printed
    secrets of thousands of repositories this way).

    Example: `- uses: cloudflare/wrangler-action@v3` with `apiToken: ${{ secrets.CLOUDFLARE_API_TOKEN }}`.

    Fix: pin every action to a full commit SHA with the version in a comment
    (`uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0`) and let dependabot update it.
    """
    for p in project.fact(pipelines):
        if p.platform != "github":
            continue
        creds = [c for j in p.jobs for c in job_deploy_credentials(j)]
        if not creds:
            continue
        cred = _cred_list(creds)
        for job in p.jobs:
            if job.uses and not _pinned(job.uses):
                yield Hit(
                    p.file,
                    job.uses_line,
                    f"reusable workflow `{job.uses}` is not pinned to a commit SHA "
                    f"in a workflow that holds {cred}",
                    evidence=job.uses,
                    anchor=f"{job.key}:{job.uses}",
                )
            for st in job.steps:
                if st.uses and not _pinned(st.uses):
                    ref = st.ref or "no ref"
                    yield Hit(
                        p.file,
                        st.line,
                        f"`{st.uses}` is pinned to `{ref}`, not a commit SHA, in a workflow that holds {cred}",
                        evidence=st.uses,
                        anchor=f"{job.key}:{st.uses}",
                    )


def _cred_list(creds: list[tuple[str, int, str]], *, lines: bool = False) -> str:
    """Every credential named once, in order: "`A` (line 6) and `B` (line 11)" — not just the first one."""
    seen: dict[str, int] = {}
    for name, line, _scope in creds:
        seen.setdefault(name, line)
    parts = [f"`{n}` (line {ln})" if lines else f"`{n}`" for n, ln in seen.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ---------------------------------------------------------------------------------------------- SUP011

PROVENANCE_ACTIONS = (
    "actions/attest-build-provenance",
    "actions/attest",
    "sigstore/",
    "slsa-framework/slsa-github-generator",
    "sigstore/cosign-installer",
)


def _deploy_site(job: Job) -> tuple[int, str] | None:
    for st in job.steps:
        if st.action == "cloudflare/wrangler-action":
            command = str(st.with_.get("command", "deploy") or "deploy")
            if re.search(r"\b(deploy|publish|versions upload|pages deploy)\b", command):
                return st.line, st.uses or ""
        if st.action == "fastly/compute-actions" or st.action == "fastly/compute-actions/deploy":
            return st.line, st.uses or ""
        for c in st.commands:
            a = c.argv
            text = " ".join(a)
            if "wrangler" in text and re.search(
                r"\bwrangler(@\S+)?\s+(deploy|publish|versions\s+upload|pages\s+deploy)\b", text
            ):
                return c.line, c.text
            if c.program == "fastly" and a[1:3] in (["compute", "publish"], ["compute", "deploy"]):
                return c.line, c.text
    return None


def _provenance(p: Pipeline) -> bool:
    for job in p.jobs:
        for st in job.steps:
            if any(st.action.startswith(x) for x in PROVENANCE_ACTIONS):
                return True
            for c in st.commands:
                if (
                    c.program in ("cosign", "slsa-verifier")
                    or (c.program == "gh" and "attestation" in c.argv)
                    or (c.program == "npm" and "--provenance" in c.argv)
                ):
                    return True
    return False


@rule("SUP011", "unsigned-artifact", severity="low", confidence="medium")
def unsigned_artifact(project: Project) -> Iterator[Hit]:
    """A deploy pipeline that uploads a build with no signature or provenance step.

    What it finds: a CI job that deploys (`wrangler deploy`, `wrangler versions upload`, wrangler-action,
    `fastly compute publish|deploy`, the Fastly compute action) in a pipeline with no build attestation,
    sigstore/cosign signature or SLSA provenance step.

    Why it matters: without provenance nobody can later prove which commit and which build produced the code
    that ran at the edge, or tell a bundle pushed from a stolen token from one the pipeline built.

    Example: a workflow that runs `npx wrangler deploy` and nothing that attests `dist/`.

    Fix: attest the built bundle before deploying (`actions/attest-build-provenance` with `subject-path:
    dist/**`, or `cosign sign-blob`), keep the attestation with the release.
    """
    for p in project.fact(pipelines):
        if p.platform not in ("github", "gitlab") or _provenance(p):
            continue
        for job in p.jobs:
            site = _deploy_site(job)
            if site:
                yield Hit(
                    p.file,
                    site[0],
                    f"job `{job.key}` deploys a build with no signature or provenance step in the pipeline",
                    evidence=site[1],
                    anchor=f"{job.key}:deploy",
                )
