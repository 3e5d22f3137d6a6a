"""Hostile and malformed input: the scan names the bad file in a note, reports the good files next to it,
never crashes, never hangs, never runs the project's code and never writes into the scanned tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GIT_ENV, REPO, found, git, make_repo, run_scan, write_tree
from edgeward.cli import main
from edgeward.config import Config
from edgeward.engine import scan
from edgeward.report import FORMATS, render
from edgeward.workspace import project as project_mod
from edgeward.workspace.project import Project

SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
GOOD = f'name = "w"\nworkers_dev = false\nlogpush = true\n\n[vars]\nAPI_TOKEN = "{SECRET}"\n'
DEV_VARS = f"API_TOKEN={SECRET}\n"


def notes_of(result) -> set[tuple[str | None, str]]:
    return {(n.path, n.kind) for n in result.notes}


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below root (also inside .git) with its size and modification time."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------ malformed documents


def test_malformed_documents_are_notes_and_good_files_still_reported(tmp_path):
    root = write_tree(
        tmp_path / "t",
        {
            "good/wrangler.toml": GOOD,
            "toml/wrangler.toml": "name = \n[[[",
            "jsonc/wrangler.jsonc": '{"name": ',
            "escape/wrangler.jsonc": '{"name": "x\\',  # a backslash as the very last character
            "json/wrangler.json": "{,}",
            "deep/wrangler.toml": "a = " + "[" * 50_000 + "]" * 50_000 + "\n",
            "deepjson/wrangler.jsonc": "[" * 50_000 + "]" * 50_000,
            "bigint/wrangler.toml": "a = " + "9" * 5000 + "\n",
            "binary/wrangler.toml": b"\x00\x01\x02" * 100,
            "utf16/wrangler.toml": "name = 'x'\n".encode("utf-16"),
            "latin1/wrangler.toml": b'name = "caf\xe9"\n',
            "fastly/fastly.toml": "x = 1\nx = 2\n",
            "pkg/package.json": "{]",
            "pkg/wrangler.toml": 'name = "p"\n',
        },
    )
    result = run_scan(root)
    notes = notes_of(result)
    for path, kind in [
        ("toml/wrangler.toml", "parse-error"),
        ("jsonc/wrangler.jsonc", "parse-error"),
        ("escape/wrangler.jsonc", "parse-error"),
        ("json/wrangler.json", "parse-error"),
        ("deep/wrangler.toml", "parse-error"),
        ("deepjson/wrangler.jsonc", "parse-error"),
        ("bigint/wrangler.toml", "parse-error"),
        ("binary/wrangler.toml", "binary"),
        ("utf16/wrangler.toml", "binary"),
        ("latin1/wrangler.toml", "encoding"),
        ("fastly/fastly.toml", "parse-error"),
        ("pkg/package.json", "parse-error"),
    ]:
        assert (path, kind) in notes, (path, kind)
    assert not [n for n in result.notes if n.kind == "internal-error"]
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]
    escape = next(n for n in result.notes if n.path == "escape/wrangler.jsonc")
    assert escape.message == "wrangler configuration: line 1, column 10: invalid JSON: unterminated string"


def test_parser_crash_becomes_a_note_naming_the_file(tmp_path):
    root = write_tree(tmp_path / "t", {"a/wrangler.toml": GOOD, "b/wrangler.toml": GOOD})
    project = Project.load(root)

    def broken(text: str):
        raise KeyError("parser bug")

    def quoting(text: str):
        raise ValueError(f"invalid value {SECRET!r}")

    assert project.data("a/wrangler.toml", broken, "thing") is None
    assert project.data("b/wrangler.toml", quoting, "thing") is None
    assert [(n.path, n.kind, n.message) for n in project.notes] == [
        ("a/wrangler.toml", "parse-error", "thing: cannot parse (KeyError: 'parser bug')"),
        ("b/wrangler.toml", "parse-error", "thing: invalid value 'q8Xv…aE (32 chars)'"),
    ]


# ------------------------------------------------------------------------------ file system oddities


def test_huge_fifo_and_symlinked_files_are_not_read(tmp_path):
    root = write_tree(tmp_path / "t", {"good/wrangler.toml": GOOD})
    (root / "big").mkdir()
    with open(root / "big" / "wrangler.toml", "wb") as fh:  # 200 MB, sparse: nothing written to disk
        fh.truncate(200 * 1024 * 1024)
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "wrangler.toml")
    (root / "links").mkdir()
    os.symlink("/dev/zero", root / "links" / "wrangler.toml")
    os.symlink("/etc/passwd", root / "links" / "fastly.toml")
    os.symlink("..", root / "links" / "loop")
    os.symlink("self", root / "links" / "self")
    before = snapshot(root)
    result = run_scan(root)
    assert snapshot(root) == before
    notes = notes_of(result)
    assert ("big/wrangler.toml", "skipped") in notes
    assert ("fifo/wrangler.toml", "special") in notes
    for name in ("wrangler.toml", "fastly.toml", "loop", "self"):
        assert (f"links/{name}", "symlink") in notes
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]
    assert result.stats["files"] == 2


def test_file_that_grew_after_the_walk_is_read_only_up_to_the_limit(tmp_path):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD})
    project = Project.load(root, max_text_bytes=1000)
    with open(root / "wrangler.toml", "a") as fh:
        fh.write("#" * 5000)
    assert project.text("wrangler.toml") is None
    assert [(n.path, n.kind) for n in project.notes] == [("wrangler.toml", "skipped")]


def test_unreadable_directory_and_file_are_notes(tmp_path, monkeypatch):
    root = write_tree(
        tmp_path / "t",
        {"good/wrangler.toml": GOOD, "locked/wrangler.toml": GOOD, "noread/wrangler.toml": GOOD},
    )
    real_scandir, real_open = os.scandir, open

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("noread/wrangler.toml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(project_mod.os, "scandir", scandir)
    monkeypatch.setattr("builtins.open", fake_open)
    result = run_scan(root)
    notes = {(n.path, n.kind, n.message) for n in result.notes}
    assert ("locked", "unreadable", "cannot list directory: Permission denied") in notes
    assert ("noread/wrangler.toml", "unreadable", "cannot read file: Permission denied") in notes
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]


def test_directory_with_thousands_of_files(tmp_path):
    root = write_tree(tmp_path / "t", {"good/wrangler.toml": GOOD})
    many = root / "many"
    many.mkdir()
    for i in range(2000):
        (many / f"f{i}.js").write_bytes(b"")
    result = run_scan(root)
    assert result.stats["files"] == 2001
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]


def test_file_count_limit_is_a_note(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "t", {f"d/f{i}.txt": "" for i in range(20)})
    monkeypatch.setattr(project_mod, "MAX_FILES", 10)
    project = Project.load(root)
    assert len(project.files) == 10
    assert [(n.path, n.kind) for n in project.notes] == [(None, "skipped")]


# ------------------------------------------------------------------------------ hostile names


HOSTILE_DIRS = ["new\nline", "esc\x1b[2Jred", "-rf", "sp ace#%", "bidi\u202egnp.exe"]
BAD_BYTES_DIR = b"bad\xffdir"


@pytest.fixture
def hostile_names(tmp_path) -> Path:
    root = tmp_path / "t"
    files = {f"{d}/wrangler.toml": GOOD for d in HOSTILE_DIRS}
    # a key with a terminal escape, a newline and a lone surrogate (JSON allows all three)
    key = "API_TOKEN\\u001b[2J\\n\\ud800"
    files["keys/wrangler.jsonc"] = '{"name": "k", "vars": {"' + key + '": "' + SECRET + '"}}'
    write_tree(root, files)
    bad = os.fsencode(root) + b"/" + BAD_BYTES_DIR
    os.mkdir(bad)
    with open(bad + b"/wrangler.toml", "w") as fh:
        fh.write(GOOD)
    return root


def test_hostile_file_names_are_scanned_and_every_format_renders(hostile_names):
    result = run_scan(hostile_names)
    bad = os.fsdecode(BAD_BYTES_DIR)
    assert found(result, "SEC001") == sorted(
        [("SEC001", f"{d}/wrangler.toml", 6) for d in HOSTILE_DIRS]
        + [("SEC001", f"{bad}/wrangler.toml", 6), ("SEC001", "keys/wrangler.jsonc", 1)]
    )
    for fmt in FORMATS:
        text = render(result, fmt)
        text.encode("utf-8")  # strict: no lone surrogate left
        assert "\x1b" not in text and "\u202e" not in text.replace("\\u202e", "")
    data = json.loads(render(result, "json"))
    assert {f["path"] for f in data["findings"]} >= {"new\nline/wrangler.toml", f"{bad}/wrangler.toml"}
    plain = render(result, "text")
    assert "new\\nline/wrangler.toml" in plain and "bad\\xffdir/wrangler.toml" in plain
    assert "esc\\x1b[2Jred/wrangler.toml" in plain and "bidi\\u202egnp.exe/wrangler.toml" in plain
    assert "vars.API_TOKEN\\x1b[2J\\n\\ud800" in plain
    assert "\nline/wrangler.toml" not in plain  # a newline in a name cannot forge a report line
    sarif = json.loads(render(result, "sarif"))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris >= {"new%0Aline/wrangler.toml", "bad%FFdir/wrangler.toml", "sp%20ace%23%25/wrangler.toml"}
    md = render(result, "markdown")
    assert "`new\\nline/wrangler.toml:6`" in md


def test_hostile_names_through_the_real_command_line(hostile_names, tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for fmt in ("text", "json"):
        proc = subprocess.run(
            [sys.executable, "-m", "edgeward", "scan", str(hostile_names), "--format", fmt, "--quiet"],
            capture_output=True,
            cwd=REPO,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        assert b"Traceback" not in proc.stderr
        proc.stdout.decode("utf-8")
    out = tmp_path / "report.sarif"
    code = main(["scan", str(hostile_names), "--format", "sarif", "--output", str(out), "--quiet"])
    assert code == 1 and json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]


def test_report_to_a_non_utf8_stdout_does_not_crash(hostile_names):
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "edgeward", "scan", str(hostile_names), "--format", "markdown"],
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    assert "✅".encode() in proc.stdout or "❌".encode() in proc.stdout


# ------------------------------------------------------------------------------ outputs


def test_unwritable_output_and_baseline_are_usage_errors(tmp_path, capsys):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD})
    code, _, err = run_cli(capsys, "scan", str(root), "--output", str(tmp_path / "no" / "dir" / "r.json"))
    assert code == 2
    assert (
        err == f"edgeward: error: {tmp_path}/no/dir/r.json: cannot write report: No such file or directory\n"
    )
    code, _, err = run_cli(capsys, "scan", str(root), "--output", str(tmp_path))
    assert code == 2 and err == f"edgeward: error: {tmp_path}: cannot write report: Is a directory\n"
    code, _, err = run_cli(
        capsys, "scan", str(root), "-q", "--write-baseline", str(tmp_path / "no" / "b.json")
    )
    assert code == 2
    assert err == f"edgeward: error: {tmp_path}/no/b.json: cannot write baseline: No such file or directory\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_on_stdout_is_an_error_not_a_traceback(tmp_path):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD})
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "edgeward", "scan", str(root)],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=REPO,
            timeout=120,
        )
    assert proc.returncode == 2
    assert (
        proc.stderr == b"edgeward: error: cannot write report to standard output: No space left on device\n"
    )


# ------------------------------------------------------------------------------ git


def test_hostile_git_config_runs_nothing_and_writes_nothing(tmp_path):
    marker = tmp_path / "markers"
    marker.mkdir()
    root = make_repo(
        tmp_path / "r",
        {
            "good/wrangler.toml": GOOD,
            "app/.dev.vars": DEV_VARS,
            ".gitattributes": "* filter=evil diff=evil\n",
        },
    )
    (root / "good" / "wrangler.toml").write_text(GOOD + "# modified\n")  # a dirty work tree
    evil = {
        "core": {
            "fsmonitor": f"touch {marker}/fsmonitor",
            "pager": f"touch {marker}/pager",
            "hooksPath": str(marker / "hooks"),
            "sshCommand": f"touch {marker}/ssh",
            "askPass": f"touch {marker}/askpass",
            "editor": f"touch {marker}/editor",
        },
        'filter "evil"': {
            "clean": f"touch {marker}/clean",
            "smudge": f"touch {marker}/smudge",
            "process": f"touch {marker}/process",
            "required": "true",
        },
        'diff "evil"': {"textconv": f"touch {marker}/textconv", "command": f"touch {marker}/diff"},
        "diff": {"external": f"touch {marker}/external"},
        "credential": {"helper": f"!touch {marker}/credential"},
        "pager": {"ls-files": f"touch {marker}/pager2", "check-ignore": f"touch {marker}/pager3"},
        "include": {"path": "/dev/stdin"},  # would block on a terminal
    }
    with open(root / ".git" / "config", "a") as fh:
        for section, values in evil.items():
            fh.write(f"[{section}]\n" + "".join(f'\t{k} = "{v}"\n' for k, v in values.items()))
    hooks = marker / "hooks"
    hooks.mkdir()
    for name in ("post-index-change", "reference-transaction", "fsmonitor-watchman", "post-checkout"):
        for d in (hooks, root / ".git" / "hooks"):
            (d / name).write_text(f"#!/bin/sh\ntouch {marker}/hook-{name}\n")
            (d / name).chmod(0o755)
    before = snapshot(root)
    result = run_scan(root)
    assert sorted(p.name for p in marker.iterdir()) == ["hooks"]  # no command ran
    assert snapshot(root) == before  # nothing written, not even the index
    assert result.stats["git"] is True
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]
    (sec002,) = [f for f in result.findings if f.code == "SEC002"]
    assert (sec002.path, sec002.line, "tracked by git" in sec002.message) == ("app/.dev.vars", 1, True)


def test_fifo_in_git_metadata_times_out_with_a_note(tmp_path, monkeypatch):
    root = make_repo(tmp_path / "r", {"good/wrangler.toml": GOOD})
    (root / ".git" / "HEAD").unlink()
    os.mkfifo(root / ".git" / "HEAD")
    monkeypatch.setattr(project_mod, "GIT_TIMEOUT", 1)
    result = run_scan(root)
    assert [(n.path, n.kind, n.message) for n in result.notes if n.kind != "no-apps"] == [
        (
            None,
            "git",
            "`git rev-parse` did not finish within 1 s (a FIFO or device in .git?); treating files as untracked",
        )
    ]
    assert result.stats["git"] is False
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]


def test_pathological_gitignore_in_a_repository_times_out_with_a_note(tmp_path, monkeypatch):
    name = "/".join(["a" * 30] * 5) + "/" + "a" * 100 + "1"
    root = make_repo(
        tmp_path / "r",
        {"good/wrangler.toml": GOOD, ".gitignore": "*a" * 40 + "b\n", name: "x"},
    )
    monkeypatch.setattr(project_mod, "GIT_TIMEOUT", 1)
    result = run_scan(root)
    assert [(n.path, n.kind) for n in result.notes if n.kind != "no-apps"] == [(None, "git")]
    assert result.notes[0].message.startswith("`git check-ignore` did not finish within 1 s")
    assert result.stats["git"] is True
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]


def test_directory_laid_out_as_a_bare_repository_is_not_used_as_one(tmp_path):
    marker = tmp_path / "marker"
    root = write_tree(
        tmp_path / "bare",
        {
            "HEAD": "ref: refs/heads/main\n",
            "config": f'[core]\n\tbare = true\n\tfsmonitor = "touch {marker}"\n',
            "objects/info/.keep": "",
            "refs/heads/.keep": "",
            "good/wrangler.toml": GOOD,
        },
    )
    result = run_scan(root)
    assert not marker.exists()
    assert result.stats["git"] is False
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]


def test_non_utf8_names_keep_their_git_state(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    sub = os.fsencode(root) + b"/sub\xff"
    os.makedirs(sub + b"/x\ny")
    for d in (sub, sub + b"/x\ny"):
        with open(d + b"/.dev.vars", "w") as fh:
            fh.write(DEV_VARS)
    make_repo(root)
    result = run_scan(root)
    sub_name = os.fsdecode(b"sub\xff")
    assert found(result, "SEC002") == [
        ("SEC002", f"{sub_name}/.dev.vars", 1),
        ("SEC002", f"{sub_name}/x\ny/.dev.vars", 1),
    ]
    assert all("tracked by git" in f.message for f in result.findings if f.code == "SEC002")
    # scanning the oddly named subdirectory itself: git answers with a prefix that is not UTF-8
    inner = run_scan(Path(os.fsdecode(sub)))
    assert found(inner, "SEC002") == [("SEC002", ".dev.vars", 1), ("SEC002", "x\ny/.dev.vars", 1)]
    assert inner.stats["git"] is True and not [n for n in inner.notes if n.kind != "no-apps"]


def test_pathological_gitignore_without_git_is_bounded(tmp_path):
    lines = ["*a" * 40 + "b", "**/" * 100 + "x", "x" * 5000, "[" * 300, "\\" * 301, "ignored/"]
    root = write_tree(
        tmp_path / "t",
        {
            ".gitignore": "\n".join(lines) + "\n",
            "ignored/.dev.vars": DEV_VARS,
            "app/.dev.vars": DEV_VARS,
            "a" * 200 + "/f.txt": "",
        },
    )
    result = run_scan(root)
    assert result.stats["git"] is False
    assert [(n.path, n.kind, n.message) for n in result.notes if n.kind != "no-apps"] == [
        (".gitignore", "skipped", "3 ignore pattern(s) too long or with too many `*`; not applied")
    ]
    assert found(result, "SEC002") == [("SEC002", "app/.dev.vars", 1)]


def test_gitignore_rule_count_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(project_mod, "MAX_IGNORE_RULES", 3)
    root = write_tree(
        tmp_path / "t",
        {".gitignore": "one\ntwo\nthree\nfour\n", "one/.dev.vars": DEV_VARS, "four/.dev.vars": DEV_VARS},
    )
    result = run_scan(root)
    assert [(n.path, n.kind) for n in result.notes if n.kind != "no-apps"] == [(".gitignore", "skipped")]
    assert found(result, "SEC002") == [("SEC002", "four/.dev.vars", 1)]


# ------------------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".edgeward.toml", "select = [", "cannot read configuration: Invalid value (at end of document)"),
        (".edgeward.toml", b"\x00\xff\xfe", "cannot read configuration: 'utf-8' codec can't decode"),
        (
            "pyproject.toml",
            '[tool]\nedgeward = "x"\n',
            "the edgeward configuration must be a table of settings",
        ),
        (".edgeward.toml", 'select = ["NOPE"]\n', "unknown rule code or area 'NOPE' (see `edgeward rules"),
        (".edgeward.toml", 'ignore = [""]\n', "`ignore` must be a list of rule codes or areas"),
        (".edgeward.toml", 'tool = "x"\n', "unknown key(s) tool"),
        (".edgeward.toml", 'per-path-ignores = { "x/**" = ["NOPE"] }\n', "unknown rule code or area 'NOPE'"),
        (".edgeward.toml", "compatibility-date-max-age-days = 1" + "0" * 30 + "\n", "whole number of days"),
        (".edgeward.toml", "compatibility-date-max-age-days = true\n", "whole number of days"),
        (".edgeward.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", "cannot read configuration"),
    ],
)
def test_bad_configuration_is_exit_2_naming_the_file(tmp_path, capsys, name, content, message):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD, name: content})
    code, out, err = run_cli(capsys, "scan", str(root))
    assert (code, out) == (2, "")
    assert err.startswith(f"edgeward: error: {root / name}: ") and message in err


def test_oversized_and_outside_configuration_files(tmp_path, capsys, monkeypatch):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD})
    monkeypatch.setattr("edgeward.config.MAX_CONFIG_BYTES", 100)
    (root / ".edgeward.toml").write_text("# padding\n" * 20)
    code, _, err = run_cli(capsys, "scan", str(root))
    assert code == 2
    assert err == f"edgeward: error: {root}/.edgeward.toml: configuration file over 100 bytes; not read\n"
    (root / ".edgeward.toml").unlink()
    outside = tmp_path / "outside.toml"
    outside.write_text('ignore = ["SEC"]\n')
    os.symlink(outside, root / ".edgeward.toml")
    code, _, err = run_cli(capsys, "scan", str(root))
    assert code == 2 and "symbolic link to a file outside the scanned directory" in err
    (root / ".edgeward.toml").unlink()
    os.mkfifo(root / ".edgeward.toml")  # not a file: ignored, and nothing blocks
    code, out, _ = run_cli(capsys, "scan", str(root), "--format", "json")
    assert code == 1 and json.loads(out)["findings"]
    # an explicit --config may live anywhere
    code, out, _ = run_cli(capsys, "scan", str(root), "--config", str(outside), "--format", "json")
    assert code == 0 and not [f for f in json.loads(out)["findings"] if f["code"].startswith("SEC")]


def test_scan_of_a_tree_never_writes_into_it(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "good/wrangler.toml": GOOD,
            ".gitignore": "*.log\n",
            "x.log": "log",
            "deep/wrangler.jsonc": "[" * 500,
        },
    )
    before = snapshot(root)
    scan(root, Config())
    assert snapshot(root) == before
    assert GIT_ENV  # the fixture repository was made with the isolated git environment
    assert git(root, "status", "--porcelain") == ""


def test_rule_crash_is_a_note_that_quotes_no_secret(tmp_path, monkeypatch):
    from edgeward.rules.registry import load_all

    rule = load_all()["SEC003"]

    def crashing(project):
        raise ValueError(f"cannot use {SECRET!r}")
        yield  # a generator, like every rule

    monkeypatch.setattr(rule, "funcs", [crashing])
    root = write_tree(tmp_path / "t", {"good/wrangler.toml": GOOD})
    result = run_scan(root)
    (note,) = [n for n in result.notes if n.kind == "internal-error"]
    assert note.message.startswith("rule SEC003 failed: ValueError: cannot use 'q8Xv…aE (32 chars)' (")
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]


def test_huge_arrays_are_capped_in_memory(tmp_path, monkeypatch):
    from edgeward.workspace import docs, units

    monkeypatch.setattr(docs, "MAX_POSITIONS", 50)
    monkeypatch.setattr(units, "MAX_LIST", 20)
    routes = ", ".join(f'"r{i}.example.com/*"' for i in range(100))
    root = write_tree(
        tmp_path / "t",
        {
            "toml/wrangler.toml": f"name = 'w'\nroutes = [{routes}]\n[vars]\nAPI_TOKEN = '{SECRET}'\n",
            "jsonc/wrangler.jsonc": f'{{"name": "w", "routes": [{routes}]}}',
            "good/wrangler.toml": GOOD,
        },
    )
    result = run_scan(root)
    skipped = sorted((n.path, n.message) for n in result.notes if n.kind == "skipped")
    assert skipped == [
        ("jsonc/wrangler.jsonc", "`routes` has 100 entries; only the first 20 are checked"),
        ("toml/wrangler.toml", "`routes` has 100 entries; only the first 20 are checked"),
    ]
    # positions stop after 50 entries: later keys fall back to their nearest ancestor with a line
    assert found(result, "SEC001") == [
        ("SEC001", "good/wrangler.toml", 6),
        ("SEC001", "toml/wrangler.toml", 1),
    ]
    doc = docs.load_toml(f"routes = [{routes}]\n")
    assert len(doc.positions) == 50 and doc.line(("routes", 99)) == 1
    assert len(docs.load_jsonc(f"[{routes}]").positions) == 50


def test_floods_of_symlinks_and_entries_are_summarised(tmp_path, monkeypatch):
    monkeypatch.setattr(project_mod, "MAX_WALK_NOTES", 3)
    root = write_tree(tmp_path / "t", {"good/wrangler.toml": GOOD})
    (root / "links").mkdir()
    for i in range(10):
        os.symlink(f"/nowhere/{i}", root / "links" / f"l{i}")
    result = run_scan(root)
    assert [(n.path, n.kind, n.message) for n in result.notes if n.kind != "no-apps"] == [
        ("links/l0", "symlink", "symbolic link to '/nowhere/0' not followed"),
        ("links/l1", "symlink", "symbolic link to '/nowhere/1' not followed"),
        ("links/l2", "symlink", "symbolic link to '/nowhere/2' not followed"),
        (None, "symlink", "7 more `symlink` notes not listed"),
    ]
    assert found(result, "SEC001") == [("SEC001", "good/wrangler.toml", 6)]
    monkeypatch.setattr(project_mod, "MAX_ENTRIES", 5)
    for i in range(10):
        (root / f"empty{i}").mkdir()
    project = Project.load(root)
    assert (None, "skipped", "more than 5 directory entries; the rest were not scanned") in {
        (n.path, n.kind, n.message) for n in project.notes
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "cannot read baseline: nested too deeply"),
        (b"\xff", "cannot read baseline: 'utf-8' codec can't decode byte 0xff in position 0"),
        ('{"fingerprints": 1}', 'not an edgeward baseline (expected {"fingerprints": [...]})'),
    ],
)
def test_hostile_baseline_is_exit_2_naming_the_file(tmp_path, capsys, content, message):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD, ".edgeward-baseline.json": content})
    base = root / ".edgeward-baseline.json"
    code, out, err = run_cli(capsys, "scan", str(root), "--baseline", str(base))
    assert (code, out) == (2, "")
    assert err.startswith(f"edgeward: error: {base}: {message}")


def test_path_arguments_too_long_are_usage_errors(tmp_path, capsys):
    root = write_tree(tmp_path / "t", {"wrangler.toml": GOOD})
    long = "a/" * 3000
    for argv in (
        ["scan", long],
        ["scan", str(root), "--config", long],
        ["scan", str(root), "--baseline", long],
        ["scan", str(root), "--output", long],
        ["scan", str(root), "-q", "--write-baseline", long],
    ):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and err.startswith("edgeward: error: a/a/"), argv
        assert "File name too long" in err


def test_text_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(project_mod, "MAX_TEXT_CACHE", 100)
    root = write_tree(tmp_path / "t", {"a.js": "a" * 60, "b.js": "b" * 60, "bin.js": b"\0\0"})
    project = Project.load(root)
    assert project.text("a.js") == "a" * 60 and project.text("b.js") == "b" * 60
    assert project.text("bin.js") is None
    assert set(project._text) == {"a.js", "bin.js"}  # b.js is over the budget: read again when asked
    assert project.text("b.js") == "b" * 60 and [(n.path, n.kind) for n in project.notes] == [
        ("bin.js", "binary")
    ]


def test_file_with_thousands_of_findings_is_split_into_lines_once(tmp_path):
    import random
    import string

    rnd = random.Random(7)
    values = [
        "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(32)) for _ in range(1000)
    ]
    root = make_repo(
        tmp_path / "r", {".dev.vars": "".join(f"API_TOKEN_{i}={v}\n" for i, v in enumerate(values))}
    )
    project = Project.load(root)
    assert project.lines(".dev.vars") is project.lines(".dev.vars")  # memoised, not split per finding
    result = run_scan(root)
    assert len(found(result, "SEC002", ".dev.vars")) == 1000
    assert found(result, "SEC002")[-1] == ("SEC002", ".dev.vars", 1000)
    report = render(result, "json")
    assert not any(v in report for v in values)


def test_suppression_comment_search_runs_once_per_line(tmp_path, monkeypatch):
    from edgeward import engine
    from edgeward.findings import Confidence, Finding, Severity

    root = write_tree(tmp_path / "t", {"dist/app.js": "x" * 100_000 + "\n"})
    project = Project.load(root)
    calls = []
    real = engine.SUPPRESS

    class Counting:
        def search(self, text):
            calls.append(len(text))
            return real.search(text)

    monkeypatch.setattr(engine, "SUPPRESS", Counting())
    seen: dict = {}
    for i in range(50):
        f = Finding(
            "SEC005",
            "n",
            "secrets",
            Severity.HIGH,
            Confidence.HIGH,
            "dist/app.js",
            1,
            i + 1,
            1,
            "m",
            "",
            "fp",
            [],
        )
        assert not engine._suppressed(project, f, seen)
    assert calls == [100_000]


def test_sarif_uris_are_valid_relative_references():
    from edgeward.report.sarif import _uri

    assert _uri("node_modules/@scope/pkg/index.js") == "node_modules/@scope/pkg/index.js"
    assert _uri("c:d/a b#c%d?e/[id].ts") == "c%3Ad/a%20b%23c%25d%3Fe/%5Bid%5D.ts"  # no scheme, no fragment
    assert _uri("bad\udcffdir/x") == "bad%FFdir/x" and _uri("k\ud800") == "k%ED%A0%80"
