"""The `probe` and `echo-origin` commands (listed in `edgeward.cli.COMMANDS`)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from edgeward.cli import EXIT_OK, UsageError, add_output_options, emit
from edgeward.findings import Severity


def _claim(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE (VALUE as JSON, or a plain string)")
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


class Probe:
    name = "probe"

    @staticmethod
    def add_parser(sub: Any) -> None:
        p = sub.add_parser(
            "probe",
            help="prove what a live (staging) gateway accepts: forged tokens, spoofed headers, rate limits",
            description="Send a bounded battery of crafted requests to a gateway you own (staging, with a "
            "test key it trusts) and report what it accepted as PRB findings with the request and "
            "response as evidence. Only URL's host and --origin's host are contacted; redirects are not "
            "followed; at most --max-requests requests are sent.",
        )
        p.add_argument(
            "url", metavar="URL", help="a protected route of the gateway, e.g. https://staging.example/api/me"
        )
        add_output_options(p)
        p.add_argument(
            "--signing-key",
            metavar="PATH",
            help="private test key the gateway trusts: PEM (PKCS#8, PKCS#1, SEC1) or JWK; RSA or EC",
        )
        p.add_argument("--kid", help="`kid` header of the tokens (default: the JWK's kid, if any)")
        p.add_argument(
            "--alg", help="JWS algorithm (default: RS256 for RSA, ES256/ES384/ES512 by the EC curve)"
        )
        p.add_argument("--issuer", help="the `iss` the gateway expects (enables the wrong-issuer check)")
        p.add_argument("--audience", help="the `aud` the gateway expects (enables the wrong-audience check)")
        p.add_argument(
            "--claim",
            metavar="KEY=VALUE",
            action="append",
            type=_claim,
            default=[],
            help="extra claim of every token (repeatable); VALUE is JSON or a plain string, e.g. sub=alice "
            'or roles=["reader"]',
        )
        p.add_argument(
            "--origin",
            metavar="URL",
            help="the origin's own address, for the direct-to-origin check (PRB010)",
        )
        p.add_argument(
            "--trusted-header",
            metavar="NAME",
            action="append",
            default=[],
            help="identity header the origin trusts (repeatable or comma-separated); added to the defaults "
            "X-Verified-User, X-Verified-Email, X-User-Id, X-User-Email, X-User-Roles, X-Internal-User, "
            "X-Internal-Auth",
        )
        p.add_argument(
            "--no-default-headers", action="store_true", help="try only the --trusted-header names"
        )
        p.add_argument(
            "--rate-limit",
            metavar="N/WINDOW",
            help="the limit the gateway should enforce for one client, e.g. 40/60s (enables PRB009)",
        )
        p.add_argument(
            "--max-requests",
            metavar="N",
            type=int,
            help="hard request budget (default: exactly one full battery with these options)",
        )
        p.add_argument(
            "--timeout", metavar="SECONDS", type=float, default=10.0, help="timeout per request (default 10)"
        )
        p.add_argument(
            "--insecure", action="store_true", help="do not verify TLS certificates (self-signed staging)"
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from edgeward.probe import run_probe
        from edgeward.probe.battery import DEFAULT_TRUSTED_HEADERS, BaselineFailed, ProbeOptions, RateLimit
        from edgeward.probe.http import Target
        from edgeward.probe.jws import KeyError_, load_signing_key

        if args.fail_on and args.fail_on != "never":
            try:
                Severity.parse(args.fail_on)
            except ValueError as exc:
                raise UsageError(f"--fail-on: {exc}") from None
        try:
            Target.parse(args.url)
            if args.origin:
                Target.parse(args.origin)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        key = None
        if args.signing_key:
            try:
                key = load_signing_key(args.signing_key, alg=args.alg, kid=args.kid)
            except KeyError_ as exc:
                raise UsageError(str(exc)) from None
        elif args.alg or args.kid:
            raise UsageError("--alg and --kid need --signing-key")
        rate = None
        if args.rate_limit:
            try:
                rate = RateLimit.parse(args.rate_limit)
            except ValueError as exc:
                raise UsageError(f"--rate-limit: {exc}") from None
        if args.max_requests is not None and args.max_requests < 1:
            raise UsageError("--max-requests must be at least 1")
        if args.timeout <= 0:
            raise UsageError("--timeout must be positive")
        names = [] if args.no_default_headers else list(DEFAULT_TRUSTED_HEADERS)
        for item in args.trusted_header:
            for n in item.split(","):
                n = n.strip()
                if n and n.lower() not in {x.lower() for x in names}:
                    names.append(n)
        opts = ProbeOptions(
            url=args.url,
            signing_key=key,
            issuer=args.issuer,
            audience=args.audience,
            claims=dict(args.claim),
            origin=args.origin,
            trusted_headers=names,
            rate_limit=rate,
            max_requests=args.max_requests,
            timeout=args.timeout,
            insecure=args.insecure,
        )
        try:
            result = run_probe(opts)
        except BaselineFailed as exc:
            raise UsageError(str(exc)) from None
        if not args.quiet:
            s = result.stats
            print(
                f"edgeward: probe sent {s['requests']} of at most {s['max_requests']} request(s) "
                f"in {s['seconds']}s",
                file=sys.stderr,
            )
        return emit(result, args)


class EchoOrigin:
    name = "echo-origin"

    @staticmethod
    def add_parser(sub: Any) -> None:
        p = sub.add_parser(
            "echo-origin",
            help="run an origin that reflects each request (for probing a staging or local gateway)",
            description="Serve HTTP and answer every request with a JSON echo of its method, path and headers "
            "(names as received, repeats kept; credential values masked), so `edgeward probe` can see which "
            "spoofed headers got through the gateway. Runs until interrupted.",
        )
        p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        p.add_argument("--port", type=int, default=8788, help="port (default 8788; 0 picks a free port)")
        p.add_argument(
            "--require-header",
            metavar="NAME",
            help="answer 403 unless the request carries NAME with the secret from --secret-env "
            "(an origin that only the edge can reach)",
        )
        p.add_argument(
            "--secret-env",
            metavar="VAR",
            default="EDGEWARD_ECHO_SECRET",
            help="environment variable holding that secret (default EDGEWARD_ECHO_SECRET)",
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from edgeward.probe.echo import EchoOrigin as Server

        secret = None
        if args.require_header:
            secret = os.environ.get(args.secret_env)
            if not secret:
                raise UsageError(
                    f"--require-header needs the secret in the environment variable {args.secret_env}"
                )
        try:
            server = Server(args.host, args.port, require_header=args.require_header, secret=secret)
        except OSError as exc:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        if args.host not in ("127.0.0.1", "::1", "localhost"):
            print(
                f"edgeward: warning: echo-origin listens on {args.host}: anyone who can reach it sees "
                "what it receives",
                file=sys.stderr,
            )
        print(f"edgeward: echo-origin listening on {server.url}", flush=True)

        def stop(*_: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server.server_close()
        return EXIT_OK


__all__ = ["EchoOrigin", "Probe"]
