"""`edgeward logs` from the command line: formats, exit codes, --select, the timeline and the Sigma rules."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from ruamel.yaml import YAML
from test_logs_input import batch, record
from test_logs_rules import at

from edgeward.cli import main
from edgeward.rules.registry import all_codes, get


@pytest.fixture
def export(tmp_path):
    """One hour of 5-minute batches with a 20-minute gap, and a script that denies silently."""
    root = tmp_path / "logs"
    for i in [*range(0, 4), *range(8, 24)]:
        recs = [record("api", at(i, k)) for k in range(6)] + [
            record("legacy", at(i, 7), 403) for _ in range(2)
        ]
        batch(root, i, recs)
    return root


def test_json_report_and_exit_code(export, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["logs", str(export), "-f", "json", "-o", str(out), "-q"]) == 1  # LOG001 and LOG007 are high
    data = json.loads(out.read_text())
    codes = sorted(f["code"] for f in data["findings"])
    assert codes == ["LOG001", "LOG007"]
    gap = next(f for f in data["findings"] if f["code"] == "LOG001")
    assert (gap["window_start"], gap["window_end"], gap["script"], gap["source"]) == (
        "2026-03-02T12:20:00Z",
        "2026-03-02T12:40:00Z",
        None,
        "logpush",
    )
    assert data["stats"]["source"] == "logpush" and data["stats"]["files"] == 20
    assert main(["logs", str(export), "--fail-on", "never", "-q"]) == 0
    assert main(["logs", str(export), "--select", "LOG002,LOG005", "-q"]) == 0
    capsys.readouterr()


def test_select_ignore_and_other_formats(export, capsys):
    assert main(["logs", str(export), "--select", "LOG007", "-f", "json"]) == 1
    assert [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["LOG007"]
    assert main(["logs", str(export), "--ignore", "LOG001,LOG007", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    main(["logs", str(export), "-f", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert sorted(r["ruleId"] for r in sarif["runs"][0]["results"]) == ["LOG001", "LOG007"]
    main(["logs", str(export), "-f", "markdown"])
    assert "LOG001" in capsys.readouterr().out
    main(["logs", str(export), "--no-color"])
    text = capsys.readouterr().out
    assert "no log batch for 20 minutes" in text and "Operational checklist" in text
    assert main(["logs", str(export), "--select", "XYZ"]) == 2
    assert main(["logs", str(export), "--window", "abc"]) == 2


def test_plot_is_self_contained_html_with_the_findings(export, tmp_path):
    html = tmp_path / "timeline.html"
    assert main(["logs", str(export), "--plot", str(html), "-q", "--fail-on", "never"]) == 0
    text = html.read_text()
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    svg = text[text.index("<svg") : text.index("</svg>") + 6]
    root = ET.fromstring(svg)  # well-formed
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("LOG001 delivery-gap") for t in titles)
    assert "silent-denials" in text  # whole-dataset findings are in the table
    svg_file = tmp_path / "timeline.svg"
    assert main(["logs", str(export), "--plot", str(svg_file), "-q", "--fail-on", "never"]) == 0
    ET.fromstring(svg_file.read_text())
    assert main(["logs", str(export), "--plot", str(tmp_path / "t.png"), "-q"]) == 2


def test_sigma_rules(export, tmp_path):
    out = tmp_path / "sigma"
    assert main(["logs", str(export), "--emit-sigma", str(out), "-q", "--fail-on", "never"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "edgeward-delivery-gap.yml" in names
    assert "edgeward-auth-failures-api.yml" in names and "edgeward-volume-high-api.yml" in names
    yaml = YAML(typ="safe", pure=True)
    ids = set()
    for p in out.iterdir():
        base, corr = list(yaml.load_all(p.read_text()))
        for doc in (base, corr):
            assert {"title", "id", "status", "description", "level"} <= doc.keys()
            ids.add(doc["id"])
        assert base["logsource"] == {"product": "cloudflare", "service": "workers_trace_events"}
        assert base["detection"]["condition"] == "selection"
        c = corr["correlation"]
        assert c["type"] == "event_count" and c["rules"] == [base["name"]]
        assert set(c["condition"]) <= {"gte", "lt"} and all(
            isinstance(v, int) for v in c["condition"].values()
        )
    assert len(ids) == 2 * len(names)
    gap = list(yaml.load_all((out / "edgeward-delivery-gap.yml").read_text()))[1]
    assert gap["correlation"]["timespan"] == "15m" and gap["correlation"]["condition"] == {"lt": 1}


def test_log_rules_are_registered_and_documented(capsys):
    codes = {r["code"]: r for r in all_codes() if r["code"].startswith("LOG")}
    assert sorted(codes) == [f"LOG00{i}" for i in range(1, 9)]
    assert all(r["implemented"] for r in codes.values())
    for code in codes:
        r = get(code)
        assert r.kind == "logs" and set(r.doc_parts()) >= {
            "What it finds",
            "Why it matters",
            "Example",
            "Fix",
        }
    assert main(["explain", "LOG003"]) == 0
    assert "comparable windows" in capsys.readouterr().out


def test_baseline_hides_known_findings(export, tmp_path, capsys):
    base = tmp_path / "baseline.json"
    assert main(["logs", str(export), "--write-baseline", str(base), "-q"]) == 1
    capsys.readouterr()
    assert main(["logs", str(export), "--baseline", str(base), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [] and data["stats"]["baselined"] == 2


def test_fingerprints_do_not_depend_on_the_sample_file(export, tmp_path, capsys):
    """LOG007 for a script keeps its fingerprint when the export rolls on (other files, other samples)."""
    base = tmp_path / "baseline.json"
    assert main(["logs", str(export), "--select", "LOG007", "--write-baseline", str(base), "-q"]) == 1
    first = sorted(export.rglob("*.log.gz"))[0]
    first.unlink()
    capsys.readouterr()
    assert main(["logs", str(export), "--select", "LOG007", "--baseline", str(base), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["baselined"] == 1
