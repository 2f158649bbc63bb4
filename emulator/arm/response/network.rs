//! The `Microsoft.Network` provider's client VNets, subnets and private endpoints on the wire
//! (SPEC §6.1): what Azure shows, trimmed to what amlite knows. Must not depend on `store`: the
//! caller looks up a PE's connection status and address.
use serde::Serialize;

use super::{system_data, Resource};
use crate::domain::{PrivateEndpointDoc, ResourceId, ResourceKind, SubnetDoc, VirtualNetworkDoc};
use crate::network::{ConnectionStatus, DnsConfig};

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

/// A private endpoint's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointProperties {
    pub provisioning_state: &'static str,
    pub subnet: SubResource,
    pub private_link_service_connections: Vec<Resource<LinkConnectionProperties>>,
    pub manual_private_link_service_connections: Vec<Resource<LinkConnectionProperties>>,
    pub custom_dns_configs: Vec<DnsConfig>,
    pub network_interfaces: Vec<SubResource>,
    pub ip_configurations: Vec<Resource<PeIpConfigurationProperties>>,
    pub custom_network_interface_name: &'static str,
}

/// A private endpoint's private link service connection's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkConnectionProperties {
    pub provisioning_state: &'static str,
    pub private_link_service_id: String,
    pub group_ids: Vec<String>,
    pub request_message: Option<String>,
    pub private_link_service_connection_state: ConnectionState,
}

/// `privateLinkServiceConnectionState` as `Microsoft.Network` and Azure ML spell it
/// (`actionsRequired`; the storage and registry providers say `actionRequired`, see
/// `associated`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionState {
    pub status: String,
    pub description: String,
    pub actions_required: &'static str,
}

/// One `ipConfigurations` entry of a private endpoint (per group id of its connection).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeIpConfigurationProperties {
    pub group_id: String,
    pub member_name: &'static str,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: String,
}

/// The private endpoint `id` with its connection in `status` (`description`), its NIC
/// `nic_id` and DNS records `dns`. With `ip` (its address in its subnet) every DNS record
/// resolves to it and one `ipConfigurations` entry per group id shows it; without (a render
/// with no store at hand) the records keep their synthetic address and there are none.
pub fn private_endpoint(
    id: &ResourceId,
    doc: &PrivateEndpointDoc,
    status: ConnectionStatus,
    description: &str,
    nic_id: String,
    mut dns: Vec<DnsConfig>,
    ip: Option<&str>,
) -> Resource<PrivateEndpointProperties> {
    let c = &doc.connection;
    let kind = if c.manual {
        "manualPrivateLinkServiceConnections"
    } else {
        "privateLinkServiceConnections"
    };
    let conn = Resource::with_type(
        &id.child(kind, &c.name),
        "Microsoft.Network/privateEndpoints/privateLinkServiceConnections".to_string(),
        LinkConnectionProperties {
            provisioning_state: "Succeeded",
            private_link_service_id: c.target_id.clone(),
            group_ids: c.group_ids.clone(),
            request_message: c.request_message.clone(),
            private_link_service_connection_state: ConnectionState {
                status: status.as_str().to_string(),
                description: description.to_string(),
                actions_required: "None",
            },
        },
    );
    let (auto, manual) = if c.manual {
        (Vec::new(), vec![conn])
    } else {
        (vec![conn], Vec::new())
    };
    let mut ip_configurations = Vec::new();
    if let Some(ip) = ip {
        for d in &mut dns {
            d.ip_addresses = vec![ip.to_string()];
        }
        for g in &c.group_ids {
            let name = format!("{}-{g}-ipconfig", id.name());
            ip_configurations.push(Resource::with_type(
                &id.child("ipConfigurations", &name),
                "Microsoft.Network/privateEndpoints/ipConfigurations".to_string(),
                PeIpConfigurationProperties {
                    group_id: g.clone(),
                    member_name: "default",
                    private_ip_address: ip.to_string(),
                },
            ));
        }
    }
    let props = PrivateEndpointProperties {
        provisioning_state: "Succeeded",
        subnet: SubResource {
            id: doc.subnet_id.clone(),
        },
        private_link_service_connections: auto,
        manual_private_link_service_connections: manual,
        custom_dns_configs: dns,
        network_interfaces: vec![SubResource { id: nic_id }],
        ip_configurations,
        custom_network_interface_name: "",
    };
    Resource {
        location: Some(doc.location.clone()),
        tags: Some(doc.tags.clone()),
        system_data: Some(system_data(&doc.audit)),
        ..Resource::new(id, ResourceKind::PrivateEndpoint, props)
    }
}

/// The network interface Azure creates for a private endpoint: its `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceProperties {
    pub provisioning_state: &'static str,
    pub ip_configurations: Vec<Resource<NicIpConfigurationProperties>>,
    pub dns_settings: NicDnsSettings,
    pub mac_address: &'static str,
    pub enable_accelerated_networking: bool,
    #[serde(rename = "enableIPForwarding")]
    pub enable_ip_forwarding: bool,
    pub vnet_encryption_supported: bool,
    pub disable_tcp_state_tracking: bool,
    pub hosted_workloads: Vec<String>,
    pub tap_configurations: Vec<String>,
    pub nic_type: &'static str,
    pub private_endpoint: SubResource,
}

/// A NIC's `dnsSettings` (none: the private DNS zone answers).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NicDnsSettings {
    pub dns_servers: Vec<String>,
    pub applied_dns_servers: Vec<String>,
}

/// One IP configuration of a private endpoint's NIC (per group id).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NicIpConfigurationProperties {
    pub provisioning_state: &'static str,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: String,
    #[serde(rename = "privateIPAllocationMethod")]
    pub private_ip_allocation_method: &'static str,
    #[serde(rename = "privateIPAddressVersion")]
    pub private_ip_address_version: &'static str,
    pub subnet: SubResource,
    pub primary: bool,
    pub private_link_connection_properties: PrivateLinkConnectionProperties,
}

/// `privateLinkConnectionProperties` of a NIC IP configuration.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkConnectionProperties {
    pub group_id: String,
    pub required_member_name: &'static str,
    pub fqdns: Vec<String>,
}

/// The NIC `id` of the private endpoint `pe_id` (`doc`), with the PE's address `ip` and the
/// DNS names `fqdns` it serves.
pub fn network_interface(
    id: &ResourceId,
    pe_id: &ResourceId,
    doc: &PrivateEndpointDoc,
    ip: &str,
    fqdns: &[String],
) -> Resource<NetworkInterfaceProperties> {
    let ip_configurations = doc
        .connection
        .group_ids
        .iter()
        .map(|g| {
            let name = format!("privateEndpointIpConfig.{g}");
            Resource::with_type(
                &id.child("ipConfigurations", &name),
                "Microsoft.Network/networkInterfaces/ipConfigurations".to_string(),
                NicIpConfigurationProperties {
                    provisioning_state: "Succeeded",
                    private_ip_address: ip.to_string(),
                    private_ip_allocation_method: "Dynamic",
                    private_ip_address_version: "IPv4",
                    subnet: SubResource {
                        id: doc.subnet_id.clone(),
                    },
                    primary: true,
                    private_link_connection_properties: PrivateLinkConnectionProperties {
                        group_id: g.clone(),
                        required_member_name: "default",
                        fqdns: fqdns.to_vec(),
                    },
                },
            )
        })
        .collect();
    let props = NetworkInterfaceProperties {
        provisioning_state: "Succeeded",
        ip_configurations,
        dns_settings: NicDnsSettings {
            dns_servers: Vec::new(),
            applied_dns_servers: Vec::new(),
        },
        mac_address: "",
        enable_accelerated_networking: false,
        enable_ip_forwarding: false,
        vnet_encryption_supported: false,
        disable_tcp_state_tracking: false,
        hosted_workloads: Vec::new(),
        tap_configurations: Vec::new(),
        nic_type: "Standard",
        private_endpoint: SubResource {
            id: pe_id.as_str().to_string(),
        },
    };
    Resource {
        location: Some(doc.location.clone()),
        kind: Some("Regular".to_string()),
        ..Resource::with_type(id, "Microsoft.Network/networkInterfaces".to_string(), props)
    }
}
