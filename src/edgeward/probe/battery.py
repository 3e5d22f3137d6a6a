"""The probe battery: a good request first, then each way a gateway is commonly fooled.

Every check sends a few requests through the bounded `Client` and ends `pass` (the gateway refused),
`fail` (it accepted: a PRB finding with the request and the response as evidence), `undecided` (the answer
proves nothing either way: an error, a 5xx, a 429, nothing reflects) or `skipped` (an input is missing or
the budget is spent). Oracles:

- *reached the origin*: every request carries a fresh random id in `X-Edgeward-Probe`. When the baseline
  shows that the origin reflects what it received (e.g. `edgeward echo-origin`), a request counts as accepted
  only if its id came back; otherwise any 2xx counts, with medium confidence.
- *header passed through*: every spoofed header carries its own fresh canary; the check fails when that
  canary comes back in the response.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from edgeward.findings import Confidence, Hit, redact
from edgeward.probe import jws
from edgeward.probe.http import BudgetExhausted, Client, Exchange, Target

PROBE_HEADER = "X-Edgeward-Probe"
DEFAULT_TRUSTED_HEADERS = (
    "X-Verified-User",
    "X-Verified-Email",
    "X-User-Id",
    "X-User-Email",
    "X-User-Roles",
    "X-Internal-User",
    "X-Internal-Auth",
)
ROTATE_HEADERS = ("X-Forwarded-For", "X-Real-IP", "True-Client-IP", "CF-Connecting-IP")
HEADER_VARIANTS = ("as-written", "lower-case", "upper-case", "repeated")
TOKEN_LIFETIME = 300
WRONG_ISSUER = "https://wrong-issuer.edgeward-probe.invalid/"
WRONG_AUDIENCE = "edgeward-probe-wrong-audience"
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class RateLimit:
    count: int
    window: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
        if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
            raise ValueError(f"{text!r}: expected N/WINDOW such as 40/60s (units: ms, s, m, h)")
        scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(3)]
        return cls(int(m.group(1)), float(m.group(2)) * scale)

    @property
    def burst(self) -> int:
        """Requests the burst may send: the stated limit plus a margin for counting differences."""
        return self.count + max(2, math.ceil(self.count * 0.1))

    def __str__(self) -> str:
        return f"{self.count}/{self.window:g}s"


@dataclass
class ProbeOptions:
    url: str
    signing_key: jws.SigningKey | None = None
    issuer: str | None = None
    audience: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    origin: str | None = None
    trusted_headers: list[str] = field(default_factory=lambda: list(DEFAULT_TRUSTED_HEADERS))
    rate_limit: RateLimit | None = None
    max_requests: int | None = None
    timeout: float = 10.0
    insecure: bool = False


@dataclass
class Check:
    id: str
    code: str
    title: str
    outcome: str = "skipped"  # pass, fail, undecided, skipped
    detail: str = ""
    requests: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.id,
            "code": self.code,
            "title": self.title,
            "outcome": self.outcome,
            "detail": self.detail,
            "requests": self.requests,
        }


def summarize_open(checks: list[Check]) -> list[str]:
    """One line per reason for the checks that were skipped or undecided (the same reason is said once)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for c in checks:
        if c.code and c.outcome in ("undecided", "skipped"):
            groups.setdefault((c.outcome, c.detail), []).append(f"{c.code} {c.id}")
    return [f"{outcome}: {', '.join(ids)}: {detail}" for (outcome, detail), ids in groups.items()]


class BaselineFailed(Exception):
    """The gateway rejected a good request: nothing else it answers can be judged."""


def planned_requests(opts: ProbeOptions) -> int:
    """The size of one full battery with these options: the default `--max-requests`."""
    n = 2  # baseline, missing token
    if opts.signing_key is not None:
        n += 3  # garbage, alg none, wrong signature
        n += len(jws.public_key_encodings(opts.signing_key.public_key()))
        n += 3  # expired, not yet valid, no exp
        n += 2  # wrong issuer, wrong audience
    if opts.trusted_headers:
        n += len(HEADER_VARIANTS)
    if opts.rate_limit:
        n += opts.rate_limit.burst + len(ROTATE_HEADERS) + 1
    if opts.origin:
        n += 1
    return n


def _rid() -> str:
    return "ewp-" + secrets.token_hex(8)


def _canary() -> str:
    return "ewc-" + secrets.token_hex(8)


def _case_variant(name: str, variant: str) -> str:
    if variant == "lower-case":
        return name.lower()
    if variant == "upper-case":
        return name.upper()
    return name


class Battery:
    def __init__(
        self, opts: ProbeOptions, client: Client | None = None, clock: Callable[[], float] = time.time
    ):
        self.opts = opts
        self.target = Target.parse(opts.url)
        self.origin = Target.parse(opts.origin) if opts.origin else None
        allowed = [self.target] + ([self.origin] if self.origin else [])
        self.max_requests = opts.max_requests if opts.max_requests is not None else planned_requests(opts)
        self.client = client or Client(
            allowed, max_requests=self.max_requests, timeout=opts.timeout, insecure=opts.insecure
        )
        self.clock = clock
        self.checks: list[Check] = []
        self.hits: list[tuple[str, Hit]] = []
        self.notes: list[tuple[str, str]] = []
        self.sensitive: list[tuple[str, str]] = []  # (value, kind) to redact wherever it appears
        self.reflects: bool | None = None
        self.budget_spent = False
        self.limited = False

    # ----- tokens ---------------------------------------------------------------------------------
    def header(self, **over: Any) -> dict[str, Any]:
        key = self.opts.signing_key
        assert key is not None
        h: dict[str, Any] = {"alg": key.alg, "typ": "JWT"}
        if key.kid:
            h["kid"] = key.kid
        h.update(over)
        return h

    def claims(self, *, drop: tuple[str, ...] = (), **over: Any) -> dict[str, Any]:
        now = int(self.clock())
        c: dict[str, Any] = {"sub": "edgeward-probe"}
        if self.opts.issuer is not None:
            c["iss"] = self.opts.issuer
        if self.opts.audience is not None:
            c["aud"] = self.opts.audience
        c.update({"iat": now, "exp": now + TOKEN_LIFETIME, "jti": secrets.token_hex(8)})
        c.update(self.opts.claims)
        c.update(over)
        for k in drop:
            c.pop(k, None)
        return c

    def valid_token(self) -> str:
        assert self.opts.signing_key is not None
        return self._keep(jws.mint(self.header(), self.claims(), self.opts.signing_key), "valid test token")

    def _keep(self, token: str, kind: str) -> str:
        self.sensitive.append((token, kind))
        return token

    # ----- requests -------------------------------------------------------------------------------
    def auth(self, token: str | None) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {token}")] if token else []

    def send(
        self, check: Check, headers: list[tuple[str, str]], target: Target | None = None
    ) -> tuple[Exchange, str]:
        rid = _rid()
        check.requests += 1
        ex = self.client.request(target or self.target, [(PROBE_HEADER, rid), *headers])
        return ex, rid

    def verdict(self, ex: Exchange, rid: str) -> tuple[str, str]:
        """accepted / rejected / undecided, and why."""
        if ex.error:
            return "undecided", f"no answer ({ex.error})"
        status = ex.status or 0
        if status == 429:
            return "undecided", "answered 429 (rate limited): cannot tell whether the token was accepted"
        if status >= 500:
            return "undecided", f"answered {status}: a server error proves nothing"
        if 300 <= status < 400:
            loc = ex.header("Location")
            return "rejected", f"answered {status}" + (f" (redirect to {loc}, not followed)" if loc else "")
        if status >= 400:
            return "rejected", f"answered {status}"
        if self.reflects:
            if rid in ex.text():
                return "accepted", f"answered {status} and the origin reflected the request id"
            return "rejected", f"answered {status} without reaching the origin (request id not reflected)"
        return "accepted", f"answered {status}"

    # ----- redaction and evidence -----------------------------------------------------------------
    def scrub(self, text: str) -> str:
        for value, kind in sorted(self.sensitive, key=lambda x: -len(x[0])):
            if value and value in text:
                text = text.replace(value, redact(value, kind))
        return JWT_LIKE.sub(lambda m: redact(m.group(0), "token"), text)

    def request_dict(self, ex: Exchange) -> dict[str, Any]:
        return {
            "method": ex.method,
            "url": ex.url,
            "headers": [[k, self.scrub(v)] for k, v in ex.headers],
        }

    def response_dict(self, ex: Exchange) -> dict[str, Any]:
        body = self.scrub(ex.body.decode("utf-8", "replace"))  # before cutting: no half token escapes
        return {
            "status": ex.status,
            "reason": ex.reason,
            "headers": [[k, self.scrub(v)] for k, v in ex.response_headers[:30]],
            "body": body[:1000] + ("…" if len(body) > 1000 else ""),
            "error": ex.error,
        }

    def evidence(
        self, ex: Exchange, extra: str = "", only: str | None = None, focus: str | None = None
    ) -> str:
        shown = [
            f"{k}: {self.scrub(v)}"
            for k, v in ex.headers
            if k != PROBE_HEADER and (only is None or k.lower() == only.lower())
        ]
        req = f"{ex.method} {ex.url}" + (f" [{'; '.join(shown)}]" if shown else "")
        if ex.error:
            resp = f"no answer: {ex.error}"
        else:
            body = self.scrub(ex.body.decode("utf-8", "replace"))
            snippet = _echo_excerpt(body, focus)
            if snippet is None:
                at = body.find(focus) if focus else -1
                window = body[max(0, at - 60) : at + len(focus or "") + 20] if at >= 0 else body[:160]
                snippet = ("…" if at > 60 else "") + " ".join(window.split())
            resp = f"{ex.status} {ex.reason}".strip() + (f" {snippet}" if snippet else "")
        return f"{req} -> {resp}" + (f"; {extra}" if extra else "")

    def finding(
        self,
        code: str,
        check: Check,
        ex: Exchange,
        message: str,
        *,
        anchor: str,
        confidence: Confidence | None = None,
        extra: str = "",
        only: str | None = None,
        focus: str | None = None,
        **more: Any,
    ) -> None:
        if confidence is None and not self.reflects:
            confidence = Confidence.MEDIUM
        hit = Hit(
            path=ex.url,
            line=1,
            message=message,
            evidence=self.evidence(ex, extra, only, focus),
            anchor=f"{check.id}:{anchor}",
            confidence=confidence,
            extra={
                "check": check.id,
                "request": self.request_dict(ex),
                "response": self.response_dict(ex),
                **more,
            },
        )
        self.hits.append((code, hit))

    def note(self, message: str) -> None:
        self.notes.append(("probe", message))

    # ----- the battery ----------------------------------------------------------------------------
    def new_check(self, id: str, code: str, title: str) -> Check:
        c = Check(id, code, title)
        self.checks.append(c)
        return c

    def run(self) -> None:
        self.baseline()
        steps: list[tuple[str, str, str, Callable[[Check], None]]] = [
            ("missing-token", "PRB001", "request without a token", self.check_missing_token),
        ]
        key_steps = [
            ("garbage-token", "PRB002", "garbage token", self.check_garbage),
            ("alg-none", "PRB002", "unsigned token (alg: none)", self.check_alg_none),
            ("wrong-signature", "PRB002", "token signed by another key", self.check_wrong_signature),
            ("hs256-public-key", "PRB003", "HS256 keyed with the public key", self.check_confusion),
            ("expired", "PRB004", "token expired an hour ago", self.check_expired),
            ("not-yet-valid", "PRB004", "token valid only in an hour (nbf)", self.check_nbf),
            ("no-exp", "PRB005", "token without exp", self.check_no_exp),
            ("wrong-issuer", "PRB006", "token from another issuer", self.check_wrong_issuer),
            ("wrong-audience", "PRB007", "token for another audience", self.check_wrong_audience),
        ]
        steps += key_steps
        steps.append(("trusted-headers", "PRB008", "client-sent identity headers", self.check_headers))
        steps.append(("rate-limit", "PRB009", "burst over the stated limit", self.check_rate_limit))
        steps.append(
            ("rate-limit-rotation", "PRB009", "limit with rotating client-IP headers", self.check_rotation)
        )
        steps.append(("origin-direct", "PRB010", "origin called directly", self.check_origin))
        for id, code, title, func in steps:
            check = self.new_check(id, code, title)
            if self.budget_spent:
                check.detail = f"not run: the request budget ({self.max_requests}) is spent"
                continue
            try:
                func(check)
            except BudgetExhausted:
                self.budget_spent = True
                check.outcome = "undecided"
                check.detail = (
                    f"the request budget ({self.max_requests}) ran out during this check; "
                    "raise --max-requests to finish the battery"
                )
        for line in summarize_open(self.checks):
            self.note(line)

    def baseline(self) -> None:
        check = Check("baseline", "", "valid request")
        token = self.valid_token() if self.opts.signing_key else None
        ex, rid = self.send(check, self.auth(token))
        self.baseline_exchange = ex
        self.checks.append(check)
        if ex.error or not (200 <= (ex.status or 0) < 300):
            what = f"got no answer ({ex.error})" if ex.error else f"was answered {ex.status} {ex.reason}"
            if self.opts.signing_key is None and not ex.error and (ex.status or 0) < 500:
                check.outcome = "pass"
                check.detail = f"the request without a token {what}"
                self.reflects = None
                self.note(
                    f"the baseline request without a token {what}; give --signing-key (a test key the "
                    "gateway trusts) to run the token, header and rate-limit checks"
                )
                return
            hint = ""
            if ex.status in (401, 403):
                hint = (
                    "; check that the gateway trusts --signing-key (and --kid), and that --issuer, --audience "
                    "and --claim match what it expects"
                )
            elif ex.status == 429:
                hint = (
                    "; the gateway is rate-limiting this client, probably from an earlier probe: wait until its "
                    "window has passed (e.g. a minute for 40/60s) and run again"
                )
            good = "with a valid token" if self.opts.signing_key else "without a token"
            raise BaselineFailed(
                f"the baseline request {good} {what}: the probe cannot judge a gateway that "
                f"rejects a good request{hint} (evidence: {self.evidence(ex)})"
            )
        self.reflects = rid in ex.text()
        check.outcome = "pass"
        check.detail = f"answered {ex.status}" + (
            "; the origin reflects requests" if self.reflects else "; nothing reflects the request"
        )
        if not self.reflects:
            self.note(
                "nothing behind the gateway reflects what it receives: acceptance is judged by status only "
                "and a header check can only fail, not pass; run `edgeward echo-origin` behind a staging "
                "gateway"
            )

    def _token_check(self, check: Check, token: str, code: str, message: str, anchor: str) -> bool:
        ex, rid = self.send(check, self.auth(token))
        outcome, why = self.verdict(ex, rid)
        if outcome == "accepted":
            check.outcome = "fail"
            check.detail = why
            self.finding(code, check, ex, message, anchor=anchor, extra=why, focus=rid)
            return True
        check.outcome = "pass" if outcome == "rejected" else "undecided"
        check.detail = why
        return False

    def _needs_key(self, check: Check) -> bool:
        if self.opts.signing_key is None:
            check.detail = "needs --signing-key (a test key the gateway trusts)"
            return False
        if self.reflects is None:
            check.detail = "the baseline request was not accepted"
            return False
        return True

    def check_missing_token(self, check: Check) -> None:
        ex, rid = self.send(check, [])
        outcome, why = self.verdict(ex, rid)
        check.detail = why
        if outcome == "accepted":
            check.outcome = "fail"
            self.finding(
                "PRB001",
                check,
                ex,
                "a request without any credentials reached the origin",
                anchor="no-authorization",
                extra=why,
                focus=rid,
            )
        else:
            check.outcome = "pass" if outcome == "rejected" else "undecided"

    def check_garbage(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        token = self._keep(
            ".".join(jws.b64url(secrets.token_bytes(n)) for n in (24, 48, 32)), "garbage token"
        )
        self._token_check(
            check, token, "PRB002", "a garbage bearer token (random bytes) was accepted", "garbage"
        )

    def check_alg_none(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        header = {"alg": "none", "typ": "JWT"}
        token = self._keep(jws.mint_unsigned(header, self.claims()), "alg-none token")
        self._token_check(
            check,
            token,
            "PRB002",
            "an unsigned token (`alg: none`, empty signature) was accepted",
            "alg-none",
        )

    def check_wrong_signature(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        key = self.opts.signing_key
        assert key is not None
        if isinstance(key.key, rsa.RSAPrivateKey):
            other = jws.generate_key("RSA")
        else:
            other = ec.generate_private_key(key.key.curve)
        wrong = jws.SigningKey(other, key.alg, key.kid)
        token = self._keep(jws.mint(self.header(), self.claims(), wrong), "wrongly signed token")
        self._token_check(
            check,
            token,
            "PRB002",
            f"a token signed by another {key.kind} key (same header, same `kid`) was accepted",
            "wrong-signature",
        )

    def check_confusion(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        key = self.opts.signing_key
        assert key is not None
        tried = []
        for label, secret in jws.public_key_encodings(key.public_key()):
            self.sensitive.append((secret.decode("latin-1"), "public key"))
            token = self._keep(jws.mint_hmac(self.header(alg="HS256"), self.claims(), secret), "HS256 token")
            ex, rid = self.send(check, self.auth(token))
            outcome, why = self.verdict(ex, rid)
            tried.append(f"{label}: {why}")
            if outcome == "accepted":
                check.outcome = "fail"
                check.detail = f"accepted with the HMAC secret = {label}"
                self.finding(
                    "PRB003",
                    check,
                    ex,
                    f"a token signed HS256 with the gateway's public {key.kind} key ({label}) as the HMAC "
                    "secret was accepted: anyone holding the public key can mint tokens",
                    anchor="hs256",
                    extra=why,
                    focus=rid,
                    encoding=label,
                )
                return
            if outcome == "undecided":
                check.outcome = "undecided"
        if check.outcome != "undecided":
            check.outcome = "pass"
        check.detail = "; ".join(tried)

    def check_expired(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        now = int(self.clock())
        token = self._keep(
            jws.mint(self.header(), self.claims(iat=now - 7200, exp=now - 3600), self.opts.signing_key),  # type: ignore[arg-type]
            "expired token",
        )
        self._token_check(
            check, token, "PRB004", "a token whose `exp` passed an hour ago was accepted", "expired"
        )

    def check_nbf(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        now = int(self.clock())
        claims = self.claims(nbf=now + 3600, exp=now + 7200)
        token = self._keep(jws.mint(self.header(), claims, self.opts.signing_key), "not-yet-valid token")  # type: ignore[arg-type]
        self._token_check(
            check,
            token,
            "PRB004",
            "a token that is valid only in an hour (`nbf` in the future) was accepted",
            "not-yet-valid",
        )

    def check_no_exp(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        token = self._keep(
            jws.mint(self.header(), self.claims(drop=("exp",)), self.opts.signing_key),  # type: ignore[arg-type]
            "token without exp",
        )
        self._token_check(
            check, token, "PRB005", "a token without an `exp` claim was accepted: it never expires", "no-exp"
        )

    def check_wrong_issuer(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        if self.opts.issuer is None:
            check.detail = "needs --issuer (the issuer the gateway expects)"
            return
        token = self._keep(
            jws.mint(self.header(), self.claims(iss=WRONG_ISSUER), self.opts.signing_key),  # type: ignore[arg-type]
            "wrong-issuer token",
        )
        self._token_check(
            check,
            token,
            "PRB006",
            f"a token from issuer {WRONG_ISSUER!r} (expected {self.opts.issuer!r}) was accepted",
            "wrong-issuer",
        )

    def check_wrong_audience(self, check: Check) -> None:
        if not self._needs_key(check):
            return
        if self.opts.audience is None:
            check.detail = "needs --audience (the audience the gateway expects)"
            return
        token = self._keep(
            jws.mint(self.header(), self.claims(aud=WRONG_AUDIENCE), self.opts.signing_key),  # type: ignore[arg-type]
            "wrong-audience token",
        )
        self._token_check(
            check,
            token,
            "PRB007",
            f"a token for audience {WRONG_AUDIENCE!r} (expected {self.opts.audience!r}) was accepted",
            "wrong-audience",
        )

    def check_headers(self, check: Check) -> None:
        names = self.opts.trusted_headers
        if not names:
            check.detail = "no trusted header names to try"
            return
        if self.reflects is None:
            check.detail = "the baseline request was not accepted"
            return
        leaked: dict[str, list[tuple[str, Exchange, str]]] = {}
        decided = 0
        for variant in HEADER_VARIANTS:
            headers: list[tuple[str, str]] = []
            canaries: dict[str, str] = {}
            for name in names:
                sent = _case_variant(name, variant)
                copies = 2 if variant == "repeated" else 1
                for _ in range(copies):
                    c = _canary()
                    canaries[c] = name
                    headers.append((sent, c))
            token = self.valid_token() if self.opts.signing_key else None
            ex, rid = self.send(check, self.auth(token) + headers)
            outcome, why = self.verdict(ex, rid)
            if outcome != "accepted":
                continue
            decided += 1
            text = ex.text()
            for c, name in canaries.items():
                if c in text and not any(v == variant for v, _, _ in leaked.get(name, [])):
                    leaked.setdefault(name, []).append((variant, ex, c))
        if leaked:
            check.outcome = "fail"
            check.detail = "reached the origin: " + ", ".join(
                f"{n} ({'/'.join(v for v, _, _ in lst)})" for n, lst in leaked.items()
            )
            for name, lst in leaked.items():
                variant, ex, canary = lst[0]
                variants = ", ".join(v for v, _, _ in lst)
                self.finding(
                    "PRB008",
                    check,
                    ex,
                    f"client-sent `{name}` reached the origin (sent {variants}); the gateway must delete it "
                    "before forwarding and set it only from verified identity",
                    anchor=name.lower(),
                    extra=f"canary {canary} sent in {name} came back",
                    only=name,
                    focus=canary,
                    header=name,
                    variants=[v for v, _, _ in lst],
                )
        elif decided and not self.reflects:
            check.outcome = "undecided"
            check.detail = (
                "no canary came back, but nothing reflects the request, so that proves nothing: put "
                "`edgeward echo-origin` behind the gateway"
            )
        elif decided:
            check.outcome = "pass"
            check.detail = (
                f"{len(names)} header name(s) x {len(HEADER_VARIANTS)} variants: no canary came back "
                f"({decided} request(s) reached the origin)"
            )
        else:
            check.outcome = "undecided"
            check.detail = "no header-spoofing request reached the origin"

    def _limited_request(self, check: Check, extra: list[tuple[str, str]] | None = None) -> Exchange:
        token = self.valid_token() if self.opts.signing_key else None
        ex, _ = self.send(check, self.auth(token) + (extra or []))
        return ex

    def check_rate_limit(self, check: Check) -> None:
        rl = self.opts.rate_limit
        if rl is None:
            check.detail = "needs --rate-limit N/WINDOWs (the limit the gateway is meant to enforce)"
            return
        if self.reflects is None:
            check.detail = "the baseline request was not accepted"
            return
        started = time.monotonic()
        first: Exchange | None = None
        last: Exchange | None = None
        for i in range(rl.burst):
            ex = self._limited_request(check)
            first = first or ex
            last = ex
            if ex.status == 429:
                self.limited = True
                check.outcome = "pass"
                check.detail = f"limited after {i + 1} request(s) of the burst (429)"
                return
            if ex.error:
                check.outcome = "undecided"
                check.detail = f"no answer during the burst ({ex.error})"
                return
            if not 200 <= (ex.status or 0) < 300:
                check.outcome = "undecided"
                check.detail = (
                    f"request {i + 1} of the burst was answered {ex.status}, not served nor limited"
                )
                return
        elapsed = time.monotonic() - started
        assert last is not None
        check.outcome = "fail"
        check.detail = f"{rl.burst} requests in {elapsed:.1f}s, none answered 429 (stated limit {rl})"
        confidence = Confidence.HIGH if elapsed < rl.window else Confidence.LOW
        self.finding(
            "PRB009",
            check,
            last,
            f"no rate limit: {rl.burst} requests within {elapsed:.1f}s (stated limit {rl}) were all served",
            anchor="no-limit",
            confidence=confidence,
            extra=f"last of {rl.burst} requests",
        )

    def check_rotation(self, check: Check) -> None:
        if not self.limited:
            check.detail = "needs a limit that engaged during the burst"
            return
        rl = self.opts.rate_limit
        assert rl is not None
        for n, name in enumerate(ROTATE_HEADERS):
            ip = (
                f"203.0.113.{secrets.randbelow(250) + 1}"
                if n % 2 == 0
                else f"198.51.100.{secrets.randbelow(250) + 1}"
            )
            ex = self._limited_request(check, [(name, ip)])
            if ex.status and 200 <= ex.status < 300:
                confirm = self._limited_request(check)
                still = confirm.status == 429
                check.outcome = "fail"
                check.detail = f"served again with a fresh {name}" + (
                    "; a request without it right after was still 429" if still else ""
                )
                self.finding(
                    "PRB009",
                    check,
                    ex,
                    f"the rate limit resets when `{name}` changes: a limited client is served again by "
                    "sending a new value (the limit must key on verified identity, the client IP only as "
                    "the edge sees it)",
                    anchor=name.lower(),
                    confidence=Confidence.HIGH if still else Confidence.MEDIUM,
                    extra=(
                        f"after 429, sent {name}: {ip}; without it the next request got "
                        f"{confirm.status or confirm.error}"
                    ),
                    header=name,
                )
                return
        check.outcome = "pass"
        check.detail = "still 429 with a fresh " + ", ".join(ROTATE_HEADERS)

    def check_origin(self, check: Check) -> None:
        if self.origin is None:
            check.detail = "needs --origin URL (the origin's own address)"
            return
        headers = []
        canaries = {}
        for name in self.opts.trusted_headers:
            c = _canary()
            canaries[c] = name
            headers.append((name, c))
        ex, rid = self.send(check, headers, target=self.origin)
        if ex.error:
            check.outcome = "pass"
            check.detail = f"not reachable from here ({ex.error})"
            return
        status = ex.status or 0
        if 200 <= status < 300:
            took = [n for c, n in canaries.items() if c in ex.text()]
            check.outcome = "fail"
            check.detail = f"answered {status}" + (f"; it took {', '.join(took)}" if took else "")
            self.finding(
                "PRB010",
                check,
                ex,
                "the origin answered a request that did not come through the edge (no token, identity headers "
                "set by the client)" + (f"; it received {', '.join(took)}" if took else ""),
                anchor="direct",
                confidence=Confidence.HIGH,
                extra=check.detail,
            )
        elif status >= 500 or status == 429:
            check.outcome = "undecided"
            check.detail = f"answered {status}"
        else:
            check.outcome = "pass"
            check.detail = f"answered {status}"


def _echo_excerpt(body: str, focus: str | None) -> str | None:
    """Evidence from a reflecting origin's JSON echo (`edgeward echo-origin`): the header lines that carry
    `focus` (the probe id or a canary), as `origin saw X-User-Id: ewc-…`, instead of a cut through the JSON.
    None when the body is not such an echo or `focus` is not in its headers."""
    if not focus or focus not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if (
        not isinstance(data, dict)
        or data.get("echo") is not True
        or not isinstance(data.get("headers"), list)
    ):
        return None
    seen = [
        f"{h[0]}: {h[1]}"
        for h in data["headers"]
        if isinstance(h, list) and len(h) == 2 and isinstance(h[1], str) and focus in h[1]
    ]
    return f"origin saw {'; '.join(seen)}" if seen else None
