"""A deliberately small HTTP client for the probe: a hard request budget, a timeout per request, only the
hosts the user named, no redirects followed, header names sent exactly as written (letter case, repeats)."""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_BODY = 256 * 1024


class BudgetExhausted(Exception):
    """The next request would exceed `--max-requests`."""


class HostNotAllowed(Exception):
    """A request to a host the user did not name."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, at least "/"

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"{url!r}: only http:// and https:// URLs can be probed")
        if not parts.hostname:
            raise ValueError(f"{url!r}: no host in the URL")
        if parts.username or parts.password:
            raise ValueError(f"{url!r}: credentials in the URL are not supported")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValueError(f"{url!r}: invalid port") from None
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(parts.scheme, parts.hostname.lower(), port, path)

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        netloc = host if self.port == default else f"{host}:{self.port}"
        return f"{self.scheme}://{netloc}{self.path}"


@dataclass
class Exchange:
    """One request and what came back (or the error instead)."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    status: int | None = None
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None
    seconds: float = 0.0

    def header(self, name: str) -> str | None:
        for k, v in self.response_headers:
            if k.lower() == name.lower():
                return v
        return None

    def text(self) -> str:
        """Response headers and body as one text, to look for canaries in."""
        head = "\n".join(f"{k}: {v}" for k, v in self.response_headers)
        return head + "\n\n" + self.body.decode("utf-8", "replace")


class Client:
    def __init__(
        self,
        allowed: list[Target],
        *,
        max_requests: int,
        timeout: float = 10.0,
        insecure: bool = False,
    ) -> None:
        self.allowed = {t.origin for t in allowed}
        self.max_requests = max_requests
        self.timeout = timeout
        self.insecure = insecure
        self.sent = 0
        self.log: list[Exchange] = []

    @property
    def remaining(self) -> int:
        return self.max_requests - self.sent

    def request(self, target: Target, headers: list[tuple[str, str]], method: str = "GET") -> Exchange:
        if target.origin not in self.allowed:
            raise HostNotAllowed(f"{target.url}: not a host named on the command line")
        if self.sent >= self.max_requests:
            raise BudgetExhausted(f"request budget of {self.max_requests} spent")
        self.sent += 1
        ex = Exchange(method, target.url, list(headers))
        started = time.monotonic()
        conn: http.client.HTTPConnection
        if target.scheme == "https":
            ctx = ssl.create_default_context()
            if self.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(target.host, target.port, timeout=self.timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=self.timeout)
        try:
            conn.putrequest(method, target.path, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)
            conn.putheader("Connection", "close")
            conn.endheaders()
            resp = conn.getresponse()
            ex.status, ex.reason = resp.status, resp.reason
            ex.response_headers = list(resp.getheaders())
            ex.body = resp.read(MAX_BODY)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            ex.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            conn.close()
            ex.seconds = round(time.monotonic() - started, 3)
        self.log.append(ex)
        return ex
