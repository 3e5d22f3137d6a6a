"""What a log SOURCE holds: the batch files, the time range their names carry, when they were delivered,
and which export wrote them (Cloudflare Logpush or Fastly real-time logging).

Only file metadata is read here (names, sizes, modification times, an optional manifest, the first line of a
few files to tell the kinds apart); records are read by DuckDB in `analysis.py`.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edgeward.findings import Note

LOG_SUFFIXES = (".log.gz", ".json.gz", ".ndjson.gz", ".jsonl.gz", ".log", ".json", ".ndjson", ".jsonl", ".gz")
MANIFEST_NAMES = ("manifest.json", "_manifest.json", "edgeward-manifest.json")

# Logpush: <start>Z_<end>Z_<id>.log.gz, e.g. 20260105T000000Z_20260105T000500Z_e4ddf9b9.log.gz
LOGPUSH_NAME = re.compile(r"(\d{8}T\d{6})Z_(\d{8}T\d{6})Z_([0-9A-Za-z]+)")
# Fastly file endpoints: <path><timestamp>-<uid>.log[.gz], default timestamp format %Y-%m-%dT%H:%M:%S.000
FASTLY_NAME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}[:\-_]?\d{2}[:\-_]?\d{2})(?:\.\d+)?")


@dataclass
class Batch:
    path: str  # absolute, as DuckDB sees it
    rel: str  # relative to the source root, for reports
    size: int
    delivered_ms: int | None
    name_start_ms: int | None = None
    name_end_ms: int | None = None


@dataclass
class Source:
    root: Path
    batches: list[Batch]
    kind: str  # "logpush" or "fastly"
    delivery_from: str  # "mtime" or "manifest:<file>"
    notes: list[Note]


def _ms(dt: datetime) -> int:
    return int(dt.replace(tzinfo=UTC).timestamp() * 1000)


def parse_name(name: str) -> tuple[int | None, int | None]:
    """(start, end) in epoch milliseconds from an object name; (start, None) for a Fastly name."""
    m = LOGPUSH_NAME.search(name)
    if m:
        try:
            a = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
            b = datetime.strptime(m.group(2), "%Y%m%dT%H%M%S")
            return _ms(a), _ms(b)
        except ValueError:
            return None, None
    m = FASTLY_NAME.search(name)
    if m:
        digits = re.sub(r"\D", "", m.group(1))
        try:
            return _ms(datetime.strptime(digits, "%Y%m%d%H%M%S")), None
        except ValueError:
            return None, None
    return None, None


def _is_log_file(p: Path) -> bool:
    n = p.name.lower()
    return n not in MANIFEST_NAMES and not n.startswith(".") and n.endswith(LOG_SUFFIXES)


def discover(source: str) -> tuple[Path, list[Path]]:
    """The root (for relative paths) and the files: a directory (recursive), a file, or a glob pattern."""
    p = Path(source)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and _is_log_file(f))
        return p, files
    if p.is_file():
        return p.parent, [p]
    matches = sorted(Path(m) for m in glob.glob(source, recursive=True) if Path(m).is_file())
    m = re.search(r"[*?\[]", source)
    prefix = source[: m.start()] if m else source
    root = Path(prefix) if prefix.endswith(("/", os.sep)) else Path(prefix).parent
    return root, [f for f in matches if f.name not in MANIFEST_NAMES]


def load_manifest(path: Path) -> dict[str, int]:
    """Object name -> delivery time (ms). Accepts `aws s3api list-objects-v2` output ({"Contents": [{"Key",
    "LastModified"}]}), a JSON list of such objects, or {"objects": [{"key", "delivered"}]}."""
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("Contents") or data.get("objects") or [] if isinstance(data, dict) else data
    out: dict[str, int] = {}
    for it in items if isinstance(items, list) else []:
        if not isinstance(it, dict):
            continue
        key = it.get("Key") or it.get("key") or it.get("name")
        when = it.get("LastModified") or it.get("last_modified") or it.get("delivered")
        if not isinstance(key, str) or when is None:
            continue
        if isinstance(when, int | float):
            out[key] = int(when * 1000 if when < 1e11 else when)
            continue
        try:
            dt = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
        except ValueError:
            continue
        out[key] = int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp() * 1000)
    return out


def sniff_kind(files: list[Path]) -> str | None:
    """logpush or fastly, from the first JSON line of the first few readable files."""
    for f in files[:5]:
        try:
            opener = gzip.open if f.name.endswith(".gz") else open
            with opener(f, "rt", encoding="utf-8", errors="replace") as fh:  # type: ignore[operator]
                for _ in range(20):
                    line = fh.readline()
                    if not line:
                        break
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(obj, dict):
                        return "logpush" if "EventTimestampMs" in obj or "ScriptName" in obj else "fastly"
        except (OSError, EOFError, zlib.error):
            continue
    return None


def open_source(source: str, *, kind: str = "auto", manifest: str | None = None) -> Source:
    root, files = discover(source)
    notes: list[Note] = []
    if not files:
        notes.append(Note(source, "no-input", "no log files found (expected *.log.gz, *.json, *.ndjson ...)"))
    delivered: dict[str, int] = {}
    delivery_from = "mtime"
    mpath = (
        Path(manifest) if manifest else next((root / n for n in MANIFEST_NAMES if (root / n).is_file()), None)
    )
    if mpath is not None:
        try:
            delivered = load_manifest(mpath)
            delivery_from = f"manifest:{mpath.name}"
            if not delivered:
                notes.append(
                    Note(str(mpath), "delivery-times", "manifest lists no objects; using file times")
                )
                delivery_from = "mtime"
        except (OSError, ValueError) as exc:
            notes.append(Note(str(mpath), "parse-error", f"manifest unreadable, using file times: {exc}"))
    batches = []
    for f in files:
        rel = os.path.relpath(f, root)
        st = f.stat()
        when = delivered.get(rel, delivered.get(f.name)) if delivered else int(st.st_mtime * 1000)
        start, end = parse_name(f.name)
        batches.append(Batch(str(f.resolve()), rel, st.st_size, when, start, end))
    if delivered and files:
        missing = sum(b.delivered_ms is None for b in batches)
        if missing:
            notes.append(
                Note(
                    str(mpath),
                    "delivery-times",
                    f"{missing} of {len(files)} file(s) not in the manifest: their delivery is not judged",
                )
            )
    found = sniff_kind(files) if kind == "auto" else kind
    if found is None:
        found = "logpush" if any(LOGPUSH_NAME.search(b.rel) for b in batches) else "fastly"
    return Source(root, batches, found, delivery_from, notes)
