"""Fixtures of the management-SDK suite: a fresh amlite per test module, its env.sh exports in
os.environ (as after `source env.sh`), and the keyword arguments that point an unmodified
`azure-mgmt-*` client at it: `base_url` (amlite's ARM) and `credential_scopes` (its audience).
Credentials are real azure-identity ones against amlite's token endpoints."""

from __future__ import annotations

from typing import Dict, Iterator

import pytest

from amlite_testing import AmliteServer, AmliteStartError, running


@pytest.fixture(scope="module")
def amlite(tmp_path_factory) -> Iterator[AmliteServer]:
    try:
        with running(tmp_path_factory.mktemp("amlite-mgmt"), activate=True) as server:
            yield server
    except AmliteStartError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def env(amlite: AmliteServer) -> Dict[str, str]:
    amlite.activate()
    return amlite.env


@pytest.fixture
def credential(env):
    """`ClientSecretCredential` with amlite's well-known development client (env.sh)."""
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"],
                                  authority=env["AZURE_AUTHORITY_HOST"])


@pytest.fixture
def arm(amlite: AmliteServer) -> Dict[str, object]:
    """Keyword arguments every management client takes to talk to amlite's ARM."""
    return {"base_url": amlite.url, "credential_scopes": [f"{amlite.url}/.default"]}
