"""The secret-likeness classifier: name + value signal, minus placeholders."""

import pytest

from edgeward.findings import redact
from edgeward.secrets.classifier import classify

LIVE = [
    ("AUTH_TOKEN", "9f2c7e41b0d84a6f93e5c1d27a8b4f60"),
    ("API_KEY", "q8Xv2LmN7pR4tK9wZ3bC6dF1gH5jS0aE"),
    ("anything", "sk_live_51PqR7sT2uVwXyZ3aBcDeFgH4iJkLmN5oPqRsT6u"),
    ("CF_TOKEN", "cfut_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("GH", "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
    ("DATABASE_URL", "postgres://app:S3cr3tPassw0rd@db.internal:5432/app"),
    ("SLACK", "xoxb-123456789012-abcdefghijklmnop"),
]
NOT_SECRET = [
    ("LOG_LEVEL", "info"),
    ("API_BASE_URL", "https://api.staging.example.com"),
    ("API_TOKEN", ""),
    ("API_TOKEN", "changeme"),
    ("API_TOKEN", "<your token here>"),
    ("API_TOKEN", "${API_TOKEN}"),
    ("API_TOKEN", "xxxxxxxxxxxxxxxx"),
    ("SECRET_KEY", "your-secret-key-here"),
    ("DATABASE_URL", "postgres://db.internal:5432/app"),
    ("PUBLIC_KEY_ID", "a1b2c3d4e5f6a7b8c9d0"),
    ("TOKEN_TTL", "3600"),
    ("ACCOUNT_ID", "0f2ac5d1e7b84c0b9d3e6a1f4c2b8e90"),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
]


@pytest.mark.parametrize("name,value", LIVE)
def test_live_secrets(name, value):
    assert classify(name, value).is_secret


@pytest.mark.parametrize("name,value", NOT_SECRET)
def test_not_secrets(name, value):
    assert not classify(name, value).is_secret


def test_documented_example_is_reported_as_example():
    v = classify("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    assert v.example and v.kind == "AWS access key id"


def test_extra_secret_names():
    assert not classify("PARTNER_SEED", "Zq3vT9xLp2Rk7Wm4").is_secret
    assert classify("PARTNER_SEED", "Zq3vT9xLp2Rk7Wm4", ("partner_seed",)).is_secret


@pytest.mark.parametrize("secret", ["sk_live_51PqR7sT2uVwXyZ3aBcDeFgH4iJ", "short", "0123456789abcdef"])
def test_redact_never_shows_much(secret):
    shown = redact(secret, "kind")
    assert secret not in shown
    visible = shown.split(" (")[0].replace("…", "")
    assert len(visible) <= 6 and len(visible) <= len(secret) // 4 + 1
    assert f"{len(secret)} chars" in shown


@pytest.mark.parametrize(
    "value",
    [
        "^/(health|metrics|static/.*)$",
        "(?:/api/v[0-9]+/public/)[a-zA-Z0-9_-]+",
        "/assets/js/app.min.js/v2/:id",
    ],
)
def test_regexes_and_paths_are_not_key_material(value):
    assert not classify("SKIP_PATHS", value).is_secret


def test_base64_key_with_slashes_is_still_a_secret():
    assert classify("API_KEY", "q8Xv2L/mN7pR4+tK9wZ3/bC6dF1gH5j/S0aE=").is_secret
