"""azure-identity against amlite's token endpoints, as env.sh sets them up: the development
client's secret at `$AZURE_AUTHORITY_HOST/adfs/oauth2/v2.0/token` (ClientSecretCredential, and
DefaultAzureCredential through EnvironmentCredential) and the App Service managed-identity
protocol at `$IDENTITY_ENDPOINT` (ManagedIdentityCredential). Each token is amlite-signed and
accepted by ARM under `--auth strict`."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from amlite_testing import running


def claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def header(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_client_secret_credential(credential, env):
    tok = credential.get_token("https://management.azure.com/.default")
    assert header(tok.token)["alg"] == "RS256"
    c = claims(tok.token)
    assert c["appid"] == env["AZURE_CLIENT_ID"] or c.get("azp") == env["AZURE_CLIENT_ID"]
    assert c["aud"].startswith("https://management.azure.com")


def test_default_azure_credential_uses_the_environment(env):
    from azure.identity import DefaultAzureCredential

    tok = DefaultAzureCredential().get_token("https://management.azure.com/.default")
    assert header(tok.token)["alg"] == "RS256"


def test_managed_identity_credential(env):
    from azure.identity import ManagedIdentityCredential

    tok = ManagedIdentityCredential().get_token("https://management.azure.com/.default")
    assert header(tok.token)["alg"] == "RS256"
    assert tok.expires_on > 0


def test_wrong_secret_is_refused_as_entra_does(env):
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientSecretCredential

    bad = ClientSecretCredential(env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], "wrong", authority=env["AZURE_AUTHORITY_HOST"])
    with pytest.raises(ClientAuthenticationError) as e:
        bad.get_token("https://management.azure.com/.default")
    assert "AADSTS7000215" in str(e.value)


def test_tokens_pass_strict_auth(tmp_path):
    """Under --auth strict ARM takes only amlite-signed tokens: each credential's works."""
    from azure.identity import ClientSecretCredential, ManagedIdentityCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    with running(tmp_path / "strict", ["--auth", "strict"], activate=True) as server:
        e = server.env
        for cred in (ClientSecretCredential(e["AZURE_TENANT_ID"], e["AZURE_CLIENT_ID"], e["AZURE_CLIENT_SECRET"], authority=e["AZURE_AUTHORITY_HOST"]),
                     ManagedIdentityCredential()):
            client = ResourceManagementClient(cred, server.subscription_id, base_url=server.url,
                                              credential_scopes=[f"{server.url}/.default"])
            assert client.resource_groups.get(server.resource_group).name == server.resource_group
        r = requests.get(f"{server.url}{server.rg_path}?api-version=2021-04-01", verify=server.ca_bundle,
                         headers={"authorization": "Bearer not-a-token"}, timeout=10)
        assert r.status_code == 401, r.text
