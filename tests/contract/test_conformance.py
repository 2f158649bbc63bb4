"""Schema conformance (issue 5, SPEC §8): every operation amlite implements is driven with plain
HTTPS requests, and every response body is validated against Microsoft's OpenAPI definition of
that operation for the api-version it was sent with: `2024-04-01` (stable) and the previews the
SDK sends (`2022-02-01-preview` endpoints, `2023-04-01-preview` deployments and assets,
`2024-04-01-preview` workspaces, outbound rules and private endpoint connections).

Steps run in file order against one amlite; each fails on its own violations, and the last one
prints the summary line (operations covered, responses validated, violations).
"""

from __future__ import annotations

import uuid

import pytest

from checker import Checker, Record
from conftest import SUMMARIES

STABLE = "2024-04-01"
WS_APIS = (STABLE, "2024-04-01-preview")
EP_APIS = (STABLE, "2022-02-01-preview")
DEP_APIS = (STABLE, "2023-04-01-preview")
ASSET_APIS = (STABLE, "2023-04-01-preview")
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"

RECORD = Record()
SUFFIX = uuid.uuid4().hex[:6]
EP = f"ct-ep-{SUFFIX}"
DEP = "blue"


@pytest.fixture
def ck(amlite, contracts):
    checker = Checker(amlite, contracts, RECORD)
    before = len(RECORD.violations)
    yield checker
    new = RECORD.violations[before:]
    assert not new, "schema violations:\n" + "\n".join(new)


def ws_body(location: str = "eastus", **props) -> dict:
    return {"location": location, "identity": {"type": "SystemAssigned"}, "sku": {"name": "Basic", "tier": "Basic"},
            "properties": {"friendlyName": "contract test", "publicNetworkAccess": "Enabled", **props}}


def test_workspaces(ck, amlite):
    ws = amlite.ws_path
    sub_list = f"/subscriptions/{amlite.env['AZURE_SUBSCRIPTION_ID']}/providers/Microsoft.MachineLearningServices/workspaces"
    rg_list = f"{amlite.rg_path}/providers/Microsoft.MachineLearningServices/workspaces"
    new_ws = f"{rg_list}/ct-ws-{SUFFIX}"
    for api in WS_APIS:
        ck.call("GET", ws, api, op_id="Workspaces_Get")
        ck.call("GET", rg_list, api, op_id="Workspaces_ListByResourceGroup")
        ck.call("GET", sub_list, api, op_id="Workspaces_ListBySubscription")
        ck.wait(ck.call("PUT", new_ws, api, ws_body(), op_id="Workspaces_CreateOrUpdate"))
        ck.call("GET", new_ws, api)
        ck.wait(ck.call("PATCH", new_ws, api, {"tags": {"k": "v"}, "properties": {"description": "patched"}},
                        op_id="Workspaces_Update"))
    ck.wait(ck.call("DELETE", new_ws, STABLE, op_id="Workspaces_Delete"))
    ck.call("GET", new_ws, STABLE, ok=(404,))


def test_managed_network(ck, amlite):
    rg_list = f"{amlite.rg_path}/providers/Microsoft.MachineLearningServices/workspaces"
    ws = f"{rg_list}/ct-mn-{SUFFIX}"
    managed = {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}
    ck.wait(ck.call("PUT", ws, STABLE, ws_body(**managed)))
    for api in WS_APIS:
        ck.call("GET", ws, api)
        rule = f"{ws}/outboundRules/pypi-{api.replace('-', '')}"
        body = {"properties": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}}
        ck.wait(ck.call("PUT", rule, api, body, op_id="ManagedNetworkSettingsRule_CreateOrUpdate"))
        ck.call("GET", rule, api, op_id="ManagedNetworkSettingsRule_Get")
        ck.call("GET", f"{ws}/outboundRules", api, op_id="ManagedNetworkSettingsRule_List")
        ck.wait(ck.call("POST", f"{ws}/provisionManagedNetwork", api, {"includeSpark": False},
                        op_id="ManagedNetworkProvisions_ProvisionManagedNetwork"))
        ck.wait(ck.call("DELETE", rule, api, op_id="ManagedNetworkSettingsRule_Delete"))
        ck.call("GET", rule, api, ok=(404,))
        ck.call("GET", f"{ws}/outboundRules", api)


def test_private_endpoint_connections(ck, amlite):
    ws = amlite.ws_path
    vnet = f"{amlite.rg_path}/providers/Microsoft.Network/virtualNetworks/ct-vnet-{SUFFIX}"
    pe = f"{amlite.rg_path}/providers/Microsoft.Network/privateEndpoints/ct-pe-{SUFFIX}"
    s = amlite.session
    s.put(f"{amlite.url}{vnet}", params={"api-version": "2023-09-01"}, timeout=30, json={
        "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                             "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})
    made = s.put(f"{amlite.url}{pe}", params={"api-version": "2023-09-01"}, timeout=30, json={
        "location": "eastus", "properties": {
            "subnet": {"id": f"{vnet}/subnets/default"},
            "privateLinkServiceConnections": [{"name": "ct", "properties": {
                "privateLinkServiceId": ws, "groupIds": ["amlworkspace"]}}]}})
    for api in WS_APIS:
        listed = ck.call("GET", f"{ws}/privateEndpointConnections", api, op_id="PrivateEndpointConnections_List").json()
        if made.status_code < 300:  # a private endpoint to the workspace makes a connection (SPEC 6.1)
            assert listed.get("value"), f"no connection listed after PE PUT -> {made.status_code}"
        for pec in listed.get("value", [])[:1]:
            ck.call("GET", f"{ws}/privateEndpointConnections/{pec['name']}", api, op_id="PrivateEndpointConnections_Get")
    ck.call("GET", f"{ws}/privateEndpointConnections/ct-missing", STABLE, ok=(404,))


def test_assets(ck, amlite):
    ws = amlite.ws_path
    store = ck.call("GET", f"{ws}/datastores/workspaceblobstore", STABLE, op_id="Datastores_Get").json()
    account = store["properties"].get("accountName", "amlitestore")
    container = store["properties"].get("containerName", "azureml")
    blob = f"https://{account}.blob.core.windows.net/{container}"
    for api in ASSET_APIS:
        ck.call("GET", f"{ws}/datastores/workspaceblobstore", api, op_id="Datastores_Get")
        ck.call("GET", f"{ws}/datastores", api, op_id="Datastores_List")
        ck.call("POST", f"{ws}/datastores/workspaceblobstore/listSecrets", api, op_id="Datastores_ListSecrets")
        ck.call("PUT", f"{ws}/models/ct-model/versions/1", api, op_id="ModelVersions_CreateOrUpdate", body={
            "properties": {"modelUri": f"{blob}/models/m", "modelType": "custom_model", "description": "m", "flavors": {}}})
        ck.call("GET", f"{ws}/models/ct-model/versions/1", api, op_id="ModelVersions_Get")
        ck.call("PUT", f"{ws}/codes/ct-code/versions/1", api, op_id="CodeVersions_CreateOrUpdate",
                body={"properties": {"codeUri": f"{blob}/code/c", "description": "c"}})
        ck.call("GET", f"{ws}/codes/ct-code/versions/1", api, op_id="CodeVersions_Get")
        ck.call("PUT", f"{ws}/environments/ct-env/versions/1", api, op_id="EnvironmentVersions_CreateOrUpdate",
                body={"properties": {"image": IMAGE, "description": "e"}})
        ck.call("GET", f"{ws}/environments/ct-env/versions/1", api, op_id="EnvironmentVersions_Get")
    ck.call("GET", f"{ws}/models/ct-missing/versions/1", STABLE, ok=(404,))


def endpoint_body(**props) -> dict:
    return {"location": "eastus", "identity": {"type": "SystemAssigned"},
            "properties": {"authMode": "Key", "description": "contract", **props}}


def test_online_endpoints(ck, amlite):
    ep = f"{amlite.ws_path}/onlineEndpoints/{EP}"
    for api in EP_APIS:
        ck.wait(ck.call("PUT", ep, api, endpoint_body(), op_id="OnlineEndpoints_CreateOrUpdate"))
        ck.call("GET", ep, api, op_id="OnlineEndpoints_Get")
        ck.call("GET", f"{amlite.ws_path}/onlineEndpoints", api, op_id="OnlineEndpoints_List")
        ck.wait(ck.call("PATCH", ep, api, {"tags": {"team": "contract"}}, op_id="OnlineEndpoints_Update"))
        ck.call("POST", f"{ep}/listKeys", api, op_id="OnlineEndpoints_ListKeys")
        ck.wait(ck.call("POST", f"{ep}/regenerateKeys", api, {"keyType": "Secondary"},
                        op_id="OnlineEndpoints_RegenerateKeys"))
    tok = f"{amlite.ws_path}/onlineEndpoints/{EP}-t"
    ck.wait(ck.call("PUT", tok, STABLE, endpoint_body(authMode="AMLToken")))
    for api in EP_APIS:
        ck.call("POST", f"{tok}/token", api, op_id="OnlineEndpoints_GetToken")
    ck.wait(ck.call("DELETE", tok, STABLE, op_id="OnlineEndpoints_Delete"))
    ck.call("GET", tok, STABLE, ok=(404,))


def deployment_body(ws: str, capacity: int = 1) -> dict:
    return {"location": "eastus", "sku": {"name": "Default", "capacity": capacity}, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": f"{ws}/models/ct-model/versions/1",
        "codeConfiguration": {"codeId": f"{ws}/codes/ct-code/versions/1", "scoringScript": "score.py"},
        "environmentId": f"{ws}/environments/ct-env/versions/1",
        "requestSettings": {"requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1},
    }}


def test_online_deployments(ck, amlite):
    ep = f"{amlite.ws_path}/onlineEndpoints/{EP}"
    dep = f"{ep}/deployments/{DEP}"
    for api in DEP_APIS:
        ck.wait(ck.call("PUT", dep, api, deployment_body(amlite.ws_path), op_id="OnlineDeployments_CreateOrUpdate"))
        ck.call("GET", dep, api, op_id="OnlineDeployments_Get")
        ck.call("GET", f"{ep}/deployments", api, op_id="OnlineDeployments_List")
        ck.wait(ck.call("PATCH", dep, api, {"sku": {"capacity": 2}, "tags": {"t": "1"}}, op_id="OnlineDeployments_Update"))
        ck.call("POST", f"{dep}/getLogs", api, {"containerType": "InferenceServer", "tail": 10},
                op_id="OnlineDeployments_GetLogs")
        ck.call("GET", f"{dep}/skus", api, op_id="OnlineDeployments_ListSkus")
    ck.call("GET", f"{ep}/deployments/ct-missing", STABLE, ok=(404,))
    current = ck.call("GET", ep, STABLE).json()
    current["properties"]["traffic"] = {DEP: 100}
    ck.wait(ck.call("PUT", ep, EP_APIS[1], current))
    ck.call("DELETE", dep, STABLE, ok=(400, 409))  # CP-4: live traffic; the error must be an ARM envelope
    current["properties"]["traffic"] = {}
    ck.wait(ck.call("PUT", ep, STABLE, current))
    ck.wait(ck.call("DELETE", dep, DEP_APIS[1], op_id="OnlineDeployments_Delete"))
    ck.call("GET", dep, STABLE, ok=(404,))
    ck.wait(ck.call("DELETE", ep, EP_APIS[1], op_id="OnlineEndpoints_Delete"))


def test_errors_are_arm_envelopes(ck, amlite):
    ep = f"{amlite.ws_path}/onlineEndpoints/ct-nope-{SUFFIX}"
    for api in (*EP_APIS, "2023-04-01-preview"):
        r = ck.call("GET", ep, api, ok=(404,))
        assert r.json()["error"]["code"] and r.json()["error"]["message"]
    r = amlite.session.get(f"{amlite.url}{ep}", timeout=30)  # no api-version
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"
    r = ck.call("PUT", ep, STABLE, {"location": "eastus", "properties": {"authMode": "Nope"}}, ok=(400,))
    assert r.json()["error"]["message"]


EXPECTED_OPERATIONS = {
    "Workspaces_Get", "Workspaces_ListByResourceGroup", "Workspaces_ListBySubscription", "Workspaces_CreateOrUpdate",
    "Workspaces_Update", "Workspaces_Delete", "OnlineEndpoints_CreateOrUpdate", "OnlineEndpoints_Get",
    "OnlineEndpoints_List", "OnlineEndpoints_Update", "OnlineEndpoints_Delete", "OnlineEndpoints_ListKeys",
    "OnlineEndpoints_RegenerateKeys", "OnlineEndpoints_GetToken", "OnlineDeployments_CreateOrUpdate",
    "OnlineDeployments_Get", "OnlineDeployments_List", "OnlineDeployments_Update", "OnlineDeployments_Delete",
    "OnlineDeployments_GetLogs", "OnlineDeployments_ListSkus", "ManagedNetworkSettingsRule_List",
    "ManagedNetworkSettingsRule_Get", "ManagedNetworkSettingsRule_CreateOrUpdate", "ManagedNetworkSettingsRule_Delete",
    "ManagedNetworkProvisions_ProvisionManagedNetwork", "PrivateEndpointConnections_List",
    "PrivateEndpointConnections_Get", "ModelVersions_Get", "ModelVersions_CreateOrUpdate", "CodeVersions_Get",
    "CodeVersions_CreateOrUpdate", "EnvironmentVersions_Get", "EnvironmentVersions_CreateOrUpdate",
    "Datastores_Get", "Datastores_List", "Datastores_ListSecrets",
}


def test_summary(amlite, contracts):
    SUMMARIES.append(RECORD.summary())
    missing = EXPECTED_OPERATIONS - {op for _, op in RECORD.operations}
    assert not missing, f"operations not exercised: {sorted(missing)}"
    print("\n" + RECORD.summary())
    for v in RECORD.violations:
        print("  violation:", v)
    assert RECORD.validated > 0
    assert not RECORD.violations
