"""SEC004: credentials inside built artifacts — what an attacker who reads the deployed bundle finds."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Confidence, Hit, Severity, redact
from edgeward.rules.registry import rule
from edgeward.rules.secrets_source import secret_anchor
from edgeward.secrets.detectors import KNOWN_VALUE
from edgeward.secrets.scan import secret_scan
from edgeward.workspace.project import Project

_WHAT = {
    "bundle": "built bundle",
    "map": "source map",
    "wasm": "WebAssembly module",
    "package": "Fastly Compute package",
}


@rule("SEC004", "secret-in-artifact", severity="high", checklist=[1])
def secret_in_artifact(project: Project) -> Iterator[Hit]:
    """A credential inside a built artifact: bundle, source map, `.wasm` module or Compute package.

    What it finds: credentials (the SEC009 detector catalog, plus every secret value the project defines in
    `.dev.vars*`, `.env*` or a `define`) in JS bundles and wrangler output (`dist/`, `build/`,
    `.wrangler/`, `*.min.js`, streamed, however long the lines), in source maps (`sourcesContent`, reported
    at the original file and line), in `.wasm` modules (data segments and custom sections such as `name` and
    `producers`, parsed by section) and in Fastly packages (`pkg/*.tar.gz`, read in memory with limits,
    never extracted). When the value is defined elsewhere in the repository the finding says where it came
    from.

    Why it matters: the deployed artifact is what an attacker reads — from the dashboard, a leaked package,
    a public source map or the `.wasm` itself. A secret in it is disclosed to anyone who gets the artifact,
    whatever the source repository's access rules.

    Example: `worker/dist/index.js` holding `"sk_live_..."` because `define` inlined `STRIPE_KEY`.

    Fix: rotate the credential; read it at run time from a secret binding or a Fastly Secret Store; stop
    inlining it (`define`, `-ldflags -X`, `include_str!`); do not publish source maps with
    `sourcesContent`; keep build output out of git.
    """
    scan = project.fact(secret_scan)
    for f in scan.artifacts:
        m = f.match
        origin = f" — it comes from {f.origin}" if f.origin else ""
        if m.detector is KNOWN_VALUE:
            kind = "secret value"
            what = f"the secret value defined in {m.origin}"
            origin = ""
        else:
            kind = m.kind
            what = f"a {'documented example ' if m.example else ''}{kind}"
        if f.artifact:  # found through a source map, reported at the original source
            message = (
                f"source map `{f.artifact}` publishes {what} from this line in its `sourcesContent`{origin}"
            )
            art = f.artifact
        else:
            where = f" ({f.where})" if f.where else ""
            message = f"{_WHAT.get(f.role, 'artifact')} `{f.path}` contains {what}{where}{origin}"
            art = f.path
        yield Hit(
            f.path,
            f.line,
            message,
            evidence=redact(m.secret, kind),
            column=f.column,
            anchor=secret_anchor(art, m.detector.id, secret=m.secret),
            severity=Severity.INFO if m.example else None,
            confidence=Confidence.LOW if m.example else None,
            extra={
                "artifact": art,
                "artifact_kind": f.role,
                "secret_kind": kind,
                **({"origin": f.origin} if f.origin else {}),
                **({"location": f.where} if f.where else {}),
            },
        )
