"""probe-lab: run the two lab gateways in Cloudflare's workerd, with reflecting origins, on loopback only.

    python examples/probe-lab/lab.py            # from the repository root, after `npm ci`

writes a fresh test key to `.probe-lab/` (git-ignored), starts

    vulnerable gateway  http://127.0.0.1:8701   -> open echo origin       http://127.0.0.1:8711
    hardened gateway    http://127.0.0.1:8702   -> protected echo origin  http://127.0.0.1:8712

prints the `edgeward probe` commands for both, and runs until Ctrl-C. The tests use `Lab` directly with
free ports. Nothing here listens on anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from edgeward.probe import jws
from edgeward.probe.echo import EchoOrigin

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ISSUER = "https://issuer.probe-lab.test/"
AUDIENCE = "probe-lab-api"
RATE_LIMIT = "40/60s"
KID = "probe-lab-1"
ORIGIN_HEADER = "X-Origin-Auth"


def workerd_binary() -> str | None:
    """The workerd pinned in package-lock.json (`npm ci`), or $WORKERD_BIN."""
    env = os.environ.get("WORKERD_BIN")
    if env:
        return env if Path(env).exists() else None
    local = REPO / "node_modules" / ".bin" / "workerd"
    return str(local) if local.exists() else shutil.which("workerd")


def write_test_key(directory: Path, kind: str = "RSA") -> Path:
    """A fresh private test key (PKCS#8 PEM, mode 0600). Never a production key."""
    directory.mkdir(parents=True, exist_ok=True)
    key = jws.generate_key("RSA") if kind == "RSA" else jws.generate_key("P-256")
    path = directory / f"probe-lab-{kind.lower()}-key.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(jws.private_pem(key))
    return path


class Lab:
    """Two echo origins (threads) and one workerd process serving both gateways; `stop()` ends them all."""

    def __init__(
        self,
        key_path: Path,
        *,
        ports: tuple[int, int, int, int] = (0, 0, 0, 0),
        workerd: str | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        self.key_path = key_path
        self.ports = ports
        self.workerd = workerd or workerd_binary()
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.origins: list[EchoOrigin] = []
        self.urls: dict[str, str] = {}
        self.stderr_path: Path | None = None

    def start(self) -> Lab:
        if not self.workerd:
            raise RuntimeError("workerd not found: run `npm ci` in the repository root (or set WORKERD_BIN)")
        key = jws.load_signing_key(self.key_path, kid=KID)
        pub = key.public_key()
        secret = secrets.token_urlsafe(24)
        try:
            open_origin = EchoOrigin("127.0.0.1", self.ports[2]).start()
            self.origins.append(open_origin)
            protected = EchoOrigin(
                "127.0.0.1", self.ports[3], require_header=ORIGIN_HEADER, secret=secret
            ).start()
            self.origins.append(protected)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PROBE_LAB_OPEN_ORIGIN": open_origin.url,
                "PROBE_LAB_PROTECTED_ORIGIN": protected.url,
                "PROBE_LAB_ORIGIN_SECRET": secret,
                # as an environment variable usually is: the PEM without its final newline
                "PROBE_LAB_PUBLIC_PEM": jws.public_pem(pub).decode("ascii").strip(),
                "PROBE_LAB_PUBLIC_JWK": json.dumps(key.public_jwk()),
            }
            read_fd, write_fd = os.pipe()
            self.stderr_path = self.key_path.parent / "workerd.log"
            with open(self.stderr_path, "wb") as log:
                self.proc = subprocess.Popen(
                    [
                        self.workerd,
                        "serve",
                        str(HERE / "lab.capnp"),
                        "-s",
                        f"vulnerable=127.0.0.1:{self.ports[0]}",
                        "-s",
                        f"hardened=127.0.0.1:{self.ports[1]}",
                        "--control-fd",
                        str(write_fd),
                    ],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    pass_fds=(write_fd,),
                    start_new_session=True,
                )
            os.close(write_fd)
            self._wait_ready(read_fd)
            self.urls.update(open_origin=open_origin.url, protected_origin=protected.url)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, read_fd: int) -> None:
        """Read workerd's `listen` events from the control fd until both sockets are up."""
        import selectors

        deadline = time.monotonic() + self.startup_timeout
        buf = b""
        sel = selectors.DefaultSelector()
        sel.register(read_fd, selectors.EVENT_READ)
        try:
            while {"vulnerable", "hardened"} - self.urls.keys():
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    raise RuntimeError(f"workerd did not listen within {self.startup_timeout}s: {self.log_tail()}")
                chunk = os.read(read_fd, 4096)
                if not chunk:
                    raise RuntimeError(f"workerd exited during startup: {self.log_tail()}")
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    event = json.loads(line)
                    if event.get("event") == "listen":
                        self.urls[event["socket"]] = f"http://127.0.0.1:{event['port']}"
        finally:
            sel.close()
            os.close(read_fd)

    def log_tail(self) -> str:
        if self.stderr_path and self.stderr_path.exists():
            return self.stderr_path.read_text(errors="replace")[-2000:] or "(no output)"
        return "(no output)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
        for o in self.origins:
            o.stop()
        self.origins = []

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def commands(self) -> list[str]:
        k = self.key_path
        common = f"--signing-key {k} --kid {KID} --issuer {ISSUER} --audience {AUDIENCE} --rate-limit {RATE_LIMIT}"
        return [
            f"edgeward probe {self.urls['vulnerable']}/api/me {common} --origin {self.urls['open_origin']}/api/me",
            f"edgeward probe {self.urls['hardened']}/api/me {common} --origin {self.urls['protected_origin']}/api/me",
        ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the probe-lab gateways on loopback until Ctrl-C.")
    ap.add_argument("--dir", default=str(REPO / ".probe-lab"), help="where the test key and log go")
    ap.add_argument("--key", choices=("RSA", "EC"), default="RSA", help="test key type (default RSA)")
    ap.add_argument(
        "--ports", default="8701,8702,8711,8712", help="vulnerable,hardened,open-origin,protected-origin"
    )
    args = ap.parse_args(argv)
    ports = tuple(int(p) for p in args.ports.split(","))
    if len(ports) != 4:
        ap.error("--ports takes four ports")
    key_path = write_test_key(Path(args.dir), args.key)
    lab = Lab(key_path, ports=ports)  # type: ignore[arg-type]
    try:
        lab.start()
    except RuntimeError as exc:
        print(f"probe-lab: {exc}", file=sys.stderr)
        return 2
    print("probe-lab running (Ctrl-C stops it):")
    for name in ("vulnerable", "hardened", "open_origin", "protected_origin"):
        print(f"  {name:<17} {lab.urls[name]}")
    print("\nTry:")
    for cmd in lab.commands():
        print(f"  {cmd}")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while lab.proc is not None and lab.proc.poll() is None:
            time.sleep(0.5)
        print(f"probe-lab: workerd stopped: {lab.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        lab.stop()


if __name__ == "__main__":
    sys.exit(main())
