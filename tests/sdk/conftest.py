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
- `iso_server` (module scope): a server with `fixtures/isolation.json` (client VNets, private endpoints).
- `AmliteServer.vnet_ml_client(vnet)`: an `MLClient` inside a fixture VNet (its own listener).
- `start_amlite(*extra_args)`: starts another server with extra flags for one test; stopped at teardown.
  Activate it (`server.activate()` or `server.ml_client()`) before using the SDK against it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest
import requests

# The helpers every Python suite shares (tests/pylib/amlite_testing, on sys.path through
# pytest.ini); re-exported here because the tests import them from conftest.
from amlite_testing import (  # noqa: F401
    FOREIGN_CREDENTIAL_VARS,
    REPO,
    REQUIRED_EXPORTS,
    STARTUP_TIMEOUT_S,
    FakeCredential,
    amlite_binary,
    parse_env_sh,
    unique_name,
)
from amlite_testing import AmliteServer as _Server

ASSETS = Path(__file__).resolve().parent / "assets"
ISOLATION_FIXTURE = REPO / "fixtures" / "isolation.json"


def reset_sdk_cloud() -> None:
    """Every MLClient() writes AZUREML_CURRENT_CLOUD, which then beats ARM_CLOUD_METADATA_URL."""
    os.environ.pop("AZUREML_CURRENT_CLOUD", None)


class AmliteServer(_Server):
    """The shared server helper, failing the test (not erroring) when amlite does not start, and
    making `MLClient`s pointed at it."""

    def _fail_start(self, args: List[str], why: str) -> None:
        try:
            super()._fail_start(args, why)
        except Exception as exc:  # AmliteStartError: report it as the test's failure
            pytest.fail(str(exc), pytrace=False)

    def vnet_exports(self, vnet: str) -> Dict[str, str]:
        """The exports of a client inside `vnet` (its own listener, SPEC 6.2): `GET /_amlite/env?vnet=`."""
        r = requests.get(f"{self.url}/_amlite/env", params={"vnet": vnet}, verify=self.ca_bundle, timeout=10)
        assert r.status_code == 200, r.text
        return parse_env_sh(r.text)

    def vnet_ml_client(self, vnet: str, workspace_name: Optional[str] = None):
        """An MLClient that sits in `vnet`: its ARM (and so its scoringUri) is the VNet's listener.
        The previous MLClient wrote AZUREML_CURRENT_CLOUD, which would win over the new
        ARM_CLOUD_METADATA_URL (SPEC 2.1); it is reset after applying the VNet's exports."""
        from azure.ai.ml import MLClient

        self.activate()
        exports = self.vnet_exports(vnet)
        assert exports["ARM_CLOUD_METADATA_URL"] != self.env["ARM_CLOUD_METADATA_URL"]
        os.environ.update(exports)
        reset_sdk_cloud()
        return MLClient(
            FakeCredential(),
            subscription_id=self.subscription_id,
            resource_group_name=self.resource_group,
            workspace_name=workspace_name or self.workspace_name,
        )

    def ml_client(self, credential=None, workspace_name: Optional[str] = None):
        from azure.ai.ml import MLClient

        self.activate()
        return MLClient(
            credential if credential is not None else FakeCredential(),
            subscription_id=self.subscription_id,
            resource_group_name=self.resource_group,
            workspace_name=workspace_name or self.workspace_name,
        )


def module_server(tmp_path_factory, prefix: str, extra_args: List[str]) -> Iterator[AmliteServer]:
    """Body of a module-scoped server fixture: `yield from module_server(...)`. Starts one amlite
    with `extra_args`, activates it, and at teardown stops it and restores `os.environ`."""
    saved = dict(os.environ)
    server = AmliteServer(tmp_path_factory.mktemp(prefix), list(extra_args)).start()
    server.activate()
    try:
        yield server
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def amlite_server(tmp_path_factory) -> Iterator[AmliteServer]:
    yield from module_server(tmp_path_factory, "amlite", [])


@pytest.fixture(scope="module")
def iso_server(tmp_path_factory) -> Iterator[AmliteServer]:
    """One amlite per module with `fixtures/isolation.json`: the default workspace and client VNets
    `vnet-approved` (an approved private endpoint to it), `vnet-old` (a PE from before
    2022-05-24), `vnet-pending`, `vnet-none`."""
    yield from module_server(tmp_path_factory, "amlite-iso", ["--fixtures", str(ISOLATION_FIXTURE)])


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
