//! Stored documents of the client-network resources (SPEC §6.1): virtual networks with their
//! subnets, private endpoints with their one private link service connection. Pure data; the
//! wire parsing is in `arm/network/model.rs`, the SQL in `store/`.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Audit;

/// A subnet of a client VNet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubnetDoc {
    /// Name as created.
    pub name: String,
    /// `properties.addressPrefix`, if given.
    pub address_prefix: Option<String>,
}

/// A client virtual network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VirtualNetworkDoc {
    /// Region.
    pub location: String,
    /// User tags (never the listener tag).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `properties.addressSpace.addressPrefixes`.
    pub address_prefixes: Vec<String>,
    /// Subnets in creation order.
    #[serde(default)]
    pub subnets: Vec<SubnetDoc>,
    /// `properties.resourceGuid`.
    pub resource_guid: String,
    /// Port of the last listener started for it (reused after a restart when free).
    #[serde(default)]
    pub listener_port: Option<u16>,
    /// Created/modified.
    pub audit: Audit,
}

/// The one private link service connection of a private endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectionDoc {
    /// Connection name.
    pub name: String,
    /// `privateLinkServiceId`: the target resource (a workspace for SPEC §6.1).
    pub target_id: String,
    /// `groupIds`.
    pub group_ids: Vec<String>,
    /// `requestMessage`.
    pub request_message: Option<String>,
    /// Sent under `manualPrivateLinkServiceConnections` (starts `Pending`).
    pub manual: bool,
}

/// A private endpoint in a client VNet subnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrivateEndpointDoc {
    /// Region.
    pub location: String,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `properties.subnet.id`.
    pub subnet_id: String,
    /// The VNet holding the subnet.
    pub vnet_id: String,
    /// Its connection.
    pub connection: ConnectionDoc,
    /// The workspace's `privateEndpointConnections` entry, when the target is a workspace.
    pub pec_id: Option<String>,
    /// Status for targets amlite keeps no connection resource for (and the last known status
    /// otherwise, used only where no store lookup is possible).
    pub status: String,
    /// `properties.workspaceId` GUID and region of a target workspace (for ISO-12 DNS records).
    pub workspace_guid: Option<String>,
    /// Region of the target workspace.
    pub workspace_region: Option<String>,
    /// `audit.created_at` is `systemData.createdAt`, compared with 2022-05-24 (ISO-2).
    pub audit: Audit,
}
