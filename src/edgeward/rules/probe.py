"""PRB rules: what `edgeward probe` proves about a running gateway.

These rules have no static part: `edgeward probe URL` sends the requests and reports each result as a finding
with this metadata (see `edgeward.probe.battery`). The functions only carry the documentation.
"""

from __future__ import annotations

from collections.abc import Iterator

from edgeward.findings import Hit
from edgeward.rules.registry import rule


@rule("PRB001", "missing-token-accepted", severity="critical", checklist=[11], kind="probe")
def missing_token_accepted(*_: object) -> Iterator[Hit]:
    """A request with no credentials at all reached the origin.

    What it finds: the probe sends the request of the baseline without an `Authorization` header; the check
    fails when the gateway answers 2xx and (with a reflecting origin) the request's id comes back from the
    origin.

    Why it matters: the gateway is not enforcing authentication on this route; every control behind it that
    assumes an authenticated caller (identity headers, per-user limits, tenant isolation) is open to anyone.

    Example: `if (auth) { await verify(auth) }  return fetch(origin, request)` — authentication only runs
    when the client chooses to send a token.

    Fix: reject (401) every request to a protected route that carries no valid token before anything is
    forwarded; make public routes an explicit allow-list.
    """
    yield from ()


@rule("PRB002", "forged-token-accepted", severity="critical", checklist=[11], kind="probe")
def forged_token_accepted(*_: object) -> Iterator[Hit]:
    """A token that no trusted key signed was accepted.

    What it finds: three checks — a garbage token (random bytes in JWS shape), an unsigned token with
    `"alg": "none"` and an empty signature, and a well-formed token signed by a freshly generated key of the
    same type with the same header and `kid`. Any of them answered like the baseline is a finding.

    Why it matters: whoever can reach the gateway can make up any identity and any claims.

    Example: `if (header.alg.toLowerCase() === "none") return payload` or a verifier that decodes the payload
    and never checks the signature.

    Fix: verify with a library and a fixed algorithm list (`algorithms: ["RS256"]`), never the token's `alg`;
    reject `none`; select the key by `kid` from your own key set only.
    """
    yield from ()


@rule("PRB003", "algorithm-confusion", severity="critical", checklist=[11], kind="probe")
def algorithm_confusion(*_: object) -> Iterator[Hit]:
    """A token MACed with HS256 using the gateway's public key as the secret was accepted.

    What it finds: the probe derives the public key from `--signing-key` and signs HS256 tokens with its usual
    encodings as the HMAC secret — PEM (SubjectPublicKeyInfo, and PKCS#1 for RSA) with and without the final
    newline, DER, and the JWK modulus `n` — stopping at the first one accepted.

    Why it matters: the public key is public (JWKS endpoints, repositories, client bundles); a gateway that
    lets the token choose HMAC with the key it holds lets anyone mint valid tokens.

    Example: `const key = header.alg === "HS256" ? hmacKey(env.PUBLIC_KEY_PEM) : rsaKey(env.PUBLIC_KEY_PEM)`.

    Fix: pin the algorithm to the key's type (RS256/ES256 for an asymmetric key) and never pass key material
    of one type to a verifier of another.
    """
    yield from ()


@rule("PRB004", "expired-token-accepted", severity="high", checklist=[11], kind="probe")
def expired_token_accepted(*_: object) -> Iterator[Hit]:
    """A token outside its validity window was accepted.

    What it finds: a correctly signed token whose `exp` passed an hour ago, and one whose `nbf` lies an hour
    in the future (an hour is beyond any sensible clock-skew leeway).

    Why it matters: a stolen or leaked token keeps working forever; short token lifetimes and revocation by
    expiry stop protecting anyone.

    Example: a hand-written verifier that checks the signature and then uses the payload without comparing
    `exp` and `nbf` with the current time.

    Fix: reject tokens whose `exp` is in the past or `nbf` in the future, with at most a minute of leeway.
    """
    yield from ()


@rule("PRB005", "token-without-exp-accepted", severity="medium", checklist=[11], kind="probe")
def token_without_exp_accepted(*_: object) -> Iterator[Hit]:
    """A correctly signed token without an `exp` claim was accepted.

    What it finds: the baseline token with its `exp` claim removed, answered like the baseline.

    Why it matters: such a token never expires; libraries check `exp` only when it is present unless told to
    require it.

    Example: `jwtVerify(token, key, { issuer, audience })` with a token minted without `exp`.

    Fix: require `exp` (e.g. `requiredClaims: ["exp"]` in jose) and bound the lifetime (`maxTokenAge`).
    """
    yield from ()


@rule("PRB006", "wrong-issuer-accepted", severity="high", checklist=[11], kind="probe")
def wrong_issuer_accepted(*_: object) -> Iterator[Hit]:
    """A correctly signed token naming another issuer was accepted.

    What it finds: the baseline token with `iss` replaced by an issuer under `.invalid`; runs when
    `--issuer` names the issuer the gateway expects.

    Why it matters: when keys are shared (a staging issuer, another tenant of the identity provider), tokens
    meant for another system are accepted here.

    Example: `jwtVerify(token, jwks)` with no `issuer` option.

    Fix: pass the expected issuer to the verifier and reject any other.
    """
    yield from ()


@rule("PRB007", "wrong-audience-accepted", severity="high", checklist=[11], kind="probe")
def wrong_audience_accepted(*_: object) -> Iterator[Hit]:
    """A correctly signed token for another audience was accepted.

    What it finds: the baseline token with `aud` replaced by another audience; runs when `--audience` names
    the audience the gateway expects.

    Why it matters: a token issued for another API of the same identity provider can be replayed against this
    one.

    Example: `jwtVerify(token, jwks, { issuer })` without `audience`.

    Fix: pass the expected audience to the verifier; reject tokens whose `aud` does not contain it.
    """
    yield from ()


@rule("PRB008", "trusted-header-spoofable", severity="high", checklist=[6], kind="probe")
def trusted_header_spoofable(*_: object) -> Iterator[Hit]:
    """An identity header sent by the client reached the origin.

    What it finds: with a valid token, the probe sends each trusted header name (default: the `X-Verified-*`,
    `X-User-*` and `X-Internal-*` families; more with `--trusted-header`) as written, in lower case, in upper
    case and repeated, each value a fresh random canary. The check fails for a header whose canary comes back
    in the response, which needs an origin that reflects what it receives (`edgeward echo-origin`).

    Why it matters: the origin trusts these headers as the edge's statement of who the caller is; if the
    client can set them, it can be anyone.

    Example: `if (!headers.has("X-User-Id")) headers.set("X-User-Id", claims.sub)` — the client's value wins.

    Fix: delete every trusted header (by family prefix, any case) from the incoming request, then set them
    only from verified claims; better still, have the origin verify a signature over them.
    """
    yield from ()


@rule("PRB009", "rate-limit-bypass", severity="medium", checklist=[13], kind="probe")
def rate_limit_bypass(*_: object) -> Iterator[Hit]:
    """The stated rate limit is not enforced, or resets when a client-controlled IP header changes.

    What it finds: a burst of a little more than `--rate-limit` requests; the check fails when none is
    answered 429. When the limit engages, the probe sends one request each with a fresh `X-Forwarded-For`,
    `X-Real-IP`, `True-Client-IP` and `CF-Connecting-IP` (documentation addresses); it fails when one of them
    is served again (confirmed by a request without it that is still limited).

    Why it matters: a limit keyed on a value the client chooses limits nobody: credential stuffing and scraping
    go on at full speed.

    Example: `const key = request.headers.get("X-Forwarded-For") ?? "anon"`.

    Fix: key limits on the verified identity (token `sub`, API key id), and fall back to the address the edge
    itself saw (`CF-Connecting-IP` as set by Cloudflare, `client.ip` on Fastly), never a forwarded header.
    """
    yield from ()


@rule("PRB010", "origin-reachable-directly", severity="high", checklist=[12], kind="probe")
def origin_reachable_directly(*_: object) -> Iterator[Hit]:
    """The origin answers requests that did not come through the edge.

    What it finds: a request to `--origin URL` with no token and client-set identity headers; it fails when
    the origin answers 2xx (the evidence says whether it took the identity headers).

    Why it matters: everything the edge enforces — authentication, header stripping, rate limits — is skipped
    by calling the origin directly.

    Example: an origin on a public IP that trusts `X-User-Id` from any caller.

    Fix: accept only the edge — mTLS (authenticated origin pulls), a tunnel, an allow-list of edge addresses,
    or a secret or signature header that only the edge sets — and answer 403 otherwise.
    """
    yield from ()
