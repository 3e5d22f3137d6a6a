"""A seeded generator of exported edge logs with planted anomalies, for tests and benchmarks.

`generate(out, kind="logpush"|"fastly", ...)` writes a dataset under `out` and returns the ground truth: the
planted anomalies (code, script, window) and the noise that must NOT be reported. The same seed gives the
same bytes.

Logpush output follows `workers_trace_events`: one gzipped NDJSON batch per object, named
`YYYYMMDD/<start>Z_<end>Z_<id>.log.gz`, delivery time = file modification time. Fastly output is what a
file-based real-time logging endpoint writes: `<path><timestamp>-<uid>.log.gz`, one JSON object per line
(request lines with a status, event lines written by the app).

Normal noise: a daily cycle (night traffic about a quarter of the peak), single-window bursts of up to 1.7x,
one sustained hour at 1.4x, a background of 401/403 (2 %) and exceptions (0.2 %), delivery jitter of tens of
seconds with occasional small reordering. Planted (with `anomalies=True`):

- LOG001 a 45-minute delivery gap (no batch at all);
- LOG002 one batch delivered three hours late and one overtaken by two later batches;
- LOG003 auth-failure share of 45 % on `api-gateway` for 30 minutes;
- LOG004 6x volume on `auth-service` for 20 minutes, and `api-gateway` down to 10 % for 30 minutes;
- LOG005 `billing` logs its security events as free text;
- LOG006 `edge-admin` logs JSON security events without a request id;
- LOG007 `legacy-proxy` denies 5 % of requests with 403 and never logs a security event;
- LOG008 half of the `billing` invocations throw for 15 minutes.

With `anomalies=False` there is only the noise, and every script that denies logs JSON events with an id.

Command line: `python -m edgeward.logs.generate OUT [--kind fastly] [--hours 48] [--rate 40] [--seed 7]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2026, 1, 5, tzinfo=UTC)
BATCH = 300  # seconds per batch (Logpush max_upload_interval, Fastly period)

# script -> share of the base rate, behaviour
SCRIPTS: dict[str, dict[str, Any]] = {
    "api-gateway": {"share": 1.0, "deny": 0.02, "events": "json"},
    "auth-service": {"share": 0.4, "deny": 0.02, "events": "json"},
    "billing": {"share": 0.3, "deny": 0.02, "events": "text"},
    "edge-admin": {"share": 0.15, "deny": 0.03, "events": "json-no-id"},
    "legacy-proxy": {"share": 0.15, "deny": 0.05, "events": "none"},
    "static-site": {"share": 0.3, "deny": 0.0, "events": "none"},
}


@dataclass
class Planted:
    code: str
    script: str | None
    window_start: str | None
    window_end: str | None
    what: str


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def daily(t: datetime) -> float:
    """Traffic factor over the day: 0.25 at 03:00 UTC, 1.0 at 15:00 UTC."""
    h = t.hour + t.minute / 60
    return 0.625 - 0.375 * math.cos(2 * math.pi * (h - 3) / 24)


class Plan:
    """Where the anomalies sit, relative to the start of the dataset (hours)."""

    def __init__(self, hours: float, anomalies: bool, batch: int = BATCH):
        self.on = anomalies
        h = lambda x: START + timedelta(hours=x)  # noqa: E731
        # scale positions for datasets shorter than 48 h
        f = min(1.0, hours / 48)
        at = lambda x: h(round(x * f * 12) / 12)  # noqa: E731  (5-minute aligned)
        self.gap = (at(20), at(20) + timedelta(minutes=45))
        self.late = (at(25), at(25) + timedelta(seconds=batch))
        self.reorder = (at(42), at(42) + timedelta(seconds=batch))
        self.auth = ("api-gateway", at(34.5), at(34.5) + timedelta(minutes=30))
        self.spike = ("auth-service", at(38), at(38) + timedelta(minutes=20))
        self.drop = ("api-gateway", at(11), at(11) + timedelta(minutes=30))
        self.exc = ("billing", at(14), at(14) + timedelta(minutes=15))
        self.sustained = (at(16), at(17))  # noise: 1.4x for an hour

    @staticmethod
    def inside(t: datetime, w: tuple) -> bool:
        return w[-2] <= t < w[-1]

    def truth(self) -> list[Planted]:
        if not self.on:
            return []
        return [
            Planted("LOG001", None, iso(self.gap[0]), iso(self.gap[1]), "no batch for 45 minutes"),
            Planted("LOG002", None, iso(self.late[0]), iso(self.late[1]), "batch delivered 3 hours late"),
            Planted(
                "LOG002",
                None,
                iso(self.reorder[0]),
                iso(self.reorder[1]),
                "batch overtaken by two later ones",
            ),
            Planted("LOG003", *self.auth[:1], iso(self.auth[1]), iso(self.auth[2]), "45 % auth failures"),
            Planted("LOG004", *self.spike[:1], iso(self.spike[1]), iso(self.spike[2]), "6x volume"),
            Planted("LOG004", *self.drop[:1], iso(self.drop[1]), iso(self.drop[2]), "volume down to 10 %"),
            Planted("LOG005", "billing", None, None, "security events as free text"),
            Planted("LOG006", "edge-admin", None, None, "JSON security events without a request id"),
            Planted("LOG007", "legacy-proxy", None, None, "403s but no security event"),
            Planted("LOG008", *self.exc[:1], iso(self.exc[1]), iso(self.exc[2]), "50 % exceptions"),
        ]


def _records(
    rng: random.Random, plan: Plan, t0: datetime, rate: float, batch: int = BATCH
) -> list[tuple[str, datetime, dict]]:
    """The invocations of one batch window: (script, time, facts)."""
    out = []
    burst = 1.0 + (rng.random() * 0.7 if rng.random() < 0.03 else 0.0)
    if plan.inside(t0, plan.sustained):
        burst *= 1.4
    for name, s in SCRIPTS.items():
        mult = burst
        if plan.on and name == plan.spike[0] and plan.inside(t0, plan.spike):
            mult *= 6
        if plan.on and name == plan.drop[0] and plan.inside(t0, plan.drop):
            mult *= 0.1
        n = _poisson(rng, rate * s["share"] * daily(t0) * batch / 60 * mult)
        deny = s["deny"]
        if plan.on and name == plan.auth[0] and plan.inside(t0, plan.auth):
            deny = 0.45
        exc = 0.002
        if plan.on and name == plan.exc[0] and plan.inside(t0, plan.exc):
            exc = 0.5
        for _ in range(n):
            t = t0 + timedelta(seconds=rng.random() * batch)
            r = rng.random()
            if r < deny:
                status = rng.choice((401, 403)) if name != "legacy-proxy" else 403
            elif name != "static-site" and r < deny + 0.004:
                status = 429
            else:
                status = rng.choice((200, 200, 200, 204, 301, 304, 404))
            style = s["events"] if plan.on or s["deny"] == 0 else "json"
            out.append((name, t, {"status": status, "exception": rng.random() < exc, "events": style}))
    out.sort(key=lambda x: x[1])
    return out


def _ray(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def _security_event(rng: random.Random, style: str, status: int, rid: str, t: datetime) -> Any:
    """What the script logs when it denies a request (None: nothing)."""
    reason = {401: "missing or invalid token", 403: "forbidden by policy", 429: "rate limit exceeded"}[status]
    event = {401: "auth_failure", 403: "access_denied", 429: "rate_limited"}[status]
    user = f"u{rng.randrange(1000)}"
    if style == "json":
        return {"event": event, "reason": reason, "ray": rid, "user": user, "ts": iso(t)}
    if style == "json-no-id":
        return {"event": event, "reason": reason, "user": user, "ts": iso(t)}
    if style == "text":
        return f"auth failed for user {user}: {reason}"
    return None


def _logpush_line(rng: random.Random, name: str, t: datetime, f: dict) -> str:
    ray = _ray(rng)
    ms = int(t.timestamp() * 1000)
    status = f["status"]
    logs: list[dict] = []
    exceptions: list[dict] = []
    outcome = "ok"
    if rng.random() < 0.3:
        logs.append(
            {"Level": "log", "Message": [f"GET /v1/items/{rng.randrange(500)} done"], "TimestampMs": ms}
        )
    if f["exception"]:
        outcome = "exception"
        status = 500
        exceptions.append(
            {"Name": "TypeError", "Message": "Cannot read properties of undefined", "TimestampMs": ms}
        )
    elif status in (401, 403, 429):
        ev = _security_event(rng, f["events"], status, ray, t)
        if isinstance(ev, dict):
            logs.append({"Level": "warn", "Message": [json.dumps(ev)], "TimestampMs": ms})
        elif isinstance(ev, str):
            logs.append({"Level": "warn", "Message": [ev], "TimestampMs": ms})
    rec = {
        "DispatchNamespace": "",
        "Entrypoint": "",
        "Event": {
            "RayID": ray,
            "Request": {"URL": f"https://{name}.example.com/v1/items", "Method": "GET"},
            "Response": {"Status": status},
        },
        "EventTimestampMs": ms,
        "EventType": "fetch",
        "Exceptions": exceptions,
        "Logs": logs,
        "Outcome": outcome,
        "ScriptName": name,
        "ScriptTags": [],
        "ScriptVersion": {"Id": "3f1c2b7e"},
    }
    return json.dumps(rec, separators=(",", ":"))


def _fastly_lines(rng: random.Random, name: str, t: datetime, f: dict) -> list[str]:
    rid = f"{rng.getrandbits(96):024x}"
    status = f["status"]
    line: dict[str, Any] = {
        "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "service": name,
        "request_id": rid,
        "method": "GET",
        "url": "/v1/items",
        "status": status,
    }
    out = []
    if f["exception"]:
        line["status"] = 500
        line["error"] = "panicked at 'called `Option::unwrap()` on a `None` value', src/main.rs:42:10"
    out.append(json.dumps(line, separators=(",", ":")))
    if status in (401, 403, 429) and not f["exception"]:
        ev = _security_event(rng, f["events"], status, rid, t)
        base = {"timestamp": line["timestamp"], "service": name, "level": "warn"}
        if isinstance(ev, dict):
            ev = dict(ev)
            if "ray" in ev:
                ev["request_id"] = ev.pop("ray")
            out.append(json.dumps({**base, **ev}, separators=(",", ":")))
        elif isinstance(ev, str):
            out.append(json.dumps({**base, "message": ev}, separators=(",", ":")))
    return out


def generate(
    out: str | Path,
    *,
    kind: str = "logpush",
    hours: float = 48,
    rate: float = 40.0,
    seed: int = 7,
    anomalies: bool = True,
    batch: int = BATCH,
) -> dict[str, Any]:
    """Write a dataset under `out`; return the ground truth. `rate`: invocations per minute of the busiest
    script at the daily peak (all scripts together: about 2.3x that)."""
    if kind not in ("logpush", "fastly"):
        raise ValueError(f"kind must be logpush or fastly, not {kind!r}")
    rng = random.Random(seed)
    plan = Plan(hours, anomalies, batch)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    n_batches = int(hours * 3600 // batch)
    files = records = 0
    for i in range(n_batches):
        t0 = START + timedelta(seconds=i * batch)
        t1 = t0 + timedelta(seconds=batch)
        recs = _records(rng, plan, t0, rate, batch)
        if anomalies and plan.inside(t0, plan.gap):
            continue  # never delivered
        delay = 20 + rng.random() * 70  # seconds after the end of the batch
        if anomalies and t0 == plan.late[0]:
            delay = 3 * 3600
        if anomalies and t0 == plan.reorder[0]:
            delay = 2 * batch + 240  # after the next two (or more) batches
        delivered = t1 + timedelta(seconds=delay)
        uid = f"{rng.getrandbits(32):08x}"
        if kind == "logpush":
            rel = f"{t0:%Y%m%d}/{t0:%Y%m%dT%H%M%S}Z_{t1:%Y%m%dT%H%M%S}Z_{uid}.log.gz"
            lines = [_logpush_line(rng, n, t, f) for n, t, f in recs]
        else:
            rel = f"edge/{t0:%Y-%m-%dT%H:%M:%S}.000-{uid}.log.gz"
            lines = [ln for n, t, f in recs for ln in _fastly_lines(rng, n, t, f)]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode() if lines else b""
        with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=5) as gz:
            gz.write(data)
        os.utime(path, (delivered.timestamp(), delivered.timestamp()))
        files += 1
        records += len(lines)
    return {
        "kind": kind,
        "seed": seed,
        "hours": hours,
        "start": iso(START),
        "end": iso(START + timedelta(seconds=n_batches * batch)),
        "files": files,
        "records": records,
        "planted": [asdict(p) for p in plan.truth()],
        "noise": {
            "sustained_burst": [iso(plan.sustained[0]), iso(plan.sustained[1])],
            "quiet_scripts": ["static-site"],
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edgeward.logs.generate", description=__doc__.splitlines()[0])
    p.add_argument("out", help="directory to write the dataset to")
    p.add_argument(
        "--kind", choices=("logpush", "fastly"), default="logpush", help="export format (default: logpush)"
    )
    p.add_argument("--hours", type=float, default=48, help="time span of the dataset (default: 48)")
    p.add_argument(
        "--rate",
        type=float,
        default=40.0,
        help="peak invocations per minute of the busiest script (default: 40)",
    )
    p.add_argument("--seed", type=int, default=7, help="the same seed gives the same bytes (default: 7)")
    p.add_argument("--batch-seconds", type=int, default=BATCH, help="time range of one batch (default: 300)")
    p.add_argument("--no-anomalies", action="store_true", help="only normal noise")
    p.add_argument("--truth", metavar="FILE", help="write the planted anomalies as JSON to FILE")
    a = p.parse_args(argv)
    truth = generate(
        a.out,
        kind=a.kind,
        hours=a.hours,
        rate=a.rate,
        seed=a.seed,
        anomalies=not a.no_anomalies,
        batch=a.batch_seconds,
    )
    text = json.dumps(truth, indent=2)
    if a.truth:
        Path(a.truth).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
