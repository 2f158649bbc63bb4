//! The `Microsoft.Network` provider's client VNets and subnets on the wire (SPEC §6.1): what
//! Azure shows, trimmed to what amlite knows. The private endpoints and their network
//! interfaces are still rendered in `arm/network/` (the NIC reads the rendered PE).
use serde::Serialize;

use super::{system_data, Resource};
use crate::domain::{ResourceId, ResourceKind, SubnetDoc, VirtualNetworkDoc};

/// A virtual network's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    pub provisioning_state: &'static str,
    pub resource_guid: String,
    pub address_space: AddressSpace,
    pub subnets: Vec<Resource<SubnetProperties>>,
    pub virtual_network_peerings: Vec<SubResource>,
    pub enable_ddos_protection: bool,
}

/// `properties.addressSpace`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSpace {
    pub address_prefixes: Vec<String>,
}

/// A reference to another resource (`{ "id": ... }`).
#[derive(Debug, Clone, Serialize)]
pub struct SubResource {
    pub id: String,
}

/// A subnet's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetProperties {
    pub provisioning_state: &'static str,
    pub address_prefix: Option<String>,
    pub private_endpoints: Vec<SubResource>,
    pub private_endpoint_network_policies: &'static str,
    pub private_link_service_network_policies: &'static str,
}

/// The subnet `s` of the VNet `vnet_id`; `pes` are the ids of the private endpoints in it.
pub fn subnet(vnet_id: &ResourceId, s: &SubnetDoc, pes: &[String]) -> Resource<SubnetProperties> {
    let props = SubnetProperties {
        provisioning_state: "Succeeded",
        address_prefix: s.address_prefix.clone(),
        private_endpoints: pes
            .iter()
            .map(|id| SubResource { id: id.clone() })
            .collect(),
        private_endpoint_network_policies: "Disabled",
        private_link_service_network_policies: "Enabled",
    };
    Resource::with_type(
        &vnet_id.child("subnets", &s.name),
        "Microsoft.Network/virtualNetworks/subnets".to_string(),
        props,
    )
}

/// The VNet `id`; `pes` lists `(private endpoint id, subnet name)` of the PEs inside it.
pub fn virtual_network(
    id: &ResourceId,
    v: &VirtualNetworkDoc,
    pes: &[(String, String)],
) -> Resource<VirtualNetworkProperties> {
    let subnets = v
        .subnets
        .iter()
        .map(|s| {
            let in_subnet: Vec<String> = pes
                .iter()
                .filter(|(_, sn)| sn.eq_ignore_ascii_case(&s.name))
                .map(|(p, _)| p.clone())
                .collect();
            subnet(id, s, &in_subnet)
        })
        .collect();
    let props = VirtualNetworkProperties {
        provisioning_state: "Succeeded",
        resource_guid: v.resource_guid.clone(),
        address_space: AddressSpace {
            address_prefixes: v.address_prefixes.clone(),
        },
        subnets,
        virtual_network_peerings: Vec::new(),
        enable_ddos_protection: false,
    };
    Resource {
        location: Some(v.location.clone()),
        tags: Some(v.tags.clone()),
        etag: Some(format!("W/\"{}\"", v.resource_guid)),
        system_data: Some(system_data(&v.audit)),
        ..Resource::new(id, ResourceKind::VirtualNetwork, props)
    }
}
