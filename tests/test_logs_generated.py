"""`edgeward logs` on generated datasets: every planted anomaly is found with its window and script, and the
noise (daily cycle, bursts, background failures, delivery jitter) is not reported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from edgeward.logs.generate import generate
from edgeward.logs.result import analyze_logs

LOG_KEYS = {"source", "script", "window_start", "window_end", "count", "path", "line"}


def _key(d: dict) -> tuple:
    return (d["code"], d["script"], d["window_start"], d["window_end"])


@pytest.fixture(scope="module", params=["logpush", "fastly"])
def dataset(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"logs-{request.param}")
    truth = generate(root, kind=request.param, hours=48, rate=20, seed=11)
    result = analyze_logs(str(root))
    return root, truth, result


def test_every_planted_anomaly_and_nothing_else(dataset):
    _, truth, result = dataset
    found = sorted(_key(f.to_dict()) for f in result.findings)
    planted = sorted(_key(p) for p in truth["planted"])
    assert found == planted
    assert result.stats["source"] == truth["kind"]
    assert result.stats["files"] == truth["files"]
    assert not [n for n in result.notes if n.kind != "log-name"]


def test_json_shape_of_log_findings(dataset):
    _, truth, result = dataset
    data = result.to_dict()
    assert [row["item"] for row in data["checklist"]] == [14, 15, 16]
    assert {row["item"]: row["status"] for row in data["checklist"]} == {
        14: "fail",
        15: "fail",
        16: "not-verifiable",
    }
    for f in data["findings"]:
        assert LOG_KEYS <= f.keys()
        assert f["source"] == truth["kind"]
        assert isinstance(f["count"], int) and f["count"] > 0
        if f["code"] in ("LOG005", "LOG006", "LOG007"):
            assert f["window_start"] is None and f["window_end"] is None
        else:
            assert f["window_start"].endswith("Z") and f["window_end"] > f["window_start"]
    json.dumps(data)  # serialisable


def _record(root: Path, path: str, line: int) -> str:
    with gzip.open(root / path, "rt", encoding="utf-8") as fh:
        return fh.read().splitlines()[line - 1]


def test_sample_record_is_the_right_one(dataset):
    """path/line point at a real record of the finding's script, inside its window."""
    root, truth, result = dataset
    for f in result.findings:
        rec = json.loads(_record(root, f.path, f.line))
        script = rec.get("ScriptName", rec.get("service"))
        if f.code in ("LOG003", "LOG004", "LOG005", "LOG006", "LOG007", "LOG008"):
            assert script == f.extra["script"], f.code
        if f.code == "LOG003":
            status = rec["Event"]["Response"]["Status"] if "Event" in rec else rec["status"]
            assert status in (401, 403)
        if f.code == "LOG008":
            assert rec.get("Outcome") == "exception" or "error" in rec
        if f.code == "LOG007":
            status = rec["Event"]["Response"]["Status"] if "Event" in rec else rec["status"]
            assert status in (401, 403, 429)


def test_counts_and_details(dataset):
    _, _, result = dataset
    by = {(f.code, f.extra["script"], f.extra["window_start"]): f for f in result.findings}
    auth = next(f for k, f in by.items() if k[0] == "LOG003")
    assert auth.extra["details"]["share"] > 0.35 and auth.extra["details"]["baseline_share"] < 0.05
    spike = next(f for k, f in by.items() if k[0] == "LOG004" and k[1] == "auth-service")
    assert spike.extra["details"]["direction"] == "above"
    drop = next(f for k, f in by.items() if k[0] == "LOG004" and k[1] == "api-gateway")
    assert drop.extra["details"]["direction"] == "below"
    gap = next(f for k, f in by.items() if k[0] == "LOG001")
    assert gap.extra["count"] == 9  # 45 minutes of 5-minute batches
    late = sorted((f for f in result.findings if f.code == "LOG002"), key=lambda f: f.extra["window_start"])
    assert late[0].extra["details"]["late"] is True and late[0].extra["details"]["max_delay_s"] == 10800
    assert late[1].extra["details"]["late"] is False and late[1].extra["details"]["overtaken_by"] == 2


def test_noise_only_dataset_is_quiet(tmp_path):
    truth = generate(tmp_path, kind="logpush", hours=24, rate=20, seed=5, anomalies=False)
    assert truth["planted"] == []
    result = analyze_logs(str(tmp_path))
    assert [f.code for f in result.findings] == []
    rows = {row.item: row for row in result.checklist}
    assert rows[14].status == "pass" and "no gap" in rows[14].note
    assert rows[15].status == "pass"
    assert result.stats["security_events"] > 0


def test_generator_is_deterministic(tmp_path):
    a = generate(tmp_path / "a", kind="fastly", hours=1, rate=5, seed=3)
    b = generate(tmp_path / "b", kind="fastly", hours=1, rate=5, seed=3)
    assert a == b
    fa = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.gz"))
    fb = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.gz"))
    assert fa == fb
    assert all((tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes() for p in fa)


def test_generator_command_line(tmp_path):
    from edgeward.logs.generate import main

    assert (
        main(
            [
                str(tmp_path / "out"),
                "--kind",
                "fastly",
                "--hours",
                "1",
                "--rate",
                "2",
                "--truth",
                str(tmp_path / "t.json"),
            ]
        )
        == 0
    )
    truth = json.loads((tmp_path / "t.json").read_text())
    assert truth["kind"] == "fastly" and truth["files"] == len(list((tmp_path / "out").rglob("*.log.gz")))
