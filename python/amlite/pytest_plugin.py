"""pytest plugin of amlite (registered through the `pytest11` entry point, so installing the
package is all it takes).

Fixtures:
- `amlite_server` (session): an `amlite.Server`. Reuses the server at $AMLITE_URL when set
  (certificate from $REQUESTS_CA_BUNDLE / $AMLITE_CA_CERT), else starts
  `amlite serve --port 0` on a temporary data folder (extra flags from the `amlite_args` ini
  option or $AMLITE_ARGS), waits for `/health`, exports the client environment into
  `os.environ` for the test process, and stops it at the end of the session.
- `amlite_reset` (function): resets the server to its fixture state before the test.
- `ml_client` (function): an azure-ai-ml `MLClient` on the default workspace, after a reset,
  with `AZUREML_CURRENT_CLOUD` cleared so amlite's cloud is the one used.
- `vnet_client` (function): a factory, `vnet_client("my-vnet")` → an `MLClient` whose calls
  (and scoring through the `scoringUri` it reads) go through that client VNet's listener. A VNet
  the fixture does not have is created, with an approved private endpoint to the default
  workspace unless `private_endpoint=False`.
"""

from __future__ import annotations

import os
import shlex
from typing import Callable, Iterator

import pytest

from . import Server, activate


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("amlite_args", "extra `amlite serve` flags for the amlite_server fixture", default="")


@pytest.fixture(scope="session")
def amlite_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    url = os.environ.get("AMLITE_URL")
    if url:
        server = Server.connect(url)
    else:
        args = shlex.split(pytestconfig.getini("amlite_args") or "") + shlex.split(os.environ.get("AMLITE_ARGS", ""))
        server = Server.start(args)
    saved = dict(os.environ)
    activate(server.env)
    try:
        yield server
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


@pytest.fixture
def amlite_reset(amlite_server: Server) -> Server:
    amlite_server.reset()
    amlite_server.activate()
    return amlite_server


@pytest.fixture
def ml_client(amlite_reset: Server):
    return amlite_reset.ml_client()


@pytest.fixture
def vnet_client(amlite_reset: Server) -> Callable[..., object]:
    def make(name: str, private_endpoint: bool = True, credential=None):
        names = {v["name"] for v in amlite_reset.state()["listeners"] if v["network"] == "vnet"}
        if name not in names:
            amlite_reset.ensure_vnet(name, private_endpoint=private_endpoint)
        return amlite_reset.ml_client(credential, env=amlite_reset.vnet_env(name))

    yield make
    amlite_reset.activate()
