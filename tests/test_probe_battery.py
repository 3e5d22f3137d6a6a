"""The probe battery and the `probe` / `echo-origin` commands without workerd: against the echo origin itself
(the simplest open gateway), a protected echo origin, and small fake gateways, all on 127.0.0.1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import CASES
from edgeward.cli import main
from edgeward.probe import jws, run_probe
from edgeward.probe.battery import (
    DEFAULT_TRUSTED_HEADERS,
    BaselineFailed,
    Battery,
    ProbeOptions,
    RateLimit,
    planned_requests,
)
from edgeward.probe.echo import EchoOrigin
from edgeward.probe.http import Client, HostNotAllowed, Target


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("key") / "test-key.pem"
    path.write_bytes(jws.private_pem(key))
    return path


@pytest.fixture
def echo():
    with EchoOrigin() as origin:
        yield origin


@pytest.fixture
def protected():
    with EchoOrigin(require_header="X-Origin-Auth", secret="s3cret-edge-value") as origin:
        yield origin


class Fixed(BaseHTTPRequestHandler):
    """A gateway that answers every request the same way (status from the server's attribute)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        self.server.seen += 1  # type: ignore[attr-defined]
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fixed():
    servers = []

    def start(status, headers=(), body=b"ok"):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Fixed)
        srv.answer = (status, list(headers), body)
        srv.seen = 0
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(srv)
        return srv, f"http://127.0.0.1:{srv.server_address[1]}/api"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def codes(result) -> list[tuple[str, str]]:
    return [(f.code, f.extra["check"]) for f in result.findings]


def test_rate_limit_parse():
    assert RateLimit.parse("40/60s") == RateLimit(40, 60.0)
    assert RateLimit.parse("100/1m") == RateLimit(100, 60.0)
    assert RateLimit.parse("5/500ms") == RateLimit(5, 0.5)
    assert RateLimit.parse("3/2h").window == 7200
    assert RateLimit.parse("40/60s").burst == 44
    assert RateLimit.parse("5/60s").burst == 7
    for bad in ["40", "0/60s", "40/0s", "x/60s", "40/60d"]:
        with pytest.raises(ValueError):
            RateLimit.parse(bad)


def test_planned_requests_is_one_full_battery(key_file):
    key = jws.load_signing_key(key_file)
    opts = ProbeOptions(
        url="http://gw.test/", signing_key=key, rate_limit=RateLimit(40, 60), origin="http://o.test/"
    )
    # baseline + missing + 3 forged + 6 encodings + 3 time + 2 iss/aud + 4 header variants
    # + burst 44 + 4 rotations + 1 confirmation + 1 origin
    assert planned_requests(opts) == 2 + 3 + 6 + 3 + 2 + 4 + 44 + 4 + 1 + 1
    assert planned_requests(ProbeOptions(url="http://gw.test/")) == 2 + 4


def test_client_only_contacts_named_hosts_and_keeps_budget(echo):
    named = Target.parse(echo.url + "/x")
    client = Client([named], max_requests=2, timeout=2)
    assert client.request(named, [("x-a", "1"), ("X-A", "2")]).status == 200
    with pytest.raises(HostNotAllowed):
        client.request(Target.parse("http://127.0.0.2:9/"), [])
    with pytest.raises(HostNotAllowed):  # same host, other port: not named either
        client.request(Target.parse(f"http://127.0.0.1:{echo.port + 1}/"), [])
    assert client.request(named, []).status == 200
    from edgeward.probe.http import BudgetExhausted

    with pytest.raises(BudgetExhausted):
        client.request(named, [])
    assert client.sent == 2


def test_header_names_go_out_exactly_as_written(echo):
    named = Target.parse(echo.url + "/")
    ex = Client([named], max_requests=1).request(
        named, [("x-user-id", "a"), ("X-USER-ID", "b"), ("X-User-Id", "c")]
    )
    got = [h for h in json.loads(ex.body)["headers"] if h[0].lower() == "x-user-id"]
    assert got == [["x-user-id", "a"], ["X-USER-ID", "b"], ["X-User-Id", "c"]]


def test_echo_origin_masks_credentials(echo):
    named = Target.parse(echo.url + "/")
    ex = Client([named], max_requests=1).request(
        named, [("Authorization", "Bearer abc.def.ghi"), ("Cookie", "s=1")]
    )
    body = ex.body.decode()
    assert "abc.def.ghi" not in body and "s=1" not in body
    assert ["Authorization", "<18 chars>"] in json.loads(body)["headers"]


def test_open_echo_as_gateway_without_key(echo):
    """The echo origin is the simplest open gateway: no auth, headers pass, no limit, origin open."""
    opts = ProbeOptions(url=echo.url + "/api", rate_limit=RateLimit(5, 60), origin=echo.url + "/")
    result = run_probe(opts)
    assert codes(result) == [("PRB001", "missing-token")] + [
        ("PRB008", "trusted-headers") for _ in DEFAULT_TRUSTED_HEADERS
    ] + [("PRB009", "rate-limit"), ("PRB010", "origin-direct")]
    assert [f.extra["header"] for f in result.findings if f.code == "PRB008"] == list(DEFAULT_TRUSTED_HEADERS)
    assert result.stats["requests"] == result.stats["max_requests"] - 4 - 1  # no rotation: nothing limited
    statuses = {row.item: row.status for row in result.checklist}
    assert statuses == {6: "fail", 11: "fail", 12: "fail", 13: "fail"}
    skipped = {c["check"] for c in result.checks if c["outcome"] == "skipped"}
    assert {"alg-none", "hs256-public-key", "wrong-issuer", "rate-limit-rotation"} <= skipped


def test_protected_origin_is_not_reachable_directly(echo, protected):
    opts = ProbeOptions(url=echo.url + "/api", origin=protected.url + "/api", trusted_headers=[])
    result = run_probe(opts)
    assert codes(result) == [("PRB001", "missing-token")]
    origin = next(c for c in result.checks if c["check"] == "origin-direct")
    assert origin["outcome"] == "pass" and origin["detail"] == "answered 403"


def test_unreachable_origin_counts_as_not_reachable(echo):
    opts = ProbeOptions(url=echo.url + "/", origin="http://127.0.0.1:9/", trusted_headers=[], timeout=2)
    result = run_probe(opts)
    origin = next(c for c in result.checks if c["check"] == "origin-direct")
    assert origin["outcome"] == "pass" and "not reachable" in origin["detail"]


def test_baseline_rejected_stops_the_probe(fixed, key_file):
    srv, url = fixed(401, body=b"no")
    opts = ProbeOptions(url=url, signing_key=jws.load_signing_key(key_file))
    with pytest.raises(BaselineFailed, match="answered 401"):
        run_probe(opts)
    assert srv.seen == 1


def test_non_reflecting_gateway_leaves_header_checks_undecided(fixed, key_file):
    srv, url = fixed(200, body=b"hello")
    opts = ProbeOptions(url=url, signing_key=jws.load_signing_key(key_file), issuer="i", audience="a")
    result = run_probe(opts)
    assert result.stats["reflecting_origin"] is False
    assert {f.code for f in result.findings} == {f"PRB00{n}" for n in range(1, 8)}
    assert all(str(f.confidence) == "medium" for f in result.findings)
    headers = next(c for c in result.checks if c["check"] == "trusted-headers")
    assert headers["outcome"] == "undecided" and headers["requests"] == 4
    assert "nothing reflects" in headers["detail"]
    assert any("trusted-headers" in n.message for n in result.notes)
    assert {row.item: row.status for row in result.checklist}[6] == "not-verifiable"


def test_redirect_is_not_followed(fixed):
    srv, url = fixed(302, headers=[("Location", "http://127.0.0.2:9/login")])
    opts = ProbeOptions(url=url, trusted_headers=[])
    result = run_probe(opts)
    assert result.stats["requests"] == 2 and srv.seen == 2
    missing = next(c for c in result.checks if c["check"] == "missing-token")
    assert missing["outcome"] == "pass" and "not followed" in missing["detail"]


def test_budget_is_hard(echo, key_file):
    opts = ProbeOptions(
        url=echo.url + "/",
        signing_key=jws.load_signing_key(key_file),
        rate_limit=RateLimit(40, 60),
        max_requests=6,
    )
    battery = Battery(opts)
    battery.run()
    assert battery.client.sent == 6
    outcomes = {c.id: c.outcome for c in battery.checks}
    assert outcomes["rate-limit"] == "skipped"
    assert any("budget" in m for _, m in battery.notes)


def test_limit_that_holds_under_rotation(fixed, key_file):
    """A gateway answering 429 to the burst whatever the headers: PRB009 does not fire."""
    srv, url = fixed(200, body=b"hello")
    opts = ProbeOptions(
        url=url, signing_key=jws.load_signing_key(key_file), rate_limit=RateLimit(3, 60), trusted_headers=[]
    )
    battery = Battery(opts)
    real = battery.client.request

    def limited(target, headers, method="GET"):
        ex = real(target, headers, method)
        if battery.client.sent > 12:
            ex.status, ex.reason = 429, "Too Many Requests"
        return ex

    battery.client.request = limited  # type: ignore[method-assign]
    battery.run()
    outcomes = {c.id: c.outcome for c in battery.checks}
    assert outcomes["rate-limit"] == "pass" and outcomes["rate-limit-rotation"] == "pass"
    assert not [code for code, _ in battery.hits if code == "PRB009"]


# ----- the command line ----------------------------------------------------------------------------------


def test_cli_json_contract_and_exit_codes(echo, tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = main(["probe", echo.url + "/api", "--format", "json", "--output", str(out), "--quiet"])
    assert rc == 1
    data = json.loads(out.read_text())
    assert set(data) >= {"version", "root", "findings", "checklist", "notes", "stats", "checks"}
    f = data["findings"][0]
    for key in (
        "code",
        "name",
        "area",
        "severity",
        "confidence",
        "path",
        "line",
        "column",
        "end_line",
        "message",
        "evidence",
        "fingerprint",
        "checklist",
    ):
        assert key in f
    assert f["code"] == "PRB001" and f["area"] == "probe" and f["checklist"] == [11]
    assert f["request"]["url"] == echo.url + "/api" and f["response"]["status"] == 200
    assert [r["item"] for r in data["checklist"]] == [6, 11, 12, 13]
    assert main(["probe", echo.url + "/api", "--fail-on", "never", "--quiet"]) == 0
    assert (
        main(["probe", echo.url + "/api", "--format", "sarif", "--quiet", "-o", str(tmp_path / "r.sarif")])
        == 1
    )
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "PRB001"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": echo.url + "/api"}
    schema = CASES.parent / "schemas" / "sarif-schema-2.1.0.json"
    if schema.exists():
        import jsonschema

        jsonschema.validate(sarif, json.loads(schema.read_text()))
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["probe", "ftp://x/"], "only http"),
        (["probe", "http://127.0.0.1:9/", "--rate-limit", "fast"], "--rate-limit"),
        (
            ["probe", "http://127.0.0.1:9/", "--signing-key", "/nonexistent/key.pem"],
            "cannot read signing key",
        ),
        (["probe", "http://127.0.0.1:9/", "--max-requests", "0"], "at least 1"),
        (["probe", "http://127.0.0.1:9/", "--kid", "x"], "need --signing-key"),
    ],
)
def test_cli_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_baseline_failure_exits_2(fixed, key_file, capsys):
    _, url = fixed(403, body=b"forbidden")
    assert main(["probe", url, "--signing-key", str(key_file)]) == 2
    err = capsys.readouterr().err
    assert "cannot judge a gateway that rejects a good request" in err
    assert not re.search(r"eyJ[\w-]{20,}\.[\w-]{20,}", err)  # the token is redacted in the message


def test_cli_redacts_tokens_everywhere(echo, key_file, tmp_path):
    out = tmp_path / "r.json"
    rc = main(
        [
            "probe",
            echo.url + "/api",
            "--signing-key",
            str(key_file),
            "--issuer",
            "i",
            "--audience",
            "a",
            "--format",
            "json",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert rc == 1
    text = out.read_text()
    assert not re.search(r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}", text)
    assert "BEGIN PUBLIC KEY" not in text and "PRIVATE" not in text
    assert "(valid test token," in text or "(alg-none token," in text


def test_echo_origin_command_serves_and_stops(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "edgeward", "echo-origin", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert m, line
        named = Target.parse(m.group(1) + "/hello")
        ex = Client([named], max_requests=1, timeout=5).request(named, [("X-Test", "1")])
        assert ex.status == 200 and json.loads(ex.body)["path"] == "/hello"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0


def test_echo_origin_requires_secret_env(monkeypatch, capsys):
    monkeypatch.delenv("EDGEWARD_ECHO_SECRET", raising=False)
    assert main(["echo-origin", "--require-header", "X-Origin-Auth"]) == 2
    assert "EDGEWARD_ECHO_SECRET" in capsys.readouterr().err


def test_gateway_that_wants_a_token_without_key(fixed):
    """Without --signing-key a 401 baseline is fine: PRB001 is decided, the rest is said to need the key."""
    srv, url = fixed(401, body=b"token required")
    result = run_probe(ProbeOptions(url=url, rate_limit=RateLimit(5, 60)))
    assert result.findings == []
    outcomes = {c["check"]: c["outcome"] for c in result.checks}
    assert outcomes["missing-token"] == "pass"
    assert outcomes["trusted-headers"] == "skipped" and outcomes["rate-limit"] == "skipped"
    assert srv.seen == 2
    messages = [n.message for n in result.notes]
    assert sum("needs --signing-key" in m for m in messages) == 1  # said once for all nine token checks
    assert {row.item: row.status for row in result.checklist}[11] == "not-verifiable"


class DropsProbeId(BaseHTTPRequestHandler):
    """A gateway+origin that drops X-Edgeward-Probe but reflects every other header value."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = "\n".join(
            f"{k}={v}" for k, v in self.headers.items() if k.lower() != "x-edgeward-probe"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_canary_that_comes_back_is_proof_even_without_reflected_probe_id():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), DropsProbeId)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        opts = ProbeOptions(url=f"http://127.0.0.1:{srv.server_address[1]}/", trusted_headers=["X-User-Id"])
        result = run_probe(opts)
    finally:
        srv.shutdown()
        srv.server_close()
    assert result.stats["reflecting_origin"] is False
    assert codes(result) == [("PRB001", "missing-token"), ("PRB008", "trusted-headers")]
    spoof = result.findings[1]
    assert spoof.extra["variants"] == ["as-written", "lower-case", "upper-case", "repeated"]
    assert str(spoof.confidence) == "medium"
