"""Each LOG rule on small hand-written exports: a case that triggers it and a near miss that must stay silent."""

from __future__ import annotations

import json
from datetime import timedelta

from test_logs_input import T0, batch, record

from edgeward.logs.result import analyze_logs


def msg(*parts) -> dict:
    return {"Level": "warn", "Message": list(parts), "TimestampMs": 0}


def found(result) -> list[tuple]:
    rows = [
        (f.code, f.extra["script"], f.extra["window_start"], f.extra["window_end"]) for f in result.findings
    ]
    return sorted(rows, key=lambda r: tuple(x or "" for x in r))


def at(i: int, k: int = 0):
    return T0 + timedelta(minutes=5 * i, seconds=k)


def test_security_event_styles(tmp_path):
    recs = [
        # free text, and several console arguments: LOG005
        record("text-logger", at(0, 1), 401, [msg("auth failed for user 7")]),
        record("text-logger", at(0, 2), 403, [msg("access denied:", {"user": 7})]),
        # JSON string, JSON object, with ids: fine; a plain non-security line too
        record("good", at(0, 3), 401, [msg(json.dumps({"event": "auth_failure", "ray": "8f00aa"}))]),
        record("good", at(0, 4), 403, [msg({"event": "access_denied", "cf-ray": "8f00ab"})]),
        record("good", at(0, 5), 200, [msg("GET /items done")]),
        record("good", at(0, 6), 429, [msg(json.dumps({"type": "rate_limited", "requestId": "r1"}))]),
        # JSON without a request id: LOG006
        record("no-id", at(0, 7), 403, [msg(json.dumps({"event": "access_denied", "user": "u1"}))]),
        record("no-id", at(0, 8), 403, [msg(json.dumps({"event": "access_denied", "ray": "8f00ac"}))]),
        # a JSON log that is not a security event, without id: fine
        record("quiet", at(0, 9), 200, [msg(json.dumps({"event": "cache_miss", "key": "k"}))]),
    ]
    batch(tmp_path, 0, recs)
    result = analyze_logs(str(tmp_path))
    assert found(result) == [("LOG005", "text-logger", None, None), ("LOG006", "no-id", None, None)]
    by = {f.code: f for f in result.findings}
    assert by["LOG005"].extra["count"] == 2 and by["LOG005"].line == 1
    assert by["LOG006"].extra["count"] == 1 and by["LOG006"].line == 7
    assert result.stats["security_events"] == 7


def test_silent_denials(tmp_path):
    recs = [record("silent", at(0, k), 403) for k in range(10)]  # 10 denials, no event: LOG007
    recs += [record("few", at(0, k), 401) for k in range(9)]  # 9: below --denial-min
    recs += [
        record("logs-them", at(0, k), 401, [msg(json.dumps({"event": "auth_failure", "ray": "r"}))])
        for k in range(20)
    ]
    recs += [record("ok", at(0, k), 200) for k in range(30)]
    batch(tmp_path, 0, recs)
    result = analyze_logs(str(tmp_path))
    assert found(result) == [("LOG007", "silent", None, None)]
    f = result.findings[0]
    assert f.extra["count"] == 10 and f.line == 1 and f.severity.name == "HIGH"


def test_delivery_gap_and_near_miss(tmp_path):
    # batches every 5 minutes; a 10-minute hole (2 cadences: fine) and a 20-minute hole (4 cadences: gap)
    for i in [*range(0, 6), *range(8, 14), *range(18, 30)]:
        batch(tmp_path, i, [record("api", at(i, k)) for k in range(6)])
    result = analyze_logs(str(tmp_path))
    assert found(result) == [("LOG001", None, "2026-03-02T13:10:00Z", "2026-03-02T13:30:00Z")]
    f = result.findings[0]
    assert f.extra["count"] == 4 and f.path.endswith("20260302T130500Z_20260302T131000Z_0000000d.log.gz")
    assert result.stats["cadence_s"] == 300


def test_late_out_of_order_and_near_miss(tmp_path):
    for i in range(30):
        delay = 30
        if i == 10:
            delay = 300 + 90  # after the next batch by 60 s: within --order-tolerance
        if i == 20:
            delay = 2 * 300 + 200  # after the next two by 170 s: out of order
        batch(tmp_path, i, [record("api", at(i, k)) for k in range(3)], delay=delay)
    result = analyze_logs(str(tmp_path))
    assert found(result) == [("LOG002", None, "2026-03-02T13:40:00Z", "2026-03-02T13:45:00Z")]
    assert result.findings[0].extra["details"]["overtaken_by"] == 2


def test_spikes_need_a_baseline_and_enough_events(tmp_path):
    """A script seen in too few windows has no baseline: no LOG003/LOG004/LOG008 however odd it looks."""
    for i in range(4):
        batch(tmp_path, i, [record("new", at(i, k), 401 if i == 3 else 200) for k in range(40)])
    result = analyze_logs(str(tmp_path))
    assert [f for f in result.findings if f.code in ("LOG003", "LOG004", "LOG008")] == []
    assert [f.code for f in result.findings] == ["LOG007"]  # 40 401s and no event


def test_fastly_event_lines(tmp_path):
    def line(**kw):
        return json.dumps({"timestamp": "2026-03-02T12:00:01.000Z", "service": "svc", **kw})

    lines = [
        line(request_id="a1", status=401),
        line(level="warn", event="auth_failure", request_id="a1"),
        line(request_id="a2", status=403),
        line(level="warn", message="login failed for bob"),  # free text in a JSON envelope
        line(level="warn", event="access_denied"),  # no request id
        "WAF blocked request from 203.0.113.9",  # a bare text line that reads as a security event
        "garbage that is no event",  # a bare line that is not
    ]
    p = tmp_path / "edge" / "2026-03-02T12:00:00.000-abcd.log"
    p.parent.mkdir(parents=True)
    p.write_text("\n".join(lines) + "\n")
    result = analyze_logs(str(tmp_path), kind="fastly")
    assert result.stats["source"] == "fastly"
    assert found(result) == [
        ("LOG005", None, None, None),
        ("LOG005", "svc", None, None),
        ("LOG006", "svc", None, None),
    ]
    lines_of = {(f.code, f.extra["script"]): f.line for f in result.findings}
    assert lines_of == {("LOG005", "svc"): 4, ("LOG005", None): 6, ("LOG006", "svc"): 5}
    assert [n.message for n in result.notes if n.kind == "parse-error"] == [
        "1 line(s) are not JSON objects (first: line 7)"
    ]


def test_sample_after_an_empty_batch(tmp_path):
    """Records after an empty batch are attributed to their own file and line."""
    import gzip

    batch(tmp_path, 0, [record("ok", at(0, k)) for k in range(3)])
    batch(tmp_path, 1, [], raw=gzip.compress(b""))
    p = batch(tmp_path, 2, [record("ok", at(2, 0))] + [record("silent", at(2, k), 403) for k in range(1, 11)])
    result = analyze_logs(str(tmp_path))
    assert [(f.code, f.path, f.line) for f in result.findings] == [
        ("LOG007", str(p.relative_to(tmp_path)), 2)
    ]


def test_quiet_nights_are_not_gaps(tmp_path):
    """A service busy 08:00-20:00 UTC whose export writes nothing at night, three days long: the nights have
    no batch, and none was expected, since the other days are just as quiet then. A note, no LOG001."""
    day0 = T0.replace(hour=0)
    for d in range(3):
        for h in range(8, 20):
            for k in range(12):
                start = day0 + timedelta(days=d, hours=h, minutes=5 * k)
                i = int((start - T0).total_seconds() // 300)
                batch(tmp_path, i, [record("api", start + timedelta(seconds=s)) for s in range(0, 300, 50)])
    result = analyze_logs(str(tmp_path))
    assert [f.code for f in result.findings] == []
    quiet = [n.message for n in result.notes if n.kind == "quiet-period"]
    assert len(quiet) == 2 and quiet[0].startswith(
        "no batch from 2026-03-02T20:00:00Z to 2026-03-03T08:00:00Z"
    )
