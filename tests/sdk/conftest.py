"""Fixtures that run the real amlite binary and point the unmodified azure-ai-ml SDK at it.

How the SDK is pointed at amlite (shared research/sdk-contract.md section 1, SPEC 2.1): amlite writes
`DATA_DIR/env.sh` with `REQUESTS_CA_BUNDLE`, `ARM_CLOUD_METADATA_URL`, `IDENTITY_ENDPOINT`,
`IDENTITY_HEADER` and the names of the default subscription, resource group and workspace. We copy
those exports into `os.environ`, nothing else: no SDK patching, no `cloud=` kwargs.

Fixtures:
- `amlite_server` (module scope): one fresh `amlite serve --port 0 --provisioning-delay 0s` per test
  module; tests in a module share it and use unique resource names.
- `amlite` (function scope): the module's server, with its exports (re)applied to `os.environ`.
- `ml_client`: an `MLClient` on the default workspace with a trivial credential.
- `start_amlite(*extra_args)`: starts another server with extra flags for one test; stopped at teardown.
  Activate it (`server.activate()` or `server.ml_client()`) before using the SDK against it.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest
import requests
from azure.core.credentials import AccessToken

REPO = Path(__file__).resolve().parents[2]
ASSETS = Path(__file__).resolve().parent / "assets"
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

# Variables that would send DefaultAzureCredential (or the SDK) elsewhere than amlite, or pin the
# SDK to another cloud. `activate()` removes them, then applies env.sh, whose AZURE_CLIENT_ID /
# AZURE_CLIENT_SECRET / AZURE_TENANT_ID / AZURE_AUTHORITY_HOST point EnvironmentCredential at
# amlite's token endpoint.
FOREIGN_CREDENTIAL_VARS = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "AZUREML_DEV_URL_MFE",
)


class FakeCredential:
    """The smallest TokenCredential the SDK accepts; amlite does not check tokens by default."""

    def __init__(self) -> None:
        self.scopes: List[str] = []

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:  # kwargs: claims, tenant_id, enable_cae
        self.scopes.extend(scopes)
        return AccessToken("anything", int(time.time()) + 3600)


def amlite_binary() -> Path:
    return Path(os.environ.get("AMLITE_BIN") or REPO / "target" / "debug" / "amlite")


def parse_env_sh(text: str) -> Dict[str, str]:
    """Parse `export NAME=value` lines (values may be shell-quoted)."""
    env: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        for word in shlex.split(line):
            name, sep, value = word.partition("=")
            if sep:
                env[name] = value
    return env


def reset_sdk_cloud() -> None:
    """Every MLClient() writes AZUREML_CURRENT_CLOUD, which then beats ARM_CLOUD_METADATA_URL."""
    os.environ.pop("AZUREML_CURRENT_CLOUD", None)


def unique_name(prefix: str = "ep") -> str:
    """A valid endpoint/deployment name (CP-1: letter first, 3-32 chars, letters, digits, '-')."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class AmliteServer:
    """One running `amlite serve` process with its own data folder."""

    def __init__(self, data_dir: Path, extra_args: List[str]) -> None:
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.env: Dict[str, str] = {}
        self.proc: Optional[subprocess.Popen] = None
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
            pytest.fail(f"amlite binary not found at {binary} (build it, or set AMLITE_BIN)")
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
            if self.proc.poll() is not None:
                self._fail_start(args, f"amlite exited with status {self.proc.returncode} before becoming ready")
            if env_sh.exists():
                env = parse_env_sh(env_sh.read_text())
                missing = [k for k in REQUIRED_EXPORTS if not env.get(k)]
                if missing:
                    problem = f"env.sh lacks {missing}"
                else:
                    self.env = env
                    try:
                        health = requests.get(
                            f"{self.url}/health", verify=env["REQUESTS_CA_BUNDLE"], timeout=2
                        )
                        if health.status_code == 200:
                            return
                        problem = f"GET /health answered {health.status_code}"
                    except requests.RequestException as exc:
                        problem = f"GET /health failed: {exc!r}"
            time.sleep(0.05)
        self._fail_start(args, f"not ready after {timeout:.0f}s: {problem}")

    def _fail_start(self, args: List[str], why: str) -> None:
        self.stop()
        pytest.fail(
            f"amlite did not start ({why}).\ncommand: {shlex.join(args)}\n"
            f"--- stderr ---\n{self.stderr()[-8000:]}\n--- stdout ---\n{self.stdout()[-4000:]}",
            pytrace=False,
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

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

    def activate(self) -> None:
        """Point this process's SDK at this server: its exports into os.environ, cloud reset."""
        for name in FOREIGN_CREDENTIAL_VARS:
            os.environ.pop(name, None)
        os.environ.update(self.env)
        reset_sdk_cloud()

    def ml_client(self, credential=None, workspace_name: Optional[str] = None):
        from azure.ai.ml import MLClient

        self.activate()
        return MLClient(
            credential if credential is not None else FakeCredential(),
            subscription_id=self.subscription_id,
            resource_group_name=self.resource_group,
            workspace_name=workspace_name or self.workspace_name,
        )


@pytest.fixture(scope="module")
def amlite_server(tmp_path_factory) -> Iterator[AmliteServer]:
    saved = dict(os.environ)
    server = AmliteServer(tmp_path_factory.mktemp("amlite"), []).start()
    server.activate()
    try:
        yield server
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def amlite(amlite_server: AmliteServer) -> AmliteServer:
    amlite_server.activate()
    return amlite_server


@pytest.fixture
def ml_client(amlite: AmliteServer):
    return amlite.ml_client()


@pytest.fixture
def start_amlite(tmp_path_factory) -> Iterator[Callable[..., AmliteServer]]:
    """Factory: `server = start_amlite("--auth", "strict")`; every server it starts is stopped at teardown."""
    started: List[AmliteServer] = []
    saved = dict(os.environ)

    def start(*extra_args: str, timeout: float = STARTUP_TIMEOUT_S) -> AmliteServer:
        server = AmliteServer(tmp_path_factory.mktemp("amlite-extra"), list(extra_args))
        started.append(server)
        return server.start(timeout=timeout)

    try:
        yield start
    finally:
        for server in started:
            server.stop()
        os.environ.clear()
        os.environ.update(saved)


# -- ordered scenario steps ------------------------------------------------------------------------
# A class marked `@pytest.mark.flow` is one scenario whose test methods are its steps, in file order.
# When a step fails, the later steps of that class error out at setup naming the failed step (they
# would only fail for the same reason); nothing is skipped or xfailed.


def pytest_runtest_makereport(item, call):
    if call.excinfo is not None and item.get_closest_marker("flow") and item.cls is not None:
        if not getattr(item.cls, "_amlite_failed_step", None):
            item.cls._amlite_failed_step = item.name


def pytest_runtest_setup(item):
    if item.get_closest_marker("flow") and item.cls is not None:
        failed = getattr(item.cls, "_amlite_failed_step", None)
        if failed:
            pytest.fail(f"not run: earlier step {failed} of this flow failed", pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_sdk_invoke_headers() -> Iterator[None]:
    """azure-ai-ml 1.35.2's `online_endpoints.invoke` writes the key and `azureml-model-deployment`
    into the class-level `EndpointInvokeFields.DEFAULT_HEADER`, so after one test invokes with
    `deployment_name=` every later invoke in the process is routed to that deployment (a 404 on
    any other endpoint). Each test starts from the SDK's pristine default."""
    from azure.ai.ml.constants._endpoint import EndpointInvokeFields

    pristine = dict(EndpointInvokeFields.DEFAULT_HEADER)
    yield
    EndpointInvokeFields.DEFAULT_HEADER.clear()
    EndpointInvokeFields.DEFAULT_HEADER.update(pristine)
