"""LOG rules: what `edgeward logs SOURCE` reports about exported edge logs (Cloudflare Logpush
`workers_trace_events`, Fastly real-time logging).

Each rule reads the facts the log analysis computed (`edgeward.logs.analysis.LogFacts`: windows, robust
baselines, batches, security events) and yields one `Hit` per anomaly. It opens no file and parses nothing.
Every hit carries, in `extra`, the keys the JSON report promises for LOG findings: `source`, `script`,
`window_start`, `window_end` (ISO 8601 UTC, null for findings about the whole dataset), `count` and the
sample record's `path`/`line` (also the finding's location).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from edgeward.findings import Hit
from edgeward.rules.registry import rule

if TYPE_CHECKING:
    from edgeward.logs.analysis import Anomaly, LogFacts


def _iso(ms: int | None) -> str | None:
    from edgeward.logs.analysis import iso

    return iso(ms)


def _when(a: Anomaly) -> str:
    s, e = _iso(a.start_ms), _iso(a.end_ms)
    if s is None or e is None:
        return "over the whole dataset"
    if s[:10] == e[:10]:
        return f"{s[:10]} {s[11:16]}–{e[11:16]} UTC"
    return f"{s[:16].replace('T', ' ')} – {e[:16].replace('T', ' ')} UTC"


def _hit(facts: LogFacts, a: Anomaly, message: str, evidence: str) -> Hit:
    extra: dict[str, Any] = {
        "source": facts.source,
        "script": a.script,
        "window_start": _iso(a.start_ms),
        "window_end": _iso(a.end_ms),
        "count": a.count,
        "details": a.details,
    }
    anchor = f"{a.kind}|{a.script or ''}|{_iso(a.start_ms) or ''}|{_iso(a.end_ms) or ''}"
    return Hit(a.sample.path, a.sample.line, message, evidence, anchor=anchor, extra=extra)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if x < 0.1 else f"{100 * x:.0f}%"


@rule("LOG001", "delivery-gap", severity="high", checklist=[14], confidence="high", kind="logs")
def delivery_gap(facts: LogFacts) -> Iterator[Hit]:
    """No log batch arrived for a stretch of time much longer than the export's own cadence.

    What it finds: a time range that no batch covers, longer than `--gap-factor` (default 3) times the
    cadence learned from the data (the median step between consecutive batches; 5 minutes for a Logpush job
    with the default upload interval) and longer than `--min-gap`, at a time when events were expected: at
    least `--min-events`, and about one for each missing batch, by the volume at the same time of day on the
    other days of the data (or, for a single day, by the batches either side): an export writes no batch
    when there is nothing to write, so a quiet night without uploads is not a gap. Batch ranges
    come from the object names (`<start>Z_<end>Z_<id>.log.gz`), or from the records when a name carries
    none.

    Why it matters: a gap is the silent failure: the job was disabled, its destination credentials expired,
    or the bucket filled up, and every security event of that time never reached the SIEM. Nobody notices
    because no alert fires on data that is not there.

    Example: batches every 5 minutes, then none from 20:00 to 20:45 UTC.

    Fix: find out why the job stopped (Logpush job health in the dashboard, `last_error` in the Logpush API,
    the destination's permissions); backfill from the source where possible; alert on missing deliveries
    (`edgeward logs --emit-sigma DIR` writes a rule).
    """
    for a in facts.of("gap"):
        d = a.details
        yield _hit(
            facts,
            a,
            f"no log batch for {d['hole_s'] / 60:.0f} minutes ({_when(a)}); the learned cadence is one batch "
            f"every {d['cadence_s']:.0f} s (limit {d['threshold_s']:.0f} s)",
            f"about {a.count} batch(es) and {d['expected_events']} event(s) expected after this one "
            f"(from {d['expected_from']})",
        )


@rule("LOG002", "late-delivery", severity="medium", checklist=[14], confidence="high", kind="logs")
def late_delivery(facts: LogFacts) -> Iterator[Hit]:
    """A batch delivered long after the time range it covers, or after batches of later ranges.

    What it finds: batches whose delay (delivery time minus the end of their range) exceeds both
    `--late-min` (default 15 minutes) and `--late-factor` (default 5) times the median delay, and batches
    delivered more than `--order-tolerance` (default 120 s) after a batch of a later range. Delivery time is
    the file's modification time, or the upload time from `--manifest` (e.g. `aws s3api list-objects-v2`
    output). Consecutive flagged batches form one finding.

    Why it matters: a SIEM that alerts on the last few minutes evaluates its rules before late events
    arrive, so they never alert; a detection that correlates in time order sees events out of order.

    Example: the batch for 01:00–01:05 UTC arrives at 04:05 UTC while its neighbours arrived within a
    minute.

    Fix: check the destination's throughput and errors for that time; let the SIEM index by event time and
    re-evaluate late data; alert when the newest event is older than the expected delay.
    """
    for a in facts.of("late"):
        d = a.details
        what = []
        if d["late"]:
            what.append(f"{d['max_delay_s'] / 60:.0f} minutes after its range ended")
        if d["overtaken_by"]:
            what.append(f"after {d['overtaken_by']} batch(es) of later ranges")
        yield _hit(
            facts,
            a,
            f"{d['batches']} batch(es) for {_when(a)} delivered {', '.join(what) or 'out of order'} "
            f"(median delay {d['median_delay_s']:.0f} s)",
            f"{d['first_batch']} delivered {d['delivered']}",
        )


@rule("LOG003", "auth-failure-spike", severity="high", checklist=[16], confidence="medium", kind="logs")
def auth_failure_spike(facts: LogFacts) -> Iterator[Hit]:
    """The share of 401/403 responses of a script far above its baseline for the same time of day.

    What it finds: windows (`--window`, default 5 minutes) where a script's share of 401 and 403 responses
    is at least `--ratio` (default 3) times its baseline, at least `--auth-min-increase` (default 10
    percentage points) above it, with a robust z-score of at least `--z` (default 5) and at least
    `--min-events` (default 10) failures. The baseline is the median (and MAD) over comparable windows: the
    same script within `--baseline-span` (default 60 minutes) of the same time of day, on every day of the
    data, so the daily cycle does not alarm. Consecutive windows form one finding.

    Why it matters: a jump in rejected credentials is what credential stuffing, token brute force and a
    leaked key being tried look like; it is also how a broken deployment that rejects valid users looks.

    Example: `api-gateway` answers 45 % of requests with 401/403 from 10:30 to 11:00 UTC; at that time of
    day it usually rejects 1–2 %.

    Fix: look at the sample record and the clients behind the window (IP, ASN, user agent); rate-limit or
    block them at the edge; alert on this rate in the SIEM (`--emit-sigma`).
    """
    for a in facts.of("auth"):
        d = a.details
        yield _hit(
            facts,
            a,
            f"{a.script}: {_pct(d['share'])} of requests failed authentication (401/403) {_when(a)}; "
            f"baseline {_pct(d['baseline_share'])} at this time of day (z={d['z']})",
            f"{d['failures']} of {d['requests']} requests in {d['windows']} window(s) of {d['window_s']} s",
        )


@rule("LOG004", "volume-anomaly", severity="medium", checklist=[16], confidence="medium", kind="logs")
def volume_anomaly(facts: LogFacts) -> Iterator[Hit]:
    """Request volume of a script far above or below its baseline for the same time of day.

    What it finds: windows where a script's invocations are at least `--ratio` (default 3) times the median
    of comparable windows (same script, same time of day within `--baseline-span`, any day), or at most a
    third of it, with a robust z-score beyond `--z` (default 5); spikes need `--min-events` invocations, drops
    a baseline of at least that many. Windows inside a delivery gap are left out (LOG001 reports those).

    Why it matters: a surge is a flood, a scraper or an abuse campaign; a drop is an outage, a broken
    route or traffic bypassing the edge (straight to the origin), and either one wants an alert.

    Example: `auth-service` handles 6 times its usual volume from 14:00 to 14:20 UTC.

    Fix: look at the sample and the clients behind the window; rate-limit at the edge; for drops, check
    routes and DNS and whether the origin is reachable without the edge; alert on volume in the SIEM.
    """
    for a in facts.of("volume"):
        d = a.details
        factor = d["observed"] / d["baseline"] if d["baseline"] else float("inf")
        yield _hit(
            facts,
            a,
            f"{a.script}: request volume {d['direction']} baseline {_when(a)}: {d['observed']} requests, "
            f"{factor:.1f}x the usual {d['baseline']:.0f} for this time of day (z={d['z']})",
            f"{d['windows']} window(s) of {d['window_s']} s",
        )


@rule(
    "LOG005",
    "unstructured-security-event",
    severity="medium",
    checklist=[15],
    confidence="medium",
    kind="logs",
)
def unstructured_security_event(facts: LogFacts) -> Iterator[Hit]:
    """Security events written as free text instead of one JSON object.

    What it finds: log messages that read as security events (authentication failed, forbidden, access
    denied, invalid token, rate limited, blocked...; `--security-pattern` changes the pattern) but are not
    one JSON object: a plain string, or several console arguments. In Logpush output this is a `Logs` entry
    of `workers_trace_events`; in Fastly output a line whose only text is a `message`, or a non-JSON line.
    One finding per script, over the whole dataset.

    Why it matters: free text cannot be queried or alerted on reliably: field extraction breaks when the
    wording changes, and a SIEM rule on `event = "auth_failure"` never sees `"auth failed for user 42"`.

    Example: `console.warn("auth failed for user " + user)`.

    Fix: log one object per event: `console.warn(JSON.stringify({event: "auth_failure", reason, user,
    ray: request.headers.get("cf-ray")}))` (Workers), or one `serde_json` line per event (Fastly).
    """
    for a in facts.of("free-text"):
        d = a.details
        who = a.script or "(unknown script)"
        yield _hit(
            facts,
            a,
            f"{who}: {a.count} of {d['events']} security event(s) logged as free text, not one JSON object",
            _span(d),
        )


def _span(d: dict) -> str:
    """Evidence of a whole-dataset finding: when its events happened (records may carry no timestamp)."""
    if d.get("first") is None:
        return "the events carry no timestamp"
    return f"first {d['first']}, last {d['last']}"


@rule("LOG006", "missing-correlation-id", severity="low", checklist=[15], confidence="high", kind="logs")
def missing_correlation_id(facts: LogFacts) -> Iterator[Hit]:
    """JSON security events that carry no request id to correlate them with the request.

    What it finds: structured security events without any of the usual request-id keys (`ray`, `rayId`,
    `cf_ray`, `CF-Ray`, `request_id`, `trace_id`, `fastly_trace_id`, `FASTLY_TRACE_ID`, `correlation_id`...).
    One finding per script, over the whole dataset.

    Why it matters: without the request id an analyst cannot join the event to the request log, the WAF
    event or the origin's logs, and cannot tell one attacker's attempts from many.

    Example: `{"event": "access_denied", "reason": "forbidden by policy", "user": "u42"}`.

    Fix: add the id to every event: `ray: request.headers.get("cf-ray")` on Workers,
    `std::env::var("FASTLY_TRACE_ID")` on Fastly Compute.
    """
    for a in facts.of("no-id"):
        d = a.details
        yield _hit(
            facts,
            a,
            f"{a.script or '(unknown script)'}: {a.count} of {d['events']} JSON security event(s) carry no "
            "request id (CF-Ray / FASTLY_TRACE_ID)",
            _span(d),
        )


@rule("LOG007", "silent-denials", severity="high", checklist=[15], confidence="medium", kind="logs")
def silent_denials(facts: LogFacts) -> Iterator[Hit]:
    """A script that denies requests but never logs a security event.

    What it finds: scripts with at least `--denial-min` (default 10) responses of 401, 403 or 429 in the
    data and not one message that reads as a security event (structured or not). One finding per script,
    over the whole dataset.

    Why it matters: the request log says a request was denied, not why or for whom: which token failed
    which check, which policy matched, which tenant was targeted. An attack against that script leaves
    nothing the SIEM can alert on beyond a status code.

    Example: `legacy-proxy` answers 300 requests with 403 over two days; its `Logs` are always empty.

    Fix: log one JSON event on every denial path, with the reason and the request id. If the script does
    log, check that the Logpush job exports the `Logs` field (`edgeward scan` reports OBS002 otherwise).
    """
    for a in facts.of("silent"):
        yield _hit(
            facts,
            a,
            f"{a.script}: {a.count} request(s) denied ({a.details['statuses']}) and not one security event logged",
            "no log message of this script reads as a security event",
        )


@rule("LOG008", "exception-spike", severity="medium", checklist=[16], confidence="medium", kind="logs")
def exception_spike(facts: LogFacts) -> Iterator[Hit]:
    """Uncaught exceptions of a script far above their baseline for the same time of day.

    What it finds: windows where a script's invocations that ended in an uncaught exception (Logpush
    `Outcome` = `exception` or a non-empty `Exceptions`; Fastly lines with `error`, `panic` or `exception`)
    are at least `--ratio` times the median of comparable windows, with a robust z-score of at least `--z`
    and at least `--min-events` of them.

    Why it matters: a burst of crashes is often an input an attacker found that the code does not handle
    (a malformed token, an oversized header); it can also fail open, or leak details in error pages.

    Example: half of `billing`'s invocations throw `TypeError` from 14:00 to 14:15 UTC.

    Fix: read the sample exception; validate the input that triggers it; make the failure path deny.
    """
    for a in facts.of("exceptions"):
        d = a.details
        yield _hit(
            facts,
            a,
            f"{a.script}: {d['observed']} uncaught exception(s) in {d['requests']} invocations {_when(a)}; "
            f"usually {d['baseline']:.0f} (z={d['z']})",
            f"{d['windows']} window(s) of {d['window_s']} s",
        )
