"""Compact JWS written by hand: base64url, JSON, and signatures from the `cryptography` package.

The probe crafts tokens a library would refuse to make (`alg: none`, HS256 keyed with a public key, a
signature from the wrong key), so it writes them itself. Every token is `b64url(header).b64url(claims).sig`
with the JSON in a fixed, compact form, so tests can decode each one to exactly what was intended.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}
_CURVE_ALG = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_CURVE_NAME = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
RSA_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGS = ("ES256", "ES384", "ES512")


class KeyError_(ValueError):
    """A signing key that cannot be read or used; the message names the file and the problem."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(n: int, size: int | None = None) -> str:
    size = size or max(1, (n.bit_length() + 7) // 8)
    return b64url(n.to_bytes(size, "big"))


def _b64_int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


def compact_json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class SigningKey:
    """A private RSA or EC key, the JWS algorithm it signs with, and an optional key id."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    alg: str
    kid: str | None = None

    @property
    def kind(self) -> str:
        return "RSA" if isinstance(self.key, rsa.RSAPrivateKey) else "EC"

    def public_key(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        return self.key.public_key()

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.public_key(), self.kid, self.alg)


def default_alg(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RS256"
    return _CURVE_ALG.get(key.curve.name, "ES256")


def _check_alg(key: Any, alg: str, where: str) -> None:
    if isinstance(key, rsa.RSAPrivateKey):
        if alg not in RSA_ALGS:
            raise KeyError_(f"{where}: an RSA key signs {', '.join(RSA_ALGS)}, not {alg}")
    elif alg != _CURVE_ALG.get(key.curve.name):
        raise KeyError_(f"{where}: a {key.curve.name} key signs {_CURVE_ALG.get(key.curve.name)}, not {alg}")


def load_signing_key(path: str | Path, *, alg: str | None = None, kid: str | None = None) -> SigningKey:
    """Read a private key from a PEM file (PKCS#8, PKCS#1 or SEC1) or a JWK (JSON, with `d`)."""
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyError_(f"{where}: cannot read signing key: {exc.strerror or exc}") from None
    text = data.strip()
    jwk_kid = None
    jwk_alg = None
    if text.startswith(b"{"):
        try:
            jwk = json.loads(text)
        except ValueError as exc:
            raise KeyError_(f"{where}: not a valid JWK (JSON error: {exc})") from None
        if isinstance(jwk, dict) and isinstance(jwk.get("keys"), list) and len(jwk["keys"]) == 1:
            jwk = jwk["keys"][0]
        key = private_key_from_jwk(jwk, where)
        jwk_kid = jwk.get("kid") if isinstance(jwk.get("kid"), str) else None
        jwk_alg = jwk.get("alg") if isinstance(jwk.get("alg"), str) else None
    elif b"-----BEGIN" in text:
        if b"PRIVATE KEY" not in text:
            raise KeyError_(f"{where}: a public key or certificate; the probe needs the private test key")
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyError_(f"{where}: cannot load PEM private key ({exc})") from None
    else:
        raise KeyError_(f"{where}: neither a PEM private key nor a JWK")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyError_(f"{where}: only RSA and EC keys are supported, not {type(key).__name__}")
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in _CURVE_ALG:
        raise KeyError_(f"{where}: unsupported curve {key.curve.name} (P-256, P-384, P-521)")
    chosen = alg or jwk_alg or default_alg(key)
    _check_alg(key, chosen, where)
    return SigningKey(key, chosen, kid if kid is not None else jwk_kid)


def private_key_from_jwk(jwk: Any, where: str = "JWK") -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if not isinstance(jwk, dict):
        raise KeyError_(f"{where}: a JWK must be a JSON object")
    if "d" not in jwk:
        raise KeyError_(f"{where}: a public JWK; the probe needs the private test key (with `d`)")
    try:
        if jwk.get("kty") == "RSA":
            n, e, d = (_b64_int(jwk[k]) for k in ("n", "e", "d"))
            if all(k in jwk for k in ("p", "q")):
                p, q = _b64_int(jwk["p"]), _b64_int(jwk["q"])
            else:
                p, q = rsa.rsa_recover_prime_factors(n, e, d)
            pub = rsa.RSAPublicNumbers(e, n)
            priv = rsa.RSAPrivateNumbers(
                p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), pub
            )
            return priv.private_key()
        if jwk.get("kty") == "EC":
            curve = _CURVES.get(jwk.get("crv", ""))
            if curve is None:
                raise KeyError_(f"{where}: unsupported curve {jwk.get('crv')!r} (P-256, P-384, P-521)")
            pub = ec.EllipticCurvePublicNumbers(_b64_int(jwk["x"]), _b64_int(jwk["y"]), curve())
            return ec.EllipticCurvePrivateNumbers(_b64_int(jwk["d"]), pub).private_key()
    except KeyError_:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyError_(f"{where}: incomplete or invalid JWK ({type(exc).__name__}: {exc})") from None
    raise KeyError_(f"{where}: unsupported JWK key type {jwk.get('kty')!r} (RSA or EC)")


def public_jwk(pub: Any, kid: str | None = None, alg: str | None = None) -> dict[str, str]:
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        jwk = {"kty": "RSA", "n": _int_b64(nums.n), "e": _int_b64(nums.e)}
    else:
        nums = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        jwk = {
            "kty": "EC",
            "crv": _CURVE_NAME[pub.curve.name],
            "x": _int_b64(nums.x, size),
            "y": _int_b64(nums.y, size),
        }
    if alg:
        jwk["alg"] = alg
    if kid:
        jwk["kid"] = kid
    return jwk


def sign(signing_input: bytes, key: SigningKey) -> bytes:
    alg = key.alg
    h = _HASHES[alg[2:]]()
    if alg.startswith("RS"):
        return key.key.sign(signing_input, padding.PKCS1v15(), h)
    if alg.startswith("PS"):
        return key.key.sign(signing_input, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    der = key.key.sign(signing_input, ec.ECDSA(h))
    r, s = decode_dss_signature(der)
    size = (key.key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify(token: str, pub: Any, alg: str) -> bool:
    """Check a signature (used by the tests and the echo lab; the probe itself never needs to)."""
    try:
        h, p, s = token.split(".")
        sig = b64url_decode(s)
        data = f"{h}.{p}".encode("ascii")
        hh = _HASHES[alg[2:]]()
        if alg.startswith("RS"):
            pub.verify(sig, data, padding.PKCS1v15(), hh)
        elif alg.startswith("PS"):
            pub.verify(sig, data, padding.PSS(mgf=padding.MGF1(hh), salt_length=hh.digest_size), hh)
        else:
            size = len(sig) // 2
            der = encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big"))
            pub.verify(der, data, ec.ECDSA(hh))
        return True
    except Exception:
        return False


def encode(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """`b64url(header).b64url(claims)`: the signing input of a token."""
    return f"{b64url(compact_json(header))}.{b64url(compact_json(claims))}"


def mint(header: dict[str, Any], claims: dict[str, Any], key: SigningKey) -> str:
    """A token signed with `key` (the header is used as given: set `alg` to `key.alg`)."""
    signing_input = encode(header, claims)
    return f"{signing_input}.{b64url(sign(signing_input.encode('ascii'), key))}"


def mint_unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token with an empty signature (for `alg: none`)."""
    return f"{encode(header, claims)}."


def mint_hmac(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """A token MACed with `secret` (HS256/384/512 per the header's `alg`)."""
    signing_input = encode(header, claims)
    mac = hmac.new(secret, signing_input.encode("ascii"), _HMAC[header["alg"]]).digest()
    return f"{signing_input}.{b64url(mac)}"


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Header, claims and raw signature of a compact JWS, without any verification."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s)


def public_key_encodings(pub: Any) -> list[tuple[str, bytes]]:
    """The usual ways a gateway holds its public key, each tried as an HMAC secret by the confusion check:
    PEM (SubjectPublicKeyInfo, and PKCS#1 for RSA) with and without the final newline, DER, and for RSA the
    JWK's modulus `n` (base64url text)."""
    spki_pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    out = [
        ("PEM (SubjectPublicKeyInfo) with final newline", spki_pem),
        ("PEM (SubjectPublicKeyInfo) without final newline", spki_pem.rstrip(b"\n")),
    ]
    if isinstance(pub, rsa.RSAPublicKey):
        pkcs1 = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        out += [
            ("PEM (PKCS#1) with final newline", pkcs1),
            ("PEM (PKCS#1) without final newline", pkcs1.rstrip(b"\n")),
        ]
    out.append(
        (
            "DER (SubjectPublicKeyInfo)",
            pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        )
    )
    if isinstance(pub, rsa.RSAPublicKey):
        out.append(("JWK modulus `n` (base64url)", public_jwk(pub)["n"].encode("ascii")))
    return out


def generate_key(kind: str = "RSA") -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """A fresh key of the same kind as the test key (the wrong-signature check signs with it)."""
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(_CURVES.get(kind, ec.SECP256R1)())


def private_pem(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(pub: Any) -> bytes:
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
