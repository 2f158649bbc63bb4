"""`--auth strict` with the unmodified SDK (issue 9): azure-ai-ml with `ClientSecretCredential`
against amlite's token endpoint, and with `DefaultAzureCredential` (which picks
`EnvironmentCredential` from env.sh's AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID /
AZURE_AUTHORITY_HOST), through endpoint, deployment from local folders, traffic, invoke (Key and
AADToken endpoints), keys and delete; a token amlite did not sign is refused.
"""

from __future__ import annotations

import os

import pytest
import requests
from azure.ai.ml.entities import ManagedOnlineEndpoint
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from conftest import AmliteServer, FakeCredential, unique_name
from test_flow import REQUEST_BODY, create_blue, create_key_endpoint, invoke_json, set_traffic


def strict_server(start_amlite) -> AmliteServer:
    server = start_amlite("--auth", "strict")
    server.activate()
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST"):
        assert os.environ.get(name), f"env.sh must export {name}"
    return server


def run_flow(server: AmliteServer, credential) -> None:
    ml_client = server.ml_client(credential=credential)
    name = unique_name("ep-strict")
    create_key_endpoint(ml_client, name)
    create_blue(ml_client, name)  # uploads the local model and code folders (Blob slice)
    set_traffic(ml_client, name, {"blue": 100})
    assert invoke_json(ml_client, name) == {"deployment": "blue", "input": REQUEST_BODY}
    keys = ml_client.online_endpoints.get_keys(name)
    assert keys.primary_key and keys.secondary_key
    # An AADToken endpoint: invoke asks the credential for https://ml.azure.com, which amlite
    # signs, and strict scoring verifies.
    aad = unique_name("ep-aad")
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=aad, auth_mode="aad_token")).result()
    create_blue(ml_client, aad)
    set_traffic(ml_client, aad, {"blue": 100})
    assert invoke_json(ml_client, aad) == {"deployment": "blue", "input": REQUEST_BODY}
    for endpoint in (name, aad):
        ml_client.online_endpoints.begin_delete(name=endpoint).result()
        with pytest.raises(ResourceNotFoundError):
            ml_client.online_endpoints.get(endpoint)


def test_strict_flow_with_client_secret_credential(start_amlite):
    from azure.identity import ClientSecretCredential

    server = strict_server(start_amlite)
    # No authority argument: azure-identity reads AZURE_AUTHORITY_HOST itself.
    credential = ClientSecretCredential(
        os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"]
    )
    run_flow(server, credential)


def test_strict_flow_with_default_azure_credential(start_amlite):
    from azure.identity import DefaultAzureCredential

    server = strict_server(start_amlite)
    run_flow(server, DefaultAzureCredential())


def test_strict_refuses_a_wrong_secret_and_an_unsigned_token(start_amlite):
    from azure.identity import ClientSecretCredential

    server = strict_server(start_amlite)
    wrong = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], "not-the-secret")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(f"{server.url}/.default")
    ml_client = server.ml_client(credential=FakeCredential())  # an opaque, unsigned token
    with pytest.raises(HttpResponseError) as refused:
        ml_client.online_endpoints.get("anything")
    assert refused.value.status_code == 401
    # The admin API is guarded too.
    assert requests.get(f"{server.url}/_amlite/resources", verify=server.ca_bundle, timeout=10).status_code == 401
