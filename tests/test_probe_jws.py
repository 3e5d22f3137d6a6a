"""Token minting for the probe: keys from PEM and JWK, and every crafted token decodes to exactly the header
and claims intended (checked on the tokens the battery really sends, through a recording fake client)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from edgeward.probe import jws
from edgeward.probe.battery import (
    PROBE_HEADER,
    WRONG_AUDIENCE,
    WRONG_ISSUER,
    Battery,
    ProbeOptions,
)
from edgeward.probe.http import Exchange

NOW = 1_800_000_000
ISS = "https://issuer.example.test/"
AUD = "api.example.test"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_b64url_has_no_padding_and_round_trips():
    for n in range(0, 8):
        data = bytes(range(n))
        text = jws.b64url(data)
        assert "=" not in text and "+" not in text and "/" not in text
        assert jws.b64url_decode(text) == data


def test_load_rsa_key_from_pkcs8_pkcs1_and_jwk(tmp_path, rsa_key):
    pkcs8 = jws.private_pem(rsa_key)
    pkcs1 = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert b"BEGIN RSA PRIVATE KEY" in pkcs1
    nums = rsa_key.private_numbers()
    full = {
        "kty": "RSA",
        "kid": "k-jwk",
        "n": jws._int_b64(nums.public_numbers.n),
        "e": jws._int_b64(nums.public_numbers.e),
        "d": jws._int_b64(nums.d),
        "p": jws._int_b64(nums.p),
        "q": jws._int_b64(nums.q),
    }
    minimal = {k: full[k] for k in ("kty", "n", "e", "d")}
    for name, data in [
        ("k8.pem", pkcs8),
        ("k1.pem", pkcs1),
        ("full.jwk", json.dumps(full).encode()),
        ("min.jwk", json.dumps(minimal).encode()),
        ("set.jwks", json.dumps({"keys": [full]}).encode()),
    ]:
        key = jws.load_signing_key(write(tmp_path, name, data))
        assert key.alg == "RS256" and key.kind == "RSA"
        assert key.key.private_numbers() == nums
    assert jws.load_signing_key(write(tmp_path, "full2.jwk", json.dumps(full).encode())).kid == "k-jwk"
    assert jws.load_signing_key(write(tmp_path, "k8b.pem", pkcs8), kid="cli").kid == "cli"


@pytest.mark.parametrize("curve,alg", [(ec.SECP256R1, "ES256"), (ec.SECP384R1, "ES384")])
def test_load_ec_key_from_sec1_and_jwk(tmp_path, curve, alg):
    key = ec.generate_private_key(curve())
    sec1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert b"BEGIN EC PRIVATE KEY" in sec1
    jwk = {**jws.public_jwk(key.public_key()), "d": jws._int_b64(key.private_numbers().private_value)}
    for name, data in [("ec.pem", sec1), ("ec.jwk", json.dumps(jwk).encode())]:
        loaded = jws.load_signing_key(write(tmp_path, name, data))
        assert loaded.alg == alg and loaded.kind == "EC"
        assert loaded.key.private_numbers() == key.private_numbers()


def test_unusable_keys_are_named_errors(tmp_path, rsa_key, ec_key):
    pub = write(tmp_path, "pub.pem", jws.public_pem(rsa_key.public_key()))
    with pytest.raises(jws.KeyError_, match="pub.pem: a public key"):
        jws.load_signing_key(pub)
    with pytest.raises(jws.KeyError_, match="junk.txt: neither"):
        jws.load_signing_key(write(tmp_path, "junk.txt", b"hello"))
    with pytest.raises(jws.KeyError_, match="public JWK"):
        jws.load_signing_key(
            write(tmp_path, "p.jwk", json.dumps(jws.public_jwk(rsa_key.public_key())).encode())
        )
    with pytest.raises(jws.KeyError_, match="not ES256"):
        jws.load_signing_key(write(tmp_path, "r.pem", jws.private_pem(rsa_key)), alg="ES256")
    with pytest.raises(jws.KeyError_, match="signs ES256, not ES384"):
        jws.load_signing_key(write(tmp_path, "e.pem", jws.private_pem(ec_key)), alg="ES384")
    with pytest.raises(jws.KeyError_, match="cannot read"):
        jws.load_signing_key(tmp_path / "missing.pem")


@pytest.mark.parametrize("alg", ["RS256", "RS384", "PS256"])
def test_rsa_tokens_verify(rsa_key, alg):
    key = jws.SigningKey(rsa_key, alg, "k1")
    token = jws.mint({"alg": alg, "typ": "JWT", "kid": "k1"}, {"sub": "a", "n": 1}, key)
    header, claims, sig = jws.decode(token)
    assert header == {"alg": alg, "typ": "JWT", "kid": "k1"} and claims == {"sub": "a", "n": 1}
    assert len(sig) == 256
    assert jws.verify(token, rsa_key.public_key(), alg)
    assert not jws.verify(token[:-4] + "AAAA", rsa_key.public_key(), alg)


def test_ec_tokens_are_raw_r_s_and_verify(ec_key):
    key = jws.SigningKey(ec_key, "ES256")
    token = jws.mint({"alg": "ES256"}, {"sub": "a"}, key)
    _, _, sig = jws.decode(token)
    assert len(sig) == 64  # r || s, 32 bytes each: the JWS form, not DER
    assert jws.verify(token, ec_key.public_key(), "ES256")


def test_public_key_encodings_rsa(rsa_key):
    pub = rsa_key.public_key()
    enc = dict(jws.public_key_encodings(pub))
    with_nl = enc["PEM (SubjectPublicKeyInfo) with final newline"]
    assert with_nl.startswith(b"-----BEGIN PUBLIC KEY-----\n") and with_nl.endswith(b"-----\n")
    assert enc["PEM (SubjectPublicKeyInfo) without final newline"] == with_nl[:-1]
    assert enc["PEM (PKCS#1) with final newline"].startswith(b"-----BEGIN RSA PUBLIC KEY-----")
    assert not enc["PEM (PKCS#1) without final newline"].endswith(b"\n")
    der = enc["DER (SubjectPublicKeyInfo)"]
    assert serialization.load_der_public_key(der).public_numbers() == pub.public_numbers()
    n = enc["JWK modulus `n` (base64url)"].decode()
    assert int.from_bytes(jws.b64url_decode(n), "big") == pub.public_numbers().n
    assert len(enc) == 6


def test_public_key_encodings_ec(ec_key):
    labels = [label for label, _ in jws.public_key_encodings(ec_key.public_key())]
    assert labels == [
        "PEM (SubjectPublicKeyInfo) with final newline",
        "PEM (SubjectPublicKeyInfo) without final newline",
        "DER (SubjectPublicKeyInfo)",
    ]


class RecordingClient:
    """Answers the baseline like a reflecting origin, everything else 401; records every request."""

    def __init__(self) -> None:
        self.sent = 0
        self.max_requests = 1000
        self.requests: list[list[tuple[str, str]]] = []

    def request(self, target, headers, method="GET"):
        self.sent += 1
        self.requests.append(list(headers))
        ex = Exchange(method, target.url, list(headers))
        if self.sent == 1:
            ex.status, ex.reason = 200, "OK"
            ex.body = json.dumps({"headers": headers}).encode()
        else:
            ex.status, ex.reason = 401, "Unauthorized"
        return ex


def tokens_by_check(battery: Battery, client: RecordingClient) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    i = 0
    for check in battery.checks:
        for _ in range(check.requests):
            hdrs = dict(client.requests[i])
            i += 1
            auth = hdrs.get("Authorization")
            out.setdefault(check.id, []).append(auth.removeprefix("Bearer ") if auth else None)
    assert i == client.sent
    return out


@pytest.mark.parametrize("kind", ["RSA", "EC"])
def test_every_crafted_token_decodes_to_what_was_intended(rsa_key, ec_key, kind):
    priv = rsa_key if kind == "RSA" else ec_key
    alg = "RS256" if kind == "RSA" else "ES256"
    key = jws.SigningKey(priv, alg, "kid-7")
    opts = ProbeOptions(
        url="https://gw.example.test/api",
        signing_key=key,
        issuer=ISS,
        audience=AUD,
        claims={"sub": "alice", "scope": ["read"]},
    )
    client = RecordingClient()
    battery = Battery(opts, client=client, clock=lambda: NOW)
    battery.run()
    toks = tokens_by_check(battery, client)
    header = {"alg": alg, "typ": "JWT", "kid": "kid-7"}

    def base(**over):
        c = {"sub": "alice", "iss": ISS, "aud": AUD, "iat": NOW, "exp": NOW + 300, "scope": ["read"]}
        c.update(over)
        return c

    def check(token, want_header, want_claims):
        h, c, sig = jws.decode(token)
        assert h == want_header
        jti = c.pop("jti")
        assert len(jti) == 16
        assert c == want_claims
        assert list(h) == list(want_header)  # exact order too: compact, deterministic JSON
        return sig

    pub = priv.public_key()
    (baseline,) = toks["baseline"]
    check(baseline, header, base())
    assert jws.verify(baseline, pub, alg)
    assert toks["missing-token"] == [None]
    (garbage,) = toks["garbage-token"]
    with pytest.raises(ValueError):
        jws.decode(garbage)
    (none,) = toks["alg-none"]
    assert check(none, {"alg": "none", "typ": "JWT"}, base()) == b""
    assert none.endswith(".")
    (wrong,) = toks["wrong-signature"]
    check(wrong, header, base())
    assert not jws.verify(wrong, pub, alg)
    encodings = jws.public_key_encodings(pub)
    hs = toks["hs256-public-key"]
    assert len(hs) == len(encodings)
    for token, (_, secret) in zip(hs, encodings, strict=True):
        sig = check(token, {**header, "alg": "HS256"}, base())
        signing_input = token.rsplit(".", 1)[0].encode()
        assert sig == hmac.new(secret, signing_input, hashlib.sha256).digest()
    (expired,) = toks["expired"]
    check(expired, header, base(iat=NOW - 7200, exp=NOW - 3600))
    (nbf,) = toks["not-yet-valid"]
    check(nbf, header, base(nbf=NOW + 3600, exp=NOW + 7200))
    (noexp,) = toks["no-exp"]
    want = base()
    del want["exp"]
    check(noexp, header, want)
    (iss,) = toks["wrong-issuer"]
    check(iss, header, base(iss=WRONG_ISSUER))
    (aud,) = toks["wrong-audience"]
    check(aud, header, base(aud=WRONG_AUDIENCE))
    for tok in [expired, nbf, noexp, iss, aud]:
        assert jws.verify(tok, pub, alg)  # correctly signed: only the claims are wrong
    # every request carries a probe id; headers sent in four variants, each with a valid token
    assert all(PROBE_HEADER in dict(r) for r in client.requests)
    assert len(toks["trusted-headers"]) == 4
    assert not battery.hits  # a gateway that refuses everything gives no finding


def test_tokens_without_issuer_or_audience_leave_them_out(rsa_key):
    opts = ProbeOptions(url="http://gw.test/", signing_key=jws.SigningKey(rsa_key, "RS256"))
    battery = Battery(opts, client=RecordingClient(), clock=lambda: NOW)
    header, claims, _ = jws.decode(battery.valid_token())
    assert header == {"alg": "RS256", "typ": "JWT"}
    assert set(claims) == {"sub", "iat", "exp", "jti"} and claims["sub"] == "edgeward-probe"
