"""SPEC section 5 rules as an azure-ai-ml user meets them: each refusal surfaces as an
`HttpResponseError` with Azure's status and message (ISO-1, ISO-7, ISO-9, ISO-13, ISO-17, CP-1,
CP-2, CP-4).

Workspace settings the SDK cannot express (v1LegacyMode, a managed network that is not yet
provisioned) are set with plain HTTPS requests to amlite's ARM API, as `az rest` would.
"""

from __future__ import annotations

import time

import pytest
import requests
from azure.ai.ml.entities import (
    CodeConfiguration,
    Environment,
    FqdnDestination,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from azure.core.exceptions import HttpResponseError

from amlite_testing import azure_text
from conftest import ASSETS, AmliteServer, unique_name

IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
ISO_1_TEXT = azure_text("ISO-1")
ISO_7_TEXT = azure_text("ISO-7")
ISO_9_TEXT = azure_text("ISO-9")


# -- plain ARM calls for what the SDK cannot say ---------------------------------------------------


class Arm:
    """`az rest`-style calls to amlite's ARM API (REQUESTS_CA_BUNDLE trusts its certificate)."""

    def __init__(self, server: AmliteServer) -> None:
        self.server = server

    def ws_path(self, workspace: str) -> str:
        s = self.server
        return (
            f"/subscriptions/{s.subscription_id}/resourceGroups/{s.resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
        )

    def call(self, method: str, path: str, body=None) -> requests.Response:
        url = f"{self.server.url}{path}?api-version=2024-04-01"
        headers = {"Authorization": "Bearer amlite-test"}
        return requests.request(method, url, json=body, headers=headers, verify=self.server.ca_bundle, timeout=10)

    def wait(self, resp: requests.Response) -> dict:
        url = resp.headers.get("Azure-AsyncOperation") or resp.headers["Location"]
        for _ in range(200):
            body = requests.get(url, headers={"Authorization": "Bearer x"}, verify=self.server.ca_bundle, timeout=10).json()
            if body.get("status") in ("Succeeded", "Failed", "Canceled"):
                return body
            time.sleep(0.05)
        raise AssertionError(f"operation did not finish: {url}")

    def workspace(self, name: str, properties: dict) -> None:
        r = self.call("PUT", self.ws_path(name), {"location": "eastus", "properties": properties})
        assert r.status_code in (200, 201, 202), r.text
        assert self.wait(r)["status"] == "Succeeded"

    def provision_managed_network(self, name: str) -> None:
        r = self.call("POST", f"{self.ws_path(name)}/provisionManagedNetwork", {})
        assert r.status_code == 202, r.text
        assert self.wait(r)["status"] == "Succeeded"


@pytest.fixture
def arm(amlite: AmliteServer) -> Arm:
    return Arm(amlite)


# -- SDK helpers -------------------------------------------------------------------------------------


def deployment(endpoint_name: str, name: str = "blue", **kwargs) -> ManagedOnlineDeployment:
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name=endpoint_name,
        model=Model(path=str(ASSETS / "model")),
        code_configuration=CodeConfiguration(code=str(ASSETS / "code"), scoring_script="score.py"),
        environment=Environment(image=IMAGE, conda_file=str(ASSETS / "env" / "conda.yaml")),
        instance_type="Standard_DS3_v2",
        instance_count=1,
        **kwargs,
    )


def create_endpoint(ml_client, name: str) -> None:
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=name, auth_mode="key")).result()


def set_traffic(ml_client, endpoint_name: str, traffic: dict):
    endpoint = ml_client.online_endpoints.get(endpoint_name)
    endpoint.traffic = traffic
    return ml_client.online_endpoints.begin_create_or_update(endpoint).result()


# -- the rules -----------------------------------------------------------------------------------------


def test_iso_1_v1_legacy_mode_refuses_endpoint_create(amlite: AmliteServer, arm: Arm):
    arm.workspace("ws-legacy", {"v1LegacyMode": True})
    client = amlite.ml_client(workspace_name="ws-legacy")
    with pytest.raises(HttpResponseError) as err:
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name=unique_name("legacy"), auth_mode="key")
        ).result()
    assert err.value.status_code == 400
    assert ISO_1_TEXT in str(err.value)
    # Reads still work.
    assert list(client.online_endpoints.list()) == []


def test_iso_7_egress_flag_refused_under_managed_network(amlite: AmliteServer, arm: Arm):
    arm.workspace("ws-managed", {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}})
    arm.provision_managed_network("ws-managed")
    client = amlite.ml_client(workspace_name="ws-managed")
    name = unique_name("iso7")
    create_endpoint(client, name)
    with pytest.raises(HttpResponseError) as err:
        client.online_deployments.begin_create_or_update(
            deployment(name, egress_public_network_access="enabled")
        ).result()
    assert err.value.status_code == 400
    assert ISO_7_TEXT in str(err.value)
    # Omitted: accepted, and reads back Enabled.
    created = client.online_deployments.begin_create_or_update(deployment(name)).result()
    assert created.provisioning_state == "Succeeded"
    assert client.online_deployments.get("blue", name).egress_public_network_access.lower() == "enabled"


def test_iso_9_fqdn_rule_refused_under_allow_internet_outbound(amlite: AmliteServer, arm: Arm):
    arm.workspace("ws-aio", {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}})
    client = amlite.ml_client(workspace_name="ws-aio")
    with pytest.raises(HttpResponseError) as err:
        client.workspace_outbound_rules.begin_create(
            "ws-aio", FqdnDestination(name="pypi", destination="pypi.org")
        ).result()
    assert err.value.status_code == 400
    assert ISO_9_TEXT in str(err.value)


def test_iso_9_deployment_fails_until_managed_network_is_provisioned(amlite: AmliteServer, arm: Arm):
    arm.workspace("ws-notready", {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}})
    client = amlite.ml_client(workspace_name="ws-notready")
    name = unique_name("iso9")
    create_endpoint(client, name)
    with pytest.raises(HttpResponseError) as err:
        client.online_deployments.begin_create_or_update(deployment(name)).result()
    assert "WorkspaceManagedNetworkNotReady" in str(err.value)
    assert client.online_deployments.get("blue", name).provisioning_state == "Failed"
    arm.provision_managed_network("ws-notready")
    created = client.online_deployments.begin_create_or_update(deployment(name)).result()
    assert created.provisioning_state == "Succeeded"


def test_iso_13_egress_flag_cannot_change_after_creation(ml_client):
    name = unique_name("iso13")
    create_endpoint(ml_client, name)
    created = ml_client.online_deployments.begin_create_or_update(
        deployment(name, egress_public_network_access="disabled")
    ).result()
    assert created.provisioning_state == "Succeeded"
    with pytest.raises(HttpResponseError) as err:
        ml_client.online_deployments.begin_create_or_update(
            deployment(name, egress_public_network_access="enabled")
        ).result()
    assert err.value.status_code == 400
    assert "egressPublicNetworkAccess" in str(err.value) and "not updatable" in str(err.value)
    # Repeating the same value succeeds.
    again = ml_client.online_deployments.begin_create_or_update(
        deployment(name, egress_public_network_access="Disabled")
    ).result()
    assert again.provisioning_state == "Succeeded"


def test_iso_17_docker_hub_image_fails_with_private_egress(ml_client):
    """Legacy private egress reaches only the workspace's registry and MCR: an image-only
    environment on Docker Hub cannot be pulled, so provisioning fails (issue 11)."""
    name = unique_name("iso17")
    create_endpoint(ml_client, name)
    hub = deployment(name, egress_public_network_access="disabled")
    hub.environment = Environment(image="python:3.11-slim")
    with pytest.raises(HttpResponseError) as err:
        ml_client.online_deployments.begin_create_or_update(hub).result()
    assert "unable to download user container image" in str(err.value)
    assert "docker.io/library/python:3.11-slim" in str(err.value)
    assert ml_client.online_deployments.get("blue", name).provisioning_state == "Failed"


def test_cp_1_endpoint_name_used_in_the_region_is_azures_400(amlite: AmliteServer, arm: Arm, ml_client):
    name = unique_name("cp1")
    create_endpoint(ml_client, name)
    arm.workspace("ws-cp1", {})
    other = amlite.ml_client(workspace_name="ws-cp1")
    with pytest.raises(HttpResponseError) as err:
        create_endpoint(other, name)
    assert err.value.status_code == 400
    assert azure_text("CP-1.endpointNameInUse") in str(err.value)


def test_cp_2_traffic_must_sum_to_100_and_name_existing_deployments(ml_client):
    name = unique_name("cp2")
    create_endpoint(ml_client, name)
    ml_client.online_deployments.begin_create_or_update(deployment(name)).result()
    # Creating a deployment never gives it traffic (the SDK lists deployments without traffic as 0).
    assert all(w == 0 for w in (ml_client.online_endpoints.get(name).traffic or {}).values())
    with pytest.raises(HttpResponseError) as err:
        set_traffic(ml_client, name, {"blue": 99})
    assert err.value.status_code == 400
    assert "sum to 99" in str(err.value)
    with pytest.raises(HttpResponseError) as err:
        set_traffic(ml_client, name, {"blue": 50, "green": 50})
    assert err.value.status_code == 400
    assert "green" in str(err.value)
    assert set_traffic(ml_client, name, {"blue": 100}).traffic == {"blue": 100}


def test_cp_4_deployment_with_traffic_cannot_be_deleted(ml_client):
    name = unique_name("cp4")
    create_endpoint(ml_client, name)
    ml_client.online_deployments.begin_create_or_update(deployment(name)).result()
    set_traffic(ml_client, name, {"blue": 100})
    with pytest.raises(HttpResponseError) as err:
        ml_client.online_deployments.begin_delete(name="blue", endpoint_name=name).result()
    assert err.value.status_code == 400
    assert "Can't delete deployment [blue] with non-zero traffic weight" in str(err.value)
    # Deleting the endpoint deletes its deployments.
    ml_client.online_endpoints.begin_delete(name=name).result()
    assert name not in [e.name for e in ml_client.online_endpoints.list()]
