"""PLT rules: how the Worker is exposed and built."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity
from edgeward.rules._util import config, is_template_token, key_path
from edgeward.rules.registry import rule
from edgeward.workspace.lockfiles import locked_version
from edgeward.workspace.manifests import package_scripts
from edgeward.workspace.project import Project
from edgeward.workspace.units import compute_apps, parse_version, workers

PREVIEW_URLS_FOLLOW_WORKERS_DEV = (4, 34, 0)  # before this release preview_urls defaulted to on


@rule("PLT001", "public-workers-dev", severity="high")
def public_workers_dev(project: Project) -> Iterator[Hit]:
    """A routed Worker that keeps its `*.workers.dev` URL or preview URLs reachable.

    What it finds: an environment with routes or custom domains where `workers_dev` or `preview_urls` is on —
    set to true, or left unset. Unset values are judged by the locked wrangler version: `workers_dev` unset is
    off only when routes are configured at deploy time (and earlier deploys or the dashboard may have turned
    it on); `preview_urls` unset was on for wrangler before 4.34.0 and follows `workers_dev` after.

    Why it matters: the `*.workers.dev` hostname and the version preview URLs reach the same code without
    passing the zone: no WAF, no Access policy, no rate limiting rule, no Authenticated Origin Pulls. An
    attacker who guesses `<name>.<subdomain>.workers.dev` skips every zone control.

    Example: `routes = [{ pattern = "api.example.com/*", zone_name = "example.com" }]` with no `workers_dev`.

    Fix: set `workers_dev = false` and `preview_urls = false` explicitly in every routed environment.
    """
    for unit in workers(project):
        locked = locked_version(project, unit.lockfile, "wrangler")
        wver = parse_version(locked.version) if locked else None
        for env in unit.envs:
            if (
                env.name is not None
                and env.own("routes") is None
                and env.own("route") is None
                and env.own("workers_dev") is None
                and env.own("preview_urls") is None
            ):
                continue  # nothing of its own: the top-level finding covers it
            routes = env.routes()
            if not routes:
                continue
            wd = env.get("workers_dev")
            pu = env.get("preview_urls")
            old_wrangler = wver is not None and wver < PREVIEW_URLS_FOLLOW_WORKERS_DEV
            problems: list[str] = []
            explicit: list[tuple] = []
            if wd is not None and wd[0] is True:
                problems.append("`workers_dev = true`")
                explicit.append(wd[1])
            elif wd is None:
                problems.append(
                    "`workers_dev` is unset: only wrangler's deploy-time default keeps it off, and "
                    "an earlier deploy or the dashboard may have turned it on"
                )
            if pu is not None and pu[0] is True:
                problems.append("`preview_urls = true`")
                explicit.append(pu[1])
            elif pu is None and old_wrangler:
                problems.append(
                    f"`preview_urls` is unset, which means on with the locked wrangler {locked.version}"
                )
            elif pu is None and wd is None:
                problems.append("`preview_urls` is unset and follows `workers_dev`")
            strong = bool(explicit) or (pu is None and old_wrangler)
            severity = Severity.HIGH if strong else Severity.MEDIUM
            confidence = Confidence.HIGH if strong else Confidence.MEDIUM
            line_path = explicit[0] if explicit else tuple(k for k in routes[0][1] if not isinstance(k, int))
            if not problems:
                continue
            yield Hit(
                unit.config_path,
                env.line(line_path),
                f"routed Worker ({env.label}) {'stays' if strong else 'may stay'} reachable outside the zone: "
                + "; ".join(problems),
                evidence=f"{len(routes)} route(s); workers_dev={_show(wd)}; preview_urls={_show(pu)}",
                anchor=f"{env.label}",
                severity=severity,
                confidence=confidence,
            )


def _show(hit) -> str:
    return "unset" if hit is None else str(hit[0]).lower()


@rule("PLT002", "no-bundle", severity="medium")
def no_bundle(project: Project) -> Iterator[Hit]:
    """`no_bundle = true`: wrangler uploads the modules as they are, unbundled.

    What it finds: `no_bundle = true` at the top level or in an environment of a wrangler config.

    Why it matters: without bundling the upload is whatever a custom build left in the output directory —
    no tree-shaking, no dependency resolution from the lockfile that wrangler checks, nothing that ties the
    deployed code to what was reviewed.

    Example: `no_bundle = true` with `[build] command = "./build.sh"`

    Fix: let wrangler bundle (remove `no_bundle`), or make the custom build reproducible from the lockfile
    and scan its output before upload.
    """
    for unit in workers(project):
        for env in unit.envs:
            hit = env.own("no_bundle")
            if hit and hit[0] is True:
                yield Hit(
                    unit.config_path,
                    env.line(hit[1]),
                    f"`no_bundle = true` ({env.label}): modules ship unbundled",
                    evidence=f"{key_path(hit[1])} = true",
                    anchor=key_path(hit[1]),
                )


@rule("PLT003", "stale-compatibility-date", severity="info")
def stale_compatibility_date(project: Project) -> Iterator[Hit]:
    """`compatibility_date` older than the configured age (default 365 days).

    What it finds: a wrangler `compatibility_date` more than `compatibility-date-max-age-days` days in the
    past (configuration, default 365), or one that is not a date (a whole-value template placeholder such as
    `<COMPATIBILITY_DATE>` in a scaffold is skipped: the generator fills it in).

    Why it matters: the date pins runtime behaviour; a very old date keeps old, sometimes less safe, defaults
    (for example around `fetch` redirects, headers and Node compatibility) that newer dates fix.

    Example: `compatibility_date = "2022-01-01"`

    Fix: move the date forward after reading the compatibility flags changelog, and test.
    """
    today = project.options.get("today") or dt.date.today()
    max_age = config(project).compat_max_age_days
    for unit in workers(project):
        for env in unit.envs:
            hit = env.own("compatibility_date")
            if hit is None:
                continue
            value, path = hit
            if is_template_token(value):
                continue  # `<COMPATIBILITY_DATE>` in a scaffold: the generator writes today's date
            try:
                date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except ValueError:
                yield Hit(
                    unit.config_path,
                    env.line(path),
                    f"`compatibility_date` {value!r} is not a date",
                    evidence=f"compatibility_date = {value!r}",
                    anchor=key_path(path),
                )
                continue
            age = (today - date).days
            if age > max_age:
                yield Hit(
                    unit.config_path,
                    env.line(path),
                    f"`compatibility_date` is {age} days old (limit {max_age})",
                    evidence=f'compatibility_date = "{date.isoformat()}"',
                    anchor=key_path(path),
                )


_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])(:\d+)?$")
_WRANGLER_DEV = re.compile(r"\bwrangler(?:@[\w.^~-]+)?\s+(?:pages\s+)?dev\b(?P<args>[^;&|\n]*)")
_FASTLY_SERVE = re.compile(r"\bfastly\s+compute\s+serve\b(?P<args>[^;&|\n]*)")
_FLAG = re.compile(r"--(?P<flag>ip|inspector-ip|host|addr)(?:=|\s+)(?P<value>\S+)")


def dev_bind_problems(command: str) -> list[tuple[str, str]]:
    """(flag, address) of dev-server bind flags that reach beyond loopback in one shell command line."""
    out = []
    for rx in (_WRANGLER_DEV, _FASTLY_SERVE):
        for m in rx.finditer(command):
            for f in _FLAG.finditer(m.group("args")):
                flag, value = f.group("flag"), f.group("value").strip("'\"")
                if flag == "host":
                    continue  # wrangler --host is the upstream host, not the bind address
                addr = value.rsplit(":", 1)[0] if flag == "addr" and value.count(":") == 1 else value
                if not _LOOPBACK.match(addr) and not _LOOPBACK.match(value):
                    out.append((f"--{flag}", value))
    return out


@rule("PLT004", "dev-server-exposed", severity="medium")
def dev_server_exposed(project: Project) -> Iterator[Hit]:
    """A local dev server bound beyond loopback.

    What it finds: `wrangler dev --ip 0.0.0.0`, `--inspector-ip` on a non-loopback address, `[dev] ip` in a
    wrangler config, or `fastly compute serve --addr 0.0.0.0:...`, in package.json scripts, shell scripts,
    Makefiles, fastly.toml `[scripts]` and CI files.

    Why it matters: the dev server serves local bindings, `.dev.vars` secrets and (for some versions) local
    files to anyone on the same network; the inspector port gives code execution in the dev process.

    Example: `"dev": "wrangler dev --ip 0.0.0.0"`

    Fix: bind to 127.0.0.1 (the default) and reach it through an SSH tunnel or a port forward when needed.
    """
    for unit in workers(project):
        for env in unit.envs:
            for key in ("dev.ip", "dev.inspector_ip"):
                hit = env.own(key)
                if hit and isinstance(hit[0], str) and not _LOOPBACK.match(hit[0]):
                    yield Hit(
                        unit.config_path,
                        env.line(hit[1]),
                        f"`{key_path(hit[1])}` binds the dev server to {hit[0]}",
                        evidence=f"{key_path(hit[1])} = {hit[0]!r}",
                        anchor=key_path(hit[1]),
                    )
    for info in project.glob("package.json"):
        for name, (cmd, line) in package_scripts(project, info.path).items():
            for flag, value in dev_bind_problems(cmd):
                yield Hit(
                    info.path,
                    line,
                    f"script `{name}` binds a dev server to {value} ({flag})",
                    evidence=cmd[:200],
                    anchor=f"{name}{flag}",
                )
    for unit in compute_apps(project):
        scripts = unit.doc.get(("scripts",), {})
        if isinstance(scripts, dict):
            for name, cmd in scripts.items():
                if isinstance(cmd, str):
                    for flag, value in dev_bind_problems(cmd):
                        yield Hit(
                            unit.config_path,
                            unit.doc.line(("scripts", name)),
                            f"fastly.toml script `{name}` binds a dev server to {value} ({flag})",
                            evidence=cmd[:200],
                            anchor=f"{name}{flag}",
                        )
    for info in project.glob(
        "*.sh",
        "Makefile",
        "*.mk",
        "Justfile",
        "justfile",
        "Taskfile.yml",
        ".github/workflows/*.yml",
        ".github/workflows/*.yaml",
        ".gitlab-ci.yml",
    ):
        for i, line in enumerate(project.lines(info.path), 1):
            if "dev" not in line and "serve" not in line:
                continue
            for flag, value in dev_bind_problems(line):
                yield Hit(
                    info.path,
                    i,
                    f"dev server bound to {value} ({flag})",
                    evidence=line.strip()[:200],
                    anchor=f"{line.strip()}",
                )
