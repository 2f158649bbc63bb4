"""amlite: a local emulator of Azure ML managed online endpoints, as a Python package.

`pip install amlite` (or a wheel from `make wheel`) puts the `amlite` binary on PATH and brings
a pytest plugin (`amlite.pytest_plugin`, fixtures `amlite_server`, `ml_client`, `vnet_client`).
This module is what the plugin uses and what scripts can use directly:

    from amlite import Server
    with Server.start() as server:          # amlite serve --port 0 on a temporary data folder
        client = server.ml_client()         # azure-ai-ml MLClient on the default workspace
        ...
        server.reset()                      # back to the fixture state, in milliseconds

Only the standard library is needed; `ml_client()` needs `azure-ai-ml` installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

__all__ = ["Server", "find_binary", "parse_exports", "activate", "AmliteError"]

STARTUP_TIMEOUT_S = 30.0

# amlite's well-known development client (public by design, like Azurite's account key): what
# `env.sh` exports as AZURE_CLIENT_ID / AZURE_CLIENT_SECRET for its token endpoint.
DEV_CLIENT_ID = "6a6d6c69-7465-4000-8000-0000000000ef"
DEV_CLIENT_SECRET = "amlite~WellKnownDevelopmentSecret.NotForProduction"

# Variables that would send azure-identity or azure-ai-ml elsewhere than amlite. `activate()`
# removes them before applying amlite's exports. (tests/pylib/amlite_testing uses this list and
# `parse_exports`, so the package and the test suites agree on them.)
FOREIGN_VARS = (
    "AZUREML_CURRENT_CLOUD",  # every MLClient() writes it, and it beats ARM_CLOUD_METADATA_URL
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


class AmliteError(RuntimeError):
    """amlite did not start, or an admin call failed."""


def find_binary() -> str:
    """The `amlite` executable: $AMLITE_BIN, the one installed beside this Python (the wheel's
    script), else the first on PATH."""
    explicit = os.environ.get("AMLITE_BIN")
    if explicit:
        return str(Path(explicit).resolve())
    beside = Path(sys.executable).parent / ("amlite.exe" if os.name == "nt" else "amlite")
    if beside.exists():
        return str(beside)
    found = shutil.which("amlite")
    if not found:
        raise AmliteError("the amlite binary is not installed: pip install amlite, or set AMLITE_BIN")
    return found


def parse_exports(text: str) -> Dict[str, str]:
    """`export NAME='value'` lines (env.sh, GET /_amlite/env) as a dict; `export` is optional,
    values may be shell-quoted, `#` lines are comments."""
    env: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        for word in shlex.split(line, comments=True):
            name, sep, value = word.partition("=")
            if sep:
                env[name] = value
    return env


def activate(env: Dict[str, str]) -> None:
    """Points this process's Azure SDKs at amlite: removes foreign credentials and the SDK's
    remembered cloud (`AZUREML_CURRENT_CLOUD`), then applies `env`."""
    for name in FOREIGN_VARS:
        os.environ.pop(name, None)
    os.environ.update(env)


def stop_process(proc: Optional[subprocess.Popen]) -> None:
    """Stops an amlite process: SIGTERM (it shuts down gracefully), SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class TrivialCredential:
    """The smallest TokenCredential azure-ai-ml accepts (amlite's default `--auth lenient`
    accepts any token). Use `azure.identity.DefaultAzureCredential()` for `--auth strict`."""

    def get_token(self, *scopes: str, **kwargs: Any):
        from azure.core.credentials import AccessToken

        return AccessToken("amlite", int(time.time()) + 3600)


class Server:
    """A running amlite: one this object started (`Server.start`) or one found at a URL
    (`Server.connect`, e.g. $AMLITE_URL)."""

    def __init__(self, env: Dict[str, str], proc: Optional[subprocess.Popen] = None,
                 data_dir: Optional[Path] = None, tmp: Optional[tempfile.TemporaryDirectory] = None) -> None:
        self.env = env
        self.proc = proc
        self.data_dir = data_dir
        self._tmp = tmp
        self._ssl = ssl.create_default_context(cafile=env["REQUESTS_CA_BUNDLE"])
        # Set once the server asked for a token (`--auth strict`): admin calls then carry one,
        # and `ml_client()` uses DefaultAzureCredential (the exports point it at amlite).
        self.token: Optional[str] = None

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def start(cls, args: Optional[List[str]] = None, data_dir: Optional[os.PathLike] = None,
              timeout: float = STARTUP_TIMEOUT_S) -> "Server":
        """`amlite serve --port 0` on `data_dir` (default: a temporary folder removed by
        `stop()`), extra `args`; returns once `/health` answers."""
        tmp = None
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="amlite-")
            data_dir = tmp.name
        folder = Path(data_dir).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [find_binary(), "serve", "--port", "0", "--data-dir", str(folder)] + list(args or [])
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
        log = open(folder / "amlite.log", "wb")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=child_env, cwd=str(folder))
        log.close()
        env_sh = folder / "env.sh"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AmliteError(f"amlite exited ({proc.returncode}): {shlex.join(cmd)}\n{_tail(folder)}")
            if env_sh.exists():
                env = parse_exports(env_sh.read_text())
                if env.get("AMLITE_URL") and env.get("REQUESTS_CA_BUNDLE"):
                    server = cls(env, proc, folder, tmp)
                    if server.healthy():
                        return server
            time.sleep(0.02)
        proc.kill()
        raise AmliteError(f"amlite not ready after {timeout:.0f}s: {shlex.join(cmd)}\n{_tail(folder)}")

    @classmethod
    def connect(cls, url: str, ca_bundle: Optional[str] = None) -> "Server":
        """A server already running at `url`; its certificate from `ca_bundle`, else
        $AMLITE_CA_CERT, $REQUESTS_CA_BUNDLE or $SSL_CERT_FILE."""
        ca = ca_bundle or next((os.environ[v] for v in ("AMLITE_CA_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
                                if os.environ.get(v)), None)
        if not ca:
            raise AmliteError(f"to reuse {url}, set REQUESTS_CA_BUNDLE (or AMLITE_CA_CERT) to its cert.pem")
        probe = cls({"AMLITE_URL": url.rstrip("/"), "REQUESTS_CA_BUNDLE": ca})
        server = cls(parse_exports(probe.admin("GET", "env", text=True)))
        server.token = probe.token
        return server

    def stop(self) -> None:
        """Stops a server this object started (SIGTERM, then SIGKILL after 10 s)."""
        proc, self.proc = self.proc, None
        stop_process(proc)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- admin API -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.env["AMLITE_URL"].rstrip("/")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", context=self._ssl, timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def admin(self, method: str, path: str, body: Any = None, text: bool = False) -> Any:
        """Calls `/_amlite/{path}`; the JSON answer (or text). Under `--auth strict` a 401 is
        retried once with a token from amlite's token endpoint (the development client)."""
        try:
            raw = self._admin_once(method, path, body)
        except urllib.error.HTTPError as e:
            if e.code != 401 or self.token is not None:
                raise AmliteError(f"{method} /_amlite/{path}: {e.code} {e.read().decode(errors='replace')}") from None
            self.token = self._fetch_token()
            try:
                raw = self._admin_once(method, path, body)
            except urllib.error.HTTPError as e2:
                raise AmliteError(f"{method} /_amlite/{path}: {e2.code} {e2.read().decode(errors='replace')}") from None
        return raw if text else json.loads(raw or "null")

    def _admin_once(self, method: str, path: str, body: Any) -> str:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(f"{self.url}/_amlite/{path}", data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, context=self._ssl, timeout=60) as r:
            return r.read().decode()

    def _fetch_token(self) -> str:
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials",
            "client_id": self.env.get("AZURE_CLIENT_ID", DEV_CLIENT_ID),
            "client_secret": self.env.get("AZURE_CLIENT_SECRET", DEV_CLIENT_SECRET),
            "scope": f"{self.url}/.default",
        }).encode()
        tenant = self.env.get("AZURE_TENANT_ID", "adfs")
        req = urllib.request.Request(f"{self.url}/{tenant}/oauth2/v2.0/token", data=form, method="POST",
                                     headers={"content-type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, context=self._ssl, timeout=60) as r:
            return json.loads(r.read())["access_token"]

    def reset(self) -> Dict[str, Any]:
        """Back to the fixture state (keeps certificate, keys and VNet listener ports)."""
        return self.admin("POST", "reset")

    def state(self) -> Dict[str, Any]:
        return self.admin("GET", "state")

    def decisions(self, kind: Optional[str] = None) -> List[Dict[str, Any]]:
        q = f"?kind={kind}" if kind else ""
        return self.admin("GET", f"decisions{q}")["value"]

    def vnet_env(self, vnet: str) -> Dict[str, str]:
        """The exports of a client VNet's listener (name or ARM id)."""
        return parse_exports(self.admin("GET", f"env?vnet={urllib.parse.quote(vnet, safe='')}", text=True))

    # -- clients -------------------------------------------------------------------------------

    def activate(self) -> None:
        activate(self.env)

    def ml_client(self, credential: Any = None, env: Optional[Dict[str, str]] = None):
        """An azure-ai-ml `MLClient` on the default workspace of `env` (default: the internet
        listener's exports), with the AZUREML_CURRENT_CLOUD pitfall handled."""
        from azure.ai.ml import MLClient

        env = env or self.env
        activate(env)
        if credential is None and self.token is not None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        return MLClient(credential or TrivialCredential(), subscription_id=env["AZURE_SUBSCRIPTION_ID"],
                        resource_group_name=env["AZURE_RESOURCE_GROUP"],
                        workspace_name=env["AZUREML_WORKSPACE_NAME"])

    def ensure_vnet(self, name: str, private_endpoint: bool = True) -> None:
        """Creates client VNet `name` (and, if asked, an approved private endpoint in it to the
        default workspace) unless it exists."""
        sub, rg, ws = (self.env[k] for k in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"))
        net = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
        vnet = f"{net}/virtualNetworks/{name}"
        self._arm("PUT", vnet, {"location": "eastus", "properties": {
            "addressSpace": {"addressPrefixes": ["10.8.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.8.0.0/24"}}]}})
        if private_endpoint:
            target = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
            self._arm("PUT", f"{net}/privateEndpoints/{name}-pe", {"location": "eastus", "properties": {
                "subnet": {"id": f"{vnet}/subnets/default"},
                "privateLinkServiceConnections": [{"name": f"{name}-pe", "properties": {
                    "privateLinkServiceId": target, "groupIds": ["amlworkspace"]}}]}})

    def _arm(self, method: str, path: str, body: Any) -> None:
        token = self.token or "amlite"
        req = urllib.request.Request(f"{self.url}{path}?api-version=2023-09-01", data=json.dumps(body).encode(),
                                     method=method, headers={"content-type": "application/json",
                                                             "authorization": f"Bearer {token}"})
        try:
            urllib.request.urlopen(req, context=self._ssl, timeout=60).close()
        except urllib.error.HTTPError as e:
            raise AmliteError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}") from None


def _tail(folder: Path) -> str:
    try:
        return (folder / "amlite.log").read_text(errors="replace")[-4000:]
    except OSError:
        return ""
