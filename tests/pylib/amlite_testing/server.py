"""One running `amlite serve --port 0` process with its own data folder, and what a client reads
from it (the exports of `<data-dir>/env.sh`, SPEC §2.1)."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Type

import requests

REPO = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT_S = 20.0

# Exports amlite must write to env.sh (the contract of `amlite serve`).
REQUIRED_EXPORTS = (
    "REQUESTS_CA_BUNDLE",
    "ARM_CLOUD_METADATA_URL",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_RESOURCE_GROUP",
    "AZUREML_WORKSPACE_NAME",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
    "AMLITE_URL",
)


def _package():
    """The shipped Python package (python/amlite, stdlib only), loaded from the checkout under a
    private name: its list of foreign variables and its env.sh parser are the ones every suite
    uses, so the package and the tests cannot drift apart."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_amlite_package", REPO / "python" / "amlite" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


_PACKAGE = _package()

# Variables that would send a credential (or the SDK) elsewhere than amlite. `activate()`
# removes them and AZUREML_CURRENT_CLOUD, then applies env.sh, whose AZURE_CLIENT_ID /
# AZURE_CLIENT_SECRET / AZURE_TENANT_ID / AZURE_AUTHORITY_HOST point EnvironmentCredential at
# amlite's token endpoint.
FOREIGN_CREDENTIAL_VARS = tuple(v for v in _PACKAGE.FOREIGN_VARS if v != "AZUREML_CURRENT_CLOUD")


class AmliteStartError(RuntimeError):
    """amlite exited or never became ready; the message carries its command and output."""


class FakeCredential:
    """The smallest TokenCredential the SDKs accept; amlite does not check tokens by default."""

    def __init__(self) -> None:
        self.scopes: List[str] = []

    def get_token(self, *scopes: str, **kwargs):  # kwargs: claims, tenant_id, enable_cae
        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken("anything", int(time.time()) + 3600)


def amlite_binary() -> Path:
    return Path(os.environ.get("AMLITE_BIN") or REPO / "target" / "debug" / "amlite")


def parse_env_sh(text: str) -> Dict[str, str]:
    """Parse `export NAME=value` lines (values may be shell-quoted): the package's parser."""
    return _PACKAGE.parse_exports(text)


def unique_name(prefix: str = "ep") -> str:
    """A valid endpoint/deployment name (CP-1: letter first, 3-32 chars, letters, digits, '-')."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class _TrustingSession(requests.Session):
    """A session that passes amlite's certificate on every call (`Session.verify = path` alone
    is not honoured by requests for a self-signed leaf certificate when REQUESTS_CA_BUNDLE is
    set to something else)."""

    ca_bundle: Optional[str] = None

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("verify", self.ca_bundle)
        return super().request(method, url, **kwargs)


class AmliteServer:
    """One running `amlite serve` process with its own data folder; `session` trusts its
    certificate. Start failures raise `AmliteStartError` (pytest suites turn it into a failure
    through `_fail_start`). `required_exports` are the env.sh exports it waits for (a server
    started on fixtures without a workspace, as tests/replay does, needs fewer)."""

    required_exports = REQUIRED_EXPORTS

    def __init__(self, data_dir: Path, extra_args: Optional[List[str]] = None) -> None:
        self.data_dir = data_dir
        self.extra_args = list(extra_args or [])
        self.env: Dict[str, str] = {}
        self.proc: Optional[subprocess.Popen] = None
        self.session = _TrustingSession()
        # `--data-dir` as given on the command line and the working folder amlite starts in
        # (default: the absolute data folder, started inside it); a test of a relative
        # `--data-dir` sets both.
        self.data_arg: Optional[str] = None
        self.cwd: Optional[Path] = None
        self._stdout_path = data_dir / "amlite.stdout.log"
        self._stderr_path = data_dir / "amlite.stderr.log"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> "AmliteServer":
        binary = amlite_binary()
        if not binary.exists():
            self._fail_start([str(binary)], f"amlite binary not found at {binary} (build it, or set AMLITE_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [str(binary), "serve", "--port", "0", "--data-dir", self.data_arg or str(self.data_dir)]
        if not any(a.split("=")[0] == "--provisioning-delay" for a in self.extra_args):
            args += ["--provisioning-delay", "0s"]
        args += self.extra_args
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=child_env,
                cwd=str(self.cwd or self.data_dir),
            )
        self._wait_ready(args, timeout)
        return self

    def _wait_ready(self, args: List[str], timeout: float) -> None:
        env_sh = self.data_dir / "env.sh"
        deadline = time.monotonic() + timeout
        problem = "env.sh never appeared"
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                self._fail_start(args, f"amlite exited with status {code} before becoming ready")
            if env_sh.exists():
                env = parse_env_sh(env_sh.read_text())
                missing = [k for k in self.required_exports if not env.get(k)]
                if missing:
                    problem = f"env.sh lacks {missing}"
                else:
                    self.env = env
                    self.session.ca_bundle = env["REQUESTS_CA_BUNDLE"]
                    try:
                        health = self.session.get(f"{self.url}/health", timeout=2)
                        if health.status_code == 200:
                            return
                        problem = f"GET /health answered {health.status_code}"
                    except requests.RequestException as exc:
                        problem = f"GET /health failed: {exc!r}"
            time.sleep(0.05)
        self._fail_start(args, f"not ready after {timeout:.0f}s: {problem}")

    def _fail_start(self, args: List[str], why: str) -> None:
        self.stop()
        raise AmliteStartError(
            f"amlite did not start ({why}).\ncommand: {shlex.join(args)}\n"
            f"--- stderr ---\n{self.stderr()[-8000:]}\n--- stdout ---\n{self.stdout()[-4000:]}"
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        _PACKAGE.stop_process(proc)

    def stderr(self) -> str:
        try:
            return self._stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stdout(self) -> str:
        try:
            return self._stdout_path.read_text(errors="replace")
        except OSError:
            return ""

    def log(self) -> str:
        """Everything amlite printed (stderr, then stdout)."""
        return self.stderr() + self.stdout()

    # -- client side ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.env["AMLITE_URL"].rstrip("/")

    @property
    def ca_bundle(self) -> str:
        return self.env["REQUESTS_CA_BUNDLE"]

    @property
    def subscription_id(self) -> str:
        return self.env["AZURE_SUBSCRIPTION_ID"]

    @property
    def resource_group(self) -> str:
        return self.env["AZURE_RESOURCE_GROUP"]

    @property
    def workspace_name(self) -> str:
        return self.env["AZUREML_WORKSPACE_NAME"]

    @property
    def rg_path(self) -> str:
        """`/subscriptions/{s}/resourceGroups/{rg}` of the default fixture."""
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    @property
    def ws_path(self) -> str:
        """ARM path of the default fixture's workspace."""
        return f"{self.rg_path}/providers/Microsoft.MachineLearningServices/workspaces/{self.workspace_name}"

    def activate(self) -> None:
        """Point this process's SDKs at this server: its exports into os.environ, other
        credentials' variables and azure-ai-ml's remembered cloud removed."""
        # The package's `activate`: foreign credentials and AZUREML_CURRENT_CLOUD (every
        # MLClient() writes it, and it then beats ARM_CLOUD_METADATA_URL) removed, env applied.
        _PACKAGE.activate(self.env)


@contextmanager
def running(data_dir: Path, extra_args: Optional[List[str]] = None, activate: bool = False,
            server_cls: Type[AmliteServer] = AmliteServer) -> Iterator[AmliteServer]:
    """A started server for the `with` block, stopped after it. With `activate`, its exports
    are put into os.environ for the block and os.environ is restored afterwards."""
    saved = dict(os.environ)
    server = server_cls(data_dir, extra_args)
    server.start()
    try:
        if activate:
            server.activate()
        yield server
    finally:
        server.stop()
        if activate:
            os.environ.clear()
            os.environ.update(saved)
