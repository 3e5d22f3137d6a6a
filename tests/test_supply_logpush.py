"""OBS002 (Logpush jobs in Terraform, JSON payloads and curl calls) and SUP006 (dependency monitoring)."""

from __future__ import annotations

from conftest import found, make_repo, run_scan

TF = """\
resource "cloudflare_logpush_job" "workers" {
  account_id       = var.account_id
  dataset          = "workers_trace_events"
  destination_conf = "r2://logs/{DATE}"
  output_options {
    field_names = [
      "Event", "EventTimestampMs",
      "Outcome", "ScriptName", "Exceptions"
    ]
  }
}

resource "cloudflare_logpush_job" "legacy" {
  dataset         = "workers_trace_events"
  logpull_options = "fields=Event,Logs,Exceptions,RayID&timestamps=rfc3339"
}
"""

TF_OK = """\
resource "cloudflare_logpush_job" "workers" {
  dataset = "workers_trace_events"
  output_options {
    field_names = ["Event", "EventTimestampMs", "Outcome", "Logs", "Exceptions", "ScriptName"]
  }
}
resource "cloudflare_logpush_job" "zone" {
  dataset = "http_requests"
  output_options {
    field_names = ["ClientIP", "RayID"]
  }
}
resource "cloudflare_logpush_job" "nofields" {
  dataset = "workers_trace_events"
}
"""

JSON_JOB = """{
  "name": "workers",
  "dataset": "workers_trace_events",
  "output_options": {
    "field_names": ["Event", "Logs"]
  }
}
"""

SCRIPT = """#!/bin/sh
curl -X POST "https://api.cloudflare.com/client/v4/accounts/$ACCOUNT/logpush/jobs" \\
  -H "Authorization: Bearer $TOKEN" \\
  --data '{"dataset": "workers_trace_events", "output_options": {"field_names": ["Event", "Outcome"]}}'
"""


def test_obs002_terraform_json_and_curl(tmp_path):
    root = make_repo(
        tmp_path / "r", {"infra/logpush.tf": TF, "infra/job.json": JSON_JOB, "scripts/logpush.sh": SCRIPT}
    )
    assert found(run_scan(root), "OBS002") == [
        ("OBS002", "infra/job.json", 5),
        ("OBS002", "infra/logpush.tf", 6),
        ("OBS002", "infra/logpush.tf", 15),  # RayID is not a workers_trace_events field
        ("OBS002", "scripts/logpush.sh", 2),
    ]


def test_obs002_near_miss(tmp_path):
    root = make_repo(tmp_path / "r", {"infra/logpush.tf": TF_OK})
    assert found(run_scan(root), "OBS002") == []


# ------------------------------------------------------------------------------------------ SUP006

WORKER = {
    "worker/wrangler.toml": 'name = "w"\nmain = "src/index.js"\n',
    "worker/package.json": '{"name": "w", "devDependencies": {"wrangler": "4.164.0"}}\n',
    "worker/package-lock.json": '{"lockfileVersion": 3, "packages": {}}\n',
    "edge/Cargo.toml": '[package]\nname = "e"\n',
    ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n",
}


def test_sup006_missing_and_partial(tmp_path):
    assert found(run_scan(make_repo(tmp_path / "a", WORKER)), "SUP006") == [("SUP006", "edge/Cargo.toml", 1)]
    partial = {
        **WORKER,
        ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n",
    }
    assert found(run_scan(make_repo(tmp_path / "b", partial)), "SUP006") == [
        ("SUP006", ".github/dependabot.yml", 2),
        ("SUP006", ".github/dependabot.yml", 2),
        ("SUP006", ".github/dependabot.yml", 2),
    ]


def test_sup006_near_miss(tmp_path):
    full = {
        **WORKER,
        ".github/dependabot.yml": (
            "version: 2\nupdates:\n"
            "  - package-ecosystem: npm\n    directories: ['/worker']\n"
            "  - package-ecosystem: cargo\n    directory: /edge\n"
            "  - package-ecosystem: github-actions\n    directory: /\n"
        ),
    }
    assert found(run_scan(make_repo(tmp_path / "a", full)), "SUP006") == []
    assert found(run_scan(make_repo(tmp_path / "b", {**WORKER, "renovate.json": "{}\n"})), "SUP006") == []
