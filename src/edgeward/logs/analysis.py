"""The log analysis. The batches are streamed (decompressed chunk by chunk) into one spool file; DuckDB reads
it in one scan, under a memory limit and with a temporary directory to spill to, into one compact table of
invocations and one of security events; windows, robust baselines and anomalies are computed in SQL. Python
walks only the batch list (one row per file) and merges flagged windows; it never loops over records.

The result is `LogFacts`: plain data the LOG rules (`edgeward.rules.logs`) turn into findings, and the plot
and the Sigma writer read.

Baselines are robust: for every window (default 5 minutes) of a script, the comparable windows are the other
windows of that script whose time of day lies within `baseline_span` (default 60 minutes) of it: on the
other days of the data when there are enough of them, else on any day. Their median and MAD (scaled by
1.4826) give the expected value and its spread; counts are compared after Anscombe's transform, so that the
spread is never below counting noise (binomial for shares) and quiet scripts do not alarm on a handful of
events. A window is anomalous only when its robust z-score passes `z` AND it differs from the median by the
factor `ratio` (and, for auth-failure shares, by at least `auth_min_increase`), with at least `min_events`
events behind it. Windows flagged in a first pass are left out of the baselines of the second.
"""

from __future__ import annotations

import bisect
import codecs
import math
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median
from typing import Any

from edgeward.findings import Note
from edgeward.logs.source import Batch, Source

DAY_MS = 86_400_000

SECURITY_PATTERN = (
    r"(?i)\b(auth\w*[ _.:-]*(fail\w*|denied|error|invalid|reject\w*)|unauthori[sz]ed|forbidden"
    r"|access[ _.-]?denied|permission[ _.-]?denied|not[ _.-]?allowed"
    r"|invalid[ _.-]?(token|signature|jwt|credentials?|api[ _.-]?key|session)"
    r"|(login|signin|sign[ _.-]in)[ _.-]?fail\w*|rate[ _.-]?limit\w*|too many requests|blocked|denied"
    r"|security[ _.-]?event|waf|csrf|brute[ _.-]?force|token[ _.-]?(expired|invalid|revoked))\b"
)
# keys that carry a request correlation id in a structured event
ID_KEYS = (
    "ray", "rayId", "ray_id", "RayID", "rayID", "cf_ray", "cfRay", "cf-ray", "CF-Ray", "cf-Ray",
    "request_id", "requestId", "req_id", "reqId", "trace_id", "traceId", "fastly_trace_id",
    "FASTLY_TRACE_ID", "correlation_id", "correlationId", "x-request-id", "X-Request-Id",
)  # fmt: skip
EVENT_KEYS = ("event", "type", "category", "action", "kind", "event_type", "eventType")
TEXT_KEYS = ("msg", "message", "reason")


@dataclass
class Options:
    """Thresholds; every one is a command-line option (`edgeward logs --help`)."""

    window: int = 300  # seconds per window
    baseline_span: int = 3600  # seconds either side of the same time of day
    z: float = 5.0  # robust z-score threshold
    ratio: float = 3.0  # x baseline (or 1/x for drops)
    min_events: int = 10  # events behind a spike (and baseline median behind a drop)
    auth_min_increase: float = 0.10  # absolute increase of the 401/403 share
    min_baseline_windows: int = 6  # comparable windows needed to judge a window
    gap_factor: float = 3.0  # gap when uncovered time > factor x learned cadence
    min_gap: int = 0  # ... and > this many seconds
    late_factor: float = 5.0  # late when delay > factor x median delay
    late_min: int = 900  # ... and > this many seconds
    order_tolerance: int = 120  # seconds a batch may be overtaken by a later one
    denial_min: int = 10  # denials before a script without security events is reported
    security_pattern: str = SECURITY_PATTERN
    memory_limit: str = "1GB"
    threads: int | None = None


@dataclass
class Sample:
    path: str | None
    line: int


@dataclass
class Anomaly:
    """One anomaly for one LOG rule: what, where in time, which script, how many events, one sample record."""

    kind: str  # gap, late, auth, volume, free-text, no-id, silent, exceptions
    script: str | None
    start_ms: int | None
    end_ms: int | None
    count: int
    sample: Sample
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class LogFacts:
    source: str  # logpush or fastly
    root: str
    options: Options
    files: int = 0
    records: int = 0
    invocations: int = 0
    scripts: list[str] = field(default_factory=list)
    start_ms: int | None = None
    end_ms: int | None = None
    cadence_s: float | None = None
    median_delay_s: float | None = None
    max_delay_s: float | None = None
    delivery_checked: bool = False
    security_events: int = 0
    structured_events: int = 0
    denials: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # for the plot: (window start ms, requests, auth failures, exceptions) over all scripts
    timeline: list[tuple[int, int, int, int]] = field(default_factory=list)
    # for the plot: script -> (window start ms, requests), the busiest scripts only
    script_timeline: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # for the plot: (start ms, end ms, delivered ms or None, records)
    deliveries: list[tuple[int, int, int | None, int]] = field(default_factory=list)
    # for Sigma: script -> {"volume_high", "volume_low", "auth_failures", "exceptions"} per window
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    gap_threshold_s: float | None = None
    seconds: float = 0.0

    def of(self, kind: str) -> list[Anomaly]:
        return [a for a in self.anomalies if a.kind == kind]


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _read_spool(spool: str) -> str:
    """Each line of the spool as one VARCHAR (no CSV parsing at all), in file order."""
    return (
        f"read_csv({_sql_str(spool)}, columns={{'line': 'VARCHAR'}}, delim='\\x1f', quote='', escape='', "
        "header=false, auto_detect=false, ignore_errors=true, store_rejects=true, "
        "max_line_size=16777216, buffer_size=16777216)"
    )


def _lst(xs: list[str]) -> str:
    return "[" + ", ".join(_sql_str(x) for x in xs) + "]"


def _parsed(spool: str, paths: list[str]) -> str:
    """Every line with the values at `paths`, parsed once (`v`, NULL when the line is not a JSON object)."""
    return f"""
      SELECT line, CASE WHEN starts_with(ltrim(line), '{{') THEN try(json_extract_string(line, {_lst(paths)})) END AS v
      FROM {_read_spool(spool)}"""


BLANK = "line IS NULL OR trim(line) = ''"


def _logpush_select(spool: str, pat: str) -> str:
    p = _sql_str(pat)
    paths = [
        "$.ScriptName",
        "$.EventTimestampMs",
        "$.Event.Response.Status",
        "$.Outcome",
        "$.Exceptions",
        "$.Logs",
    ]
    return f"""
    WITH x AS ({_parsed(spool, paths)})
    SELECT
      {BLANK} AS blank,
      v IS NOT NULL AS ok,
      CASE WHEN v IS NULL AND NOT ({BLANK}) THEN left(line, 200) END AS bad,
      v[1] AS script,
      TRY_CAST(v[2] AS BIGINT) AS ts,
      CASE WHEN v[2] IS NOT NULL AND TRY_CAST(v[2] AS BIGINT) IS NULL THEN 'EventTimestampMs'
           WHEN v[3] IS NOT NULL AND TRY_CAST(v[3] AS INTEGER) IS NULL THEN 'Event.Response.Status'
           WHEN v IS NOT NULL AND v[2] IS NULL THEN 'EventTimestampMs (missing)' END AS wrong,
      TRY_CAST(v[3] AS INTEGER) AS status,
      v IS NOT NULL AS inv,
      coalesce(v[4] = 'exception'
               OR (v[5] IS NOT NULL AND v[5] <> '[]' AND try(json_array_length(v[5])) > 0), false) AS exc,
      CASE WHEN v[6] IS NOT NULL AND v[6] <> '[]' AND regexp_matches(v[6], {p}) THEN try(v[6]::JSON) END AS logs,
      NULL::VARCHAR AS ev_struct, NULL::VARCHAR AS ev_text, NULL::BOOLEAN AS ev_id
    FROM x
    """


def _fastly_select(spool: str, pat: str) -> str:
    p = _sql_str(pat)
    groups = {
        "ts": ["$.timestamp", "$.time", "$.ts", "$.start_time", "$.@timestamp"],
        "svc": ["$.service", "$.service_name", "$.service_id", "$.script"],
        "st": ["$.status", "$.response_status", "$.resp_status", "$.status_code"],
        "err": ["$.error", "$.panic", "$.exception"],
        "out": ["$.outcome"],
        "ev": [f"$.{k}" for k in EVENT_KEYS],
        "txt": [f"$.{k}" for k in TEXT_KEYS],
        "id": [f'$."{k}"' for k in ID_KEYS],
    }
    paths: list[str] = []
    at: dict[str, str] = {}
    for name, ps in groups.items():
        at[name] = f"v[{len(paths) + 1}:{len(paths) + len(ps)}]"  # DuckDB list slices are 1-based, inclusive
        paths += ps

    def first(name: str) -> str:
        return f"list_filter({at[name]}, lambda s: s IS NOT NULL)[1]"

    return f"""
    WITH x AS ({_parsed(spool, paths)}),
    y AS (
      SELECT line, v, {first("ts")} AS tss, {first("svc")} AS script, {first("st")} AS sts,
        array_to_string({at["err"]}, '') AS err, v[{paths.index("$.outcome") + 1}] AS outcome,
        array_to_string({at["ev"]}, ' ') AS evs, array_to_string({at["txt"]}, ' ') AS txt,
        len(list_filter({at["id"]}, lambda s: s IS NOT NULL AND s <> '')) > 0 AS has_id
      FROM x
    ), z AS (
      SELECT *,
        coalesce(epoch_ms(TRY_CAST(tss AS TIMESTAMPTZ)),
                 CASE WHEN TRY_CAST(tss AS DOUBLE) < 1e11 THEN CAST(TRY_CAST(tss AS DOUBLE) * 1000 AS BIGINT)
                      ELSE TRY_CAST(TRY_CAST(tss AS DOUBLE) AS BIGINT) END) AS ts
      FROM y
    )
    SELECT
      {BLANK} AS blank,
      v IS NOT NULL AS ok,
      CASE WHEN v IS NULL AND NOT ({BLANK}) AND NOT regexp_matches(line, {p}) THEN left(line, 200) END AS bad,
      script,
      ts,
      CASE WHEN tss IS NOT NULL AND ts IS NULL THEN 'timestamp'
           WHEN sts IS NOT NULL AND TRY_CAST(sts AS INTEGER) IS NULL THEN 'status'
           WHEN v IS NOT NULL AND tss IS NULL THEN 'timestamp (missing)' END AS wrong,
      TRY_CAST(sts AS INTEGER) AS status,
      v IS NOT NULL AND sts IS NOT NULL AS inv,
      coalesce(err <> '' OR outcome IN ('exception', 'panic'), false) AS exc,
      NULL::JSON AS logs,
      CASE WHEN v IS NOT NULL AND regexp_matches(coalesce(evs, ''), {p}) THEN evs END AS ev_struct,
      CASE WHEN v IS NOT NULL AND regexp_matches(coalesce(txt, ''), {p}) THEN txt
           WHEN v IS NULL AND line IS NOT NULL AND regexp_matches(line, {p}) THEN left(line, 200) END AS ev_text,
      has_id AS ev_id
    FROM z
    """


def _logpush_events(pat: str) -> str:
    """Security events inside the `Logs` of Logpush records: one Logs entry = one message. It is one JSON
    object when `Message` holds a single object, or a single string that parses as an object."""
    p = _sql_str(pat)
    idk = "[" + ", ".join(_sql_str(f'$."{k}"') for k in ID_KEYS) + "]"
    evk = "[" + ", ".join(_sql_str(f"$.{k}") for k in EVENT_KEYS + TEXT_KEYS) + "]"
    return f"""
    WITH e AS (
      SELECT r.ln AS rid, r.ts, r.script, unnest(from_json(r.logs, '["JSON"]')) AS entry
      FROM rec r WHERE r.logs IS NOT NULL AND json_type(r.logs) = 'ARRAY'
    ), m AS (
      SELECT rid, ts, script, json_extract(entry, '$.Message') AS msg FROM e
    ), t AS (
      SELECT rid, ts, script, msg,
        CASE WHEN json_type(msg) = 'ARRAY' THEN json_array_length(msg) ELSE 1 END AS n,
        CASE WHEN json_type(msg) = 'ARRAY' THEN json_extract(msg, '$[0]') ELSE msg END AS first
      FROM m WHERE msg IS NOT NULL
    ), u AS (
      SELECT rid, ts, script,
        CASE WHEN n = 1 AND json_type(first) = 'VARCHAR' THEN first ->> '$' ELSE msg::VARCHAR END AS text,
        CASE WHEN n = 1 AND json_type(first) = 'OBJECT' THEN first
             WHEN n = 1 AND json_type(first) = 'VARCHAR' AND json_valid(first ->> '$')
                  AND starts_with(ltrim(first ->> '$'), '{{') THEN (first ->> '$')::JSON END AS obj
      FROM t
    )
    SELECT rid, ts, script,
      obj IS NOT NULL AS structured,
      CASE WHEN obj IS NOT NULL THEN len(list_filter(json_extract_string(obj, {idk}),
                                                     lambda s: s IS NOT NULL AND s <> '')) > 0 END AS has_id
    FROM u
    WHERE CASE WHEN obj IS NOT NULL THEN regexp_matches(array_to_string(json_extract_string(obj, {evk}), ' '), {p})
               ELSE regexp_matches(text, {p}) END
    """


class Analyzer:
    def __init__(self, source: Source, options: Options):
        import duckdb

        self.src = source
        self.opt = options
        self.notes: list[Note] = list(source.notes)
        self.tmp = tempfile.mkdtemp(prefix="edgeward-logs-")
        cfg: dict[str, Any] = {"memory_limit": options.memory_limit, "temp_directory": self.tmp}
        if options.threads:
            cfg["threads"] = options.threads
        self.con = duckdb.connect(config=cfg)
        self.duckdb = duckdb
        self.first: list[int] = []
        self.kept: list[Batch] = []
        self.lines = 0

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def q(self, sql: str, params: Any = None) -> list[tuple]:
        return (
            self.con.execute(sql, params).fetchall() if params is not None else self.con.sql(sql).fetchall()
        )

    # -- loading -------------------------------------------------------------------------------------------

    def _spool(self, batches: list[Batch]) -> tuple[str, list[Batch]]:
        """Decompress every batch, one after the other, into one spool file that DuckDB then reads in one
        scan (reading thousands of small gzip files one by one costs DuckDB milliseconds per file).
        Streams in chunks; a truncated or corrupt batch is rolled back and becomes a note; bytes that are not
        UTF-8 are replaced (and noted). `self.first[i]` is the spool line where kept batch i starts."""
        spool = os.path.join(self.tmp, "spool.ndjson")
        kept: list[Batch] = []
        self.first = []
        line = 0
        with open(spool, "wb") as out:
            for b in batches:
                pos = out.tell()
                for errors in ("strict", "replace"):
                    try:
                        n = _copy_batch(b.path, out, errors)
                        break
                    except UnicodeDecodeError:
                        out.seek(pos)
                        out.truncate()
                        self.notes.append(
                            Note(b.rel, "encoding", "bytes that are not UTF-8 replaced by U+FFFD")
                        )
                    except (OSError, zlib.error, EOFError, ValueError) as exc:
                        out.seek(pos)
                        out.truncate()
                        self.notes.append(Note(b.rel, "parse-error", f"{exc}; batch skipped"))
                        n = -1
                        break
                if n < 0:
                    continue
                kept.append(b)
                self.first.append(line)
                line += n
        self.kept = kept
        self.lines = line
        return spool, kept

    def load(self) -> list[Batch]:
        batches = list(self.src.batches)
        if not batches:
            return []
        spool, batches = self._spool(batches)
        if not batches:
            return []
        select = _logpush_select if self.src.kind == "logpush" else _fastly_select
        self.con.execute(f"CREATE TABLE rec0 AS {select(spool, self.opt.security_pattern)}")
        # batches without lines share their start with the next one: leave them out of the join
        ends = self.first[1:] + [self.lines]
        nonempty = [i for i in range(len(batches)) if ends[i] > self.first[i]]
        self.con.execute("CREATE TABLE files(fi INTEGER, lo BIGINT)")
        self.con.execute(
            "INSERT INTO files SELECT unnest($fi), unnest($lo)",
            {"fi": nonempty, "lo": [self.first[i] for i in nonempty]},
        )
        # the line number in the spool (rowid: insertion order is file order) and the batch it came from
        self.con.execute(
            "CREATE TABLE rec AS SELECT r.*, r.rowid AS ln, f.fi FROM rec0 r ASOF JOIN files f ON r.rowid >= f.lo"
        )
        self.con.execute("DROP TABLE rec0")
        self._file_notes()
        return batches

    def _file_notes(self) -> None:
        rows = self.q(
            """SELECT fi, count(*) FILTER (bad IS NOT NULL), min(ln) FILTER (bad IS NOT NULL),
                      count(*) FILTER (wrong IS NOT NULL), min(ln) FILTER (wrong IS NOT NULL),
                      any_value(wrong) FILTER (wrong IS NOT NULL)
               FROM rec GROUP BY fi HAVING count(*) FILTER (bad IS NOT NULL OR wrong IS NOT NULL) > 0
               ORDER BY fi"""
        )
        for fi, nbad, first_bad, nwrong, first_wrong, what in rows:
            rel = self.kept[fi].rel
            if nbad:
                line = first_bad - self.first[fi] + 1
                self.notes.append(
                    Note(rel, "parse-error", f"{nbad} line(s) are not JSON objects (first: line {line})")
                )
            if nwrong:
                line = first_wrong - self.first[fi] + 1
                self.notes.append(
                    Note(
                        rel,
                        "parse-error",
                        f"{nwrong} record(s) with a wrong or missing field type, e.g. {what} "
                        f"(first: line {line}); left out of the time analysis",
                    )
                )
        try:
            rej = self.q("SELECT line, error_type FROM reject_errors ORDER BY line LIMIT 1000")
        except self.duckdb.Error:
            rej = []
        for line, what in rej:
            s = self.line_of(int(line) - 1)
            self.notes.append(
                Note(
                    s.path,
                    "parse-error",
                    f"line {s.line} unreadable ({what}); line numbers after it are off by one",
                )
            )

    def line_of(self, ln: int | None) -> Sample:
        """File and line (1-based) of spool line `ln` (0-based)."""
        if ln is None or not self.first:
            return Sample(None, 1)
        i = bisect.bisect_right(self.first, ln) - 1
        return Sample(self.kept[i].rel, ln - self.first[i] + 1)

    # -- deliveries ----------------------------------------------------------------------------------------

    def deliveries(self, batches: list[Batch], facts: LogFacts) -> list[tuple[int, int]]:
        """Batch ranges, learned cadence, gaps (returned), late and out-of-order batches."""
        per = {
            self.kept[fi].path: (lo, hi, n, first)
            for fi, lo, hi, n, first in self.q(
                "SELECT fi, min(ts), max(ts), count(*) FILTER (ok), min(ln) FROM rec GROUP BY fi"
            )
        }
        starts = sorted(b.name_start_ms for b in batches if b.name_start_ms is not None)
        steps = [b - a for a, b in zip(starts, starts[1:], strict=False) if b > a]
        period = median(steps) if steps else None
        rows = []  # (start, end, delivered, records, batch, first rowid)
        for b in batches:
            lo, hi, n, first = per.get(b.path, (None, None, 0, None))
            if b.name_start_ms is None:
                self.notes.append(
                    Note(b.rel, "log-name", "file name carries no time range; using its records' timestamps")
                )
            start = b.name_start_ms if b.name_start_ms is not None else lo
            end = b.name_end_ms
            if end is None and start is not None:
                end = max(x for x in (hi, start + period if period and b.name_start_ms else None, start) if x)
            if start is None or end is None:
                continue
            rows.append((start, end, b.delivered_ms, n or 0, b, first))
        rows.sort(key=lambda r: (r[0], r[1]))
        facts.deliveries = [(s, e, d, n) for s, e, d, n, _, _ in rows]
        if not rows:
            return []
        facts.start_ms, facts.end_ms = rows[0][0], max(r[1] for r in rows)
        diffs = [b[0] - a[0] for a, b in zip(rows, rows[1:], strict=False) if b[0] > a[0]]
        cadence = median(diffs) if diffs else None
        facts.cadence_s = cadence / 1000 if cadence else None
        gaps: list[tuple[int, int]] = []
        if cadence:
            limit = max(self.opt.gap_factor * cadence, self.opt.min_gap * 1000)
            facts.gap_threshold_s = limit / 1000
            covered, prev = rows[0][1], rows[0]
            for r in rows[1:]:
                hole = r[0] - covered
                if hole > limit:
                    gaps.append((covered, r[0]))
                    facts.anomalies.append(
                        Anomaly(
                            "gap",
                            None,
                            covered,
                            r[0],
                            max(1, round(hole / cadence)),
                            self._sample_in_batch(prev),
                            {
                                "hole_s": hole / 1000,
                                "cadence_s": cadence / 1000,
                                "threshold_s": limit / 1000,
                                # events per second in the batches either side, for _confirm_gaps
                                "rate_before": prev[3] * 1000 / max(prev[1] - prev[0], 1000),
                                "rate_after": r[3] * 1000 / max(r[1] - r[0], 1000),
                            },
                        )
                    )
                if r[1] >= covered:
                    covered, prev = r[1], r
        self._late(rows, facts)
        return gaps

    def _sample_in_batch(self, row: tuple) -> Sample:
        s = self.line_of(row[5]) if row[5] is not None else Sample(row[4].rel, 1)
        return s if s.path else Sample(row[4].rel, 1)

    def _late(self, rows: list[tuple], facts: LogFacts) -> None:
        with_d = [r for r in rows if r[2] is not None]
        if len(with_d) < 3:
            return
        delays = [r[2] - r[1] for r in with_d]
        span_ranges = with_d[-1][1] - with_d[0][0]
        span_deliv = max(r[2] for r in with_d) - min(r[2] for r in with_d)
        negative = sum(d < -60_000 for d in delays)
        if negative > len(delays) / 2 or (span_ranges > 3_600_000 and span_deliv < span_ranges / 20):
            self.notes.append(
                Note(
                    None,
                    "delivery-times",
                    f"delivery times ({self.src.delivery_from}) do not look like upload times (copied files?); "
                    "late and out-of-order batches not checked: pass --manifest with the objects' upload times",
                )
            )
            return
        facts.delivery_checked = True
        med = median(delays)
        facts.median_delay_s = med / 1000
        facts.max_delay_s = max(delays) / 1000
        late_limit = max(self.opt.late_min * 1000, self.opt.late_factor * max(med, 0))
        tol = self.opt.order_tolerance * 1000
        # suffix minimum of delivery times: was this batch delivered after a later batch?
        suffix: list[int | None] = [None] * len(with_d)
        best: int | None = None
        for i in range(len(with_d) - 1, -1, -1):
            suffix[i] = best
            d = with_d[i][2]
            best = d if best is None else min(best, d)
        flagged = []
        for i, r in enumerate(with_d):
            delay = r[2] - r[1]
            overtaken = sum(1 for later in with_d[i + 1 : i + 50] if later[2] + tol < r[2])
            is_late = delay > late_limit
            ooo = suffix[i] is not None and suffix[i] + tol < r[2]
            if is_late or ooo:
                flagged.append((i, r, delay, overtaken, is_late))
        groups: list[list] = []
        for f in flagged:
            if groups and groups[-1][-1][0] == f[0] - 1:
                groups[-1].append(f)
            else:
                groups.append([f])
        for g in groups:
            first, last = g[0][1], g[-1][1]
            facts.anomalies.append(
                Anomaly(
                    "late",
                    None,
                    first[0],
                    max(x[1][1] for x in g),
                    sum(x[1][3] for x in g),
                    self._sample_in_batch(first),
                    {
                        "batches": len(g),
                        "max_delay_s": max(x[2] for x in g) / 1000,
                        "median_delay_s": med / 1000,
                        "late_limit_s": late_limit / 1000,
                        "overtaken_by": max(x[3] for x in g),
                        "late": any(x[4] for x in g),
                        "delivered": iso(max(x[1][2] for x in g)),
                        "first_batch": first[4].rel,
                        "last_batch": last[4].rel,
                    },
                )
            )

    # -- windows and baselines ----------------------------------------------------------------------------

    def windows(self, facts: LogFacts, gaps: list[tuple[int, int]]) -> None:
        o = self.opt
        w = o.window * 1000
        lo, hi = facts.start_ms, facts.end_ms
        if lo is None or hi is None:
            return
        self.con.execute("CREATE OR REPLACE TABLE gaps(lo BIGINT, hi BIGINT)")
        if gaps:
            self.con.executemany("INSERT INTO gaps VALUES (?, ?)", gaps)
        self.con.execute(
            f"""
            CREATE OR REPLACE TABLE b AS
            WITH g AS (
              SELECT script, (ts // {w}) * {w} AS bt, count(*) AS n,
                     count(*) FILTER (status IN (401, 403)) AS a, count(*) FILTER (exc) AS e
              FROM rec WHERE inv AND ts IS NOT NULL AND script IS NOT NULL GROUP BY ALL
            ), span AS (SELECT script, min(bt) AS lo, max(bt) AS hi FROM g GROUP BY script),
            grid AS (SELECT script, unnest(range(lo, hi + {w}, {w})) AS bt FROM span)
            SELECT grid.script, grid.bt, coalesce(n, 0) AS n, coalesce(a, 0) AS a, coalesce(e, 0) AS e,
                   grid.bt < {lo} OR grid.bt + {w} > {hi}
                   OR EXISTS (SELECT 1 FROM gaps WHERE gaps.lo < grid.bt + {w} AND gaps.hi > grid.bt) AS ex,
                   false AS flag
            FROM grid LEFT JOIN g USING (script, bt)
            """
        )
        facts.timeline = [
            (int(bt), int(n), int(a), int(e))
            for bt, n, a, e in self.q("SELECT bt, sum(n), sum(a), sum(e) FROM b GROUP BY bt ORDER BY bt")
        ]
        busiest = [r[0] for r in self.q("SELECT script FROM b GROUP BY script ORDER BY sum(n) DESC LIMIT 8")]
        for script, bt, n in self.q(
            "SELECT script, bt, n FROM b WHERE script IN (SELECT unnest($s)) ORDER BY script, bt",
            {"s": busiest},
        ):
            facts.script_timeline.setdefault(script, []).append((int(bt), int(n)))
        span = o.baseline_span * 1000
        self._base_sql = f"""
            CREATE OR REPLACE TABLE base AS
            WITH j AS (
              SELECT x.script, x.bt, x.n AS xn, x.a AS xa, x.e AS xe, x.ex AS xex, y.n, y.a, y.e, y.bt AS ybt,
                     abs(x.bt - y.bt) > {span} AS other_day
              FROM b x LEFT JOIN b y ON x.script = y.script AND y.bt <> x.bt AND NOT y.ex AND NOT y.flag
                AND least((((x.bt - y.bt) % {DAY_MS}) + {DAY_MS}) % {DAY_MS},
                          {DAY_MS} - (((x.bt - y.bt) % {DAY_MS}) + {DAY_MS}) % {DAY_MS}) <= {span}
            ), c AS (
              SELECT script, bt, any_value(xn) AS n, any_value(xa) AS a, any_value(xe) AS e, any_value(xex) AS ex,
                     count(ybt) FILTER (other_day) >= {o.min_baseline_windows} AS use_other
              FROM j GROUP BY script, bt
            )
            SELECT c.script, c.bt, any_value(c.n) AS n, any_value(c.a) AS a, any_value(c.e) AS e,
                   any_value(c.ex) AS ex, count(j.ybt) AS k,
                   median(j.n) AS mn, mad(2 * sqrt(j.n + 0.375)) AS dn,
                   median(j.a) AS ma, mad(2 * sqrt(j.a + 0.375)) AS da,
                   median(j.a::DOUBLE / nullif(j.n, 0)) AS ms, mad(j.a::DOUBLE / nullif(j.n, 0)) AS ds,
                   median(j.e) AS me, mad(2 * sqrt(j.e + 0.375)) AS de
            FROM c LEFT JOIN j ON j.script = c.script AND j.bt = c.bt AND (j.other_day OR NOT c.use_other)
            GROUP BY c.script, c.bt
            """
        self.con.execute(self._base_sql)
        z, r, m = o.z, o.ratio, o.min_events
        cond = f"NOT ex AND k >= {o.min_baseline_windows}"

        # counts are compared after Anscombe's transform 2*sqrt(x + 3/8), whose variance is 1 for Poisson
        # counts: the spread is the larger of that and the MAD of the transformed comparable windows
        def zc(x: str, med: str, mad: str) -> str:
            return f"((2 * sqrt({x} + 0.375) - 2 * sqrt({med} + 0.375)) / greatest(1.4826 * {mad}, 1))"

        def upper(med: str, mad: str) -> str:  # the count whose z-score is exactly z
            return f"(pow((2 * sqrt({med} + 0.375) + {z} * greatest(1.4826 * {mad}, 1)) / 2, 2) - 0.375)"

        zn, ze = zc("n", "mn", "dn"), zc("e", "me", "de")
        sa = "greatest(1.4826 * ds, sqrt(greatest(ms, 0.5 / n) * (1 - least(ms, 0.99)) / n), 0.001)"
        share = "(a::DOUBLE / nullif(n, 0))"
        za = f"(({share} - ms) / {sa})"
        checks = {
            "volume-high": (f"n >= {m} AND n >= {r} * mn AND {zn} >= {z}", zn),
            "volume-low": (f"mn >= {m} AND n <= mn / {r} AND -{zn} >= {z}", zn),
            "auth": (
                f"a >= {m} AND {share} >= {r} * ms AND {share} - ms >= {o.auth_min_increase} AND {za} >= {z}",
                za,
            ),
            "exceptions": (f"e >= {m} AND e >= {r} * me AND {ze} >= {z}", ze),
        }
        # two passes: the windows flagged by the first are left out of the baselines of the second, so that
        # an anomaly does not widen the spread it is judged against (on this or on the next day)
        for final in (False, True):
            if final:
                self.con.execute(self._base_sql)
            found = {
                kind: self.q(
                    f"""SELECT script, bt, n, a, e, mn, ma, ms, me, {score}
                    FROM base WHERE {cond} AND {c} ORDER BY script, bt"""
                )
                for kind, (c, score) in checks.items()
            }
            if final:
                for kind, rows in found.items():
                    self._merge(kind, rows, w, facts)
                break
            flagged = sorted({(r[0], r[1]) for rows in found.values() for r in rows})
            if not flagged:
                break
            self.con.execute("CREATE OR REPLACE TABLE flagged(script VARCHAR, bt BIGINT)")
            self.con.executemany("INSERT INTO flagged VALUES (?, ?)", flagged)
            self.con.execute(
                "UPDATE b SET flag = true FROM flagged f WHERE b.script = f.script AND b.bt = f.bt"
            )
        # thresholds for Sigma: the highest normal upper bound over the day, per script
        for script, vh, vl, af, ex in self.q(
            f"""SELECT script,
                   max(greatest({r} * mn, {upper("mn", "dn")}, {m})),
                   min(CASE WHEN mn >= {m} THEN mn / {r} END),
                   max(greatest({upper("ma", "da")},
                                mn * greatest({r} * ms, ms + {o.auth_min_increase}), {m})),
                   max(greatest({r} * me, {upper("me", "de")}, {m}))
                FROM base WHERE NOT ex AND k >= {o.min_baseline_windows} GROUP BY script ORDER BY script"""
        ):
            facts.thresholds[script] = {
                "volume_high": math.ceil(vh),
                "volume_low": math.floor(vl) if vl is not None else 0,
                "auth_failures": math.ceil(af),
                "exceptions": math.ceil(ex),
            }

    def _confirm_gaps(self, facts: LogFacts) -> None:
        """A time without batches is a delivery gap only if events were expected then: at least `min_events`,
        and about one per batch missing by the cadence. Expected: the median volume at the same time of day on
        the other days of the data (quiet nights stay quiet), or, for data of a single day, the rate of the
        batches either side of the hole."""
        gaps = facts.of("gap")
        if not gaps:
            return
        w = self.opt.window * 1000
        span = self.opt.baseline_span * 1000
        keep = []
        for a in gaps:
            rows = self.q(
                f"""WITH t AS (SELECT bt, sum(n) AS tot FROM b GROUP BY bt)
                    SELECT x.bt, median(y.tot), count(y.bt)
                    FROM t x LEFT JOIN t y ON abs(x.bt - y.bt) > {span}
                      AND least((((x.bt - y.bt) % {DAY_MS}) + {DAY_MS}) % {DAY_MS},
                                {DAY_MS} - (((x.bt - y.bt) % {DAY_MS}) + {DAY_MS}) % {DAY_MS}) <= {span}
                    WHERE x.bt < ? AND x.bt + {w} > ? GROUP BY x.bt""",
                [a.end_ms, a.start_ms],
            )
            if rows and all(k >= self.opt.min_baseline_windows for _, _, k in rows):
                expected = sum(
                    (m or 0) * (min(bt + w, a.end_ms) - max(bt, a.start_ms)) / w for bt, m, _ in rows
                )
                how = "the same time on other days"
            else:
                rate = min(a.details["rate_before"], a.details["rate_after"])
                expected = rate * (a.end_ms - a.start_ms) / 1000
                how = "the batches either side"
            a.details["expected_events"] = round(expected)
            a.details["expected_from"] = how
            # an export writes a batch only when there are events: a hole is a gap when enough events were
            # expected in it, and at least about one for each batch missing by the cadence
            if expected >= self.opt.min_events and expected >= a.count:
                keep.append(a)
            else:
                self.notes.append(
                    Note(
                        None,
                        "quiet-period",
                        f"no batch from {iso(a.start_ms)} to {iso(a.end_ms)}, but about {expected:.0f} events "
                        f"were expected then (from {how}), for about {a.count} batch period(s): a quiet period, not a delivery gap",
                    )
                )
        facts.anomalies = [a for a in facts.anomalies if a.kind != "gap" or a in keep]

    def _merge(self, kind: str, rows: list[tuple], w: int, facts: LogFacts) -> None:
        groups: list[list[tuple]] = []
        for row in rows:
            if groups and groups[-1][-1][0] == row[0] and groups[-1][-1][1] + w == row[1]:
                groups[-1].append(row)
            else:
                groups.append([row])
        for g in groups:
            script, start, end = g[0][0], g[0][1], g[-1][1] + w
            n, a, e = (sum(x[i] for x in g) for i in (2, 3, 4))
            k = len(g)
            details: dict[str, Any] = {
                "windows": k,
                "window_s": w // 1000,
                "z": round(max(abs(x[9]) for x in g), 1),
            }
            if kind.startswith("volume"):
                base = sum(x[5] for x in g)
                details.update(
                    direction="above" if kind == "volume-high" else "below", baseline=base, observed=n
                )
                count, cond = n, ""
            elif kind == "auth":
                details.update(
                    share=a / n if n else 0.0, baseline_share=median(x[7] for x in g), failures=a, requests=n
                )
                count, cond = a, "AND status IN (401, 403)"
            else:
                details.update(baseline=sum(x[8] for x in g), observed=e, requests=n)
                count, cond = e, "AND exc"
            rid = self.q(
                f"SELECT min_by(ln, ts) FROM rec WHERE inv AND script = ? AND ts >= ? AND ts < ? {cond}",
                [script, start, end],
            )
            sample = self.line_of(rid[0][0] if rid else None)
            facts.anomalies.append(
                Anomaly(
                    "volume" if kind.startswith("volume") else kind,
                    script,
                    start,
                    end,
                    count,
                    sample,
                    details,
                )
            )

    # -- security events -----------------------------------------------------------------------------------

    def events(self, facts: LogFacts) -> None:
        if self.src.kind == "logpush":
            self.con.execute(f"CREATE OR REPLACE TABLE ev AS {_logpush_events(self.opt.security_pattern)}")
        else:
            self.con.execute(
                """CREATE OR REPLACE TABLE ev AS
                   SELECT ln AS rid, ts, script,
                          ev_struct IS NOT NULL AS structured,
                          CASE WHEN ev_struct IS NOT NULL THEN coalesce(ev_id, false) END AS has_id
                   FROM rec WHERE ev_struct IS NOT NULL OR ev_text IS NOT NULL"""
            )
        facts.security_events, facts.structured_events = self.q(
            "SELECT count(*), count(*) FILTER (structured) FROM ev"
        )[0]
        for kind, where in (("free-text", "NOT structured"), ("no-id", "structured AND NOT has_id")):
            for script, n, lo, hi, rid, total in self.q(
                f"""SELECT script, count(*) FILTER ({where}), min(ts) FILTER ({where}), max(ts) FILTER ({where}),
                           min_by(rid, coalesce(ts, 0)) FILTER ({where}), count(*)
                    FROM ev GROUP BY script HAVING count(*) FILTER ({where}) > 0 ORDER BY script NULLS LAST"""
            ):
                facts.anomalies.append(
                    Anomaly(
                        kind,
                        script,
                        None,
                        None,
                        n,
                        self.line_of(rid),
                        {"events": total, "first": iso(lo), "last": iso(hi)},
                    )
                )
        for script, denials, rid, by_status in self.q(
            f"""SELECT r.script, count(*), min_by(r.ln, r.ts),
                       string_agg(DISTINCT r.status::VARCHAR, '/' ORDER BY r.status::VARCHAR)
                FROM rec r WHERE r.inv AND r.status IN (401, 403, 429) AND r.script IS NOT NULL
                  AND r.script NOT IN (SELECT script FROM ev WHERE script IS NOT NULL)
                GROUP BY r.script HAVING count(*) >= {self.opt.denial_min} ORDER BY r.script"""
        ):
            facts.anomalies.append(
                Anomaly("silent", script, None, None, denials, self.line_of(rid), {"statuses": by_status})
            )

    # -- the whole run -------------------------------------------------------------------------------------

    def run(self) -> LogFacts:
        import time

        t0 = time.monotonic()
        facts = LogFacts(self.src.kind, str(self.src.root), self.opt)
        try:
            batches = self.load()
            facts.files = len(self.src.batches)
            if batches:
                facts.records, facts.invocations, facts.denials = self.q(
                    "SELECT count(*) FILTER (ok), count(*) FILTER (inv), "
                    "count(*) FILTER (inv AND status IN (401, 403, 429)) FROM rec"
                )[0]
                facts.scripts = [
                    r[0]
                    for r in self.q("SELECT DISTINCT script FROM rec WHERE script IS NOT NULL ORDER BY 1")
                ]
                gaps = self.deliveries(batches, facts)
                self.windows(facts, gaps)
                self._confirm_gaps(facts)
                self.events(facts)
        finally:
            self.close()
        facts.notes = self.notes
        facts.seconds = round(time.monotonic() - t0, 3)
        return facts


def _copy_batch(path: str, out: Any, errors: str) -> int:
    """Append the decompressed lines of one batch to `out`, ending with a newline; return the line count.
    Raises ValueError for a truncated or corrupt gzip stream, UnicodeDecodeError (strict) for bad bytes."""
    gz = path.endswith(".gz")
    d = zlib.decompressobj(wbits=47) if gz else None
    dec = codecs.getincrementaldecoder("utf-8")(errors)
    lines = 0
    last = b"\n"

    def emit(data: bytes, final: bool = False) -> None:
        nonlocal lines, last
        text = dec.decode(data, final)
        if errors != "strict":
            data = text.encode("utf-8")
        if data:
            out.write(data)
            lines += data.count(b"\n")
            last = data[-1:]

    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if d is None:
                emit(chunk)
                continue
            try:
                while chunk:
                    emit(d.decompress(chunk, 1 << 24))
                    chunk = d.unconsumed_tail
                    if d.eof and d.unused_data:  # concatenated gzip members
                        chunk = d.unused_data
                        d = zlib.decompressobj(wbits=47)
            except zlib.error as exc:
                raise ValueError(f"not a valid gzip stream ({exc})") from None
    if d is not None:
        if not d.eof:
            raise ValueError("truncated gzip stream (the upload was cut short)")
        emit(d.flush())
    emit(b"", final=True)
    if last != b"\n":
        out.write(b"\n")
        lines += 1
    return lines


def analyze(source: Source, options: Options | None = None) -> LogFacts:
    opt = options or Options()
    if opt.threads is None and os.cpu_count():
        opt.threads = os.cpu_count()
    return Analyzer(source, opt).run()
