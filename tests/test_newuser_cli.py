"""What a new user hit when following the README: exit codes, messages and help texts, asserted exactly."""

import json

import pytest

from conftest import REPO, make_repo, write_tree
from edgeward.cli import UsageError, build_parser, main, save_baseline
from edgeward.findings import Confidence, Finding, Severity
from edgeward.report.text import render_text

SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
WRANGLER = f'name = "w"\nworkers_dev = false\nlogpush = true\n\n[vars]\nAPI_TOKEN = "{SECRET}"\n'


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def proj(tmp_path):
    return make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})


# --fail-on ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "code"), [("NEVER", 0), ("Never", 0), ("HIGH", 1), ("Critical", 0)])
def test_fail_on_any_letter_case(proj, capsys, value, code):
    assert run(capsys, "scan", str(proj), "--fail-on", value)[0] == code


@pytest.mark.parametrize("command", [["scan", "."], ["logs", "."], ["probe", "http://127.0.0.1:9/"]])
def test_fail_on_unknown_names_never_too(capsys, command):
    code, _, err = run(capsys, *command, "--fail-on", "bogus")
    assert code == 2
    assert err.splitlines()[-1].endswith(
        "error: argument --fail-on: unknown severity 'bogus' "
        "(expected one of: info, low, medium, high, critical, never)"
    )


def test_config_fail_on_never(proj, capsys):
    write_tree(proj, {".edgeward.toml": 'fail-on = "never"\n'})
    code, out, _ = run(capsys, "scan", str(proj))
    assert code == 0 and "SEC001" in out
    assert run(capsys, "scan", str(proj), "--fail-on", "high")[0] == 1


def _help(command: str) -> str:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return " ".join(sub.choices[command].format_help().split())


def test_fail_on_help_mentions_configuration_only_for_scan():
    assert "(default: high, or fail-on from the configuration)" in _help("scan")
    for command in ("probe", "logs"):
        assert "or 'never' to always exit 0 (default: high)" in _help(command)
        assert "configuration" not in _help(command)


# configuration codes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'severity = { FOO9 = "low" }\n',
            "severity: unknown rule code 'FOO9': give a full code such as SEC001 (see `edgeward rules --all`)",
        ),
        (
            'severity = { SEC = "low" }\n',
            "severity: unknown rule code 'SEC': give a full code such as SEC001 (see `edgeward rules --all`)",
        ),
        (
            'per-path-ignores = { "x/**" = ["ZZZ"] }\n',
            "per-path-ignores: unknown rule code or area 'ZZZ' (see `edgeward rules --all`)",
        ),
        ('select = ["XYZ"]\n', "unknown rule code or area 'XYZ' (see `edgeward rules --all`)"),
    ],
)
def test_unknown_codes_in_configuration_name_the_file(proj, capsys, toml, message):
    write_tree(proj, {".edgeward.toml": toml})
    code, _, err = run(capsys, "scan", str(proj))
    assert code == 2
    assert err == f"edgeward: error: {proj / '.edgeward.toml'}: {message}\n"


def test_unknown_codes_on_the_command_line_name_the_option(proj, capsys):
    code, _, err = run(capsys, "scan", str(proj), "--ignore", "SEC001,NOPE")
    assert (code, err) == (
        2,
        "edgeward: error: --ignore: unknown rule code or area 'NOPE' (see `edgeward rules --all`)\n",
    )


def test_known_severity_override_still_applies(proj, capsys):
    write_tree(proj, {".edgeward.toml": 'severity = { SEC001 = "low" }\n'})
    code, out, _ = run(capsys, "scan", str(proj), "--format", "json")
    assert code == 0
    assert [(f["code"], f["severity"]) for f in json.loads(out)["findings"]] == [("SEC001", "low")]


# baselines ------------------------------------------------------------------------------------------------


def test_write_baseline_to_missing_directory_is_a_usage_error(proj, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "dir" / "b.json"
    code, _, err = run(capsys, "scan", str(proj), "--write-baseline", str(target))
    assert code == 2
    assert err == f"edgeward: error: {target}: cannot write baseline: No such file or directory\n"


def test_save_baseline_is_shared_by_logs(tmp_path):
    with pytest.raises(UsageError, match=r"b\.json: cannot write baseline: No such file or directory$"):
        save_baseline(str(tmp_path / "missing" / "b.json"), [])


# messages of the shipped example --------------------------------------------------------------------------


def test_vulnerable_example_messages(capsys):
    root = REPO / "examples" / "vulnerable-gateway"
    _, out, _ = run(capsys, "scan", str(root), "--format", "json", "--select", "SEC006,PLT001")
    got = sorted((f["code"], f["path"], f["line"], f["message"]) for f in json.loads(out)["findings"])
    unset = (
        "`workers_dev` is unset: only wrangler's deploy-time default keeps it off, and an earlier deploy or "
        "the dashboard may have turned it on; `preview_urls` is unset and follows `workers_dev`"
    )
    assert got == [
        (
            "PLT001",
            "worker/wrangler.toml",
            4,
            f"routed Worker (top level) may stay reachable outside the zone: {unset}",
        ),
        (
            "PLT001",
            "worker/wrangler.toml",
            28,
            f"routed Worker (env.staging) may stay reachable outside the zone: {unset}",
        ),
        (
            "SEC006",
            "fastly-app/src/auth.rs",
            14,
            "a Secret Store value (`plaintext()`) reaches a log call (line 12 -> line 14)",
        ),
        ("SEC006", "worker/src/auth.ts", 12, "secret `env.JWT_SIGNING_SECRET` reaches a log call (line 12)"),
    ]


def test_plt001_explicit_workers_dev_still_stays_reachable(tmp_path, capsys):
    root = make_repo(
        tmp_path / "r",
        {"wrangler.toml": 'name = "w"\nlogpush = true\nworkers_dev = true\nroutes = ["api.example.com/*"]\n'},
    )
    _, out, _ = run(capsys, "scan", str(root), "--format", "json", "--select", "PLT001")
    assert [(f["line"], f["message"]) for f in json.loads(out)["findings"]] == [
        (3, "routed Worker (top level) stays reachable outside the zone: `workers_dev = true`")
    ]


def test_hardened_example_is_silent(capsys):
    code, out, _ = run(
        capsys, "scan", str(REPO / "examples" / "hardened-gateway"), "--fail-on", "info", "-f", "json"
    )
    assert code == 0 and json.loads(out)["findings"] == []


# logs evidence --------------------------------------------------------------------------------------------


def test_logs_evidence_without_timestamps_says_so(tmp_path, capsys):
    write_tree(
        tmp_path / "lg", {"app.log": '{"message": "auth failed for user 1"}\n{"message": "auth failed"}\n'}
    )
    _, out, _ = run(capsys, "logs", str(tmp_path / "lg"), "--format", "json")
    got = [(f["code"], f["message"], f["evidence"]) for f in json.loads(out)["findings"]]
    assert got == [
        (
            "LOG005",
            "(unknown script): 2 of 2 security event(s) logged as free text, not one JSON object",
            "the events carry no timestamp",
        )
    ]


# text report ----------------------------------------------------------------------------------------------


class _Result:
    def __init__(self, findings):
        self.findings, self.notes, self.checklist = findings, [], []
        self.stats = {}


def _finding(path: str) -> Finding:
    return Finding(
        "PRB001", "missing-token-accepted", "probe", Severity.CRITICAL, Confidence.HIGH, path, 1, 1, 1,
        "a request without any credentials reached the origin", "GET x -> 200", "f" * 20, [11],
    )  # fmt: skip


def test_text_report_shows_no_line_for_urls():
    lines = render_text(_Result([_finding("http://127.0.0.1:8701/api/me")])).splitlines()
    assert lines[1] == "            critical PRB001 missing-token-accepted  [high confidence]"
    lines = render_text(_Result([_finding("worker/src/index.ts")])).splitlines()
    assert lines[1] == "      1:1   critical PRB001 missing-token-accepted  [high confidence]"


def test_ci_messages_name_every_deploy_token(capsys):
    root = REPO / "examples" / "vulnerable-gateway"
    _, out, _ = run(capsys, "scan", str(root), "--format", "json", "--select", "SUP002,SUP005")
    got = [(f["code"], f["line"], f["message"]) for f in json.loads(out)["findings"]]
    both = "`CLOUDFLARE_API_TOKEN` and `FASTLY_API_TOKEN`"
    assert got == [
        (
            "SUP005",
            14,
            f"`actions/checkout@v4` is pinned to `v4`, not a commit SHA, in a workflow that holds {both}",
        ),
        (
            "SUP005",
            15,
            f"`actions/setup-node@v4` is pinned to `v4`, not a commit SHA, in a workflow that holds {both}",
        ),
        (
            "SUP002",
            18,
            "`npm install` resolves ranges afresh and rewrites package-lock.json; use `npm ci`; the job exposes "
            "`CLOUDFLARE_API_TOKEN` (line 6) and `FASTLY_API_TOKEN` (line 11) to every step, so install scripts "
            "of the resolved packages can read these deploy tokens",
        ),
        (
            "SUP005",
            25,
            f"`fastly/compute-actions/setup@v11` is pinned to `v11`, not a commit SHA, in a workflow that holds {both}",
        ),
        (
            "SUP005",
            29,
            f"`actions/upload-artifact@v4` is pinned to `v4`, not a commit SHA, in a workflow that holds {both}",
        ),
        ("SUP002", 8, "`cargo build` without `--locked` may resolve new crate versions"),
    ]


def test_plot_error_names_both_formats(tmp_path, capsys):
    write_tree(tmp_path / "lg", {"app.log": '{"message": "auth failed"}\n'})
    code, _, err = run(capsys, "logs", str(tmp_path / "lg"), "--plot", str(tmp_path / "t.png"))
    assert code == 2
    assert err == (
        f"edgeward: error: --plot: {tmp_path / 't.png'}: --plot writes HTML or SVG (use a .html or .svg file name)\n"
    )


def test_generator_honours_batch_seconds(tmp_path, capsys):
    from edgeward.logs.generate import main as generate_main

    out = tmp_path / "gen"
    assert (
        generate_main([str(out), "--hours", "1", "--rate", "2", "--batch-seconds", "600", "--no-anomalies"])
        == 0
    )
    truth = json.loads(capsys.readouterr().out)
    names = sorted(p.name.split("_")[:2] for p in out.rglob("*.log.gz"))
    assert truth["files"] == 6
    assert names[:2] == [["20260105T000000Z", "20260105T001000Z"], ["20260105T001000Z", "20260105T002000Z"]]


def test_probe_evidence_quotes_the_echoed_header():
    from edgeward.probe.battery import _echo_excerpt

    body = json.dumps(
        {
            "echo": True,
            "method": "GET",
            "path": "/api",
            "headers": [["Host", "h"], ["X-User-Id", "ewc-1234"]],
        },
        indent=1,
    )
    assert _echo_excerpt(body, "ewc-1234") == "origin saw X-User-Id: ewc-1234"
    assert _echo_excerpt(body, "ewc-9999") is None  # not reflected: the generic excerpt is used
    assert _echo_excerpt('{"ewc-1234": 1}', "ewc-1234") is None  # not an echo-origin answer
    assert _echo_excerpt("plain ewc-1234", "ewc-1234") is None


def test_probe_rate_limited_baseline_says_to_wait(tmp_path, capsys):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography.hazmat.primitives.asymmetric import rsa

    from edgeward.probe import jws

    class TooMany(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(429)
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(b"rate limited")

    key = tmp_path / "k.pem"
    key.write_bytes(jws.private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), TooMany)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        code, _, err = run(
            capsys, "probe", f"http://127.0.0.1:{srv.server_address[1]}/api", "--signing-key", str(key)
        )
    finally:
        srv.shutdown()
        srv.server_close()
    assert code == 2
    assert (
        "the baseline request with a valid token was answered 429 Too Many Requests: the probe cannot judge a "
        "gateway that rejects a good request; the gateway is rate-limiting this client, probably from an earlier "
        "probe: wait until its window has passed (e.g. a minute for 40/60s) and run again (evidence: GET "
    ) in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--select", "SEC001"],
            "--select: SEC001 is not a LOG rule: `edgeward logs` runs only LOG001-LOG008",
        ),
        (
            ["--ignore", "LOG001,REQ"],
            "--ignore: REQ is not a LOG rule: `edgeward logs` runs only LOG001-LOG008",
        ),
        (["--select", "LOG9"], "--select: unknown rule code or area 'LOG9' (see `edgeward rules --all`)"),
    ],
)
def test_logs_select_takes_log_codes_only(tmp_path, capsys, argv, message):
    write_tree(tmp_path / "lg", {"app.log": '{"message": "auth failed"}\n'})
    code, _, err = run(capsys, "logs", str(tmp_path / "lg"), *argv)
    assert (code, err) == (2, f"edgeward: error: {message}\n")


def test_logs_select_log_codes_still_work(tmp_path, capsys):
    write_tree(tmp_path / "lg", {"app.log": '{"message": "auth failed"}\n'})
    code, out, _ = run(capsys, "logs", str(tmp_path / "lg"), "--select", "LOG005,LOG", "--format", "json")
    assert code == 0 and [f["code"] for f in json.loads(out)["findings"]] == ["LOG005"]


def test_sec007_local_server_message(capsys):
    root = REPO / "examples" / "vulnerable-gateway"
    _, out, _ = run(capsys, "scan", str(root), "--format", "json", "--select", "SEC007")
    got = [(f["path"], f["line"], f["message"]) for f in json.loads(out)["findings"]]
    assert got[0] == (
        "fastly-app/fastly.toml",
        19,
        "`local_server.config_stores.settings.contents.origin_api_token` keeps a secret-named high-entropy value "
        "in fastly.toml's local test config store: it is committed with the repository, and a deployed config "
        "store would show it in the Fastly UI and API",
    )


def test_sec007_setup_message(tmp_path, capsys):
    fastly = (
        'manifest_version = 3\nname = "a"\nlanguage = "rust"\n\n[setup.config_stores.settings.items.api_token]\n'
        'value = "t0k-9QfLx2Vr8Nw3Zp6Ks1Hd4Bm7Cj0Ga"\n'
    )
    root = make_repo(tmp_path / "r", {"fastly.toml": fastly})
    _, out, _ = run(capsys, "scan", str(root), "--format", "json", "--select", "SEC007")
    assert [(f["line"], f["message"]) for f in json.loads(out)["findings"]] == [
        (
            6,
            "`setup.config_stores.settings.items.api_token.value` keeps a secret-named high-entropy value in a "
            "config store, whose values are visible in the Fastly UI and API (and it is committed in fastly.toml)",
        )
    ]


def test_rules_list_marks_cut_summaries(capsys):
    _, out, _ = run(capsys, "rules")
    lines = {line[:6]: line for line in out.splitlines() if line[:3] in ("SEC", "PLT")}
    assert lines["SEC001"] == (
        "SEC001  high     secret-in-vars                   secret-like value in wrangler `vars`, top level or any "
        "`env.<name>.vars`; wrang…"
    )
    assert lines["PLT002"] == (
        "PLT002  medium   no-bundle                        `no_bundle = true`: modules ship unbundled and unaudited"
    )


def test_config_osv_db_missing_is_a_configuration_error(proj, capsys):
    write_tree(proj, {".edgeward.toml": 'osv-db = "no-such-export"\n'})
    code, _, err = run(capsys, "scan", str(proj))
    cfg = proj / ".edgeward.toml"
    assert (code, err) == (2, f"edgeward: error: {cfg}: osv-db: {proj / 'no-such-export'}: not a directory\n")
    (proj / "no-such-export").mkdir()
    assert run(capsys, "scan", str(proj))[0] == 1
