"""OSV API client for `--online`: one `querybatch` call per 1,000 packages, then the full record of each
advisory found (bounded), so ranges are evaluated by the same code as the offline database."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from edgeward.osv import Database

API = "https://api.osv.dev"
BATCH = 1000
MAX_DETAILS = 300
TIMEOUT = 20


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "edgeward"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 (fixed https base or loopback)
        return json.loads(resp.read(50_000_000))


def _get(url: str) -> dict:
    req = urllib.request.Request(url, headers={"User-Agent": "edgeward"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310
        return json.loads(resp.read(10_000_000))


def query(packages: list[tuple[str, str, str]]) -> Database:
    """packages: (ecosystem as OSV names it, name, version). Returns the records of every advisory found."""
    base = os.environ.get("EDGEWARD_OSV_API", API).rstrip("/")
    db = Database(f"OSV API ({base}), queried for {len(packages)} package versions")
    ids: list[str] = []
    try:
        for i in range(0, len(packages), BATCH):
            chunk = packages[i : i + BATCH]
            body = {"queries": [{"package": {"ecosystem": e, "name": n}, "version": v} for e, n, v in chunk]}
            got = _post(f"{base}/v1/querybatch", body)
            for res in got.get("results") or []:
                for vuln in (res or {}).get("vulns") or []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str) and vuln["id"] not in ids:
                        ids.append(vuln["id"])
        if len(ids) > MAX_DETAILS:
            db.problems.append(f"{len(ids)} advisories found; details fetched for the first {MAX_DETAILS}")
        for vid in ids[:MAX_DETAILS]:
            db.add(_get(f"{base}/v1/vulns/{vid}"), vid)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        db.problems.append(f"OSV API query failed: {exc}")
    db.label = f"{db.label}, {db.count} advisories"
    return db
