"""Malformed and hostile inputs for the supply-chain readers and rules: notes, never crashes."""

from __future__ import annotations

from conftest import make_repo, run_scan

WRONG_TYPES = {
    ".github/workflows/a.yml": "on: push\njobs: [1, 2]\n",
    ".github/workflows/b.yml": (
        "on: push\nenv: str\njobs:\n  j:\n    env: [1]\n    continue-on-error: ${{ matrix.x }}\n"
        "    defaults: {run: {working-directory: {a: 1}}}\n    steps:\n      - run: 5\n      - uses: [x]\n"
        "      - with: [1]\n        uses: cloudflare/wrangler-action@v3\n      - 7\n      - run: |\n"
        "          echo 'unterminated\n          cd $(\n          npx wrangler@ deploy\n"
    ),
    ".github/workflows/c.yml": "just a string\n",
    ".github/workflows/d.yml": "on: [push\n",
    ".github/dependabot.yml": "version: 2\nupdates: {npm: 1}\n",
    "action.yml": "runs: {using: composite, steps: [{run: [1]}, {shell: bash}]}\n",
    ".gitlab-ci.yml": (
        ".t: {extends: .t}\njob1: {extends: [.t, 5, missing], script: 5, variables: [1], artifacts: {paths: x}}\n"
        "job2: {script: [[npm ci, [npm audit]], {a: 1}], allow_failure: {exit_codes: [1]}}\n"
    ),
    "package.json": '{"name": "x", "dependencies": {"a": 1, "b": "^1"}, "scripts": [1]}\n',
    "package-lock.json": '{"lockfileVersion": 3, "packages": {"": 5, "node_modules/b": {"version": 7, "resolved": 3}}}\n',
    "a/package.json": '{"name": "a", "dependencies": {"b": "^1"}}\n',
    "a/pnpm-lock.yaml": "lockfileVersion: 9\nimporters:\n  .: 5\npackages:\n  'b@1.0.0': {resolution: 5}\n  : x\n",
    "b/bun.lock": '{"trustedDependencies": 5, "packages": {"b": "x", "c": [5], "d": ["d@", "", {}, 3]}}',
    "c/Cargo.toml": '[package]\nname = "c"\n[dependencies]\nfastly = { version = 5 }\n',
    "c/Cargo.lock": "package = 5\n",
    "d/yarn.lock": '"b@^1":\n  version\n  resolved 5\n"@@@":\n',
    "e/go.sum": "one two\nmod v1 h1:x extra\n",
    "infra/x.tf": 'resource "cloudflare_logpush_job" "j" {\n  dataset = "workers_trace_events"\n  output_options {\n    field_names = [\n',
    "infra/job.json": '{"dataset": 5, "jobs": [{"dataset": "workers_trace_events", "logpull_options": 7}]}',
    "fastly.toml": 'name = "f"\n[scripts]\nbuild = 5\npost_init = "npm install"\n',
}


def test_wrong_types_and_broken_files_give_notes_not_crashes(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", WRONG_TYPES))
    errors = [n for n in result.notes if n.kind == "internal-error"]
    assert errors == []
    assert any(n.path == ".github/workflows/d.yml" and n.kind == "parse-error" for n in result.notes)


def test_huge_lockfile_and_deep_json(tmp_path):
    deep = '{"lockfileVersion": 1, "dependencies": ' + '{"a": {"version": "1.0.0", "dependencies": ' * 3000
    deep += "{}" + "}}" * 3000 + "}"
    result = run_scan(make_repo(tmp_path / "r", {"package-lock.json": deep}))
    assert [n for n in result.notes if n.kind == "internal-error"] == []
