"""Credential detectors: data, not code.

Each detector names a credential kind, a regex for the whole token, keywords that gate the regex in
bulk scanning, an optional entropy floor, and documented example values that must be reported as
examples, not as live secrets. `known_format()` answers for one value (used by the classifier).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Detector:
    id: str
    kind: str
    regex: str
    keywords: tuple[str, ...]
    entropy: float | None = None
    examples: tuple[str, ...] = field(default_factory=tuple)  # documentation values: not live

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.regex)


@cache
def _compile(rx: str) -> re.Pattern[str]:
    return re.compile(rx)


DETECTORS: tuple[Detector, ...] = (
    Detector("cloudflare-user-token", "Cloudflare API token", r"cfut_[A-Za-z0-9_-]{30,}", ("cfut_",)),
    Detector(
        "cloudflare-account-token", "Cloudflare account API token", r"cfat_[A-Za-z0-9_-]{30,}", ("cfat_",)
    ),
    Detector("cloudflare-api-key", "Cloudflare API key", r"cfk_[A-Za-z0-9_-]{30,}", ("cfk_",)),
    Detector(
        "fastly-api-token",
        "Fastly API token",
        r"(?i:fastly)[\w.-]{0,20}[=:\"' ]+([A-Za-z0-9_-]{32})\b",
        ("fastly",),
    ),
    Detector(
        "aws-access-key-id",
        "AWS access key id",
        r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        examples=("AKIAIOSFODNN7EXAMPLE",),
    ),
    Detector(
        "github-token",
        "GitHub token",
        r"gh[pousr]_[A-Za-z0-9]{36,255}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    Detector(
        "github-fine-grained-pat",
        "GitHub fine-grained token",
        r"github_pat_[A-Za-z0-9_]{60,255}",
        ("github_pat_",),
    ),
    Detector("stripe-secret-key", "Stripe secret key", r"sk_live_[A-Za-z0-9]{20,255}", ("sk_live_",)),
    Detector("stripe-restricted-key", "Stripe restricted key", r"rk_live_[A-Za-z0-9]{20,255}", ("rk_live_",)),
    Detector("stripe-test-key", "Stripe test secret key", r"sk_test_[A-Za-z0-9]{20,255}", ("sk_test_",)),
    Detector(
        "stripe-webhook-secret", "Stripe webhook signing secret", r"whsec_[A-Za-z0-9]{24,}", ("whsec_",)
    ),
    Detector(
        "slack-token",
        "Slack token",
        r"xox[baprs]-[A-Za-z0-9-]{10,250}",
        ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"),
    ),
    Detector(
        "slack-webhook",
        "Slack incoming webhook URL",
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        ("hooks.slack.com",),
    ),
    Detector("google-api-key", "Google API key", r"AIza[0-9A-Za-z_-]{35}", ("AIza",)),
    Detector(
        "private-key", "private key", r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----", ("PRIVATE KEY",)
    ),
    Detector(
        "jwt", "JSON Web Token", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}", ("eyJ",)
    ),
)


def known_format(value: str) -> tuple[str, bool] | None:
    """(kind, is_documented_example) when the whole value, or a token inside it, has a known format."""
    for det in DETECTORS:
        m = det.compiled.search(value)
        if m:
            token = m.group(0)
            return det.kind, any(ex in token or token in ex for ex in det.examples)
    return None
