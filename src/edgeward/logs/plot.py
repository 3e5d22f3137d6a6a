"""`--plot FILE`: a timeline of the data as one self-contained HTML page with inline SVG (no script, no
external resource): requests per window, the share of 401/403, and the batches (delay of each delivery),
with every finding that has a time window drawn as a band across the three panels, and all findings
listed below."""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edgeward.findings import Finding
from edgeward.logs.analysis import LogFacts

W, LEFT, RIGHT, PANEL, GAP, TOP = 1100, 70, 150, 150, 40, 50
PALETTE = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
COLORS = {
    "LOG001": "#d62728",
    "LOG002": "#ff7f0e",
    "LOG003": "#9467bd",
    "LOG004": "#1f77b4",
    "LOG008": "#8c564b",
}


def _ms(s: str | None) -> int | None:
    if not s:
        return None
    return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() * 1000)


def _fmt(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%m-%d %H:%M")


def render_plot(facts: LogFacts, findings: list[Finding], title: str = "edgeward logs") -> str:
    lo = facts.start_ms or 0
    hi = facts.end_ms or lo + 1
    if hi <= lo:
        hi = lo + 1
    width = W - LEFT - RIGHT

    def x(t: float) -> float:
        return LEFT + (t - lo) / (hi - lo) * width

    out: list[str] = []
    panels = [
        ("requests per window", TOP),
        ("401/403 share", TOP + PANEL + GAP),
        ("batch delay", TOP + 2 * (PANEL + GAP)),
    ]
    height = TOP + 3 * (PANEL + GAP) + 10
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" font-family="sans-serif" font-size="11">'
    )
    # bands for findings with a window; labels on up to three rows so that they do not overlap
    rows_end = [-1e9, -1e9, -1e9]
    for f in sorted(findings, key=lambda f: f.extra.get("window_start") or ""):
        s, e = _ms(f.extra.get("window_start")), _ms(f.extra.get("window_end"))
        if s is None or e is None:
            continue
        x0, x1 = x(max(s, lo)), x(min(e, hi))
        color = COLORS.get(f.code, "#444")
        label = f"{f.code} {f.extra.get('script') or ''}".strip()
        row = next((i for i, end in enumerate(rows_end) if end < x0), 0)
        rows_end[row] = x0 + 6.2 * len(label) + 4
        tip = html.escape(f"{f.code} {f.name}: {f.message}")
        out.append(
            f'<g><title>{tip}</title><rect x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 2):.1f}" '
            f'height="{3 * PANEL + 2 * GAP}" fill="{color}" fill-opacity="0.18" stroke="{color}"/>'
            f'<text x="{x0 + 1:.1f}" y="{TOP - 4 - 13 * row}" fill="{color}">{html.escape(label)}</text></g>'
        )
    for name, y0 in panels:
        out.append(f'<rect x="{LEFT}" y="{y0}" width="{width}" height="{PANEL}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{LEFT}" y="{y0 + PANEL + 14}" fill="#333">{html.escape(name)}</text>')
    # time axis ticks every 6 hours (or fewer for short data)
    step = 6 * 3_600_000 if hi - lo > 12 * 3_600_000 else 3_600_000
    t = math.ceil(lo / step) * step
    while t <= hi:
        for _, y0 in panels:
            out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y0}" y2="{y0 + PANEL}" stroke="#eee"/>')
        y_axis = panels[-1][1] + PANEL + 26
        out.append(f'<text x="{x(t):.1f}" y="{y_axis}" text-anchor="middle" fill="#666">{_fmt(t)}</text>')
        t += step

    def series(points: list[tuple[float, float]], y0: int, vmax: float, color: str, unit: str) -> None:
        vmax = vmax or 1
        pts = " ".join(f"{x(px):.1f},{y0 + PANEL - py / vmax * PANEL:.1f}" for px, py in points)
        if pts:
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.2"/>')
        out.append(
            f'<text x="{LEFT - 4}" y="{y0 + 10}" text-anchor="end" fill="#666">{vmax:.4g}{unit}</text>'
        )
        out.append(f'<text x="{LEFT - 4}" y="{y0 + PANEL}" text-anchor="end" fill="#666">0</text>')

    tl = facts.timeline
    w = facts.options.window * 1000
    vol = [(bt + w / 2, n) for bt, n, _, _ in tl]
    vmax = max((n for _, n in vol), default=1)
    series(vol, panels[0][1], vmax, "#111", "")
    for i, (script, pts) in enumerate(sorted(facts.script_timeline.items())):
        color = PALETTE[i % len(PALETTE)]
        y0 = panels[0][1]
        line = " ".join(f"{x(bt + w / 2):.1f},{y0 + PANEL - n / (vmax or 1) * PANEL:.1f}" for bt, n in pts)
        out.append(
            f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="0.8" opacity="0.8"/>'
        )
        out.append(
            f'<text x="{W - RIGHT + 8}" y="{y0 + 12 + 13 * i}" fill="{color}">{html.escape(script[:22])}</text>'
        )
    out.append(
        f'<text x="{W - RIGHT + 8}" y="{panels[0][1] + 12 + 13 * len(facts.script_timeline)}" fill="#111">all scripts</text>'
    )
    share = [(bt + w / 2, 100 * a / n) for bt, n, a, _ in tl if n]
    series(share, panels[1][1], max((s for _, s in share), default=1), "#9467bd", "%")
    # deliveries: one dot per batch at the end of its range, height = delay (log scale, minutes)
    y0 = panels[2][1]
    delays = [(e, (d - e) / 60000) for s, e, d, n in facts.deliveries if d is not None]
    dmax = max((dl for _, dl in delays), default=1.0)
    top = math.log10(max(dmax, 1) + 1)
    for e, dl in delays:
        py = math.log10(max(dl, 0) + 1) / top * PANEL if top else 0
        out.append(f'<circle cx="{x(e):.1f}" cy="{y0 + PANEL - py:.1f}" r="1.6" fill="#2ca02c"/>')
    out.append(f'<text x="{LEFT - 4}" y="{y0 + 10}" text-anchor="end" fill="#666">{dmax:.0f} min</text>')
    out.append(f'<text x="{LEFT - 4}" y="{y0 + PANEL}" text-anchor="end" fill="#666">0</text>')
    out.append("</svg>")
    svg = "\n".join(out)
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                f.code,
                f.name,
                str(f.severity),
                f.extra.get("script") or "",
                f.extra.get("window_start") or "whole dataset",
                f.extra.get("window_end") or "",
                f.extra.get("count"),
                f.message,
                f"{f.path}:{f.line}" if f.path else "",
            )
        )
        + "</tr>"
        for f in findings
    )
    stats: dict[str, Any] = {
        "source": facts.source,
        "files": facts.files,
        "records": facts.records,
        "from": _fmt(lo),
        "to": _fmt(hi),
    }
    head = " · ".join(f"{k}: {html.escape(str(v))}" for k, v in stats.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:20px;color:#222}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}} th{{background:#f3f3f3}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p>{head}. Times in UTC. Bands mark findings with a time window; hover for details.</p>
{svg}
<h2>Findings ({len(findings)})</h2>
<table><tr><th>code</th><th>name</th><th>severity</th><th>script</th><th>window start</th><th>window end</th>
<th>count</th><th>message</th><th>sample</th></tr>
{rows}
</table>
</body></html>
"""


def write_plot(facts: LogFacts, findings: list[Finding], path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm", ".svg"):
        raise ValueError(f"{path}: --plot writes HTML or SVG (use a .html or .svg file name)")
    text = render_plot(facts, findings, f"edgeward logs: {facts.root}")
    if p.suffix.lower() == ".svg":
        start = text.index("<svg")
        text = text[start : text.index("</svg>") + 6] + "\n"
    p.write_text(text, encoding="utf-8")
    return p
