//! The parsing of the client-network resources' wire bodies (SPEC §6.1):
//! `Microsoft.Network/virtualNetworks` and `Microsoft.Network/privateEndpoints`; their stored
//! documents are in `domain::network_docs`.
//! Pure (no store, no IO): handlers in `vnet.rs` / `pe.rs` read the facts and call these.
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::arm::body::decode;
pub use crate::arm::body::network::{
    PeeringRequest, PrivateEndpointRequest, VirtualNetworkRequest,
};
use crate::arm::errors;
use crate::domain::ResourceId;
pub use crate::domain::{ConnectionDoc, PrivateEndpointDoc, SubnetDoc, VirtualNetworkDoc};
use crate::error::ArmResult;

/// The response header of a VNet's GET/PUT that carries its listener's base URL (SPEC §6.2).
/// A header, not a tag: Azure adds no tags of its own, and clients that PUT a GET body back
/// must not store amlite's. `/_amlite/listeners` lists the same URLs.
pub const LISTENER_HEADER: &str = "x-amlite-listener";

/// Group id of a workspace private endpoint (SPEC §1).
pub const WORKSPACE_GROUP_ID: &str = "amlworkspace";

/// What a VNet PUT body says.
#[derive(Debug, Clone)]
pub struct VnetBody {
    /// `location`, if given.
    pub location: Option<String>,
    /// User tags.
    pub tags: BTreeMap<String, String>,
    /// Address prefixes (default `10.0.0.0/16`).
    pub address_prefixes: Vec<String>,
    /// Subnets.
    pub subnets: Vec<SubnetDoc>,
    /// `remoteVirtualNetwork.id` of every inline peering (refused, ISO-15).
    pub peerings: Vec<(String, String)>,
}

/// Parses a VNet PUT body (`location`, `tags`, `properties.addressSpace.addressPrefixes`,
/// `properties.subnets[].{name, properties.addressPrefix}`, `properties.virtualNetworkPeerings`)
/// as a fixture gives it; the handler decodes the request itself and calls [`vnet_from`].
pub fn parse_vnet(body: &Map<String, Value>) -> ArmResult<VnetBody> {
    vnet_from(decode(&Value::Object(body.clone()))?)
}

/// What a decoded VNet PUT says: address prefixes default to `10.0.0.0/16`; every subnet
/// needs a name, unique in the VNet; every inline peering needs its remote VNet (ISO-15 refuses
/// it afterwards).
pub fn vnet_from(body: VirtualNetworkRequest) -> ArmResult<VnetBody> {
    let props = body.properties.unwrap_or_default();
    let mut address_prefixes = props
        .address_space
        .and_then(|a| a.address_prefixes)
        .unwrap_or_default();
    if address_prefixes.is_empty() {
        address_prefixes.push("10.0.0.0/16".into());
    }
    let mut subnets: Vec<SubnetDoc> = Vec::new();
    for (i, s) in props.subnets.unwrap_or_default().into_iter().enumerate() {
        let target = format!("properties.subnets[{i}].name");
        let name = s
            .name
            .ok_or_else(|| errors::subnet_name_required(&target))?;
        crate::arm::safe_name("subnet", &name)?;
        if subnets.iter().any(|x| x.name.eq_ignore_ascii_case(&name)) {
            return Err(errors::subnet_name_repeated(&target, &name));
        }
        subnets.push(SubnetDoc {
            name,
            address_prefix: s.properties.and_then(|p| p.address_prefix),
        });
    }
    let mut peerings = Vec::new();
    for (i, p) in props
        .virtual_network_peerings
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let remote = remote_vnet_id(&p, &format!("properties.virtualNetworkPeerings[{i}]"))?;
        peerings.push((p.name.unwrap_or_default(), remote));
    }
    Ok(VnetBody {
        location: body.location,
        tags: body.tags.unwrap_or_default(),
        address_prefixes,
        subnets,
        peerings,
    })
}

/// `properties.remoteVirtualNetwork.id` of a peering body (`target`: the peering's path, empty
/// for a peering PUT).
pub fn remote_vnet_id(peering: &PeeringRequest, target: &str) -> ArmResult<String> {
    peering
        .properties
        .as_ref()
        .and_then(|p| p.remote_virtual_network.as_ref())
        .and_then(|r| r.id.clone())
        .ok_or_else(|| {
            let path = if target.is_empty() {
                "properties.remoteVirtualNetwork.id".to_string()
            } else {
                format!("{target}.properties.remoteVirtualNetwork.id")
            };
            errors::peering_remote_required(&path)
        })
}

/// What a private endpoint PUT body says.
#[derive(Debug, Clone)]
pub struct PeBody {
    /// `location`, if given.
    pub location: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `properties.subnet.id`.
    pub subnet_id: String,
    /// The one connection.
    pub connection: ConnectionDoc,
}

/// Parses a private endpoint PUT body as a fixture gives it (see [`pe_from`]).
pub fn parse_pe(body: &Map<String, Value>, pe_name: &str) -> ArmResult<PeBody> {
    pe_from(decode(&Value::Object(body.clone()))?, pe_name)
}

/// What a decoded private endpoint PUT says: `properties.subnet.id` and exactly one entry of
/// `properties.privateLinkServiceConnections` (auto-approved) or
/// `properties.manualPrivateLinkServiceConnections` (pending) with
/// `properties.{privateLinkServiceId, groupIds, requestMessage}`. `pe_name` names the
/// connection when the body does not.
pub fn pe_from(body: PrivateEndpointRequest, pe_name: &str) -> ArmResult<PeBody> {
    let props = body.properties.unwrap_or_default();
    let subnet_id = props
        .subnet
        .and_then(|s| s.id)
        .ok_or_else(errors::pe_subnet_required)?;
    let auto = props.private_link_service_connections.unwrap_or_default();
    let manual = props
        .manual_private_link_service_connections
        .unwrap_or_default();
    let (mut list, is_manual, key) = match (auto.len(), manual.len()) {
        (1, 0) => (auto, false, "privateLinkServiceConnections"),
        (0, 1) => (manual, true, "manualPrivateLinkServiceConnections"),
        _ => return Err(errors::pe_needs_one_connection()),
    };
    let c = list.remove(0);
    let cp = c.properties.unwrap_or_default();
    let target_id = cp.private_link_service_id.ok_or_else(|| {
        errors::pe_link_target_required(&format!(
            "properties.{key}[0].properties.privateLinkServiceId"
        ))
    })?;
    let connection = ConnectionDoc {
        name: c.name.unwrap_or_else(|| pe_name.to_string()),
        target_id,
        group_ids: cp.group_ids.unwrap_or_default(),
        request_message: cp.request_message,
        manual: is_manual,
    };
    Ok(PeBody {
        location: body.location,
        tags: body.tags.unwrap_or_default(),
        subnet_id,
        connection,
    })
}

/// Splits a subnet id `…/virtualNetworks/{v}/subnets/{s}` into (VNet id, subnet name).
pub fn split_subnet_id(subnet_id: &str) -> Option<(ResourceId, String)> {
    let id = ResourceId::from_string(subnet_id.trim().trim_end_matches('/').to_string());
    let parts: Vec<&str> = id.as_str().split('/').collect();
    let n = parts.len();
    let ok = n >= 11
        && parts[n - 2].eq_ignore_ascii_case("subnets")
        && parts[n - 4].eq_ignore_ascii_case("virtualNetworks")
        && parts[n - 5].eq_ignore_ascii_case("Microsoft.Network")
        && id.subscription_id().is_some();
    if !ok {
        return None;
    }
    Some((id.parent()?, id.name().to_string()))
}

/// The kind of resource a `privateLinkServiceId` names.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkTarget {
    /// `Microsoft.MachineLearningServices/workspaces/{name}` (subscription, resource group, name).
    Workspace(String, String, String),
    /// Any other well-formed resource id (kept, no connection resource on amlite's side).
    Other,
}

/// Classifies a `privateLinkServiceId`; `None` when it is not a fully qualified resource id.
pub fn link_target(id: &str) -> Option<LinkTarget> {
    let parts: Vec<&str> = id.trim().trim_end_matches('/').split('/').collect();
    if parts.len() < 9
        || !parts[0].is_empty()
        || !parts[1].eq_ignore_ascii_case("subscriptions")
        || !parts[3].eq_ignore_ascii_case("resourceGroups")
        || !parts[5].eq_ignore_ascii_case("providers")
    {
        return None;
    }
    if parts[1..].iter().any(|p| p.is_empty()) {
        return None;
    }
    if parts.len() == 9
        && parts[6].eq_ignore_ascii_case("Microsoft.MachineLearningServices")
        && parts[7].eq_ignore_ascii_case("workspaces")
    {
        return Some(LinkTarget::Workspace(
            parts[2].to_string(),
            parts[4].to_string(),
            parts[8].to_string(),
        ));
    }
    Some(LinkTarget::Other)
}

/// ISO-15 helper: when `remote_id` names an Azure ML managed network (a deployment, or anything
/// under `Microsoft.MachineLearningServices`), the deployment (or workspace) it belongs to.
pub fn managed_network_owner(remote_id: &str) -> Option<String> {
    let id = ResourceId::from_string(remote_id.to_string());
    if !remote_id
        .to_ascii_lowercase()
        .contains("/providers/microsoft.machinelearningservices/")
    {
        return None;
    }
    match (
        id.segment_after("deployments"),
        id.segment_after("workspaces"),
    ) {
        (Some(d), _) => Some(d.to_string()),
        (None, Some(w)) => Some(format!("(any deployment of workspace {w})")),
        _ => Some(remote_id.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "model_tests.rs"]
mod tests;
