"""`az group` and `az resource` (generic ARM: HEAD for existence, the resource lists, the provider
document `az resource show --ids` reads for its api-version), and `az rest` on amlite's cloud."""

from __future__ import annotations

from amlite_testing import azure_text

ML = "Microsoft.MachineLearningServices"


def test_group_exists_is_head_204_or_404(az_logged_in, amlite):
    assert az_logged_in.json("group", "exists", "--name", amlite.resource_group) is True
    assert az_logged_in.json("group", "exists", "--name", "no-such-rg") is False


def test_group_show_and_list(az_logged_in, amlite):
    rg = az_logged_in.json("group", "show", "--name", amlite.resource_group)
    assert rg["id"] == amlite.rg_path
    assert rg["type"] == "Microsoft.Resources/resourceGroups"
    assert rg["properties"] == {"provisioningState": "Succeeded"}
    names = [g["name"] for g in az_logged_in.json("group", "list")]
    assert amlite.resource_group in names


def test_group_show_missing_is_arms_404(az_logged_in):
    err = az_logged_in.fails("group", "show", "--name", "no-such-rg")
    assert f"(ResourceGroupNotFound) {azure_text('ResourceGroupNotFound(no-such-rg)')}" in err


def test_resource_list_in_the_subscription_and_the_group(az_logged_in, amlite):
    everything = az_logged_in.json("resource", "list")
    ids = {r["id"] for r in everything}
    assert amlite.ws_path in ids
    ws = next(r for r in everything if r["id"] == amlite.ws_path)
    assert ws["type"] == f"{ML}/workspaces" and ws["resourceGroup"] == amlite.resource_group
    in_group = az_logged_in.json("resource", "list", "--resource-group", amlite.resource_group)
    assert {r["id"] for r in in_group} == {r["id"] for r in everything if r["resourceGroup"] == amlite.resource_group}
    assert az_logged_in.json("resource", "list", "--resource-type", f"{ML}/workspaces", "--query", "[].name") == [amlite.workspace_name]


def test_resource_list_filters_by_a_missing_group(az_logged_in):
    err = az_logged_in.fails("resource", "list", "--resource-group", "no-such-rg")
    assert f"(ResourceGroupNotFound) {azure_text('ResourceGroupNotFound(no-such-rg)')}" in err


def test_resource_show_by_id_reads_the_provider_api_versions(az_logged_in, amlite):
    ws = az_logged_in.json("resource", "show", "--ids", amlite.ws_path)
    assert ws["id"] == amlite.ws_path
    assert ws["properties"]["provisioningState"] == "Succeeded"
    by_name = az_logged_in.json("resource", "show", "--resource-group", amlite.resource_group, "--name", amlite.workspace_name,
                                "--resource-type", f"{ML}/workspaces")
    assert by_name["id"] == amlite.ws_path


def test_resource_show_of_a_missing_workspace_is_arms_404(az_logged_in, amlite):
    missing = f"{amlite.rg_path}/providers/{ML}/workspaces/nope"
    err = az_logged_in.fails("resource", "show", "--ids", missing)
    assert (f"(ResourceNotFound) The Resource '{ML}/workspaces/nope' under resource group '{amlite.resource_group}' was not found."
            in err)


def test_provider_show_lists_resource_types_and_api_versions(az_logged_in):
    provider = az_logged_in.json("provider", "show", "--namespace", ML)
    assert provider["namespace"] == ML and provider["registrationState"] == "Registered"
    types = {t["resourceType"]: t for t in provider["resourceTypes"]}
    assert "2024-04-01" in types["workspaces"]["apiVersions"]
    assert "workspaces/onlineEndpoints" in types


def test_rest_with_a_path_on_amlites_arm(az_logged_in, amlite):
    body = az_logged_in.json("rest", "--method", "get", "--url", f"{amlite.rg_path}?api-version=2021-04-01")
    assert body["name"] == amlite.resource_group
    ws = az_logged_in.json("rest", "--method", "get", "--url", f"{amlite.url}{amlite.ws_path}?api-version=2024-04-01")
    assert ws["name"] == amlite.workspace_name


def test_rest_reports_arms_error(az_logged_in, amlite):
    err = az_logged_in.fails("rest", "--method", "get", "--url", f"{amlite.rg_path}/providers/{ML}/workspaces/nope?api-version=2024-04-01")
    assert "Not Found" in err and "ResourceNotFound" in err
