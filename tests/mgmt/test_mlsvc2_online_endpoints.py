"""azure-mgmt-machinelearningservices 2.0.0b2 (api-version 2023-04-01): online endpoints and
deployments, keys, and the long-running operations they poll. run.sh runs this file with the
2.0.0b2 package first on the path (it cannot share a venv with 1.0.1)."""

from __future__ import annotations

import pytest
from amlite_testing import azure_text
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError


@pytest.fixture
def ml(credential, arm, amlite):
    from azure.mgmt.machinelearningservices import VERSION, MachineLearningServicesMgmtClient

    assert VERSION == "2.0.0b2"
    return MachineLearningServicesMgmtClient(credential, amlite.subscription_id, **arm)


def _endpoint(name="mgmt-ep"):
    from azure.mgmt.machinelearningservices.models import (ManagedServiceIdentity, OnlineEndpoint,
                                                           OnlineEndpointProperties)

    return OnlineEndpoint(location="eastus", identity=ManagedServiceIdentity(type="SystemAssigned"),
                          properties=OnlineEndpointProperties(auth_mode="Key"))


def test_endpoint_create_get_list_keys(ml, amlite):
    rg, ws = amlite.resource_group, amlite.workspace_name
    ep = ml.online_endpoints.begin_create_or_update(rg, ws, "mgmt-ep", _endpoint()).result()
    assert ep.properties.provisioning_state == "Succeeded"
    assert ep.properties.scoring_uri.endswith("/score")
    assert [e.name for e in ml.online_endpoints.list(rg, ws)] == ["mgmt-ep"]
    keys = ml.online_endpoints.list_keys(rg, ws, "mgmt-ep")
    assert keys.primary_key and keys.secondary_key and keys.primary_key != keys.secondary_key


def test_endpoint_name_used_in_the_region_is_azures_400(ml, amlite):
    """An endpoint name is unique in its region across workspaces: Azure answers 400 BadRequest
    "The request is invalid." with the inference service's validation text in details[0]."""
    from azure.mgmt.machinelearningservices.models import Workspace

    rg, ws = amlite.resource_group, amlite.workspace_name
    ml.online_endpoints.begin_create_or_update(rg, ws, "mgmt-dup", _endpoint()).result()
    ml.workspaces.begin_create_or_update(rg, "mgmt-ws2", Workspace(location="eastus")).result()
    with pytest.raises(HttpResponseError) as e:
        ml.online_endpoints.begin_create_or_update(rg, "mgmt-ws2", "mgmt-dup", _endpoint()).result()
    assert e.value.status_code == 400
    assert e.value.error.code == "BadRequest"
    assert e.value.error.message == "The request is invalid."
    detail = e.value.error.details[0]
    assert detail.code == "InferencingClientCallFailed"
    assert azure_text("CP-1.endpointNameInUse") in detail.message


def test_deployment_create_and_traffic(ml, amlite):
    from azure.mgmt.machinelearningservices.models import (CodeConfiguration, ManagedOnlineDeployment,
                                                           OnlineDeployment, OnlineEndpoint, OnlineEndpointProperties, Sku)

    rg, ws = amlite.resource_group, amlite.workspace_name
    env_id = "azureml://registries/azureml/environments/sklearn-1.5/versions/1"
    d = ml.online_deployments.begin_create_or_update(rg, ws, "mgmt-ep", "blue", OnlineDeployment(
        location="eastus", sku=Sku(name="Default", capacity=1),
        properties=ManagedOnlineDeployment(instance_type="Standard_DS3_v2", environment_id=env_id,
                                           model=f"{amlite.ws_path}/models/m/versions/1"))).result()
    assert d.properties.provisioning_state == "Succeeded"
    ep = ml.online_endpoints.get(rg, ws, "mgmt-ep")
    ep.properties.traffic = {"blue": 100}
    ep = ml.online_endpoints.begin_create_or_update(rg, ws, "mgmt-ep", ep).result()
    assert ep.properties.traffic == {"blue": 100}


def test_missing_endpoint_is_arms_404(ml, amlite):
    with pytest.raises(ResourceNotFoundError) as e:
        ml.online_endpoints.get(amlite.resource_group, amlite.workspace_name, "nope")
    assert e.value.status_code == 404
    assert e.value.error.code == "ResourceNotFound"


def test_endpoint_delete(ml, amlite):
    rg, ws = amlite.resource_group, amlite.workspace_name
    ml.online_endpoints.begin_delete(rg, ws, "mgmt-ep").result()
    with pytest.raises(ResourceNotFoundError):
        ml.online_endpoints.get(rg, ws, "mgmt-ep")
