"""Walking-skeleton acceptance flow: the unmodified azure-ai-ml SDK against amlite.

Steps follow what a user of a managed online endpoint does (SPEC 2.1, 3, 4, 7; shared
research/sdk-contract.md section 2): create a workspace, an endpoint, a deployment from local model
and code folders, route traffic, invoke, read and regenerate keys, read logs, delete.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from azure.ai.ml.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    Workspace,
)
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from conftest import ASSETS, AmliteServer, unique_name

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
REQUEST_FILE = ASSETS / "request.json"
REQUEST_BODY = json.loads(REQUEST_FILE.read_text())


# -- helpers -----------------------------------------------------------------------------------------


def blue_deployment(endpoint_name: str, name: str = "blue") -> ManagedOnlineDeployment:
    """A deployment from local model, code and conda files, so the SDK uploads them to amlite."""
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name=endpoint_name,
        model=Model(path=str(ASSETS / "model")),
        code_configuration=CodeConfiguration(code=str(ASSETS / "code"), scoring_script="score.py"),
        environment=Environment(image=IMAGE, conda_file=str(ASSETS / "env" / "conda.yaml")),
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )


def create_key_endpoint(ml_client, name: str) -> ManagedOnlineEndpoint:
    started = time.monotonic()
    endpoint = ml_client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name=name, auth_mode="key")
    ).result()
    elapsed = time.monotonic() - started
    assert endpoint.name == name
    assert endpoint.provisioning_state == "Succeeded"
    assert endpoint.auth_mode.lower() == "key"
    # An LRO that polls with Retry-After 0 (or none) makes the SDK sleep 30 s (sdk-contract.md 3).
    assert elapsed < 10, f"endpoint create took {elapsed:.1f}s: LRO polling too slow"
    return endpoint


def create_blue(ml_client, endpoint_name: str):
    started = time.monotonic()
    deployment = ml_client.online_deployments.begin_create_or_update(blue_deployment(endpoint_name)).result()
    elapsed = time.monotonic() - started
    assert deployment.name == "blue"
    assert deployment.endpoint_name == endpoint_name
    assert deployment.provisioning_state == "Succeeded"
    assert elapsed < 15, f"deployment create took {elapsed:.1f}s: LRO polling or uploads too slow"
    return deployment


def set_traffic(ml_client, endpoint_name: str, traffic: dict) -> ManagedOnlineEndpoint:
    endpoint = ml_client.online_endpoints.get(endpoint_name)
    endpoint.traffic = traffic
    updated = ml_client.online_endpoints.begin_create_or_update(endpoint).result()
    assert updated.provisioning_state == "Succeeded"
    return updated


def invoke_json(ml_client, endpoint_name: str, **kwargs) -> dict:
    raw = ml_client.online_endpoints.invoke(endpoint_name=endpoint_name, request_file=str(REQUEST_FILE), **kwargs)
    assert isinstance(raw, str), f"invoke returned {type(raw).__name__}, not str"
    return json.loads(raw)


def score_raw(amlite: AmliteServer, scoring_uri: str, key: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return requests.post(scoring_uri, headers=headers, json=REQUEST_BODY, verify=amlite.ca_bundle, timeout=30)


# -- step 1: workspace -----------------------------------------------------------------------------


def test_workspace_begin_create_then_get(ml_client):
    """workspaces.begin_create sends an ARM template deployment (sdk-contract.md 6)."""
    created = ml_client.workspaces.begin_create(Workspace(name="ws-new", location="eastus")).result()
    assert created.name == "ws-new"
    assert created.location == "eastus"

    fetched = ml_client.workspaces.get("ws-new")
    assert fetched.name == "ws-new"
    assert fetched.location == "eastus"
    assert fetched.id.lower().endswith("/providers/microsoft.machinelearningservices/workspaces/ws-new")

    names = [ws.name for ws in ml_client.workspaces.list()]
    assert "ws-new" in names


# -- steps 2-6: key-auth endpoint with the trivial credential ---------------------------------------


@pytest.mark.flow
class TestKeyAuthFlow:
    endpoint_name = unique_name("ep")
    state: dict = {}

    def test_2_create_endpoint(self, ml_client, amlite):
        endpoint = create_key_endpoint(ml_client, self.endpoint_name)
        # SPEC 4: scoringUri on the listener that served the GET.
        assert endpoint.scoring_uri == f"{amlite.url}/endpoints/{self.endpoint_name}/score"
        assert endpoint.traffic in ({}, None)

        fetched = ml_client.online_endpoints.get(self.endpoint_name)
        assert fetched.name == self.endpoint_name
        assert fetched.provisioning_state == "Succeeded"
        assert fetched.auth_mode.lower() == "key"
        assert fetched.location == "eastus"
        assert fetched.scoring_uri == endpoint.scoring_uri
        assert self.endpoint_name in [e.name for e in ml_client.online_endpoints.list()]

    def test_3_create_deployment_from_local_folders(self, ml_client):
        deployment = create_blue(ml_client, self.endpoint_name)
        assert deployment.instance_type == "Standard_DS3_v2"
        assert deployment.instance_count == 1
        # The SDK registered the uploaded assets and sent their ARM ids.
        assert "/models/" in str(deployment.model)
        assert "/codes/" in str(deployment.code_configuration.code)
        assert deployment.code_configuration.scoring_script == "score.py"
        assert "/environments/" in str(deployment.environment)

        fetched = ml_client.online_deployments.get(name="blue", endpoint_name=self.endpoint_name)
        assert fetched.provisioning_state == "Succeeded"
        assert fetched.instance_count == 1
        listed = [d.name for d in ml_client.online_deployments.list(endpoint_name=self.endpoint_name)]
        assert listed == ["blue"]

        # CP-2: creating a deployment never changes traffic.
        endpoint = ml_client.online_endpoints.get(self.endpoint_name)
        assert (endpoint.traffic or {}).get("blue", 0) == 0

    def test_4_route_traffic_and_invoke(self, ml_client):
        updated = set_traffic(ml_client, self.endpoint_name, {"blue": 100})
        assert updated.traffic == {"blue": 100}
        assert ml_client.online_endpoints.get(self.endpoint_name).traffic == {"blue": 100}

        answer = invoke_json(ml_client, self.endpoint_name)
        assert answer == {"deployment": "blue", "input": REQUEST_BODY}

        named = invoke_json(ml_client, self.endpoint_name, deployment_name="blue")
        assert named == {"deployment": "blue", "input": REQUEST_BODY}

    def test_5_keys_regenerate_and_logs(self, ml_client, amlite):
        keys = ml_client.online_endpoints.get_keys(self.endpoint_name)
        old_primary, old_secondary = keys.primary_key, keys.secondary_key
        assert old_primary and old_secondary and old_primary != old_secondary

        scoring_uri = ml_client.online_endpoints.get(self.endpoint_name).scoring_uri
        ok = score_raw(amlite, scoring_uri, old_secondary)
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"deployment": "blue", "input": REQUEST_BODY}

        ml_client.online_endpoints.begin_regenerate_keys(self.endpoint_name, key_type="secondary").result()
        keys = ml_client.online_endpoints.get_keys(self.endpoint_name)
        assert keys.primary_key == old_primary
        assert keys.secondary_key and keys.secondary_key != old_secondary

        refused = score_raw(amlite, scoring_uri, old_secondary)
        assert refused.status_code == 401, refused.text
        accepted = score_raw(amlite, scoring_uri, keys.secondary_key)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"deployment": "blue", "input": REQUEST_BODY}
        assert score_raw(amlite, scoring_uri, old_primary).status_code == 200
        assert score_raw(amlite, scoring_uri, None).status_code == 401

        logs = ml_client.online_deployments.get_logs(name="blue", endpoint_name=self.endpoint_name, lines=10)
        assert isinstance(logs, str)

    def test_6_delete_deployment_then_endpoint(self, ml_client):
        with pytest.raises(HttpResponseError) as refused:
            ml_client.online_deployments.begin_delete(name="blue", endpoint_name=self.endpoint_name).result()
        assert refused.value.status_code == 400
        assert "non-zero traffic" in str(refused.value.message)
        # The refused delete left the deployment in place.
        assert ml_client.online_deployments.get(name="blue", endpoint_name=self.endpoint_name).name == "blue"

        set_traffic(ml_client, self.endpoint_name, {"blue": 0})
        ml_client.online_deployments.begin_delete(name="blue", endpoint_name=self.endpoint_name).result()
        with pytest.raises(ResourceNotFoundError):
            ml_client.online_deployments.get(name="blue", endpoint_name=self.endpoint_name)
        assert list(ml_client.online_deployments.list(endpoint_name=self.endpoint_name)) == []

        ml_client.online_endpoints.begin_delete(name=self.endpoint_name).result()
        with pytest.raises(ResourceNotFoundError):
            ml_client.online_endpoints.get(self.endpoint_name)
        with pytest.raises(ResourceNotFoundError):
            ml_client.online_deployments.get(name="blue", endpoint_name=self.endpoint_name)
        assert self.endpoint_name not in [e.name for e in ml_client.online_endpoints.list()]


# -- the same flow with DefaultAzureCredential (env.sh's client credentials, SPEC 2.1) -------------


@pytest.mark.flow
class TestDefaultAzureCredentialFlow:
    endpoint_name = unique_name("ep-dac")

    @pytest.fixture
    def dac_client(self, amlite):
        from azure.identity import DefaultAzureCredential

        # amlite.activate() removed foreign AZURE_CLIENT_ID & co and applied env.sh's, so
        # DefaultAzureCredential picks EnvironmentCredential: amlite's token endpoint (issue 9).
        return amlite.ml_client(credential=DefaultAzureCredential())

    def test_1_token_from_identity_endpoint(self, amlite):
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        token = DefaultAzureCredential().get_token(f"{amlite.url}/.default")
        assert token.token.count(".") == 2, "SPEC 2.1: the token is a JWT"
        assert token.expires_on > time.time() + 60
        # The managed-identity route (IDENTITY_ENDPOINT / IDENTITY_HEADER) still serves tokens.
        mi = ManagedIdentityCredential().get_token(f"{amlite.url}/.default")
        assert mi.token.count(".") == 2 and mi.expires_on > time.time() + 60

    def test_2_create_endpoint(self, dac_client):
        create_key_endpoint(dac_client, self.endpoint_name)

    def test_3_create_deployment(self, dac_client):
        create_blue(dac_client, self.endpoint_name)

    def test_4_traffic_and_invoke(self, dac_client):
        set_traffic(dac_client, self.endpoint_name, {"blue": 100})
        assert invoke_json(dac_client, self.endpoint_name) == {"deployment": "blue", "input": REQUEST_BODY}

    def test_5_keys(self, dac_client, amlite):
        keys = dac_client.online_endpoints.get_keys(self.endpoint_name)
        assert keys.primary_key and keys.secondary_key
        dac_client.online_endpoints.begin_regenerate_keys(self.endpoint_name, key_type="primary").result()
        new_keys = dac_client.online_endpoints.get_keys(self.endpoint_name)
        assert new_keys.primary_key != keys.primary_key
        assert new_keys.secondary_key == keys.secondary_key
        # invoke always uses the (new) primary key.
        assert invoke_json(dac_client, self.endpoint_name)["deployment"] == "blue"
        scoring_uri = dac_client.online_endpoints.get(self.endpoint_name).scoring_uri
        assert score_raw(amlite, scoring_uri, keys.primary_key).status_code == 401

    def test_6_cleanup(self, dac_client):
        # Deleting an endpoint deletes its deployments (CP-4).
        dac_client.online_endpoints.begin_delete(name=self.endpoint_name).result()
        with pytest.raises(ResourceNotFoundError):
            dac_client.online_endpoints.get(self.endpoint_name)
