"""Sigma rules for the SIEM, with thresholds from the baselines the analysis learned.

Per script: auth failures (401/403 responses) per window, request volume above the highest normal level,
and (where the baseline allows) below the lowest; for the source: no event at all for longer than the
delivery-gap limit. Each file holds a base rule (the events) and a Sigma correlation rule (`event_count`
over the window, grouped by script) that references it by name, as Sigma 2 specifies. Ids are UUIDv5 of the
rule's name, so a re-run keeps them stable.

Sigma has no ratio aggregation, so the auth-failure rule counts failures: its threshold is the highest
normal upper bound (median + z x spread over comparable windows) over the day. Absence rules (`lt`) need a
backend that evaluates empty windows; the description says so.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edgeward.logs.analysis import LogFacts

NS = uuid.UUID("5b1d3c9e-4a57-4f0e-9d7a-6c2f1e0b8a11")

FIELDS = {
    "logpush": {"script": "ScriptName", "status": "Event.Response.Status", "any": "EventTimestampMs"},
    "fastly": {"script": "service", "status": "status", "any": "timestamp"},
}
LOGSOURCE = {
    "logpush": {"product": "cloudflare", "service": "workers_trace_events"},
    "fastly": {"product": "fastly", "service": "realtime_logging"},
}


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def _span(seconds: float) -> str:
    s = int(round(seconds))
    if s % 3600 == 0:
        return f"{s // 3600}h"
    if s % 60 == 0:
        return f"{s // 60}m"
    return f"{s}s"


def _pair(
    facts: LogFacts, name: str, title: str, description: str, selection: dict[str, Any], level: str,
    condition: dict[str, int], timespan: str, group_by: list[str], tags: list[str],
) -> list[dict[str, Any]]:  # fmt: skip
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    base = {
        "title": f"{title} (events)",
        "id": str(uuid.uuid5(NS, name)),
        "name": name,
        "status": "experimental",
        "description": f"Events counted by the correlation rule {name}_rate.",
        "author": "edgeward logs",
        "date": today,
        "logsource": dict(LOGSOURCE[facts.source]),
        "detection": {"selection": selection, "condition": "selection"},
        "level": "informational",
    }
    corr = {
        "title": title,
        "id": str(uuid.uuid5(NS, name + "_rate")),
        "name": f"{name}_rate",
        "status": "experimental",
        "description": description,
        "author": "edgeward logs",
        "date": today,
        "correlation": {
            "type": "event_count",
            "rules": [name],
            **({"group-by": group_by} if group_by else {}),
            "timespan": timespan,
            "condition": condition,
        },
        "falsepositives": ["releases, migrations and campaigns that change traffic on purpose"],
        "level": level,
        "tags": tags,
    }
    return [base, corr]


def sigma_rules(facts: LogFacts) -> dict[str, list[dict[str, Any]]]:
    """File name -> the YAML documents of that file."""
    f = FIELDS[facts.source]
    window = _span(facts.options.window)
    learned = (
        f"learned by edgeward from {facts.records} records between {facts.start_ms and _iso(facts.start_ms)} "
    )
    learned += f"and {facts.end_ms and _iso(facts.end_ms)}"
    out: dict[str, list[dict[str, Any]]] = {}
    for script, t in sorted(facts.thresholds.items()):
        s = _slug(script)
        fs = s.replace("_", "-")
        out[f"edgeward-auth-failures-{fs}.yml"] = _pair(
            facts,
            f"edgeward_auth_failures_{s}",
            f"Auth failures on {script} above baseline",
            f"More 401/403 responses from {script} in {window} than its highest normal level "
            f"({t['auth_failures']}, {learned}).",
            {f["script"]: script, f["status"]: [401, 403]},
            "high",
            {"gte": int(t["auth_failures"])},
            window,
            [f["script"]],
            ["attack.credential-access", "attack.t1110"],
        )
        out[f"edgeward-volume-high-{fs}.yml"] = _pair(
            facts,
            f"edgeward_volume_high_{s}",
            f"Request volume on {script} above baseline",
            f"More requests to {script} in {window} than its highest normal level "
            f"({t['volume_high']}, {learned}).",
            {f["script"]: script},
            "medium",
            {"gte": int(t["volume_high"])},
            window,
            [f["script"]],
            ["attack.impact", "attack.t1499"],
        )
        if t.get("volume_low", 0) >= 1:
            out[f"edgeward-volume-low-{fs}.yml"] = _pair(
                facts,
                f"edgeward_volume_low_{s}",
                f"Request volume on {script} below baseline",
                f"Fewer requests to {script} in {window} than a third of its lowest normal level "
                f"({t['volume_low']}, {learned}). Needs a backend that evaluates windows without events.",
                {f["script"]: script},
                "medium",
                {"lt": int(t["volume_low"])},
                window,
                [f["script"]],
                ["attack.impact"],
            )
    if facts.gap_threshold_s:
        out["edgeward-delivery-gap.yml"] = _pair(
            facts,
            "edgeward_delivery_gap",
            f"No {facts.source} log events for {_span(facts.gap_threshold_s)}",
            f"No event at all for longer than the delivery-gap limit ({_span(facts.gap_threshold_s)}: "
            f"{facts.options.gap_factor:g} x the learned cadence of {facts.cadence_s:.0f} s, {learned}). "
            "Needs a backend that evaluates windows without events.",
            {f"{f['any']}|exists": True},
            "high",
            {"lt": 1},
            _span(facts.gap_threshold_s),
            [],
            ["attack.defense-evasion", "attack.t1562.008"],
        )
    return out


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(docs: list[dict[str, Any]]) -> str:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.width = 4096  # no folded lines (ruamel leaves trailing spaces on them)
    y.sort_base_mapping_type_on_output = False  # type: ignore[attr-defined]
    buf = io.StringIO()
    y.dump_all(docs, buf)
    return buf.getvalue()


def write_sigma(facts: LogFacts, out_dir: str | Path) -> list[Path]:
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    written = []
    for name, docs in sigma_rules(facts).items():
        p = d / name
        p.write_text(dump(docs), encoding="utf-8")
        written.append(p)
    return written
