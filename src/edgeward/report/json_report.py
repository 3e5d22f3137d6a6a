"""The JSON contract (documented in README.md): stable keys, findings sorted by path and line."""

from __future__ import annotations

import json
from typing import Any

from edgeward.report import json_safe


def render_json(result: Any) -> str:
    return json_safe(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str)) + "\n"
