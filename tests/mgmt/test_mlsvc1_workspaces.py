"""azure-mgmt-machinelearningservices 1.0.1 (the newest stable; api-version 2020-08-01):
workspaces get/list/update, private endpoint connections and private link resources."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError


@pytest.fixture
def ml(credential, arm, amlite):
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient, VERSION

    assert VERSION == "1.0.1"
    return MachineLearningServicesMgmtClient(credential, amlite.subscription_id, **arm)


def test_workspace_get_and_lists(ml, amlite):
    ws = ml.workspaces.get(amlite.resource_group, amlite.workspace_name)
    assert ws.id == amlite.ws_path and ws.provisioning_state == "Succeeded"
    assert [w.name for w in ml.workspaces.list_by_resource_group(amlite.resource_group)] == [amlite.workspace_name]
    assert amlite.workspace_name in [w.name for w in ml.workspaces.list_by_subscription()]


def test_workspace_update_answers_200_with_the_workspace(ml, amlite):
    from azure.mgmt.machinelearningservices.models import WorkspaceUpdateParameters

    ws = ml.workspaces.update(amlite.resource_group, amlite.workspace_name,
                              WorkspaceUpdateParameters(description="updated by 1.0.1", tags={"team": "mgmt"}))
    assert ws.description == "updated by 1.0.1"
    assert ws.tags == {"team": "mgmt"}
    assert ml.workspaces.get(amlite.resource_group, amlite.workspace_name).description == "updated by 1.0.1"


def test_missing_workspace_is_arms_404(ml, amlite):
    with pytest.raises(ResourceNotFoundError) as e:
        ml.workspaces.get(amlite.resource_group, "nope")
    assert e.value.status_code == 404


def test_private_endpoint_connections_and_link_resources(ml, amlite, credential, arm):
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.network.models import (AddressSpace, PrivateEndpoint, PrivateLinkServiceConnection, Subnet,
                                           VirtualNetwork)

    net = NetworkManagementClient(credential, amlite.subscription_id, **arm)
    rg = amlite.resource_group
    v = net.virtual_networks.begin_create_or_update(rg, "ml-vnet", VirtualNetwork(
        location="eastus", address_space=AddressSpace(address_prefixes=["10.40.0.0/16"]),
        subnets=[Subnet(name="pes", address_prefix="10.40.1.0/24")])).result()
    net.private_endpoints.begin_create_or_update(rg, "ml-pe", PrivateEndpoint(
        location="eastus", subnet=Subnet(id=f"{v.id}/subnets/pes"),
        manual_private_link_service_connections=[PrivateLinkServiceConnection(
            name="conn", private_link_service_id=amlite.ws_path, group_ids=["amlworkspace"])])).result()
    # 1.0.1 has no list operation: the workspace names its connections.
    conns = ml.workspaces.get(rg, amlite.workspace_name).private_endpoint_connections
    assert len(conns) == 1
    c = ml.private_endpoint_connections.get(rg, amlite.workspace_name, conns[0].name)
    assert c.private_link_service_connection_state.status == "Pending"
    from azure.mgmt.machinelearningservices.models import PrivateEndpointConnection, PrivateLinkServiceConnectionState

    approved = ml.private_endpoint_connections.put(rg, amlite.workspace_name, c.name, PrivateEndpointConnection(
        private_link_service_connection_state=PrivateLinkServiceConnectionState(status="Approved", description="ok")))
    assert approved.private_link_service_connection_state.status == "Approved"
    plrs = ml.private_link_resources.list_by_workspace(rg, amlite.workspace_name)
    assert [p.group_id for p in plrs.value] == ["amlworkspace"]
