"""SEC rules over source and build scripts: credential literals (SEC009), secrets compiled in by build flags
(SEC005, build-script part) and bundler `define` tables in build config files (SEC003, build-config part)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity, redact
from edgeward.rules._util import config
from edgeward.rules.registry import get, part, rule
from edgeward.secrets.buildconf import build_defines, build_flags
from edgeward.secrets.classifier import classify, is_placeholder, is_secret_name
from edgeward.secrets.scan import redact_line, secret_scan
from edgeward.workspace.project import Project

# Rules that report secrets in configuration at their own place; SEC009 stays silent there.
_OWNERS = ("SEC001", "SEC002", "SEC003", "SEC005", "SEC007", "SEC008")


def secret_anchor(*parts: str, secret: str) -> str:
    """A fingerprint anchor that names a secret without holding it."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return "|".join(parts) + "|" + digest


def _claimed(project: Project) -> set[tuple[str | None, int]]:
    cfg = config(project)
    out: set[tuple[str | None, int]] = set()
    for code in _OWNERS:
        r = get(code)
        if r is None or not r.implemented or not cfg.selected(code):
            continue
        try:
            out.update((h.path, h.line) for h in r.run(project))
        except Exception:  # noqa: BLE001  (the owner's failure is reported when it runs itself)
            continue
    return out


def claimed(project: Project) -> set[tuple[str | None, int]]:
    return project.fact(_claimed)


@rule("SEC009", "hardcoded-credential", severity="high", checklist=[1])
def hardcoded_credential(project: Project) -> Iterator[Hit]:
    """A credential literal written in source code or configuration.

    What it finds: a value with the format of a known credential (about 90 detectors: Cloudflare, Fastly, AWS,
    GCP, Azure, GitHub, GitLab, npm, PyPI, Slack, Stripe, Twilio, SendGrid, OpenAI, Anthropic, Supabase,
    Sentry, Datadog, Splunk, Auth0, Okta...), a private key block, a URL with a password, or a high-entropy
    value assigned to a secret-like name (`*_SECRET`, `*_TOKEN`, `apiKey`...), in any source or config file;
    and Basic-auth credentials decoded from the `Authorization` header checked against string literals.
    Documented example values (such as AWS's `...EXAMPLE` keys) are reported at `info` as examples. Places
    that SEC001, SEC002, SEC003, SEC005, SEC007 and SEC008 report are not reported again.

    Why it matters: a literal in an edge entry module ships in the deployed bundle, which anyone with account
    access, every source-map consumer and sometimes the public can read; it is also in every clone of the
    repository and stays in its history after deletion.

    Example: `const SAFE_BROWSING_KEY = "AIzaSy...";` in `src/index.js`.

    Fix: rotate the credential, then read it at run time from a secret binding (`wrangler secret put NAME`
    and `env.NAME`; a Fastly Secret Store), never from a literal.
    """
    scan = project.fact(secret_scan)
    taken = claimed(project)
    by_file: dict[str, list[tuple[str, str]]] = {}
    for f in scan.sources:
        by_file.setdefault(f.path, []).append((f.match.secret, f.match.kind))
    for f in scan.sources:
        if (f.path, f.line) in taken:
            continue
        m = f.match
        kind = m.kind
        evidence = redact_line(f.line_text, by_file[f.path])
        anchor = secret_anchor(m.detector.id, m.name or "", secret=m.secret)
        if m.example:
            yield Hit(
                f.path,
                f.line,
                f"documented example {kind} (not a live secret); replace it with a reference to a secret",
                evidence=evidence,
                column=f.column,
                anchor=anchor,
                severity=Severity.INFO,
                confidence=Confidence.LOW,
            )
            continue
        named = f" assigned to `{m.name}`" if m.name else ""
        where = "documentation" if f.role == "doc" else "source"
        conf = Confidence.HIGH
        if m.detector.generic or f.role == "doc":
            conf = Confidence.MEDIUM
        yield Hit(
            f.path,
            f.line,
            f"{kind}{named} written as a literal in {where}: {redact(m.secret, kind)}",
            evidence=evidence,
            column=f.column,
            anchor=anchor,
            confidence=conf,
            extra={"secret_kind": kind, "detector": m.detector.id},
        )


# ------------------------------------------------------------------------------------------ SEC005 (scripts)

# Values made to be shipped to clients: a browser Sentry DSN, a Turnstile/reCAPTCHA site key.
_PUBLIC_BY_DESIGN = re.compile(r"(?i)(dsn$|site[_-]?key$|public|publishable)")


def _flag_verdict(name: str, value: str, env: str | None) -> tuple[bool, str, str]:
    """(report?, what is compiled in, confidence) for one `-X` or `--define:` flag."""
    short = name.rsplit(".", 1)[-1]
    if env:
        if _PUBLIC_BY_DESIGN.search(env) or _PUBLIC_BY_DESIGN.search(short):
            return False, "", ""
        if is_secret_name(short) or is_secret_name(env):
            return True, f"the build environment's `{env}`", "high"
        return False, "", ""
    v = classify(short, value)
    if v.is_secret:
        return True, f"a {v.kind} literal", v.confidence
    if is_secret_name(short) and value and not is_placeholder(value):
        return True, "a value", "medium"
    return False, "", ""


@rule("SEC005", "secret-compiled-in", severity="high", checklist=[1])
def secret_compiled_in(project: Project) -> Iterator[Hit]:
    """Secret material compiled into the edge binary or bundle at build time.

    What it finds: Go `-ldflags "-X main.apiKey=..."` that sets a secret-like variable, and esbuild
    `--define:API_KEY=...` flags with a secret-like name or a credential value, in package.json scripts,
    fastly.toml `[scripts]`, Makefiles, shell scripts and CI workflows; Rust `env!`, `option_env!`,
    `include_str!` and `include_bytes!` of secret material (Rust part).

    Why it matters: whatever is compiled in ships inside the `.wasm` or the bundle; `strings` on the
    deployed package, or reading its data segment, gives the secret to anyone who obtains the artifact, and
    rotating it needs a rebuild.

    Example: `[scripts]` / `build = "go build -ldflags '-X main.apiToken=$API_TOKEN' -o bin/main.wasm"`

    Fix: read the secret at run time from the platform's secret store (Fastly Secret Store, a Worker secret
    binding) and keep build flags for non-secret values such as the version.
    """
    for flag in build_flags(project):
        report, what, conf = _flag_verdict(flag.name, flag.value, flag.env)
        if not report:
            continue
        shown = flag.value if flag.env else redact(flag.value, "secret")
        how = "`-ldflags -X`" if flag.flag == "ldflags" else "`--define:`"
        yield Hit(
            flag.path,
            flag.line,
            f"{how} compiles {what} into the build as `{flag.name}`",
            evidence=f"{flag.name}={shown}",
            column=flag.column,
            anchor=f"{flag.flag}|{flag.name}",
            confidence=Confidence.parse(conf),
        )


# ------------------------------------------------------------------------------------------ SEC003 (configs)


@part("SEC003")
def secret_in_build_define(project: Project) -> Iterator[Hit]:
    """esbuild / vite / webpack / tsup `define` entries in build config files that inline a secret."""
    for d in build_defines(project):
        short = d.name.rsplit(".", 1)[-1]
        if d.env:
            if not (is_secret_name(short) or is_secret_name(d.env)) or _PUBLIC_BY_DESIGN.search(d.env):
                continue
            yield Hit(
                d.path,
                d.line,
                f"`define` replaces `{d.name}` with the build environment's `{d.env}` at build time: "
                "the secret is pasted into the bundle",
                evidence=f"{d.name}: <{d.env} from the build environment>",
                column=d.column,
                anchor=f"define|{d.name}",
            )
            continue
        if d.literal is None:
            continue
        v = classify(short, d.literal)
        if not v.is_secret:
            continue
        yield Hit(
            d.path,
            d.line,
            f"`define` inlines a {v.kind} as `{d.name}` into the bundle at build time",
            evidence=f"{d.name}: {redact(d.literal, v.kind)}",
            column=d.column,
            anchor=f"define|{d.name}",
            confidence=Confidence.parse(v.confidence),
        )
