"""ISO rules over configuration: namespaces shared between bindings or environments."""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Hit
from edgeward.rules._util import key_path
from edgeward.rules.registry import rule
from edgeward.workspace.project import Project
from edgeward.workspace.units import workers


@rule("ISO005", "shared-namespace-id", severity="high")
def shared_namespace_id(project: Project) -> Iterator[Hit]:
    """One KV / D1 / R2 namespace bound twice in a Worker, or shared between environments.

    What it finds: the same namespace id (KV `id`, D1 `database_id`, R2 `bucket_name`, Hyperdrive, Vectorize,
    queue) bound under two bindings of one environment, or bound by a named environment and by the top level
    (production) or another environment of the same Worker.

    Why it matters: a staging or preview deployment that writes to the production namespace reads and
    overwrites production sessions, tokens and tenant data; code with weaker review and debug settings gets
    production state. Two bindings to one namespace defeat per-purpose key separation.

    Example: `[[env.staging.kv_namespaces]]` / `id = "0f2a..."`, the same id as the top-level `SESSIONS`.

    Fix: create a namespace per environment (`wrangler kv namespace create SESSIONS --env staging`) and bind
    each environment to its own id.
    """
    for unit in workers(project):
        first: dict[tuple[str, str], tuple] = {}  # (kind, id) -> (env label, binding, path)
        for env in unit.envs:
            for b in env.bindings():
                ident = b["id"]
                if not isinstance(ident, str) or not ident:
                    continue
                key = (b["kind"], ident)
                if key in first:
                    other_env, other_binding, _ = first[key]
                    where = "in the same environment" if other_env == env.label else f"with {other_env}"
                    yield Hit(
                        unit.config_path,
                        env.line(b["path"]),
                        f"{b['kind']} `{ident[:8]}…` bound as `{b['binding']}` ({env.label}) is shared "
                        f"{where} (binding `{other_binding}`)",
                        evidence=f'{key_path(b["path"])} = "{ident}"',
                        anchor=f"{key_path(b['path'])}:{ident}",
                    )
                else:
                    first[key] = (env.label, b["binding"], b["path"])
