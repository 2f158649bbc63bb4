"""`az deployment group create` with a workspace template: the CLI validates, deploys and polls
as it does against Azure; amlite evaluates the template and makes the workspace."""

from __future__ import annotations

import json

ML = "Microsoft.MachineLearningServices"


def test_deployment_group_create_show_and_list(az_logged_in, amlite, tmp_path):
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"name": {"type": "string"}},
        "resources": [
            {"type": f"{ML}/workspaces", "apiVersion": "2023-08-01-preview", "name": "[parameters('name')]",
             "location": "[resourceGroup().location]", "properties": {"friendlyName": "from az"}},
        ],
    }
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(template))
    out = az_logged_in.json("deployment", "group", "create", "--resource-group", amlite.resource_group,
                            "--name", "az-tpl", "--template-file", str(path), "--parameters", "name=ws-az-tpl")
    assert out["properties"]["provisioningState"] == "Succeeded"
    ws_id = f"{amlite.rg_path}/providers/{ML}/workspaces/ws-az-tpl"
    assert [r["id"] for r in out["properties"]["outputResources"]] == [ws_id]
    shown = az_logged_in.json("deployment", "group", "show", "--resource-group", amlite.resource_group, "--name", "az-tpl")
    assert shown["properties"]["parameters"]["name"] == {"type": "String", "value": "ws-az-tpl"}
    names = [d["name"] for d in az_logged_in.json("deployment", "group", "list", "--resource-group", amlite.resource_group)]
    assert "az-tpl" in names
    ws = az_logged_in.json("resource", "show", "--ids", ws_id)
    assert ws["properties"]["friendlyName"] == "from az"
