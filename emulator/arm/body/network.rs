//! The client-network request bodies amlite models (`Microsoft.Network`, SPEC §6.1):
//! `virtualNetworks` (with inline subnets and peerings), `subnets`, `virtualNetworkPeerings` and
//! `privateEndpoints`, only the fields amlite reads. What each needs beyond its types (a subnet
//! name, exactly one connection) is checked in `arm::network::model`.
//!
//! Pure: serde only.
use std::collections::BTreeMap;

use serde::Deserialize;

use super::fields as f;

/// `PUT …/virtualNetworks/{v}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkRequest {
    #[serde(default, deserialize_with = "f::text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<VirtualNetworkProperties>,
}

/// `VirtualNetworkPropertiesFormat`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    #[serde(default, deserialize_with = "f::object")]
    pub address_space: Option<AddressSpaceBody>,
    #[serde(default, deserialize_with = "f::list")]
    pub subnets: Option<Vec<SubnetRequest>>,
    #[serde(default, deserialize_with = "f::list")]
    pub virtual_network_peerings: Option<Vec<PeeringRequest>>,
}

/// `AddressSpace`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSpaceBody {
    #[serde(default, deserialize_with = "f::texts")]
    pub address_prefixes: Option<Vec<String>>,
}

/// A subnet, inline in a VNet or `PUT …/subnets/{s}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetRequest {
    #[serde(default, deserialize_with = "f::text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<SubnetProperties>,
}

/// `SubnetPropertiesFormat`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub address_prefix: Option<String>,
}

/// A peering, inline in a VNet or `PUT …/virtualNetworkPeerings/{p}` (refused, ISO-15).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringRequest {
    #[serde(default, deserialize_with = "f::text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<PeeringProperties>,
}

/// `VirtualNetworkPeeringPropertiesFormat`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringProperties {
    #[serde(default, deserialize_with = "f::object")]
    pub remote_virtual_network: Option<SubResource>,
}

/// A reference to another resource (`SubResource`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubResource {
    #[serde(default, deserialize_with = "f::text")]
    pub id: Option<String>,
}

/// `PUT …/privateEndpoints/{p}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointRequest {
    #[serde(default, deserialize_with = "f::text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<PrivateEndpointProperties>,
}

/// `PrivateEndpointProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointProperties {
    #[serde(default, deserialize_with = "f::object")]
    pub subnet: Option<SubResource>,
    #[serde(default, deserialize_with = "f::list")]
    pub private_link_service_connections: Option<Vec<LinkConnectionRequest>>,
    #[serde(default, deserialize_with = "f::list")]
    pub manual_private_link_service_connections: Option<Vec<LinkConnectionRequest>>,
}

/// `PrivateLinkServiceConnection`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkConnectionRequest {
    #[serde(default, deserialize_with = "f::text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<LinkConnectionProperties>,
}

/// `PrivateLinkServiceConnectionProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkConnectionProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub private_link_service_id: Option<String>,
    #[serde(default, deserialize_with = "f::texts")]
    pub group_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::text")]
    pub request_message: Option<String>,
}
