"""`edgeward echo-origin`: an origin that reflects what it received, for staging or local use.

Put it behind the gateway under test (instead of, or beside, the real origin): every response is a JSON
object with the method, the path and every request header exactly as received (name case and repeats kept),
so the probe can see whether a spoofed header's canary got through the edge.

With `--require-header NAME` it answers 403 to any request that does not carry NAME with the value of the
environment variable named by `--secret-env` — the shared secret only the edge knows — which is how the
hardened lab gateway shows an origin that is not reachable directly. Values of credentials (Authorization,
Cookie, the required header) are never reflected, only their length.
"""

from __future__ import annotations

import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MASKED = {"authorization", "cookie", "proxy-authorization"}


def make_handler(require_header: str | None, secret: str | None) -> type[BaseHTTPRequestHandler]:
    masked = MASKED | ({require_header.lower()} if require_header else set())

    class Echo(BaseHTTPRequestHandler):
        server_version = "edgeward-echo-origin"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: no access log on stderr
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 1 << 20))
            if require_header:
                got = self.headers.get(require_header)
                if got is None or secret is None or not hmac.compare_digest(got, secret):
                    return self._send(403, {"error": f"missing or wrong {require_header}: not from the edge"})
            headers = [
                [k, f"<{len(v)} chars>" if k.lower() in masked else v] for k, v in self.headers.items()
            ]
            self._send(200, {"echo": True, "method": self.command, "path": self.path, "headers": headers})

        def _send(self, status: int, obj: dict[str, Any]) -> None:
            body = json.dumps(obj, indent=1).encode("utf-8") + b"\n"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    return Echo


class EchoOrigin:
    """A reflecting origin on `host:port` (port 0: a free port), served from a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        require_header: str | None = None,
        secret: str | None = None,
    ) -> None:
        self.server = ThreadingHTTPServer((host, port), make_handler(require_header, secret))
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.server.server_address[0]}:{self.port}"

    def start(self) -> EchoOrigin:
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="echo-origin", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def __enter__(self) -> EchoOrigin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
