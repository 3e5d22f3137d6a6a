"""CI pipelines as facts: GitHub Actions workflows and composite actions, GitLab CI, and the shell scripts,
package.json scripts, `fastly.toml [scripts]` and wrangler `[build] command` they run.

`pipelines(project)` gives every pipeline with its jobs and steps (with lines); `commands(project)` gives every
simple shell command reached from them, one `Command` per command with its file, line and column, the
operator that follows it (`&&`, `||`, `|`, `;`), whether `set +e` / a missing `pipefail` makes its failure
harmless, and the job and step it belongs to. `npm run X`, `pnpm X`, `yarn X`, `bash scripts/x.sh` and
`./scripts/x.sh` are followed (five levels at most), so a command in a script keeps the file and line of the
script.

GitLab `extends` (chains and lists, hidden `.templates`) and YAML anchors / merge keys are resolved; `include`
is not fetched. YAML aliases are expanded with a node budget, so a billion-laughs document becomes a note.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from edgeward.workspace.docs import ConfigDoc, load_jsonc, load_toml, load_yaml
from edgeward.workspace.project import Project, join_rel

MAX_NODES = 100_000
MAX_DEPTH = 5
SECRET_REF = re.compile(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")
DEPLOY_SECRET = re.compile(
    r"^(CLOUDFLARE|CF|FASTLY|WRANGLER)_?(API_?)?(TOKEN|KEY|SECRET)$|"
    r"^(CLOUDFLARE|CF|FASTLY|WRANGLER).*(TOKEN|API_?KEY|SECRET)|DEPLOY.*(TOKEN|KEY)",
    re.I,
)
DEPLOY_ENV_NAMES = (
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_API_KEY",
    "CF_API_TOKEN",
    "FASTLY_API_TOKEN",
    "FASTLY_API_KEY",
)
GITLAB_RESERVED = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
}


# ------------------------------------------------------------------------------------------------ model


@dataclass
class Command:
    file: str
    line: int
    column: int
    text: str
    argv: list[str]
    op_after: str = ""  # "", "&&", "||", "|", ";", "&"
    handler: str = ""  # the command after `||` (e.g. "true"), when op_after is "||"
    errexit_off: bool = False  # `set +e` in effect
    pipefail: bool = False
    env: dict[str, str] = field(default_factory=dict)  # inline `VAR=value cmd`
    cwd: str = ""  # project-relative working directory
    origin: str = "workflow"  # workflow, gitlab, script, package.json, fastly.toml, wrangler
    via: str = ""  # "npm run build (.github/workflows/ci.yml:12)"
    job: Job | None = None
    step: Step | None = None
    index: int = 0  # order within its job
    condition: bool = False  # the test of `if` / `while` / `until` or negated with `!`: failure is a branch

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    def has(self, *flags: str) -> bool:
        return any(a == f or a.startswith(f + "=") for a in self.argv for f in flags)

    @property
    def swallowed(self) -> bool:
        """Its failure cannot fail the job: `|| true`, `set +e`, or piped without pipefail."""
        return (
            self.op_after == "||"
            or self.errexit_off
            or self.condition
            or (self.op_after == "|" and not self.pipefail)
        )


@dataclass
class Step:
    file: str
    line: int
    index: int
    name: str = ""
    uses: str | None = None
    with_: dict[str, Any] = field(default_factory=dict)
    with_lines: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    env_lines: dict[str, int] = field(default_factory=dict)
    run: str | None = None
    run_line: int = 0
    continue_on_error: bool = False
    working_directory: str = ""
    shell: str = ""
    commands: list[Command] = field(default_factory=list)
    job: Job | None = None

    @property
    def action(self) -> str:
        """`owner/repo[/path]` of `uses:` without the ref, lower case."""
        return (self.uses or "").split("@", 1)[0].lower()

    @property
    def ref(self) -> str:
        return (self.uses or "").split("@", 1)[1] if "@" in (self.uses or "") else ""


@dataclass
class Job:
    file: str
    key: str
    line: int
    platform: str  # github, gitlab, action
    env: dict[str, str] = field(default_factory=dict)
    env_lines: dict[str, int] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    continue_on_error: bool = False
    continue_on_error_line: int = 0
    allow_failure: bool = False
    allow_failure_line: int = 0
    uses: str | None = None  # reusable workflow
    uses_line: int = 0
    secrets_inherit: bool = False
    artifact_paths: list[str] = field(default_factory=list)
    pipeline: Pipeline | None = None
    matrix: Any = None  # GitHub `strategy.matrix` as written (a mapping, or an expression string)

    def commands(self) -> list[Command]:
        return [c for s in self.steps for c in s.commands]

    def matrix_values(self, axis: str) -> list[str] | None:
        """Every value `${{ matrix.<axis> }}` can take in this job (the axis list plus `include` entries), or
        None when it cannot be known (no such axis, a `fromJSON(...)` matrix, an expression as a value)."""
        m = self.matrix
        if not isinstance(m, dict):
            return None
        values: list[str] = []
        axis_list = m.get(axis)
        if isinstance(axis_list, list):
            values += [str(v) for v in axis_list if not isinstance(v, dict | list)]
        elif axis_list is not None:
            return None
        include = m.get("include")
        if isinstance(include, list):
            for entry in include:
                if isinstance(entry, dict) and axis in entry and not isinstance(entry[axis], dict | list):
                    values.append(str(entry[axis]))
        elif include is not None:
            return None
        if not values or any("${{" in v for v in values):
            return None
        return values

    def expand_matrix(self, text: str) -> list[str]:
        """`text` with a `${{ matrix.<axis> }}` reference replaced by each value the axis takes; `[text]` when
        the text has no (single, resolvable) matrix reference."""
        refs = set(_MATRIX_REF.findall(text))
        if len(refs) != 1:
            return [text]
        values = self.matrix_values(next(iter(refs)))
        if values is None:
            return [text]
        return [_MATRIX_REF.sub(lambda _m, v=v: v, text) for v in values]


_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


@dataclass
class Pipeline:
    file: str
    platform: str  # github, gitlab, action
    jobs: list[Job] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    env_lines: dict[str, int] = field(default_factory=dict)
    doc: ConfigDoc | None = None


# ------------------------------------------------------------------------------------------------ YAML


def load_yaml_bounded(text: str) -> ConfigDoc:
    """YAML with positions; aliases are expanded within docs.load_yaml's node budget (alias bombs refused)."""
    return load_yaml(text)


# ------------------------------------------------------------------------------------------------ shell

_OPS = ("&&", "||", ";;", "|&", "|", ";", "&")
_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "{", "(", "exec", "sudo"}
_ENDERS = {"fi", "done", "esac", "}", ")"}


def split_commands(script: str, first_line: int, *, col_base: int = 1) -> list[tuple[int, int, str, str]]:
    """(line, column, command text, operator after it) for every simple command of a shell script."""
    out: list[tuple[int, int, str, str]] = []
    lines = script.split("\n")
    i = 0
    while i < len(lines):
        start = i
        logical = lines[i]
        while logical.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            logical = logical.rstrip()[:-1] + " " + lines[i].strip()
        i += 1
        for col, text, op in _split_line(logical):
            out.append((first_line + start, col + col_base - 1, text, op))
    return out


def _split_line(line: str) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    buf_start = None
    j = 0
    n = len(line)
    quote = ""
    depth = 0  # $( ... ) and ` ... `
    cur_start = 0
    while j < n:
        c = line[j]
        if quote:
            if c == "\\" and quote == '"':
                j += 2
                continue
            if c == quote:
                quote = ""
            j += 1
            continue
        if c in "'\"`":
            quote = c
            if buf_start is None:
                buf_start = j
            j += 1
            continue
        if c == "\\":
            j += 2
            continue
        if line.startswith("$(", j):
            depth += 1
            j += 2
            if buf_start is None:
                buf_start = j - 2
            continue
        if c == ")" and depth:
            depth -= 1
            j += 1
            continue
        if c == "#" and (j == 0 or line[j - 1] in " \t;&|") and not depth:
            n = j
            break
        if not depth:
            op = next((o for o in _OPS if line.startswith(o, j)), None)
            if op:
                if buf_start is not None:
                    out.append((buf_start + 1, line[buf_start:j].strip(), op))
                buf_start = None
                j += len(op)
                cur_start = j
                continue
        if buf_start is None and not c.isspace():
            buf_start = j
        j += 1
    del cur_start
    if buf_start is not None and line[buf_start:n].strip():
        out.append((buf_start + 1, line[buf_start:n].strip(), ""))
    return out


def argv_of(text: str) -> tuple[list[str], dict[str, str]]:
    """Words of one simple command (shell keywords and `VAR=value` prefixes removed) and its inline env."""
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:
        words = text.split()
    env: dict[str, str] = {}
    while words and (words[0] in _KEYWORDS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])):
        w = words.pop(0)
        if "=" in w and w not in _KEYWORDS:
            k, _, v = w.partition("=")
            env[k] = v
    if words and words[0] == "env":
        words.pop(0)
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            k, _, v = words.pop(0).partition("=")
            env[k] = v
    return words, env


# ------------------------------------------------------------------------------------------------ building


class _Builder:
    def __init__(self, project: Project):
        self.project = project

    # -- script expansion ------------------------------------------------------------------------
    def commands_of(
        self,
        script: str,
        file: str,
        first_line: int,
        *,
        cwd: str,
        origin: str,
        via: str = "",
        pipefail: bool = False,
        depth: int = 0,
        col_base: int = 1,
    ) -> list[Command]:
        out: list[Command] = []
        errexit_off = False
        pending_handler: Command | None = None
        for line, col, text, op in split_commands(script, first_line, col_base=col_base):
            argv, env = argv_of(text)
            if pending_handler is not None:
                pending_handler.handler = " ".join(argv) if argv else text
                pending_handler = None
            if not argv or argv[0] in _ENDERS:
                continue
            if argv[0] == "set":
                flags = " ".join(argv[1:])
                if re.search(r"(^|\s)\+[a-z]*e", flags):
                    errexit_off = True
                if re.search(r"(^|\s)-[a-z]*e", flags):
                    errexit_off = False
                if "pipefail" in flags:
                    pipefail = "+o pipefail" not in flags
                continue
            if argv[0] == "cd" and len(argv) > 1 and not argv[1].startswith("$"):
                cwd = _join(cwd, argv[1])
                continue
            cmd = Command(file, line, col, text, argv, op, "", errexit_off, pipefail, env, cwd, origin, via)
            cmd.condition = bool(re.match(r"^(if|elif|while|until|!)\s", text.strip()))
            out.append(cmd)
            if op == "||":
                pending_handler = cmd
            if depth < MAX_DEPTH:
                out += self.expand(cmd, depth)
        return out

    def expand(self, cmd: Command, depth: int) -> list[Command]:
        argv = cmd.argv
        via = f"`{cmd.text}` ({cmd.file}:{cmd.line})"
        script = _script_name(argv)
        if script:
            manifest = self.project.nearest(cmd.cwd, ("package.json",))
            scripts = _package_scripts(self.project, manifest) if manifest else {}
            out: list[Command] = []
            names = [script]
            if argv[0] == "npm":
                names = [f"pre{script}", script, f"post{script}"]
            for nm in names:
                if nm in scripts:
                    body, line = scripts[nm]
                    mdir = manifest.rsplit("/", 1)[0] if manifest and "/" in manifest else ""
                    out += self.commands_of(
                        body,
                        manifest or "",
                        line,
                        cwd=mdir,
                        origin="package.json",
                        via=via,
                        depth=depth + 1,
                        col_base=1,
                    )
            for c in out:
                c.errexit_off = c.errexit_off or cmd.errexit_off
            return out
        path = _shell_script(argv)
        if path:
            rel = _join(cmd.cwd, path)
            if rel in self.project.files and self.project.files[rel].size < 1_000_000:
                text = self.project.text(rel)
                if text is not None:
                    return self.commands_of(
                        text, rel, 1, cwd=cmd.cwd, origin="script", via=via, depth=depth + 1
                    )
        return []

    # -- GitHub -----------------------------------------------------------------------------------
    def github(self, rel: str, doc: ConfigDoc, *, action: bool = False) -> Pipeline | None:
        data = doc.data
        if not isinstance(data, dict):
            return None
        pipe = Pipeline(rel, "action" if action else "github", doc=doc)
        if action:
            runs = data.get("runs")
            if not isinstance(runs, dict) or str(runs.get("using", "")).lower() != "composite":
                return None
            job = Job(rel, "action", doc.line(("runs",)), "action", pipeline=pipe)
            self._steps(doc, job, ("runs", "steps"), runs.get("steps"), "")
            pipe.jobs.append(job)
            return pipe
        pipe.env, pipe.env_lines = _env(doc, ("env",))
        default_wd = doc.get(("defaults", "run", "working-directory"), "") or ""
        default_shell = doc.get(("defaults", "run", "shell"), "") or ""
        jobs = data.get("jobs")
        if not isinstance(jobs, dict):
            return pipe
        for key, jd in jobs.items():
            if not isinstance(jd, dict):
                continue
            jp = ("jobs", key)
            job = Job(rel, str(key), doc.line(jp), "github", pipeline=pipe)
            job.env, job.env_lines = _env(doc, jp + ("env",))
            strategy = jd.get("strategy")
            job.matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
            coe = jd.get("continue-on-error")
            job.continue_on_error = coe is True or str(coe).lower() == "true"
            job.continue_on_error_line = doc.line(jp + ("continue-on-error",))
            if isinstance(jd.get("uses"), str):
                job.uses = jd["uses"]
                job.uses_line = doc.line(jp + ("uses",))
                job.secrets_inherit = jd.get("secrets") == "inherit"
                if isinstance(jd.get("secrets"), dict):
                    for k, v in jd["secrets"].items():
                        job.env[str(k)] = str(v)
                        job.env_lines[str(k)] = doc.line(jp + ("secrets", k))
            wd = doc.get(jp + ("defaults", "run", "working-directory"), default_wd) or ""
            shell = doc.get(jp + ("defaults", "run", "shell"), default_shell) or ""
            self._steps(doc, job, jp + ("steps",), jd.get("steps"), str(wd), str(shell))
            pipe.jobs.append(job)
        return pipe

    def _steps(self, doc: ConfigDoc, job: Job, sp: tuple, steps: Any, wd: str, shell: str = "") -> None:
        if not isinstance(steps, list):
            return
        for i, st in enumerate(steps):
            if not isinstance(st, dict):
                continue
            p = sp + (i,)
            step = Step(job.file, doc.line(p), i, str(st.get("name", "") or ""), job=job)
            if isinstance(st.get("uses"), str):
                step.uses = st["uses"]
                step.line = doc.line(p + ("uses",))
            w = st.get("with")
            if isinstance(w, dict):
                step.with_ = {str(k): v for k, v in w.items()}
                step.with_lines = {str(k): doc.line(p + ("with", k)) for k in w}
            step.env, step.env_lines = _env(doc, p + ("env",))
            coe = st.get("continue-on-error")
            step.continue_on_error = coe is True or str(coe).lower() == "true"
            step.working_directory = str(st.get("working-directory") or wd or "")
            step.shell = str(st.get("shell") or shell or "")
            if isinstance(st.get("run"), str):
                step.run = st["run"]
                key_line = doc.line(p + ("run",))
                first, col = _value_start(self.project, job.file, key_line, "run")
                step.run_line = first
                pipefail = step.shell in ("bash",) or "pipefail" in step.shell
                cwd = _join("", step.working_directory) if step.working_directory else ""
                step.commands = self.commands_of(
                    step.run, job.file, first, cwd=cwd, origin="workflow", pipefail=pipefail, col_base=col
                )
            for c in step.commands:
                c.job, c.step = job, step
            job.steps.append(step)
            if step.action.endswith("upload-artifact") and isinstance(step.with_.get("path"), str):
                job.artifact_paths += [x.strip() for x in step.with_["path"].splitlines() if x.strip()]

    # -- GitLab -----------------------------------------------------------------------------------
    def gitlab(self, rel: str, doc: ConfigDoc) -> Pipeline | None:
        data = doc.data
        if not isinstance(data, dict):
            return None
        pipe = Pipeline(rel, "gitlab", doc=doc)
        pipe.env, pipe.env_lines = _gl_vars(doc, ("variables",))
        defaults = data.get("default") if isinstance(data.get("default"), dict) else {}
        for key, jd in data.items():
            if not isinstance(jd, dict) or key in GITLAB_RESERVED or str(key).startswith("."):
                continue
            merged = _gl_resolve(data, str(key), 0)
            if merged is None:
                continue
            job = Job(rel, str(key), doc.line((key,)), "gitlab", pipeline=pipe)
            vars_ = merged.get("variables")
            if vars_:
                value, path = vars_
                job.env, job.env_lines = _gl_vars(doc, path)
            af = merged.get("allow_failure")
            if af:
                job.allow_failure = af[0] is True or (isinstance(af[0], dict) and "exit_codes" in af[0])
                job.allow_failure_line = doc.line(af[1])
            art = merged.get("artifacts")
            if art and isinstance(art[0], dict) and isinstance(art[0].get("paths"), list):
                job.artifact_paths = [str(x) for x in art[0]["paths"]]
            idx = 0
            for part in ("before_script", "script", "after_script"):
                got = merged.get(part)
                if got is None:
                    if part in defaults:
                        got = (defaults[part], ("default", part))
                    elif part in data and part != "script":
                        got = (data[part], (part,))
                if got is None:
                    continue
                value, path = got
                items = value if isinstance(value, list) else [value]
                for n, item in enumerate(_flatten(items)):
                    ipath = path + (n,) if isinstance(value, list) else path
                    if not isinstance(item, str):
                        continue
                    line = doc.line(ipath)
                    first, col = _value_start(
                        self.project, rel, line, "-" if isinstance(value, list) else part
                    )
                    step = Step(rel, first, idx, f"{part}[{n}]", job=job)
                    step.run, step.run_line = item, first
                    step.commands = self.commands_of(item, rel, first, cwd="", origin="gitlab", col_base=col)
                    for c in step.commands:
                        c.job, c.step = job, step
                    job.steps.append(step)
                    idx += 1
            pipe.jobs.append(job)
        return pipe


def _flatten(items: list) -> list:
    out = []
    for it in items:
        if isinstance(it, list):  # nested lists come from `- *anchor` script reuse
            out += _flatten(it)
        else:
            out.append(it)
    return out


def _gl_resolve(data: dict, key: str, depth: int) -> dict[str, tuple[Any, tuple]] | None:
    """A GitLab job's keys after `extends` (deep-merged for maps, replaced for lists), with the key path each
    value comes from."""
    jd = data.get(key)
    if not isinstance(jd, dict) or depth > 10:
        return None
    merged: dict[str, tuple[Any, tuple]] = {}
    ext = jd.get("extends")
    for parent in [ext] if isinstance(ext, str) else (ext if isinstance(ext, list) else []):
        if isinstance(parent, str) and parent in data:
            got = _gl_resolve(data, parent, depth + 1)
            if got:
                merged.update(got)
    for k, v in jd.items():
        if k == "extends":
            continue
        if k == "variables" and isinstance(v, dict) and "variables" in merged:
            base, _ = merged["variables"]
            if isinstance(base, dict):
                merged[k] = ({**base, **v}, (key, k))
                continue
        merged[k] = (v, (key, k))
    return merged


def _gl_vars(doc: ConfigDoc, path: tuple) -> tuple[dict[str, str], dict[str, int]]:
    v = doc.get(path)
    if not isinstance(v, dict):
        return {}, {}
    out, lines = {}, {}
    for k, val in v.items():
        if isinstance(val, dict):
            val = val.get("value", "")
        out[str(k)] = str(val)
        lines[str(k)] = doc.line(path + (k,))
    return out, lines


def _env(doc: ConfigDoc, path: tuple) -> tuple[dict[str, str], dict[str, int]]:
    v = doc.get(path)
    if not isinstance(v, dict):
        return {}, {}
    return {str(k): str(x) for k, x in v.items()}, {str(k): doc.line(path + (k,)) for k in v}


def _value_start(project: Project, rel: str, key_line: int, key: str) -> tuple[int, int]:
    """First line and column of a scalar value whose key is on key_line: the next line for `|` / `>`
    block scalars."""
    lines = project.lines(rel)
    if not 1 <= key_line <= len(lines):
        return key_line, 1
    raw = lines[key_line - 1]
    m = (
        re.search(r"(?:^|\s|-\s)" + re.escape(key) + r"\s*:?\s*([|>][-+0-9]*)?\s*(.*)$", raw)
        if key != "-"
        else re.search(r"-\s+([|>][-+0-9]*)?\s*(.*)$", raw)
    )
    if m and m.group(1):
        nxt = lines[key_line] if key_line < len(lines) else ""
        return key_line + 1, len(nxt) - len(nxt.lstrip()) + 1
    if m:
        rest = m.group(2)
        if rest[:1] in "'\"":
            return key_line, m.start(2) + 2
        return key_line, m.start(2) + 1
    return key_line, 1


def _join(base: str, path: str) -> str:
    return join_rel(base, path)


_PM_BUILTIN = {
    "install",
    "i",
    "ci",
    "add",
    "remove",
    "rm",
    "exec",
    "dlx",
    "x",
    "audit",
    "publish",
    "test",
    "t",
    "run",
    "run-script",
    "init",
    "create",
    "link",
    "update",
    "up",
    "upgrade",
    "outdated",
    "why",
    "list",
    "ls",
    "help",
    "config",
    "cache",
    "version",
    "pack",
    "login",
    "logout",
    "global",
    "set",
    "workspace",
    "workspaces",
    "npm",
    "dedupe",
    "prune",
    "rebuild",
    "import",
    "fetch",
    "store",
    "env",
    "bin",
    "info",
    "view",
    "whoami",
    "start",
}


def _script_name(argv: list[str]) -> str | None:
    if not argv:
        return None
    pm = argv[0]
    rest = [a for a in argv[1:] if not a.startswith("-")]
    if pm in ("npm", "pnpm", "yarn", "bun") and rest:
        if rest[0] in ("run", "run-script") and len(rest) > 1:
            return rest[1]
        if pm == "npm" and rest[0] in ("test", "t", "start"):
            return {"t": "test"}.get(rest[0], rest[0])
        if pm in ("pnpm", "yarn") and rest[0] not in _PM_BUILTIN:
            return rest[0]
    return None


def _shell_script(argv: list[str]) -> str | None:
    if not argv:
        return None
    if argv[0] in ("bash", "sh", "zsh", "source", ".") and len(argv) > 1 and not argv[1].startswith("-"):
        return argv[1]
    if argv[0].endswith(".sh") or (argv[0].startswith("./") and "/" in argv[0][2:]):
        return argv[0]
    return None


def _package_scripts(project: Project, manifest: str) -> dict[str, tuple[str, int]]:
    doc = project.data(manifest, load_jsonc, "package.json")
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("scripts"), dict):
        return {}
    return {k: (v, doc.line(("scripts", k))) for k, v in doc.data["scripts"].items() if isinstance(v, str)}


# ------------------------------------------------------------------------------------------------ facts


def workflow_files(project: Project) -> list[str]:
    out = [
        f.path
        for f in project.glob(".github/workflows/*.yml", ".github/workflows/*.yaml")
        if f.path.count("/") == 2
    ]
    return sorted(out)


def pipelines(project: Project) -> list[Pipeline]:
    """Fact provider: every CI pipeline of the repository."""
    b = _Builder(project)
    out: list[Pipeline] = []
    for rel in workflow_files(project):
        doc = project.data(rel, load_yaml_bounded, "GitHub Actions workflow")
        if doc is not None:
            p = b.github(rel, doc)
            if p:
                out.append(p)
    for info in sorted(project.glob("action.yml", "action.yaml"), key=lambda f: f.path):
        doc = project.data(info.path, load_yaml_bounded, "GitHub composite action")
        if doc is not None:
            p = b.github(info.path, doc, action=True)
            if p:
                out.append(p)
    for info in sorted(project.glob(".gitlab-ci.yml", "*.gitlab-ci.yml"), key=lambda f: f.path):
        doc = project.data(info.path, load_yaml_bounded, "GitLab CI configuration")
        if doc is not None:
            p = b.gitlab(info.path, doc)
            if p:
                out.append(p)
    for p in out:
        for j in p.jobs:
            for n, c in enumerate(j.commands()):
                c.index = n
    return out


def build_commands(project: Project) -> list[Command]:
    """Fact provider: commands that build scripts run outside CI: `fastly.toml [scripts]` and wrangler
    `[build] command` (package.json scripts they call are followed)."""
    b = _Builder(project)
    out: list[Command] = []
    for info in sorted(project.glob("fastly.toml"), key=lambda f: f.path):
        doc = project.data(info.path, load_toml, "fastly.toml")
        scripts = doc.get(("scripts",)) if doc else None
        if not isinstance(scripts, dict):
            continue
        for key, value in scripts.items():
            # `post_init` runs once, when `fastly compute init` scaffolds the project on a developer's
            # machine; it is not part of a build (`build`, `post_build`) and never runs in CI or deploys.
            if isinstance(value, str) and key not in ("env_vars", "post_init"):
                out += b.commands_of(
                    value, info.path, doc.line(("scripts", key)), cwd=info.dir, origin="fastly.toml"
                )
    for info in sorted(
        project.glob("wrangler*.toml", "wrangler*.json", "wrangler*.jsonc"), key=lambda f: f.path
    ):
        loader = load_toml if info.name.endswith(".toml") else load_jsonc
        doc = project.data(info.path, loader, "wrangler configuration")
        cmd = doc.get(("build", "command")) if doc else None
        if isinstance(cmd, str):
            out += b.commands_of(
                cmd, info.path, doc.line(("build", "command")), cwd=info.dir, origin="wrangler"
            )
    return out


def commands(project: Project) -> list[Command]:
    """Every command of every pipeline, then build-script commands."""
    out = [c for p in project.fact(pipelines) for j in p.jobs for c in j.commands()]
    return out + project.fact(build_commands)


def secret_names(value: Any) -> list[str]:
    return SECRET_REF.findall(str(value))


def deploy_secret(name: str) -> bool:
    return bool(DEPLOY_SECRET.search(name)) or name.upper() in DEPLOY_ENV_NAMES


def job_deploy_credentials(job: Job) -> list[tuple[str, int, str]]:
    """Deploy credentials a job holds: (secret name, line, scope) with scope "workflow", "job" or "step"."""
    out: list[tuple[str, int, str]] = []
    pipe = job.pipeline
    if pipe is not None:
        for k, v in pipe.env.items():
            if pipe.platform == "gitlab":
                if deploy_secret(k) and str(v).strip():
                    out.append((k, pipe.env_lines.get(k, 1), "workflow"))
                continue
            for s in secret_names(v):
                if deploy_secret(s) or deploy_secret(k):
                    out.append((s, pipe.env_lines.get(k, 1), "workflow"))
    for k, v in job.env.items():
        if job.platform == "gitlab":
            # GitLab variables are `$NAME` references to CI/CD variables: the key names the credential
            if deploy_secret(k) and str(v).strip():
                out.append((k, job.env_lines.get(k, job.line), "job"))
            continue
        for s in secret_names(v):
            if deploy_secret(s) or deploy_secret(k):
                out.append((s, job.env_lines.get(k, job.line), "job"))
    if job.secrets_inherit:
        out.append(("secrets: inherit", job.uses_line or job.line, "job"))
    for st in job.steps:
        for k, v in list(st.env.items()) + [(k, v) for k, v in st.with_.items()]:
            for s in secret_names(v):
                if deploy_secret(s) or deploy_secret(k):
                    line = st.env_lines.get(k) or st.with_lines.get(k) or st.line
                    out.append((s, line, "step"))
    return out
