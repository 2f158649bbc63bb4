"""Shared pieces of the benchmark harness: free ports, starting/stopping amlite, RSS, a keep-alive
HTTPS client with per-request timing, and statistics.

Everything binds and talks to 127.0.0.1 only. Every wait loop is bounded by a deadline.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import signal
import socket
import ssl
import statistics
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HOST = "127.0.0.1"
API = "api-version=2024-04-01"


class BenchError(RuntimeError):
    """A harness failure (not a slow result): the run must fail."""


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def tree_rss_kib(pid: int) -> int:
    """VmRSS of a process plus its direct children (wrappers such as npm's shims fork)."""
    total = rss_kib(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            try:
                total += tree_rss_kib(int(child))
            except (OSError, BenchError):
                pass
    return total


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def percentile(xs: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def tls_context(cert: Optional[Path]) -> ssl.SSLContext:
    """A client context trusting exactly `cert` (amlite's self-signed certificate)."""
    ctx = ssl.create_default_context(cafile=str(cert)) if cert else ssl._create_unverified_context()
    return ctx


def wait_first_response(port: int, ctx: Optional[ssl.SSLContext], path: str, deadline: float,
                        proc: subprocess.Popen, want_status: Optional[int] = 200,
                        cert_file: Optional[Path] = None) -> int:
    """Polls until `GET path` answers (with `want_status`, or any status when None); returns the
    status. Connection refusals are retried every 0.5 ms until `deadline` (time.monotonic)."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"process exited with {proc.returncode} before answering")
        try:
            sock = socket.create_connection((HOST, port), timeout=2)
        except OSError:
            time.sleep(0.0005)
            continue
        try:
            if ctx is None and cert_file is not None:
                ctx = tls_context(cert_file)
            if ctx is not None:
                sock = ctx.wrap_socket(sock, server_hostname=HOST)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64).decode("latin-1")
            status = int(head.split(" ", 2)[1])
        except (OSError, ValueError, IndexError):
            time.sleep(0.0005)
            continue
        finally:
            sock.close()
        if want_status is None or status == want_status:
            return status
        time.sleep(0.0005)
    raise BenchError(f"no answer on {HOST}:{port}{path} before the deadline")


def stop_process(proc: Optional[subprocess.Popen], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `timeout`; only ever the process we started."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class Amlite:
    """One `amlite serve` process on a chosen loopback port with its own data folder."""

    def __init__(self, binary: Path, data_dir: Path, log_file: Path, extra: Sequence[str] = (),
                 env: Optional[Dict[str, str]] = None) -> None:
        self.binary, self.data_dir, self.log_file = binary, data_dir, log_file
        self.extra, self.env_extra = list(extra), dict(env or {})
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None
        self.started_at = 0.0

    @property
    def cert(self) -> Path:
        return self.data_dir / "cert.pem"

    @property
    def base(self) -> str:
        return f"https://{HOST}:{self.port}"

    def launch(self) -> None:
        """Starts the process (does not wait)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_") and k != "RUST_LOG"}
        env.update(self.env_extra)
        args = [str(self.binary), "serve", "--host", HOST, "--port", str(self.port),
                "--data-dir", str(self.data_dir), "--provisioning-delay", "0s",
                *([] if "--endpoint-quota" in self.extra else ["--endpoint-quota", "5000"]), *self.extra]
        log = open(self.log_file, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=log, env=env, cwd=str(self.data_dir))
        log.close()

    def wait_ready(self, timeout: float = 30.0, ctx: Optional[ssl.SSLContext] = None) -> float:
        """Waits for the first 200 on /health (trusting cert.pem); returns seconds since launch."""
        assert self.proc is not None
        try:
            wait_first_response(self.port, ctx, "/health", time.monotonic() + timeout, self.proc,
                                cert_file=self.cert)
        except BenchError as e:
            raise BenchError(f"amlite not ready: {e}; log {self.log_file}") from None
        return time.monotonic() - self.started_at

    def start(self, timeout: float = 30.0) -> "Amlite":
        self.launch()
        self.wait_ready(timeout)
        return self

    def env(self) -> Dict[str, str]:
        """The exports amlite wrote to `<data-dir>/env.sh`."""
        return parse_env_sh((self.data_dir / "env.sh").read_text())

    def ws_path(self) -> str:
        """ARM path of the default fixture's workspace."""
        e = self.env()
        return (f"/subscriptions/{e['AZURE_SUBSCRIPTION_ID']}/resourceGroups/{e['AZURE_RESOURCE_GROUP']}"
                f"/providers/Microsoft.MachineLearningServices/workspaces/{e['AZUREML_WORKSPACE_NAME']}")

    def rss_kib(self) -> int:
        assert self.proc is not None
        return rss_kib(self.proc.pid)

    def db_bytes(self) -> int:
        """amlite.db plus its -wal (and -shm) files."""
        return sum(p.stat().st_size for p in self.data_dir.glob("amlite.db*") if p.is_file())

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def client(self) -> "Client":
        return Client(self.port, tls_context(self.cert))


class Client:
    """Sequential keep-alive HTTPS client with per-request wall time (seconds); plain HTTP when
    `ctx` is None (the python runtime's inference server listens without TLS)."""

    def __init__(self, port: int, ctx: Optional[ssl.SSLContext]) -> None:
        self.port, self.ctx = port, ctx
        self.scheme = "https" if ctx is not None else "http"
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        if self.ctx is None:
            return http.client.HTTPConnection(HOST, self.port, timeout=30)
        return http.client.HTTPSConnection(HOST, self.port, context=self.ctx, timeout=30)

    def request(self, method: str, path: str, body: Optional[object] = None,
                headers: Optional[Dict[str, str]] = None) -> Tuple[int, object, float, Dict[str, str]]:
        """Sends one request; returns (status, parsed JSON or text, seconds, lower-cased headers)."""
        h = {"Authorization": "Bearer bench"}
        h.update(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        t = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=h)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = self._connect()
            raise
        elapsed = time.perf_counter() - t
        try:
            parsed: object = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return resp.status, parsed, elapsed, {k.lower(): v for k, v in resp.getheaders()}

    def ok(self, method: str, path: str, body: Optional[object] = None,
           headers: Optional[Dict[str, str]] = None) -> object:
        try:
            status, parsed, _, _ = self.request(method, path, body, headers)
        except http.client.RemoteDisconnected:
            # The server closed a keep-alive connection left idle (e.g. during a wrk run);
            # `request` reconnected, and a GET may be sent again.
            if method != "GET":
                raise
            status, parsed, _, _ = self.request(method, path, body, headers)
        if status >= 300:
            raise BenchError(f"{method} {path} -> {status}: {str(parsed)[:400]}")
        return parsed

    def close(self) -> None:
        self.conn.close()


def parse_env_sh(text: str) -> Dict[str, str]:
    """`export NAME='value'` lines of amlite's env.sh."""
    env: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                name, sep, value = word.partition("=")
                if sep:
                    env[name] = value
    return env


def elapsed_ms(xs: List[float]) -> List[float]:
    return [x * 1000.0 for x in xs]
