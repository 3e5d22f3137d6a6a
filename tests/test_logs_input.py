"""`edgeward logs` on bad input: truncated gzip, non-JSON lines, wrong field types, invalid UTF-8, a file name
without a time range, an empty directory. Each gives a note naming the file; nothing crashes and the rest of
the data is still analysed."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edgeward.cli import main
from edgeward.logs.result import analyze_logs

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def record(script: str, t: datetime, status: int = 200, logs: list | None = None, **kw) -> dict:
    rec = {
        "Event": {
            "RayID": "8f00aa",
            "Request": {"URL": "https://x.example/", "Method": "GET"},
            "Response": {"Status": status},
        },
        "EventTimestampMs": int(t.timestamp() * 1000),
        "EventType": "fetch",
        "Exceptions": [],
        "Logs": logs or [],
        "Outcome": "ok",
        "ScriptName": script,
    }
    rec.update(kw)
    return rec


def batch(
    root: Path, i: int, lines: list, *, name: str | None = None, delay: float = 30, raw: bytes | None = None
) -> Path:
    """Batch i covers T0 + 5 i minutes, delivered `delay` seconds after its end."""
    s, e = T0 + timedelta(minutes=5 * i), T0 + timedelta(minutes=5 * i + 5)
    rel = name or f"{s:%Y%m%d}/{s:%Y%m%dT%H%M%S}Z_{e:%Y%m%dT%H%M%S}Z_{i:08x}.log.gz"
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if raw is None:
        text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
        raw = gzip.compress(text.encode("utf-8"), mtime=0) if p.name.endswith(".gz") else text.encode()
    p.write_bytes(raw)
    d = (e + timedelta(seconds=delay)).timestamp()
    os.utime(p, (d, d))
    return p


def normal(root: Path, n: int = 12) -> None:
    for i in range(n):
        batch(root, i, [record("api", T0 + timedelta(minutes=5 * i, seconds=k)) for k in range(5)])


def notes_of(result, kind: str | None = None) -> dict[str, str]:
    return {n.path: n.message for n in result.notes if kind is None or n.kind == kind}


def test_truncated_gzip_is_a_note_and_the_rest_is_read(tmp_path):
    normal(tmp_path)
    good = gzip.compress(((json.dumps(record("api", T0 + timedelta(minutes=61))) + "\n") * 200).encode())
    p = batch(tmp_path, 12, [], raw=good[: len(good) // 2])
    result = analyze_logs(str(tmp_path))
    rel = str(p.relative_to(tmp_path))
    assert "truncated gzip" in notes_of(result, "parse-error")[rel]
    assert result.stats["records"] == 60
    assert result.stats["files"] == 13


def test_not_gzip_at_all(tmp_path):
    normal(tmp_path)
    p = batch(tmp_path, 12, [], raw=b"this is not gzip\n")
    result = analyze_logs(str(tmp_path))
    assert "not a valid gzip stream" in notes_of(result)[str(p.relative_to(tmp_path))]
    assert result.stats["records"] == 60


def test_non_json_lines_and_wrong_types(tmp_path):
    normal(tmp_path)
    lines = [
        record("api", T0 + timedelta(minutes=60)),
        "<html>502 Bad Gateway</html>",
        '{"ScriptName": "api", "EventTimestampMs": ',
        record("api", T0 + timedelta(minutes=61), EventTimestampMs="yesterday"),
        record("api", T0 + timedelta(minutes=62), Event={"Response": {"Status": "teapot"}}),
        "",
        "[1, 2, 3]",
    ]
    p = batch(tmp_path, 12, lines)
    rel = str(p.relative_to(tmp_path))
    result = analyze_logs(str(tmp_path))
    msgs = [n.message for n in result.notes if n.path == rel]
    assert "3 line(s) are not JSON objects (first: line 2)" in msgs
    assert any(m.startswith("2 record(s) with a wrong or missing field type") and "line 4" in m for m in msgs)
    assert result.stats["records"] == 63  # the three JSON objects of the bad batch count


def test_invalid_utf8_line(tmp_path):
    normal(tmp_path)
    raw = gzip.compress(
        json.dumps(record("api", T0 + timedelta(minutes=60))).encode() + b"\n\xff\xfe\xfd bad\n"
    )
    p = batch(tmp_path, 12, [], raw=raw)
    result = analyze_logs(str(tmp_path))
    rel = str(p.relative_to(tmp_path))
    assert "not UTF-8" in notes_of(result, "encoding")[rel]
    assert notes_of(result, "parse-error")[rel] == "1 line(s) are not JSON objects (first: line 2)"
    assert result.stats["records"] == 61


def test_file_name_without_time_range(tmp_path):
    normal(tmp_path)
    p = batch(
        tmp_path,
        12,
        [record("api", T0 + timedelta(minutes=60, seconds=k)) for k in range(3)],
        name="extra/batch.log.gz",
    )
    result = analyze_logs(str(tmp_path))
    assert "no time range" in notes_of(result, "log-name")["extra/batch.log.gz"]
    assert p.exists() and result.stats["records"] == 63
    assert [f.code for f in result.findings] == []


def test_empty_directory(tmp_path, capsys):
    result = analyze_logs(str(tmp_path))
    assert result.findings == []
    assert [(n.kind, n.path) for n in result.notes] == [("no-input", str(tmp_path))]
    assert main(["logs", str(tmp_path), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["notes"][0]["kind"] == "no-input"


def test_empty_and_blank_files(tmp_path):
    normal(tmp_path)
    batch(tmp_path, 12, [], raw=gzip.compress(b""))
    batch(tmp_path, 13, [], raw=gzip.compress(b"\n\n"))
    result = analyze_logs(str(tmp_path))
    assert result.stats["records"] == 60
    assert not [n for n in result.notes if n.kind == "parse-error"]


def test_missing_source_is_a_usage_error(tmp_path, capsys):
    assert main(["logs", str(tmp_path / "nope")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_glob_source(tmp_path):
    normal(tmp_path)
    (tmp_path / "README.txt").write_text("not a log")
    result = analyze_logs(str(tmp_path / "**" / "*.log.gz"))
    assert result.stats["files"] == 12 and result.stats["records"] == 60
    assert result.root == str(tmp_path)
    result = analyze_logs(str(tmp_path / "2026*" / "20260302T12[01]*.log.gz"))
    assert result.stats["files"] == 4 and result.root == str(tmp_path)


def test_copied_files_do_not_fake_late_deliveries(tmp_path):
    """All modification times within a second (an `aws s3 cp` without times): no LOG002, a note instead."""
    normal(tmp_path, 24)
    now = datetime(2026, 3, 5, tzinfo=UTC).timestamp()
    for p in tmp_path.rglob("*.gz"):
        os.utime(p, (now, now))
    result = analyze_logs(str(tmp_path))
    assert [f.code for f in result.findings] == []
    assert any(n.kind == "delivery-times" for n in result.notes)


def test_manifest_gives_delivery_times(tmp_path):
    """Upload times from `aws s3api list-objects-v2` output override the file times."""
    normal(tmp_path, 24)
    contents = []
    for p in sorted(tmp_path.rglob("*.gz")):
        rel = str(p.relative_to(tmp_path))
        end = datetime.strptime(p.name.split("_")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        delay = timedelta(hours=2) if p.name.startswith("20260302T130000Z") else timedelta(seconds=40)
        contents.append({"Key": rel, "LastModified": (end + delay).isoformat().replace("+00:00", ".000Z")})
    (tmp_path / "manifest.json").write_text(json.dumps({"Contents": contents}))
    result = analyze_logs(str(tmp_path))
    assert result.stats["delivery_from"] == "manifest:manifest.json"
    late = [f for f in result.findings if f.code == "LOG002"]
    assert [(f.extra["window_start"], f.extra["window_end"]) for f in late] == [
        ("2026-03-02T13:00:00Z", "2026-03-02T13:05:00Z")
    ]
    assert late[0].extra["details"]["max_delay_s"] == 7200
