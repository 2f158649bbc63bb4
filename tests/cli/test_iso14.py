"""ISO-14 as the network-isolation article verifies it: "check the Private endpoint connections
tab of the workspace's storage account and container registry". A legacy deployment with
egress disabled gets three private endpoints; `az network private-endpoint-connection list`
shows one on the workspace, one on its storage account, one on its container registry."""

from __future__ import annotations

import json
import time


def test_egress_disabled_deployment_connects_workspace_storage_and_registry(az_logged_in, amlite):
    az = az_logged_in
    ws = amlite.ws_path
    api = "api-version=2024-04-01"
    az.json("rest", "--method", "put", "--url", f"{ws}/onlineEndpoints/iso14?{api}",
            "--body", json.dumps({"location": "eastus", "properties": {"authMode": "Key"}}))
    deployment = {"location": "eastus", "sku": {"name": "Default", "capacity": 1}, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "egressPublicNetworkAccess": "Disabled",
        "model": f"{ws}/models/m/versions/1", "environmentId": f"{ws}/environments/e/versions/1",
        "codeConfiguration": {"codeId": f"{ws}/codes/c/versions/1", "scoringScript": "score.py"}}}
    az.json("rest", "--method", "put", "--url", f"{ws}/onlineEndpoints/iso14/deployments/blue?{api}",
            "--body", json.dumps(deployment))
    deadline = time.monotonic() + 60
    while True:  # `az rest` does not poll; amlite completes with --provisioning-delay 0s
        d = az.json("rest", "--method", "get", "--url", f"{ws}/onlineEndpoints/iso14/deployments/blue?{api}")
        if d["properties"]["provisioningState"] in ("Succeeded", "Failed") or time.monotonic() > deadline:
            break
    assert d["properties"]["provisioningState"] == "Succeeded", d
    props = az.json("resource", "show", "--ids", ws)["properties"]
    for resource, group in ((ws, "ws"), (props["storageAccount"], "blob"), (props["containerRegistry"], "acr")):
        conns = az.json("network", "private-endpoint-connection", "list", "--id", resource)
        assert [c["name"].split("-")[2] for c in conns] == [group], (resource, conns)
        assert conns[0]["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
