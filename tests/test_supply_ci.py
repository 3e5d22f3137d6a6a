"""CI reader and the CI supply-chain rules: SUP002, SUP003, SUP004 (CI part), SUP005, SUP011, SEC010."""

from __future__ import annotations

from conftest import found, make_repo, run_scan
from edgeward.workspace.ci import argv_of, commands, load_yaml_bounded, pipelines, split_commands
from edgeward.workspace.docs import DocError
from edgeward.workspace.project import Project

PKG = '{"name": "w", "devDependencies": {"wrangler": "4.164.0"}, "scripts": {"ci:install": "npm install"}}\n'
LOCK = (
    '{"name": "w", "lockfileVersion": 3, "packages": {"": {"devDependencies": {"wrangler": "4.164.0"}},\n'
    '"node_modules/wrangler": {"version": "4.164.0"}}}\n'
)
SHA_CO = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"


def scan(tmp_path, files, **kw):
    root = make_repo(tmp_path / "r", {"package.json": PKG, "package-lock.json": LOCK, **files})
    return run_scan(root)


# ------------------------------------------------------------------------------------------ reader


def test_split_commands_positions_and_operators():
    got = split_commands("npm ci && npm audit || true\necho 'a && b' # c && d\nfoo \\\n  --bar | tee x", 10)
    assert got == [
        (10, 1, "npm ci", "&&"),
        (10, 11, "npm audit", "||"),
        (10, 24, "true", ""),
        (11, 1, "echo 'a && b'", ""),
        (12, 1, "foo  --bar", "|"),
        (12, 14, "tee x", ""),  # column within the joined continuation line
    ]
    assert argv_of("FOO=1 env BAR=2 npx wrangler deploy") == (
        ["npx", "wrangler", "deploy"],
        {"FOO": "1", "BAR": "2"},
    )


def test_workflow_steps_scripts_and_package_json_followed(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            "package.json": PKG,
            "scripts/setup.sh": "#!/bin/sh\nset -e\ncd worker\nyarn install\n",
            ".github/workflows/ci.yml": """\
                on: push
                jobs:
                  build:
                    runs-on: ubuntu-latest
                    steps:
                      - run: |
                          npm run ci:install
                          ./scripts/setup.sh
            """,
        },
    )
    p = Project.load(root)
    cmds = [(c.file, c.line, c.column, c.argv[:2], c.cwd, c.origin) for c in p.fact(commands)]
    assert cmds == [
        (".github/workflows/ci.yml", 7, 11, ["npm", "run"], "", "workflow"),
        ("package.json", 1, 1, ["npm", "install"], "", "package.json"),
        (".github/workflows/ci.yml", 8, 11, ["./scripts/setup.sh"], "", "workflow"),
        ("scripts/setup.sh", 4, 1, ["yarn", "install"], "worker", "script"),
    ]


def test_gitlab_extends_and_anchors(tmp_path):
    root = make_repo(
        tmp_path / "r",
        {
            ".gitlab-ci.yml": """\
                .install: &install
                  - npm ci
                .audit:
                  script:
                    - npm audit
                  allow_failure: true
                audit:
                  extends: .audit
                deploy:
                  variables:
                    CLOUDFLARE_API_TOKEN: $CF_TOKEN
                  before_script: *install
                  script:
                    - npx wrangler deploy
            """
        },
    )
    p = Project.load(root)
    jobs = {j.key: j for pipe in p.fact(pipelines) for j in pipe.jobs}
    assert sorted(jobs) == ["audit", "deploy"]
    assert jobs["audit"].allow_failure and jobs["audit"].allow_failure_line == 6
    assert [(c.line, c.text) for c in jobs["audit"].commands()] == [(5, "npm audit")]
    assert [(c.line, c.text) for c in jobs["deploy"].commands()] == [
        (2, "npm ci"),
        (14, "npx wrangler deploy"),
    ]


def test_yaml_alias_bomb_is_a_note(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    bomb = "\n".join(lines) + "\njobs: {}\n"
    try:
        load_yaml_bounded(bomb)
        raise AssertionError("expected DocError")
    except DocError as exc:
        assert "alias" in str(exc)
    root = make_repo(tmp_path / "r", {".github/workflows/x.yml": bomb})
    result = run_scan(root)
    assert any(n.path == ".github/workflows/x.yml" and n.kind == "parse-error" for n in result.notes)


# ------------------------------------------------------------------------------------------ SUP002


def test_sup002_npm_install_with_job_wide_token(tmp_path):
    wf = """\
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            env:
              CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_API_TOKEN }}
            steps:
              - run: npm install
              - run: cargo build --release
              - run: yarn install
    """
    result = scan(tmp_path, {".github/workflows/d.yml": wf})
    assert found(result, "SUP002") == [
        ("SUP002", ".github/workflows/d.yml", 8),
        ("SUP002", ".github/workflows/d.yml", 9),
        ("SUP002", ".github/workflows/d.yml", 10),
    ]
    sev = {f.line: str(f.severity) for f in result.findings if f.code == "SUP002"}
    assert sev == {8: "high", 9: "medium", 10: "high"}


def test_sup002_near_miss_locked_installs_and_ci_defaults(tmp_path):
    wf = """\
        on: push
        jobs:
          b:
            runs-on: ubuntu-latest
            steps:
              - run: npm ci --ignore-scripts
              - run: pnpm install
              - run: cargo build --locked
              - run: npm i -g wrangler@4.164.0
              - run: yarn install
                working-directory: berry
    """
    files = {
        ".github/workflows/b.yml": wf,
        "berry/package.json": '{"name": "b", "packageManager": "yarn@4.5.0"}\n',
        "app/fastly.toml": 'name = "x"\nlanguage = "rust"\n[scripts]\nbuild = "cargo build --locked --release"\n',
    }
    assert found(scan(tmp_path, files), "SUP002") == []


def test_sup002_fastly_scripts_and_pnpm_outside_ci(tmp_path):
    files = {
        "app/fastly.toml": 'name = "x"\nlanguage = "javascript"\n[scripts]\nbuild = "pnpm install && pnpm build"\n',
    }
    assert found(scan(tmp_path, files), "SUP002") == [("SUP002", "app/fastly.toml", 4)]


# ------------------------------------------------------------------------------------------ SUP003

AUDIT_BAD = """\
    on: pull_request
    jobs:
      a:
        runs-on: ubuntu-latest
        steps:
          - run: npm audit || true
          - run: |
              set +e
              cargo audit
          - run: npm audit --audit-level=none
          - run: pnpm audit | tee audit.txt
          - run: npm audit
            continue-on-error: true
          - run: if ! cargo deny check advisories; then echo "advisories found"; fi
"""


def test_sup003_non_blocking_audits(tmp_path):
    result = scan(tmp_path, {".github/workflows/a.yml": AUDIT_BAD, "Cargo.toml": '[package]\nname = "x"\n'})
    assert found(result, "SUP003") == [
        ("SUP003", ".github/workflows/a.yml", n) for n in (6, 9, 10, 11, 12, 14)
    ]


def test_sup003_missing_and_present(tmp_path):
    missing = "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: npm ci\n"
    assert found(scan(tmp_path / "m", {".github/workflows/b.yml": missing}), "SUP003") == [
        ("SUP003", ".github/workflows/b.yml", 3)
    ]
    ok = missing + "      - run: npm audit --audit-level=high\n        shell: bash\n"
    assert found(scan(tmp_path / "o", {".github/workflows/b.yml": ok}), "SUP003") == []


# ------------------------------------------------------------------------------------------ SUP004 (CI)


def test_sup004_ci_tooling(tmp_path):
    wf = """\
        on: push
        jobs:
          d:
            runs-on: ubuntu-latest
            steps:
              - run: npx wrangler deploy
                working-directory: site
              - run: npm install --global wrangler@latest
              - uses: cloudflare/wrangler-action@da0e0dfe58b7a431659754fdf3f186c529afbe65
                with:
                  apiToken: ${{ secrets.CLOUDFLARE_API_TOKEN }}
                  wranglerVersion: "4"
              - uses: fastly/compute-actions/setup@a4fd7f4a9e8ea3c3a7ba5e5ac6ee0bfce4c4ac04
              - run: cargo install worker-build
              - run: pnpm dlx wrangler deploy
    """
    files = {".github/workflows/d.yml": wf, "site/package.json": '{"name": "s"}\n'}
    assert found(scan(tmp_path, files), "SUP004") == [
        ("SUP004", ".github/workflows/d.yml", n) for n in (6, 8, 12, 13, 14, 15)
    ]


def test_sup004_ci_near_miss(tmp_path):
    wf = """\
        on: push
        jobs:
          d:
            runs-on: ubuntu-latest
            steps:
              - run: npm ci
              - run: npx wrangler deploy
              - uses: cloudflare/wrangler-action@da0e0dfe58b7a431659754fdf3f186c529afbe65
                with:
                  apiToken: ${{ secrets.CLOUDFLARE_API_TOKEN }}
              - uses: fastly/compute-actions/setup@a4fd7f4a9e8ea3c3a7ba5e5ac6ee0bfce4c4ac04
                with:
                  cli_version: 11.3.0
              - run: cargo install worker-build --locked --version 0.1.2
              - run: npx wrangler@4.164.0 whoami
    """
    assert found(scan(tmp_path, {".github/workflows/d.yml": wf}), "SUP004") == []


def test_sup004_npx_without_install_in_job(tmp_path):
    wf = "on: push\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: npx wrangler deploy\n"
    assert found(scan(tmp_path, {".github/workflows/d.yml": wf}), "SUP004") == [
        ("SUP004", ".github/workflows/d.yml", 6)
    ]


# ------------------------------------------------------------------------------------------ SUP005


def test_sup005_only_in_workflows_with_deploy_credentials(tmp_path):
    deploy = f"""\
        on: push
        jobs:
          lint:
            runs-on: x
            steps:
              - uses: actions/checkout@v4
              - uses: ./.github/actions/local
          deploy:
            uses: acme/workflows/.github/workflows/deploy.yml@main
            secrets: inherit
          ship:
            runs-on: x
            steps:
              - uses: {SHA_CO} # v5
              - uses: cloudflare/wrangler-action@v3
                with:
                  apiToken: ${{{{ secrets.CLOUDFLARE_API_TOKEN }}}}
    """
    ci = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
    result = scan(tmp_path, {".github/workflows/deploy.yml": deploy, ".github/workflows/ci.yml": ci})
    assert found(result, "SUP005") == [
        ("SUP005", ".github/workflows/deploy.yml", 6),
        ("SUP005", ".github/workflows/deploy.yml", 9),
        ("SUP005", ".github/workflows/deploy.yml", 15),
    ]


# ------------------------------------------------------------------------------------------ SUP011


def test_sup011_deploy_without_provenance_and_near_miss(tmp_path):
    base = "on: push\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: npm ci\n      - run: npx wrangler deploy\n"
    assert found(scan(tmp_path / "a", {".github/workflows/d.yml": base}), "SUP011") == [
        ("SUP011", ".github/workflows/d.yml", 7)
    ]
    attested = (
        base + "      - uses: actions/attest-build-provenance@977bb373ede98d70efdf65b84cb5f73e068dcc2a\n"
    )
    assert found(scan(tmp_path / "b", {".github/workflows/d.yml": attested}), "SUP011") == []


# ------------------------------------------------------------------------------------------ SEC010


def test_sec010_sanitize_off_and_debug_log_artifact(tmp_path):
    wf = """\
        on: push
        env:
          WRANGLER_LOG_SANITIZE: "false"
        jobs:
          d:
            runs-on: x
            env:
              WRANGLER_LOG: debug
            steps:
              - run: WRANGLER_LOG_SANITIZE=false npx wrangler deploy
              - uses: actions/upload-artifact@v4
                with:
                  path: .wrangler/logs
    """
    result = scan(tmp_path, {".github/workflows/d.yml": wf})
    assert found(result, "SEC010") == [
        ("SEC010", ".github/workflows/d.yml", 3),
        ("SEC010", ".github/workflows/d.yml", 8),
        ("SEC010", ".github/workflows/d.yml", 10),
    ]


def test_sec010_near_miss_debug_without_artifact(tmp_path):
    wf = """\
        on: push
        jobs:
          d:
            runs-on: x
            env:
              WRANGLER_LOG: debug
              WRANGLER_LOG_SANITIZE: "true"
            steps:
              - run: npx wrangler deploy
              - uses: actions/upload-artifact@v4
                with:
                  path: dist/
    """
    assert found(scan(tmp_path, {".github/workflows/d.yml": wf}), "SEC010") == []


def test_sup004_floating_rust_toolchain_action(tmp_path):
    wf = """\
        on: push
        jobs:
          d:
            runs-on: x
            steps:
              - uses: dtolnay/rust-toolchain@stable
              - uses: dtolnay/rust-toolchain@1.83.0
    """
    files = {".github/workflows/d.yml": wf}
    assert found(scan(tmp_path / "a", files), "SUP004") == [("SUP004", ".github/workflows/d.yml", 6)]
    pinned = {**files, "rust-toolchain.toml": '[toolchain]\nchannel = "1.83.0"\n'}
    assert found(scan(tmp_path / "b", pinned), "SUP004") == []


def test_gitlab_install_with_deploy_variable(tmp_path):
    gl = """\
        variables:
          CLOUDFLARE_API_TOKEN: $CF_DEPLOY_TOKEN
        deploy:
          script:
            - npm install
            - pnpm install --frozen-lockfile=false
            - npx wrangler deploy
        audit:
          script:
            - npm audit
          allow_failure: true
    """
    result = scan(tmp_path, {".gitlab-ci.yml": gl})
    assert found(result, "SUP002") == [("SUP002", ".gitlab-ci.yml", 5), ("SUP002", ".gitlab-ci.yml", 6)]
    assert {f.line: str(f.severity) for f in result.findings if f.code == "SUP002"} == {5: "high", 6: "high"}
    assert found(result, "SUP003") == [("SUP003", ".gitlab-ci.yml", 10)]


def test_sup002_wrangler_jsonc_build_command(tmp_path):
    files = {
        "w/wrangler.jsonc": '{\n  "name": "w",\n  // build first\n  "build": {"command": "npm install && npm run build"}\n}\n'
    }
    assert found(scan(tmp_path, files), "SUP002") == [("SUP002", "w/wrangler.jsonc", 4)]


def test_composite_action_commands(tmp_path):
    action = """\
        name: setup
        runs:
          using: composite
          steps:
            - run: npm install
              shell: bash
            - uses: actions/setup-node@v4
    """
    assert found(scan(tmp_path, {".github/actions/setup/action.yml": action}), "SUP002") == [
        ("SUP002", ".github/actions/setup/action.yml", 5)
    ]


def test_sup004_fastly_build_and_deploy_subactions_need_no_version(tmp_path):
    wf = """\
        on: push
        jobs:
          d:
            runs-on: x
            steps:
              - uses: fastly/compute-actions/setup@a4fd7f4a9e8ea3c3a7ba5e5ac6ee0bfce4c4ac04
                with:
                  cli_version: 11.3.0
              - uses: fastly/compute-actions/build@a4fd7f4a9e8ea3c3a7ba5e5ac6ee0bfce4c4ac04
              - uses: fastly/compute-actions/deploy@a4fd7f4a9e8ea3c3a7ba5e5ac6ee0bfce4c4ac04
              - uses: fastly/compute-actions@a4fd7f4a9e8ea3c3a7ba5e5ac6ee0bfce4c4ac04
    """
    assert found(scan(tmp_path, {".github/workflows/d.yml": wf}), "SUP004") == [
        ("SUP004", ".github/workflows/d.yml", 11)
    ]


def test_sec010_gitlab_debug_log_artifact(tmp_path):
    gl = """\
        deploy:
          variables:
            WRANGLER_LOG: debug
          script:
            - npx wrangler deploy
          artifacts:
            when: always
            paths:
              - wrangler-debug.log
    """
    assert found(scan(tmp_path, {".gitlab-ci.yml": gl}), "SEC010") == [("SEC010", ".gitlab-ci.yml", 3)]
