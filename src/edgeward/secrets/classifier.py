"""Secret-likeness: is this (name, value) pair a real-looking credential?

Three signals, combined in `classify()`:
- the key name (token, secret, password, api key, private key, credentials in a DSN...),
- the value (a known credential format, a PEM block, or high entropy for its length and alphabet),
- placeholders, which cancel the rest (`changeme`, `<...>`, `${...}`, `xxx`, `example`, empty, URLs
  without credentials).

Known formats come from the detector catalog (`edgeward.secrets.detectors.known_format`), so the full
catalog plugs in without changing the rules that use this classifier.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from edgeward.secrets.detectors import known_format

SECRET_NAME = re.compile(
    r"(?i)(secret|token|passw(or)?d|passwd|pwd|api[_-]?key|apikey|private[_-]?key|priv[_-]?key|"
    r"access[_-]?key|auth[_-]?key|signing[_-]?key|client[_-]?secret|credential|bearer|session[_-]?key|"
    r"encryption[_-]?key|hmac|salt|dsn|webhook[_-]?secret|conn(ection)?[_-]?str(ing)?|database[_-]?url|"
    r"jwt[_-]?key|^key$|_key$)"
)
# Names that contain a secret word but hold public or non-secret material.
NOT_SECRET_NAME = re.compile(
    r"(?i)(public[_-]?key|publishable|_id$|^id$|_url$|_uri$|_host$|_name$|_path$|_file$|_ttl$|_header$|"
    r"_length$|_len$|_size$|_version$|_audience$|_issuer$|_endpoint$|token[_-]?(ttl|expiry|lifetime|type|url)|"
    r"key[_-]?id|kid$|_enabled$|_mode$|_count$|max[_-]|min[_-]|_prefix$|_region$)"
)
# `database_url`/`conn_str`-like names are secret only when the value carries credentials.
URL_CRED = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@", re.I)
PLACEHOLDER = re.compile(
    r"(?i)^(|changeme|change[_-]?me|replace[_-]?me|todo|tbd|none|null|undefined|false|true|secret|password|"
    r"token|dummy|test|testing|sample|example|placeholder|your[_-].*|my[_-].*|insert[_-].*|xxx+|\*+|\.+|-+|"
    r"x+|0+|1234.*|abc.*|foo|bar|baz|redacted|<.*>|\{\{.*\}\}|\$\{.*\}|\$[A-Z_][A-Z0-9_]*|%\(.*\)s|%[A-Z_]+%)$"
)
PLACEHOLDER_PART = re.compile(
    r"(?i)(example|placeholder|changeme|replace[_-]?me|your[_-]|xxxx|dummy|not[_-]?a[_-]?real|<[^>]*>|\$\{)"
)


@dataclass(frozen=True)
class Verdict:
    is_secret: bool
    kind: str  # credential kind ("Stripe secret key", "high-entropy value", ...)
    confidence: str  # "high", "medium", "low"
    reason: str
    example: bool = False  # a documented example value, not a live secret


NOT_SECRET = Verdict(False, "", "low", "")


def shannon_entropy(s: str) -> float:
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def is_placeholder(value: str) -> bool:
    v = value.strip()
    if PLACEHOLDER.match(v):
        return True
    if PLACEHOLDER_PART.search(v):
        return True
    if len(set(v)) <= 2 and len(v) >= 4:
        return True
    return False


_REGEX_SHAPED = re.compile(r"\(\?[:=!<]|\.\*|\\[dDwWsSbB]|\[\^|\|\^|\$\||\)\?|\]\+|\]\*|\{\d+,?\d*\}")


def looks_random(value: str) -> bool:
    """High entropy for the value's alphabet and length: what a generated key looks like."""
    v = value.strip()
    if len(v) < 16 or " " in v:
        return False
    if re.fullmatch(r"https?://\S+", v) and not URL_CRED.match(v):
        return False
    if re.fullmatch(r"[0-9a-fA-F-]{36}", v) and v.count("-") == 4:
        return False  # a UUID is an identifier, not a key, unless the name says so (medium via name)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", v) or re.fullmatch(r"[\d.]+", v):
        return False
    if _REGEX_SHAPED.search(v) or v.startswith("^") or re.fullmatch(r"(/[A-Za-z0-9_.:*-]+)+/?", v):
        return False  # a regular expression, a path or a route pattern, not key material
    if (
        re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", v)
        or re.fullmatch(r"[a-z]+(?:[_.-][a-z]+)+", v)
        or re.fullmatch(r"[a-z]{2,}(?:[A-Z][a-z]{2,})+|(?:[A-Z][a-z]{2,}){2,}", v)
    ):
        return False  # an identifier (`LOCAL_JWT_SIGNING_KEY`, `session.cookie-name`), not key material
    classes = sum(bool(re.search(p, v)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    ent = shannon_entropy(v)
    if re.fullmatch(r"[0-9a-f]+", v) or re.fullmatch(r"[0-9A-F]+", v):
        return len(v) >= 24 and ent >= 3.0
    return ent >= 3.5 and classes >= 2


def is_secret_name(name: str | None) -> bool:
    return bool(name) and bool(SECRET_NAME.search(name or "")) and not NOT_SECRET_NAME.search(name or "")


def classify(name: str | None, value: object, extra_names: tuple[str, ...] = ()) -> Verdict:
    """Judge a (key, value) pair. `extra_names` are user-configured secret names (exact, case-insensitive)."""
    if not isinstance(value, str):
        return NOT_SECRET
    v = value.strip()
    fmt = known_format(v)
    if fmt is not None:
        kind, example = fmt
        if example:
            return Verdict(False, kind, "high", f"documented example {kind}", example=True)
        return Verdict(True, kind, "high", f"value has the format of a {kind}")
    if is_placeholder(v):
        return NOT_SECRET
    m = URL_CRED.match(v)
    if m and not is_placeholder(m.group(1)):
        return Verdict(True, "URL with embedded credentials", "high", "URL carries a password")
    named = is_secret_name(name) or (name or "").lower() in {n.lower() for n in extra_names}
    if named and re.match(r"(?i)^[a-z][a-z0-9+.-]*://", v):
        return NOT_SECRET  # a URL without credentials under a secret-ish name (e.g. DATABASE_URL)
    if named and looks_random(v):
        return Verdict(
            True, "secret-named high-entropy value", "high", f"{name!r} holds a random-looking value"
        )
    if (
        named
        and len(v) >= 8
        and " " not in v
        and shannon_entropy(v) >= 3.0
        and not re.fullmatch(r"[a-z_]+", v)
    ):
        return Verdict(
            True, "secret-named value", "medium", f"{name!r} is named like a secret and holds a value"
        )
    if looks_random(v) and len(v) >= 32 and shannon_entropy(v) >= 4.2:
        return Verdict(True, "high-entropy value", "low", "random-looking value")
    return NOT_SECRET
