"""azure-mgmt-resource against amlite's ARM: resource groups (HEAD existence), the generic
resource lists with `$filter`/`$expand`, `*_by_id` with the api-versions the provider document
lists, the workspace's associated resources as ARM resources of their own; and template
deployments with azure-mgmt-resource-deployments."""

from __future__ import annotations

import pytest
from amlite_testing import azure_text
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

ML = "Microsoft.MachineLearningServices"


@pytest.fixture
def rm(credential, arm, amlite):
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(credential, amlite.subscription_id, **arm)


def test_resource_group_existence_is_head(rm, amlite):
    assert rm.resource_groups.check_existence(amlite.resource_group) is True
    assert rm.resource_groups.check_existence("no-such-rg") is False


def test_resource_group_get_list_and_404(rm, amlite):
    assert rm.resource_groups.get(amlite.resource_group).id == amlite.rg_path
    assert amlite.resource_group in [g.name for g in rm.resource_groups.list()]
    with pytest.raises(ResourceNotFoundError) as e:
        rm.resource_groups.get("no-such-rg")
    assert e.value.error.code == "ResourceGroupNotFound"
    assert e.value.error.message == azure_text("ResourceGroupNotFound(no-such-rg)")


def test_generic_lists_filter_and_expand(rm, amlite):
    everything = list(rm.resources.list())
    ws = next(r for r in everything if r.id == amlite.ws_path)
    assert (ws.type, ws.name, ws.kind) == (f"{ML}/workspaces", amlite.workspace_name, "Default")
    filtered = list(rm.resources.list(filter=f"resourceGroup eq '{amlite.resource_group}' and resourceType eq '{ML}/workspaces'"))
    assert [r.id for r in filtered] == [amlite.ws_path]
    expanded = list(rm.resources.list_by_resource_group(amlite.resource_group, expand="createdTime,changedTime,provisioningState"))
    ws = next(r for r in expanded if r.id == amlite.ws_path)
    assert ws.created_time is not None and ws.changed_time is not None
    assert ws.provisioning_state == "Succeeded"
    with pytest.raises(ResourceNotFoundError) as e:
        list(rm.resources.list_by_resource_group("no-such-rg"))
    assert e.value.error.code == "ResourceGroupNotFound"


def test_unsupported_filter_is_arms_400(rm):
    with pytest.raises(HttpResponseError) as e:
        list(rm.resources.list(filter="substringof('ws', name)"))
    assert e.value.status_code == 400
    assert e.value.error.code == "InvalidFilterInQueryString"
    assert e.value.error.message == azure_text("InvalidFilterInQueryString(substringof('ws', name))")


def test_by_id_with_the_provider_api_version(rm, amlite):
    provider = rm.providers.get(ML)
    assert provider.registration_state == "Registered"
    versions = next(t.api_versions for t in provider.resource_types if t.resource_type == "workspaces")
    stable = next(v for v in versions if "preview" not in v)
    assert rm.resources.check_existence_by_id(amlite.ws_path, api_version=stable) is True
    assert rm.resources.check_existence_by_id(f"{amlite.rg_path}/providers/{ML}/workspaces/nope", api_version=stable) is False
    ws = rm.resources.get_by_id(amlite.ws_path, api_version=stable)
    assert ws.properties["provisioningState"] == "Succeeded"
    with pytest.raises(ResourceNotFoundError) as e:
        rm.providers.get("Microsoft.Nope")
    assert e.value.error.code == "InvalidResourceNamespace"
    assert e.value.error.message == azure_text("InvalidResourceNamespace(Microsoft.Nope)")


def test_associated_resources_are_arm_resources(rm, amlite):
    ws = rm.resources.get_by_id(amlite.ws_path, api_version="2024-04-01")
    storage, vault = ws.properties["storageAccount"], ws.properties["keyVault"]
    insights = ws.properties["applicationInsights"]
    sa = rm.resources.get_by_id(storage, api_version="2023-05-01")
    assert (sa.type, sa.kind) == ("Microsoft.Storage/storageAccounts", "StorageV2")
    assert sa.properties["publicNetworkAccess"] == "Enabled"
    assert sa.properties["privateEndpointConnections"] == []
    kv = rm.resources.get_by_id(vault, api_version="2023-07-01")
    assert kv.type == "Microsoft.KeyVault/vaults" and kv.properties["vaultUri"].startswith("https://")
    ai = rm.resources.get_by_id(insights, api_version="2020-02-02")
    assert ai.type == "Microsoft.Insights/components"
    listed = {r.id for r in rm.resources.list_by_resource_group(amlite.resource_group)}
    assert {storage, vault, insights} <= listed


def test_associated_resource_delete_leaves_the_workspace(rm, amlite):
    ws = rm.resources.get_by_id(amlite.ws_path, api_version="2024-04-01")
    insights = ws.properties["applicationInsights"]
    rm.resources.begin_delete_by_id(insights, api_version="2020-02-02").result()
    assert rm.resources.check_existence_by_id(insights, api_version="2020-02-02") is False
    with pytest.raises(ResourceNotFoundError) as e:
        rm.resources.get_by_id(insights, api_version="2020-02-02")
    assert e.value.error.code == "ResourceNotFound"
    assert rm.resources.check_existence_by_id(amlite.ws_path, api_version="2024-04-01") is True


@pytest.fixture
def dm(credential, arm, amlite):
    from azure.mgmt.resource.deployments import DeploymentsMgmtClient

    return DeploymentsMgmtClient(credential, amlite.subscription_id, **arm)


def test_template_deployment_with_azure_mgmt_resource_deployments(rm, dm, amlite):
    """A workspace template deployed with `deployments.begin_create_or_update`, as ARM evaluates
    it: the poller ends `Succeeded`, the deployment lists what it deployed, the workspace exists
    with the template's storage account."""
    sa = f"{amlite.rg_path}/providers/Microsoft.Storage/storageAccounts/tplstore"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"name": {"type": "string"}, "location": {"type": "string", "defaultValue": "[resourceGroup().location]"}},
        "resources": [
            {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2019-04-01", "name": "tplstore",
             "location": "[parameters('location')]"},
            {"type": f"{ML}/workspaces", "apiVersion": "2023-08-01-preview", "name": "[parameters('name')]",
             "location": "[parameters('location')]",
             "dependsOn": ["[resourceId('Microsoft.Storage/storageAccounts', 'tplstore')]"],
             "properties": {"storageAccount": "[resourceId('Microsoft.Storage/storageAccounts', 'tplstore')]"}},
        ],
    }
    body = {"properties": {"mode": "Incremental", "template": template, "parameters": {"name": {"value": "ws-mgmt-tpl"}}}}
    result = dm.deployments.begin_create_or_update(amlite.resource_group, "tpl1", body).result()
    assert result.properties.provisioning_state == "Succeeded"
    ws_id = f"{amlite.rg_path}/providers/{ML}/workspaces/ws-mgmt-tpl"
    assert [r.id for r in result.properties.output_resources] == [ws_id, sa]
    assert result.properties.parameters["location"] == {
        "type": "String", "value": rm.resource_groups.get(amlite.resource_group).location}
    assert [p.namespace for p in result.properties.providers] == ["Microsoft.Storage", ML]
    assert [d.depends_on[0].id for d in result.properties.dependencies] == [sa]
    assert "tpl1" in [d.name for d in dm.deployments.list_by_resource_group(amlite.resource_group)]
    assert list(dm.deployment_operations.list(amlite.resource_group, "tpl1")) == []
    ws = rm.resources.get_by_id(ws_id, api_version="2024-04-01")
    assert ws.properties["storageAccount"] == sa
