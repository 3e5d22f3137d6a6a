"""Integration: `--select`/`--ignore` and config accept the area names the reports print."""

import json

import pytest

from conftest import make_repo
from edgeward.cli import main

SECRET = "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"
WRANGLER = f"""name = "w"
compatibility_date = "2019-01-01"
logpush = true
routes = ["example.com/*"]

[vars]
API_TOKEN = "{SECRET}"
"""


def _codes(capsys, *argv):
    code = main([*argv, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    return code, sorted({f["code"] for f in out["findings"]}), {f["area"] for f in out["findings"]}


@pytest.fixture
def proj(tmp_path):
    return make_repo(tmp_path / "p", {"wrangler.toml": WRANGLER})


def test_select_by_area_name_equals_select_by_prefix(proj, capsys):
    code, by_name, areas = _codes(capsys, "scan", str(proj), "--select", "secrets")
    _, by_prefix, _ = _codes(capsys, "scan", str(proj), "--select", "SEC")
    assert by_name == by_prefix == ["SEC001"]
    assert areas == {"secrets"}
    assert code == 1


def test_ignore_by_area_name(proj, capsys):
    _, codes, areas = _codes(capsys, "scan", str(proj), "--ignore", "Secrets,platform")
    assert "secrets" not in areas and "platform" not in areas
    assert not any(c.startswith(("SEC", "PLT")) for c in codes)


def test_config_select_by_area_name(proj, capsys):
    (proj / ".edgeward.toml").write_text('select = ["platform"]\n', encoding="utf-8")
    _, codes, areas = _codes(capsys, "scan", str(proj))
    assert areas == {"platform"}
    assert "PLT003" in codes


def test_unknown_area_name_is_still_a_usage_error(proj, capsys):
    assert main(["scan", str(proj), "--select", "secretz"]) == 2
    assert "unknown rule code or area 'SECRETZ'" in capsys.readouterr().err


def test_logs_select_by_area_name(tmp_path, capsys):
    # `logs` is the area of LOG001-LOG008; other areas are refused as before
    (tmp_path / "empty").mkdir()
    assert main(["logs", str(tmp_path / "empty"), "--select", "secrets"]) == 2
    assert "SEC is not a LOG rule" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("select", "message"),
    [
        ("PRB001", "--select: PRB001 is not a scan rule: `edgeward probe` runs it"),
        ("logs", "--select: LOG is not a scan rule: `edgeward logs` runs it"),
        ("SEC001,LOG001", "--select: LOG001 is not a scan rule: `edgeward logs` runs it"),
    ],
)
def test_scan_select_of_probe_or_logs_codes_is_a_usage_error(proj, capsys, select, message):
    # before: the scan ran no rule at all and exited 0, as if the project were clean
    assert main(["scan", str(proj), "--select", select]) == 2
    assert message in capsys.readouterr().err


def test_config_select_of_logs_codes_is_a_configuration_error(proj, capsys):
    (proj / ".edgeward.toml").write_text('select = ["LOG001"]\n', encoding="utf-8")
    assert main(["scan", str(proj)]) == 2
    err = capsys.readouterr().err
    assert ".edgeward.toml: select: LOG001 is not a scan rule: `edgeward logs` runs it" in err
