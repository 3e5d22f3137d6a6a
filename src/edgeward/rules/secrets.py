"""SEC rules over configuration: wrangler vars and define, committed local secret files, Fastly stores."""

from __future__ import annotations

import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity, redact
from edgeward.rules._util import config, key_path
from edgeward.rules.registry import rule
from edgeward.secrets.classifier import Verdict, classify
from edgeward.workspace.project import Project
from edgeward.workspace.units import compute_apps, workers


def _verdict(project: Project, name: str | None, value: object) -> Verdict:
    return classify(name, value, tuple(config(project).secret_names))


def _conf(v: Verdict) -> Confidence:
    return Confidence.parse(v.confidence)


def _sev(v: Verdict) -> Severity | None:
    """A value that is only random-looking (no secret name, no known format) is reported, but low."""
    return Severity.LOW if v.confidence == "low" else None


@rule("SEC001", "secret-in-vars", severity="high", checklist=[1])
def secret_in_vars(project: Project) -> Iterator[Hit]:
    """Secret-like values in wrangler `vars`, at the top level or in any `env.<name>.vars`.

    What it finds: a `[vars]` entry whose name and value look like a credential (a known token format, or a
    random-looking value under a name such as `API_TOKEN`), in wrangler.toml, wrangler.json or wrangler.jsonc.

    Why it matters: `vars` are plain text. They are committed with the config, shown in the dashboard, returned
    by the API to anyone with read access, and printed by `wrangler deploy`. Anyone who reads the repository or
    the account holds the credential.

    Example: `[vars]` / `AUTH_TOKEN = "9f2c7e41b0d84a6f93e5c1d27a8b4f60"`

    Fix: remove the value from `vars`, rotate it, and store it with `wrangler secret put AUTH_TOKEN` (per
    environment with `--env`); keep only non-secret settings in `vars`.
    """
    for unit in workers(project):
        for env in unit.envs:
            hit = env.own("vars")
            if hit is None or not isinstance(hit[0], dict):
                continue
            for name, value in hit[0].items():
                path = hit[1] + (name,)
                v = _verdict(project, name, value)
                if not v.is_secret:
                    continue
                yield Hit(
                    unit.config_path,
                    env.line(path),
                    f"`{key_path(path)}` holds a {v.kind} in plain-text vars ({env.label}); "
                    "use `wrangler secret put`",
                    evidence=f"{name} = {redact(str(value), v.kind)}",
                    anchor=key_path(path),
                    confidence=_conf(v),
                    severity=_sev(v),
                )


_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'`":
        return v[1:-1]
    return re.sub(r"\s+#.*$", "", v)


@rule("SEC002", "committed-local-secrets", severity="high", checklist=[1])
def committed_local_secrets(project: Project) -> Iterator[Hit]:
    """`.dev.vars*` or `.env*` files with real-looking values that are committed.

    What it finds: a local secrets file (`.dev.vars`, `.dev.vars.<env>`, `.env`, `.env.<name>`) that git
    tracks — or, when the directory is not a git repository, that no `.gitignore` rule covers — and that
    holds at least one real-looking credential. Placeholder files (`KEY=`, `KEY=<your key>`) stay silent.

    Why it matters: these files exist to keep secrets out of the repository; once committed, every clone and
    fork holds them, and they stay in history after deletion.

    Example: `.dev.vars` with `STRIPE_SECRET_KEY=sk_live_...`, while `.gitignore` lists only `.env`.

    Fix: `git rm --cached .dev.vars`, add `.dev.vars*` and `.env*` to `.gitignore` (keep a placeholder
    `.dev.vars.example`), and rotate every value the file held.
    """
    for info in project.glob(".dev.vars*", ".env", ".env.*"):
        if not project.is_exposed(info.path):
            continue
        state = "tracked by git" if info.tracked else "not covered by any ignore rule"
        for i, line in enumerate(project.lines(info.path), 1):
            if line.lstrip().startswith("#"):
                continue
            m = _ASSIGN.match(line)
            if not m:
                continue
            name, value = m.group(1), _unquote(m.group(2))
            v = _verdict(project, name, value)
            if v.is_secret:
                yield Hit(
                    info.path,
                    i,
                    f"`{name}` holds a {v.kind} in {info.name}, which is {state}",
                    evidence=f"{name}={redact(value, v.kind)}",
                    anchor=name,
                    confidence=_conf(v),
                    severity=_sev(v),
                )


@rule("SEC003", "secret-in-define", severity="high", checklist=[1])
def secret_in_define(project: Project) -> Iterator[Hit]:
    """Secrets inlined at build time through wrangler `define`.

    What it finds: a `define` entry (top level or `env.<name>.define`) whose replacement is a credential
    literal. `define` text is pasted into the bundle at every use.

    Why it matters: the value ends up in the deployed script, which is readable by anyone with access to the
    account, by every tail and source-map consumer, and in the repository itself.

    Example: `[define]` / `STRIPE_KEY = "'sk_live_...'"`

    Fix: read the value at run time from a secret binding (`env.STRIPE_KEY`) and rotate the inlined one.
    """
    for unit in workers(project):
        for env in unit.envs:
            hit = env.own("define")
            if hit is None or not isinstance(hit[0], dict):
                continue
            for name, value in hit[0].items():
                if not isinstance(value, str):
                    continue
                path = hit[1] + (name,)
                literal = _unquote(value)
                v = _verdict(project, name.rsplit(".", 1)[-1], literal)
                if v.is_secret:
                    yield Hit(
                        unit.config_path,
                        env.line(path),
                        f"`{key_path(path)}` inlines a {v.kind} into the bundle at build time ({env.label})",
                        evidence=f"{name} = {redact(literal, v.kind)}",
                        anchor=key_path(path),
                        confidence=_conf(v),
                        severity=_sev(v),
                    )


def _store_items(doc, base: tuple) -> Iterator[tuple[tuple, str, object]]:
    """(path, key, value) of every entry of every config store / dictionary under `base`."""
    stores = doc.get(base, {})
    if not isinstance(stores, dict):
        return
    for sname, store in stores.items():
        if not isinstance(store, dict):
            continue
        for section in ("contents", "items"):
            items = store.get(section)
            if isinstance(items, dict):
                for key, value in items.items():
                    if isinstance(value, dict):  # [setup.config_stores.X.items.KEY] value = "..."
                        yield base + (sname, section, key, "value"), key, value.get("value")
                    else:
                        yield base + (sname, section, key), key, value


@rule("SEC007", "secret-in-config-store", severity="medium", checklist=[1], platforms=("fastly",))
def secret_in_config_store(project: Project) -> Iterator[Hit]:
    """Secret-like keys kept in a Fastly Config Store or Edge Dictionary.

    What it finds: an entry of `[local_server.config_stores]`, `[local_server.dictionaries]` or
    `[setup.config_stores]` in fastly.toml whose key names a secret (token, password, api key...) or whose
    value looks like a credential.

    Why it matters: Config Store and dictionary values are not secret: they are readable in the Fastly web
    interface and through the API by anyone with access to the service, and they are committed here.

    Example: `[local_server.config_stores.settings.contents]` / `origin_api_key = "..."`

    Fix: move the value to a Secret Store (`[setup.secret_stores]`, read with `SecretStore::open(...)`) and
    rotate it.
    """
    from edgeward.secrets.classifier import is_placeholder, is_secret_name

    for unit in compute_apps(project):
        doc = unit.doc
        for base in (
            ("local_server", "config_stores"),
            ("local_server", "dictionaries"),
            ("setup", "config_stores"),
            ("setup", "dictionaries"),
        ):
            for path, key, value in _store_items(doc, base):
                if not isinstance(value, str) or not value:
                    continue
                v = _verdict(project, key, value)
                if v.is_secret:
                    kind, conf = v.kind, _conf(v)
                elif is_secret_name(key) and not v.example and not is_placeholder(value):
                    kind, conf = "secret-named entry", Confidence.MEDIUM
                else:
                    continue
                where = (
                    "fastly.toml's local test config store: it is committed with the repository, and a "
                    "deployed config store would show it in the Fastly UI and API"
                    if base[0] == "local_server"
                    else "a config store, whose values are visible in the Fastly UI and API (and it is "
                    "committed in fastly.toml)"
                )
                yield Hit(
                    unit.config_path,
                    doc.line(path),
                    f"`{key_path(path)}` keeps a {kind} in {where}",
                    evidence=f"{key} = {redact(value, kind)}",
                    anchor=key_path(path),
                    confidence=conf,
                )


@rule("SEC008", "secret-in-local-server", severity="medium", checklist=[1], platforms=("fastly",))
def secret_in_local_server(project: Project) -> Iterator[Hit]:
    """Real-looking secret data written inline in fastly.toml secret store entries.

    What it finds: `[[local_server.secret_stores.<store>]]` entries (or `[setup.secret_stores]` entries) whose
    `data` is a real-looking credential rather than a placeholder or a `file`/`env` reference.

    Why it matters: fastly.toml is committed; inline data meant for the local test server is very often the
    production value copied in, and it is now in every clone.

    Example: `[[local_server.secret_stores.keys]]` / `key = "signing"` / `data = "k3y-m4t3r1al..."`

    Fix: point local entries at an untracked file (`file = "..."`) or an environment variable (`env = "..."`)
    and keep dummy values in the repository.
    """
    for unit in compute_apps(project):
        doc = unit.doc
        for base in (("local_server", "secret_stores"), ("setup", "secret_stores")):
            stores = doc.get(base, {})
            if not isinstance(stores, dict):
                continue
            for sname, entries in stores.items():
                seq = entries if isinstance(entries, list) else [entries]
                for i, entry in enumerate(seq):
                    if not isinstance(entry, dict) or not isinstance(entry.get("data"), str):
                        continue
                    idx = (i,) if isinstance(entries, list) else ()
                    path = base + (sname,) + idx + ("data",)
                    key = str(entry.get("key") or "secret")
                    v = _verdict(project, key, entry["data"])
                    if not v.is_secret:
                        v2 = _verdict(project, "secret", entry["data"])
                        if not v2.is_secret:
                            continue
                        v = v2
                    yield Hit(
                        unit.config_path,
                        doc.line(path),
                        f"secret store `{sname}` entry `{key}` holds inline {v.kind} data in fastly.toml",
                        evidence=f"data = {redact(entry['data'], v.kind)}",
                        anchor=key_path(path),
                        confidence=_conf(v),
                        severity=_sev(v),
                    )
