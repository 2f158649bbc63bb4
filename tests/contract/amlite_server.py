"""Starts `amlite serve --port 0` on a fresh data folder and reads the exports it writes to
`<data-dir>/env.sh` (the contract of `amlite serve`, SPEC §2). Used by the contract tests and
tests/replay (which adds `--fixtures`)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 20.0


def parse_env_sh(text: str) -> Dict[str, str]:
    """`export NAME='value'` lines -> dict."""
    env: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                name, sep, value = word.partition("=")
                if sep:
                    env[name] = value
    return env


class _TrustingSession(requests.Session):
    """A session that passes amlite's certificate on every call (`Session.verify = path` alone
    is not honoured by the pinned requests for a self-signed leaf certificate)."""

    ca_bundle: Optional[str] = None

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("verify", self.ca_bundle)
        return super().request(method, url, **kwargs)


class AmliteServer:
    """One running amlite process; `session` is a `requests.Session` that trusts its certificate."""

    def __init__(self, data_dir: Path, extra_args: Optional[List[str]] = None) -> None:
        self.data_dir = data_dir
        self.extra_args = list(extra_args or [])
        self.env: Dict[str, str] = {}
        self.proc: Optional[subprocess.Popen] = None
        self.session = _TrustingSession()

    def start(self) -> "AmliteServer":
        binary = Path(os.environ.get("AMLITE_BIN") or REPO / "target" / "debug" / "amlite")
        if not binary.exists():
            raise RuntimeError(f"amlite binary not found at {binary} (build it, or set AMLITE_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [str(binary), "serve", "--port", "0", "--data-dir", str(self.data_dir), "--provisioning-delay", "0s"] + self.extra_args
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
        self._log = open(self.data_dir / "amlite.log", "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=child_env, cwd=str(self.data_dir))
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"amlite exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            env_sh = self.data_dir / "env.sh"
            if env_sh.exists():
                env = parse_env_sh(env_sh.read_text())
                if env.get("AMLITE_URL") and env.get("REQUESTS_CA_BUNDLE"):
                    self.env = env
                    self.session.ca_bundle = env["REQUESTS_CA_BUNDLE"]
                    try:
                        if self.session.get(f"{self.url}/health", timeout=2).status_code == 200:
                            return self
                    except requests.RequestException:
                        pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"amlite not ready after {STARTUP_TIMEOUT_S}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def log(self) -> str:
        try:
            return (self.data_dir / "amlite.log").read_text(errors="replace")
        except OSError:
            return ""

    @property
    def url(self) -> str:
        return self.env["AMLITE_URL"].rstrip("/")

    @property
    def rg_path(self) -> str:
        """`/subscriptions/{s}/resourceGroups/{rg}` of the default fixture."""
        return f"/subscriptions/{self.env['AZURE_SUBSCRIPTION_ID']}/resourceGroups/{self.env['AZURE_RESOURCE_GROUP']}"

    @property
    def ws_path(self) -> str:
        """ARM path of the default fixture's workspace."""
        return f"{self.rg_path}/providers/Microsoft.MachineLearningServices/workspaces/{self.env['AZUREML_WORKSPACE_NAME']}"
