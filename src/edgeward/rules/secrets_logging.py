"""SEC006 over source: secret values (and request credentials) reaching logs, responses and errors."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Confidence, Hit
from edgeward.lang import knowledge as K
from edgeward.lang.taint import Label
from edgeward.rules._lang import Hits, error_sink, flow, flows, is_log_call, path_of, response_sink
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project


def _request_credential(lab: Label) -> bool:
    """Request data that carries credentials when written to logs: the full URL or query string (links carry
    `?token=`), credential headers, cookies, secret-named query parameters."""
    if lab.kind != "req":
        return False
    d = lab.detail
    if d in ("url", "search", "cookie"):
        return True
    if d.startswith("header:"):
        return d[7:] in K.CREDENTIAL_HEADERS
    if d.startswith("query:"):
        return bool(K.SECRETISH_PARAM.search(d[6:]))
    return False


@rule("SEC006", "secret-logged", severity="high", checklist=[2])
def secret_logged(project: Project) -> Iterator[Hit]:
    """A secret value reaching a log call, a response or an error message, also partially.

    What it finds: the value of a secret binding (Workers `env.X` / `c.env.X` / Python `self.env.X` where `X`
    is not a plain `vars` entry of the Worker's wrangler config, a Secrets Store binding, Fastly
    `SecretStore...plaintext()`) that flows — through locals, templates, concatenation, slices, helpers — into
    `console.*` / `print` / a logger, a `Response` body or header, or an `Error` message. Request credentials
    written to logs count as well: the full request URL or query string (links carry `?token=`), the
    `Authorization` / `Cookie` headers, secret-named query parameters. Logging a secret's length or whether it
    is set is fine. The message names the path the value took (source line -> sink line).

    Why it matters: Worker logs leave the edge (Logpush, tail workers, observability dashboards) and are read
    by many more people and systems than the secret store; a prefix of a key or a bearer token in a URL is
    enough to replay or brute-force it. A secret echoed in a response goes to every client.

    Example: `console.log(`-> ${request.method} ${request.url}`)` when links carry `?token=...`;
    `console.log("key", env.API_KEY.slice(0, 8))`.

    Fix: log the path (`new URL(request.url).pathname`), never the query string or credential headers; log
    `Boolean(env.API_KEY)` or its length at most; never put a secret in a response or an error message.
    """
    hits = Hits(project)
    for ev in flows(project).calls:
        if is_log_call(ev):
            sink, with_request = "a log call", True
        elif (kind := response_sink(ev)) is not None:
            sink, with_request = f"a {kind}", False
        elif error_sink(ev):
            sink, with_request = "an error message", False
        else:
            continue
        labels: list[Label] = []
        whole_env: list[Label] = []
        all_headers: list[Label] = []
        for v in [*ev.args, *ev.kwargs.values()]:
            for lab in v:
                if lab.kind == "secret" or (with_request and _request_credential(lab)):
                    labels.append(lab)
                elif lab.kind == "env" and ev.ctx.family == "javascript":
                    whole_env.append(lab)
                elif lab.kind == "headers" and with_request:
                    all_headers.append(lab)
        if not labels and all_headers and not whole_env:
            hits.add(
                ev.path,
                ev.node.line,
                f"all request headers, `Authorization` and `Cookie` included, reach {sink} "
                f"({path_of(all_headers[0], ev.path, ev.node.line)})",
                column=ev.node.col,
                key="SEC006",
                confidence=Confidence.MEDIUM,
            )
            continue
        if not labels and whole_env:
            hits.add(
                ev.path,
                ev.node.line,
                f"the whole `env` object, with every secret binding, reaches {sink}",
                column=ev.node.col,
                key="SEC006",
                confidence=Confidence.MEDIUM,
            )
            continue
        if not labels:
            continue
        labels.sort(key=lambda lab: (lab.kind != "secret", lab.path, lab.line))
        lab = labels[0]
        what = lab.describe()
        hits.add(
            ev.path,
            ev.node.line,
            f"{what} reaches {sink} ({path_of(lab, ev.path, ev.node.line)})",
            column=ev.node.col,
            key="SEC006",
            extra=flow(lab, ev.path, ev.node.line, sink),
        )
    yield from hits
