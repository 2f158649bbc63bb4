"""`az network` on what amlite models: client VNets and subnets, private endpoints to the
workspace, the workspace's private endpoint connections and private link resources."""

from __future__ import annotations

import ipaddress

ML_WS = "Microsoft.MachineLearningServices/workspaces"


def _vnet(az, amlite, name="cli-vnet"):
    return az.json("network", "vnet", "create", "--resource-group", amlite.resource_group, "--name", name,
                   "--address-prefixes", "10.20.0.0/16", "--subnet-name", "pes", "--subnet-prefixes", "10.20.1.0/24")["newVNet"]


def test_vnet_create_show_list_without_amlites_tag(az_logged_in, amlite):
    v = _vnet(az_logged_in, amlite)
    assert v["provisioningState"] == "Succeeded"
    assert v["addressSpace"]["addressPrefixes"] == ["10.20.0.0/16"]
    shown = az_logged_in.json("network", "vnet", "show", "--resource-group", amlite.resource_group, "--name", "cli-vnet")
    # Azure adds no tags of its own; amlite's listener URL is in /_amlite/listeners instead.
    assert not shown.get("tags"), shown.get("tags")
    listed = az_logged_in.json("network", "vnet", "list", "--resource-group", amlite.resource_group)
    assert [x["name"] for x in listed] == ["cli-vnet"]
    everywhere = az_logged_in.json("network", "vnet", "list")  # subscription-level list
    assert [x["id"] for x in everywhere] == [shown["id"]]


def test_subnet_create_show_list(az_logged_in, amlite):
    rg = amlite.resource_group
    az_logged_in.json("network", "vnet", "subnet", "create", "--resource-group", rg, "--vnet-name", "cli-vnet",
                      "--name", "more", "--address-prefixes", "10.20.2.0/24")
    s = az_logged_in.json("network", "vnet", "subnet", "show", "--resource-group", rg, "--vnet-name", "cli-vnet", "--name", "more")
    assert s["addressPrefix"] == "10.20.2.0/24"
    names = [x["name"] for x in az_logged_in.json("network", "vnet", "subnet", "list", "--resource-group", rg, "--vnet-name", "cli-vnet")]
    assert names == ["pes", "more"]


def test_subnet_show_missing_is_networks_404(az_logged_in, amlite):
    err = az_logged_in.fails("network", "vnet", "subnet", "show", "--resource-group", amlite.resource_group,
                             "--vnet-name", "cli-vnet", "--name", "nope")
    assert "(NotFound)" in err or "(ResourceNotFound)" in err


def test_private_endpoint_to_the_workspace(az_logged_in, amlite):
    rg = amlite.resource_group
    pe = az_logged_in.json("network", "private-endpoint", "create", "--resource-group", rg, "--name", "cli-pe",
                           "--vnet-name", "cli-vnet", "--subnet", "pes", "--private-connection-resource-id", amlite.ws_path,
                           "--group-id", "amlworkspace", "--connection-name", "cli-conn")
    assert pe["provisioningState"] == "Succeeded"
    conn = pe["privateLinkServiceConnections"][0]
    assert conn["privateLinkServiceConnectionState"]["status"] == "Approved"
    subnet = ipaddress.ip_network("10.20.1.0/24")
    ips = [c["privateIPAddress"] for c in pe["ipConfigurations"]]
    ips += [ip for d in pe["customDnsConfigs"] for ip in d["ipAddresses"]]
    assert ips and all(ipaddress.ip_address(ip) in subnet for ip in ips), ips
    nic = az_logged_in.json("network", "nic", "show", "--ids", pe["networkInterfaces"][0]["id"])
    assert nic["privateEndpoint"]["id"] == pe["id"]
    assert {c["privateIPAddress"] for c in nic["ipConfigurations"]} == set(ips)
    listed = az_logged_in.json("network", "private-endpoint", "list", "--resource-group", rg)
    assert [x["name"] for x in listed] == ["cli-pe"]
    everywhere = az_logged_in.json("network", "private-endpoint", "list")  # subscription-level list
    assert [x["name"] for x in everywhere] == ["cli-pe"]


def test_private_endpoint_connection_list_show_approve(az_logged_in, amlite):
    conns = az_logged_in.json("network", "private-endpoint-connection", "list", "--id", amlite.ws_path)
    assert len(conns) == 1
    c = conns[0]
    assert c["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    shown = az_logged_in.json("network", "private-endpoint-connection", "show", "--id", c["id"])
    assert shown["id"] == c["id"]
    rejected = az_logged_in.json("network", "private-endpoint-connection", "reject", "--id", c["id"], "--description", "no")
    assert rejected["properties"]["privateLinkServiceConnectionState"]["status"] == "Rejected"


def test_private_link_resource_list(az_logged_in, amlite):
    plrs = az_logged_in.json("network", "private-link-resource", "list", "--id", amlite.ws_path)
    assert [p["properties"]["groupId"] for p in plrs] == ["amlworkspace"]


def test_vnet_delete_with_its_private_endpoint_inside_is_refused(az_logged_in, amlite):
    err = az_logged_in.fails("network", "vnet", "delete", "--resource-group", amlite.resource_group, "--name", "cli-vnet")
    assert "(InUseSubnetCannotBeDeleted)" in err
