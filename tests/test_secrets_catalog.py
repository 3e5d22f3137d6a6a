"""The detector catalog is data with its own samples: every positive sample must match its detector, every
negative must not, and the catalog must cover the credential kinds edge apps hold."""

from __future__ import annotations

import re

import pytest

from edgeward.secrets.classifier import classify
from edgeward.secrets.detectors import DETECTORS, Scanner, default_scanner, known_format, with_lines

IDS = [d.id for d in DETECTORS]


def _ids(text: str) -> set[str]:
    return {m.detector.id for m in default_scanner().scan(text)}


def test_catalog_size_and_shape():
    assert len(DETECTORS) >= 60
    assert len(set(IDS)) == len(IDS), "detector ids must be unique"
    for d in DETECTORS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", d.id), d.id
        assert d.keywords, f"{d.id}: no keywords"
        assert all(k == k.lower() for k in d.keywords), f"{d.id}: keywords are lowercase"
        assert d.positive and d.negative, f"{d.id}: needs positive and negative samples"
        assert d.compiled.pattern


@pytest.mark.parametrize("det", DETECTORS, ids=IDS)
def test_positive_samples_match(det):
    for sample in det.positive:
        assert det.id in _ids(sample), f"{det.id}: positive sample drifted: {sample[:40]!r}"


@pytest.mark.parametrize("det", DETECTORS, ids=IDS)
def test_negative_samples_do_not_match(det):
    for sample in det.negative:
        assert det.id not in _ids(sample), f"{det.id}: negative sample matches: {sample[:40]!r}"


@pytest.mark.parametrize("det", [d for d in DETECTORS if d.examples], ids=lambda d: d.id)
def test_documented_examples_are_examples(det):
    for ex in det.examples:
        texts = [p for p in det.positive if ex in p] or [f'value = "{ex}"']
        ms = [m for t in texts for m in default_scanner().scan(t) if m.detector.id == det.id]
        assert ms and all(m.example for m in ms), det.id


def test_required_kinds_covered():
    for needed in (
        "cloudflare-user-token",
        "cloudflare-account-token",
        "cloudflare-api-key",
        "cloudflare-global-api-key",
        "cloudflare-access-client-secret",
        "cloudflare-r2-secret-access-key",
        "fastly-api-token",
        "aws-access-key-id",
        "gcp-service-account-key",
        "azure-ad-client-secret",
        "github-pat",
        "github-fine-grained-pat",
        "gitlab-pat",
        "npm-token",
        "pypi-token",
        "slack-bot-token",
        "stripe-secret-key",
        "stripe-restricted-key",
        "stripe-webhook-secret",
        "twilio-auth-token",
        "sendgrid-api-key",
        "mailgun-api-key",
        "postmark-server-token",
        "openai-api-key",
        "anthropic-api-key",
        "supabase-service-role-key",
        "firebase-fcm-server-key",
        "sentry-org-token",
        "datadog-api-key",
        "splunk-hec-token",
        "auth0-client-secret",
        "okta-api-token",
        "jwt-signing-secret",
        "private-key-pkcs8",
        "private-key-openssh",
        "basic-auth-url",
        "generic-secret-assignment",
    ):
        assert needed in IDS, needed


def test_known_format_api_kept():
    assert known_format("AKIAIOSFODNN7EXAMPLE") == ("AWS access key id", True)
    assert known_format("sk_live_FAKEfake0123456789FAKEfake") == ("Stripe secret key", False)
    assert known_format("hello world") is None
    # generic detectors need context: a bare random value is judged by the classifier, not known_format
    assert known_format("Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Qa") is None
    v = classify("AWS_KEY", "AKIAIOSFODNN7EXAMPLE")
    assert v.example and not v.is_secret


def test_lines_and_columns():
    text = "a\nbb\n  const k = 'ghp_FAKEfake0123456789FAKEfake0123456789';\n"
    (m,) = with_lines(text, default_scanner().scan(text))
    assert (m.line, m.column) == (3, 14)
    assert m.secret not in repr(m)


def test_stream_equals_whole_scan_across_chunk_borders():
    token = "sk_live_FAKEfake0123456789FAKEfake"
    parts = []
    for i in range(300):
        parts.append("x" * (i * 37 % 500) + ("\n" if i % 3 else "") + f"k{i}='{token}';")
    text = "".join(parts)
    whole = [(m.detector.id, m.start) for m in default_scanner().scan(text)]
    for size in (97, 1000, 4096, 65536):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        streamed = list(default_scanner().scan_stream(chunks))
        assert [(m.detector.id, m.start) for m in streamed] == whole
        lines = with_lines(text, default_scanner().scan(text))
        assert [(m.line, m.column) for m in streamed] == [(m.line, m.column) for m in lines]


def test_known_values_match_exactly():
    sc = Scanner(known_values={"Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Qa": ".dev.vars line 1"})
    (m,) = sc.scan('var a="Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Qa"')
    assert m.origin == ".dev.vars line 1"
    assert not sc.scan('var a="zq3vt9xlp2rk7wm4nc8bf6hy1dg5js0qa"')


def test_prefilter_engines_agree(monkeypatch):
    import os

    from edgeward.secrets import detectors

    if detectors.hyperscan is None:
        return
    monkeypatch.delenv("EDGEWARD_PREFILTER", raising=False)
    sc = Scanner()
    assert sc.engine == "hyperscan", getattr(sc, "hyperscan_error", "")
    os.environ["EDGEWARD_PREFILTER"] = "aho-corasick"
    try:
        ac = Scanner()
    finally:
        del os.environ["EDGEWARD_PREFILTER"]
    assert ac.engine == "aho-corasick"
    text = "\n".join(s for d in DETECTORS for s in d.positive + d.negative)
    assert [(m.detector.id, m.start) for m in sc.scan(text)] == [
        (m.detector.id, m.start) for m in ac.scan(text)
    ]


def test_identifiers_are_not_key_material():
    from edgeward.secrets.classifier import looks_random

    for ident in (
        "LOCAL_JWT_SIGNING_KEY",
        "challengePassword",
        "PrivateKeyUsagePeriod",
        "session.cookie-name",
    ):
        assert not looks_random(ident), ident
    for key in ("Zq3vT9xLp2Rk7Wm4Nc8Bf6Hy1Dg5Js0Qa", "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"):
        assert looks_random(key), key
