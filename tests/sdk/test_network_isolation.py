"""Network isolation on the scoring path with the unmodified azure-ai-ml SDK (SPEC 5 ISO-2, ISO-4,
ISO-5; 6.2, 6.3).

The server runs `fixtures/isolation.json`: the default workspace plus client VNets, each with its own
listener (SPEC 6.2): `vnet-approved` (an approved private endpoint to the workspace), `vnet-old` (a PE
created 2022-04-15, before the 2022-05-24 cut-off of ISO-2), `vnet-pending`, `vnet-none`. An MLClient
"inside" a VNet is an MLClient whose ARM_CLOUD_METADATA_URL points at that VNet's listener; amlite gives
its exports at `GET /_amlite/env?vnet=NAME`.
"""

from __future__ import annotations

import json

import pytest
from azure.ai.ml import MLClient
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from azure.core.exceptions import HttpResponseError

from conftest import ASSETS, AmliteServer, unique_name

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
REQUEST_FILE = ASSETS / "request.json"
REQUEST_BODY = json.loads(REQUEST_FILE.read_text())


def internet_client(server: AmliteServer) -> MLClient:
    """An MLClient on the internet listener (the default one, env.sh)."""
    return server.ml_client()


def vnet_exports(server: AmliteServer, vnet: str) -> dict:
    return server.vnet_exports(vnet)


def vnet_client(server: AmliteServer, vnet: str) -> MLClient:
    """An MLClient that sits in `vnet` (`AmliteServer.vnet_ml_client`)."""
    return server.vnet_ml_client(vnet)


def invoke(client: MLClient, endpoint: str) -> dict:
    return json.loads(client.online_endpoints.invoke(endpoint_name=endpoint, request_file=str(REQUEST_FILE)))


def assert_refused(client: MLClient, endpoint: str, rule: str) -> None:
    with pytest.raises(HttpResponseError) as refused:
        client.online_endpoints.invoke(endpoint_name=endpoint, request_file=str(REQUEST_FILE))
    assert refused.value.status_code == 403, refused.value
    assert f"rule {rule}" in str(refused.value.message), refused.value.message


@pytest.mark.flow
class TestNetworkIsolation:
    endpoint_name = unique_name("iso")

    def test_1_create_private_endpoint_and_deployment(self, iso_server):
        client = internet_client(iso_server)
        endpoint = client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name=self.endpoint_name, auth_mode="key", public_network_access="disabled")
        ).result()
        assert endpoint.public_network_access.lower() == "disabled"
        deployment = ManagedOnlineDeployment(
            name="blue",
            endpoint_name=self.endpoint_name,
            model=Model(path=str(ASSETS / "model")),
            code_configuration=CodeConfiguration(code=str(ASSETS / "code"), scoring_script="score.py"),
            environment=Environment(image=IMAGE, conda_file=str(ASSETS / "env" / "conda.yaml")),
            instance_type="Standard_DS3_v2",
            instance_count=1,
        )
        assert client.online_deployments.begin_create_or_update(deployment).result().provisioning_state == "Succeeded"
        endpoint = client.online_endpoints.get(self.endpoint_name)
        endpoint.traffic = {"blue": 100}
        assert client.online_endpoints.begin_create_or_update(endpoint).result().traffic == {"blue": 100}

    def test_2_iso_5_internet_invoke_is_refused(self, iso_server):
        assert_refused(internet_client(iso_server), self.endpoint_name, "ISO-5")

    def test_3_iso_5_vnet_with_approved_pe_may_invoke(self, iso_server):
        client = vnet_client(iso_server, "vnet-approved")
        endpoint = client.online_endpoints.get(self.endpoint_name)
        # scoringUri names the listener that served the GET (SPEC 6.2).
        listener = vnet_exports(iso_server, "vnet-approved")["AMLITE_URL"]
        assert endpoint.scoring_uri == f"{listener}/endpoints/{self.endpoint_name}/score"
        assert invoke(client, self.endpoint_name) == {"deployment": "blue", "input": REQUEST_BODY}

    def test_4_iso_2_vnet_with_pe_from_2022_04_is_refused(self, iso_server):
        assert_refused(vnet_client(iso_server, "vnet-old"), self.endpoint_name, "ISO-2")

    def test_5_iso_5_pending_pe_and_no_pe_are_refused(self, iso_server):
        assert_refused(vnet_client(iso_server, "vnet-pending"), self.endpoint_name, "ISO-5")
        assert_refused(vnet_client(iso_server, "vnet-none"), self.endpoint_name, "ISO-5")

    def test_6_iso_4_keys_from_the_internet_while_disabled(self, iso_server):
        client = internet_client(iso_server)
        keys = client.online_endpoints.get_keys(self.endpoint_name)
        assert keys.primary_key and keys.secondary_key
        client.online_endpoints.begin_regenerate_keys(self.endpoint_name, key_type="primary").result()
        fresh = client.online_endpoints.get_keys(self.endpoint_name)
        assert fresh.primary_key != keys.primary_key
        assert fresh.secondary_key == keys.secondary_key
        # The private path keeps working with the new key (invoke reads listKeys again).
        assert invoke(vnet_client(iso_server, "vnet-approved"), self.endpoint_name)["deployment"] == "blue"

    def test_7_iso_5_enabling_public_access_opens_the_internet_without_redeploying(self, iso_server):
        client = internet_client(iso_server)
        endpoint = client.online_endpoints.get(self.endpoint_name)
        endpoint.public_network_access = "enabled"
        updated = client.online_endpoints.begin_create_or_update(endpoint).result()
        assert updated.public_network_access.lower() == "enabled"
        assert invoke(client, self.endpoint_name) == {"deployment": "blue", "input": REQUEST_BODY}
        # The old PE's VNet now takes the public path too.
        assert invoke(vnet_client(iso_server, "vnet-old"), self.endpoint_name)["deployment"] == "blue"
        deployment = client.online_deployments.get(name="blue", endpoint_name=self.endpoint_name)
        assert deployment.provisioning_state == "Succeeded"
        keys = client.online_endpoints.get_keys(self.endpoint_name)
        assert keys.primary_key
        client.online_endpoints.begin_regenerate_keys(self.endpoint_name, key_type="secondary").result()
