//! The parsing of the client-network resources' wire bodies (SPEC §6.1):
//! `Microsoft.Network/virtualNetworks` and `Microsoft.Network/privateEndpoints`; their stored
//! documents are in `domain::network_docs`.
//! Pure (no store, no IO): handlers in `vnet.rs` / `pe.rs` read the facts and call these.
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::domain::ResourceId;
pub use crate::domain::{ConnectionDoc, PrivateEndpointDoc, SubnetDoc, VirtualNetworkDoc};
use crate::error::{ArmError, ArmResult};

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

fn obj<'a>(v: Option<&'a Value>, target: &str) -> ArmResult<Option<&'a Map<String, Value>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ArmError::bad_property(
            target,
            format!("'{target}' must be a JSON object."),
        )),
    }
}

fn arr<'a>(v: Option<&'a Value>, target: &str) -> ArmResult<&'a [Value]> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(ArmError::bad_property(
            target,
            format!("'{target}' must be a JSON array."),
        )),
    }
}

fn string(v: Option<&Value>, target: &str) -> ArmResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ArmError::bad_property(
            target,
            format!("'{target}' must be a string."),
        )),
    }
}

/// `tags` as a string map.
pub fn parse_tags(body: &Map<String, Value>) -> ArmResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if let Some(t) = obj(body.get("tags"), "tags")? {
        for (k, v) in t {
            let v = v.as_str().ok_or_else(|| {
                ArmError::bad_property("tags", format!("The value of tag '{k}' must be a string."))
            })?;
            out.insert(k.clone(), v.to_string());
        }
    }
    Ok(out)
}

/// Parses a VNet PUT body (`location`, `tags`, `properties.addressSpace.addressPrefixes`,
/// `properties.subnets[].{name, properties.addressPrefix}`, `properties.virtualNetworkPeerings`).
pub fn parse_vnet(body: &Map<String, Value>) -> ArmResult<VnetBody> {
    let props = obj(body.get("properties"), "properties")?
        .cloned()
        .unwrap_or_default();
    let space = obj(props.get("addressSpace"), "properties.addressSpace")?;
    let mut address_prefixes = Vec::new();
    for p in arr(
        space.and_then(|s| s.get("addressPrefixes")),
        "properties.addressSpace.addressPrefixes",
    )? {
        let p = p.as_str().ok_or_else(|| {
            ArmError::bad_property(
                "properties.addressSpace.addressPrefixes",
                "Address prefixes must be strings such as '10.0.0.0/16'.",
            )
        })?;
        address_prefixes.push(p.to_string());
    }
    if address_prefixes.is_empty() {
        address_prefixes.push("10.0.0.0/16".into());
    }
    let mut subnets: Vec<SubnetDoc> = Vec::new();
    for (i, s) in arr(props.get("subnets"), "properties.subnets")?
        .iter()
        .enumerate()
    {
        let target = format!("properties.subnets[{i}]");
        let s = obj(Some(s), &target)?.cloned().unwrap_or_default();
        let name = string(s.get("name"), &format!("{target}.name"))?.ok_or_else(|| {
            ArmError::bad_property(&format!("{target}.name"), "Every subnet needs a name.")
        })?;
        crate::arm::safe_name("subnet", &name)?;
        if subnets.iter().any(|x| x.name.eq_ignore_ascii_case(&name)) {
            return Err(ArmError::bad_property(
                &format!("{target}.name"),
                format!("The subnet name '{name}' appears twice in the virtual network."),
            ));
        }
        let sp = obj(s.get("properties"), &format!("{target}.properties"))?;
        let address_prefix = string(
            sp.and_then(|p| p.get("addressPrefix")),
            &format!("{target}.properties.addressPrefix"),
        )?;
        subnets.push(SubnetDoc {
            name,
            address_prefix,
        });
    }
    let mut peerings = Vec::new();
    for (i, p) in arr(
        props.get("virtualNetworkPeerings"),
        "properties.virtualNetworkPeerings",
    )?
    .iter()
    .enumerate()
    {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let remote = remote_vnet_id(p, &format!("properties.virtualNetworkPeerings[{i}]"))?;
        peerings.push((name, remote));
    }
    let location = string(body.get("location"), "location")?;
    Ok(VnetBody {
        location,
        tags: parse_tags(body)?,
        address_prefixes,
        subnets,
        peerings,
    })
}

/// `properties.remoteVirtualNetwork.id` of a peering body.
pub fn remote_vnet_id(peering: &Value, target: &str) -> ArmResult<String> {
    peering
        .get("properties")
        .and_then(|p| p.get("remoteVirtualNetwork"))
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            let t = if target.is_empty() {
                "properties.remoteVirtualNetwork.id".to_string()
            } else {
                format!("{target}.properties.remoteVirtualNetwork.id")
            };
            ArmError::bad_property(
                &t,
                "A virtual network peering needs properties.remoteVirtualNetwork.id.",
            )
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

/// Parses a private endpoint PUT body: `properties.subnet.id` and exactly one entry of
/// `properties.privateLinkServiceConnections` or `properties.manualPrivateLinkServiceConnections`
/// with `properties.{privateLinkServiceId, groupIds, requestMessage}`. `pe_name` names the
/// connection when the body does not.
pub fn parse_pe(body: &Map<String, Value>, pe_name: &str) -> ArmResult<PeBody> {
    let props = obj(body.get("properties"), "properties")?
        .cloned()
        .unwrap_or_default();
    let subnet_id = obj(props.get("subnet"), "properties.subnet")?
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ArmError::bad_property("properties.subnet.id", "A private endpoint needs properties.subnet.id: the id of a subnet of a virtual network."))?;
    let auto = arr(
        props.get("privateLinkServiceConnections"),
        "properties.privateLinkServiceConnections",
    )?;
    let manual = arr(
        props.get("manualPrivateLinkServiceConnections"),
        "properties.manualPrivateLinkServiceConnections",
    )?;
    let (list, is_manual, key) = match (auto.len(), manual.len()) {
        (1, 0) => (auto, false, "privateLinkServiceConnections"),
        (0, 1) => (manual, true, "manualPrivateLinkServiceConnections"),
        _ => {
            return Err(ArmError::bad_property(
                "properties.privateLinkServiceConnections",
                "A private endpoint needs exactly one connection, in properties.privateLinkServiceConnections (auto-approved) or properties.manualPrivateLinkServiceConnections (pending approval).",
            ))
        }
    };
    let target = format!("properties.{key}[0]");
    let c = &list[0];
    let cp = obj(c.get("properties"), &format!("{target}.properties"))?
        .cloned()
        .unwrap_or_default();
    let target_id = string(cp.get("privateLinkServiceId"), &format!("{target}.properties.privateLinkServiceId"))?
        .ok_or_else(|| ArmError::bad_property(&format!("{target}.properties.privateLinkServiceId"), "The connection needs properties.privateLinkServiceId: the id of the resource to connect to (a workspace)."))?;
    let mut group_ids = Vec::new();
    for g in arr(cp.get("groupIds"), &format!("{target}.properties.groupIds"))? {
        let g = g.as_str().ok_or_else(|| {
            ArmError::bad_property(
                &format!("{target}.properties.groupIds"),
                "groupIds must be strings.",
            )
        })?;
        group_ids.push(g.to_string());
    }
    let connection = ConnectionDoc {
        name: string(c.get("name"), &format!("{target}.name"))?
            .unwrap_or_else(|| pe_name.to_string()),
        target_id,
        group_ids,
        request_message: string(
            cp.get("requestMessage"),
            &format!("{target}.properties.requestMessage"),
        )?,
        manual: is_manual,
    };
    Ok(PeBody {
        location: string(body.get("location"), "location")?,
        tags: parse_tags(body)?,
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
