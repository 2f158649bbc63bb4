"""azure-mgmt-network against amlite's client networks: VNets and subnets, a private endpoint
to the workspace (its addresses inside its subnet) and its network interface, subscription-level
lists."""

from __future__ import annotations

import ipaddress

import pytest
from azure.core.exceptions import ResourceNotFoundError


@pytest.fixture
def net(credential, arm, amlite):
    from azure.mgmt.network import NetworkManagementClient

    return NetworkManagementClient(credential, amlite.subscription_id, **arm)


def test_vnet_subnet_private_endpoint(net, amlite):
    from azure.mgmt.network.models import (AddressSpace, PrivateEndpoint, PrivateLinkServiceConnection, Subnet,
                                           VirtualNetwork)

    rg = amlite.resource_group
    v = net.virtual_networks.begin_create_or_update(rg, "sdk-vnet", VirtualNetwork(
        location="eastus", address_space=AddressSpace(address_prefixes=["10.30.0.0/16"]),
        subnets=[Subnet(name="pes", address_prefix="10.30.4.0/24")])).result()
    assert v.provisioning_state == "Succeeded"
    assert not v.tags
    assert net.subnets.get(rg, "sdk-vnet", "pes").address_prefix == "10.30.4.0/24"
    pe = net.private_endpoints.begin_create_or_update(rg, "sdk-pe", PrivateEndpoint(
        location="eastus", subnet=Subnet(id=f"{v.id}/subnets/pes"),
        private_link_service_connections=[PrivateLinkServiceConnection(
            name="conn", private_link_service_id=amlite.ws_path, group_ids=["amlworkspace"])])).result()
    assert pe.private_link_service_connections[0].private_link_service_connection_state.status == "Approved"
    subnet = ipaddress.ip_network("10.30.4.0/24")
    ips = [c.private_ip_address for c in pe.ip_configurations] + [ip for d in pe.custom_dns_configs for ip in d.ip_addresses]
    assert ips and all(ipaddress.ip_address(ip) in subnet for ip in ips), ips
    # Its network interface is served: the same address, pointing back at the PE.
    nic = net.network_interfaces.get(rg, pe.network_interfaces[0].id.rsplit("/", 1)[1])
    assert nic.id == pe.network_interfaces[0].id
    assert nic.private_endpoint.id == pe.id
    assert {c.private_ip_address for c in nic.ip_configurations} == set(ips)
    assert nic.ip_configurations[0].private_link_connection_properties.group_id == "amlworkspace"
    assert [x.name for x in net.virtual_networks.list_all()] == ["sdk-vnet"]
    assert [x.name for x in net.private_endpoints.list_by_subscription()] == ["sdk-pe"]


def test_missing_vnet_is_arms_404(net, amlite):
    with pytest.raises(ResourceNotFoundError) as e:
        net.virtual_networks.get(amlite.resource_group, "nope")
    assert e.value.error.code == "ResourceNotFound"
