//! `Microsoft.Network/privateEndpoints/{pe}` (SPEC §6.1): PUT/GET/DELETE/list. A PE to a
//! workspace (group id `amlworkspace`) creates the workspace's `privateEndpointConnections` entry
//! (`Approved`, or `Pending` for a manual connection or a fixture that says so); approving or
//! rejecting that entry through the workspace route is what the inbound decision reads (SPEC
//! §6.3). Its GET shows the ISO-12 DNS record in `customDnsConfigs` (not for a PE created before
//! 2022-05-24, which is exactly why such a PE gives no private scoring path: ISO-2).
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::model::{self, LinkTarget, PeBody, PrivateEndpointDoc, WORKSPACE_GROUP_ID};
use super::{rg_id, NetPath};
use crate::app::AppState;
use crate::arm::response::{
    list as list_of, private_endpoint, PrivateEndpointProperties, Resource,
};
use crate::domain::{Audit, PrivateEndpointConnection, ResourceId, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::http::{json_reply, ok, Request};
use crate::network::{arm_id_eq, ConnectionStatus, DnsConfig, PE_CUTOFF};
use crate::store::{resources, Row};

pub(super) const PES: &str = "Microsoft.Network/privateEndpoints";

/// ISO-12: the DNS records a workspace PE shows. A PE created before 2022-05-24 predates the
/// inference record, so it shows only the workspace API record (ISO-2: re-create it).
pub(super) fn dns_configs(id: &str, doc: &PrivateEndpointDoc) -> Vec<DnsConfig> {
    let (Some(guid), Some(region)) = (&doc.workspace_guid, &doc.workspace_region) else {
        return Vec::new();
    };
    let ip = crate::network::synthetic_private_ip(id);
    let region_l = region.to_ascii_lowercase().replace(' ', "");
    let mut out = vec![DnsConfig {
        fqdn: format!("{guid}.workspace.{region_l}.api.azureml.ms"),
        ip_addresses: vec![ip],
    }];
    if doc.audit.created_at >= PE_CUTOFF {
        out.extend(crate::network::custom_dns_configs(id, guid, region));
    }
    out
}

/// The PE wire shape with the given connection status; `ip` its address in its subnet when
/// known (see [`private_endpoint`]).
pub fn body(
    id: &ResourceId,
    doc: &PrivateEndpointDoc,
    status: ConnectionStatus,
    description: &str,
    ip: Option<&str>,
) -> Resource<PrivateEndpointProperties> {
    let nic = super::nic::nic_id(id, doc);
    private_endpoint(
        id,
        doc,
        status,
        description,
        nic,
        dns_configs(id.as_str(), doc),
        ip,
    )
}

/// The PE as GET shows it: its connection's current status and its address in its subnet.
pub(super) async fn render(
    state: &AppState,
    id: &ResourceId,
    doc: &PrivateEndpointDoc,
) -> ArmResult<Resource<PrivateEndpointProperties>> {
    let (status, description) = state.store.connection_status(doc).await?;
    let ip = super::ips::address_of(state, id, doc).await?;
    Ok(body(id, doc, status, &description, Some(&ip)))
}

/// `GET …/privateEndpoints`.
pub async fn list(state: &AppState, p: &NetPath) -> ArmResult<Response> {
    let rows = state
        .store
        .children(&rg_id(p), ResourceKind::PrivateEndpoint)
        .await?;
    list_rows(state, rows).await
}

/// The list answer for stored rows (a resource group's or a subscription's).
pub async fn list_rows(state: &AppState, rows: Vec<Row>) -> ArmResult<Response> {
    let mut value = Vec::new();
    for row in rows {
        value.push(render(state, &row.resource_id(), &row.doc()?).await?);
    }
    Ok(ok(&list_of(value)))
}

/// `GET|PUT|DELETE …/privateEndpoints/{pe}`.
pub async fn route(
    state: &AppState,
    req: &Request,
    p: &NetPath,
    rg_location: &str,
) -> ArmResult<Response> {
    let id = p.id(PES);
    let row = state
        .store
        .get(&id)
        .await?
        .filter(|r| r.kind == ResourceKind::PrivateEndpoint.tag());
    match req.method {
        Method::GET => {
            let row = row.ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
            Ok(ok(&render(state, &row.resource_id(), &row.doc()?).await?))
        }
        Method::PUT => {
            crate::arm::safe_name("private endpoint", id.name())?;
            let b = model::pe_from(crate::arm::body::parse(req)?, id.name())?;
            match row {
                Some(row) => update(state, &row, b).await,
                None => {
                    let doc = create(state, &id, b, rg_location, Utc::now(), None).await?;
                    Ok(json_reply(
                        StatusCode::CREATED,
                        &render(state, &id, &doc).await?,
                    ))
                }
            }
        }
        Method::DELETE => match row {
            None => Ok(StatusCode::NO_CONTENT.into_response()),
            Some(row) => {
                delete(state, &row).await?;
                Ok(StatusCode::OK.into_response())
            }
        },
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

/// A PUT on an existing PE may change tags only (Azure does not move a PE or retarget it).
async fn update(state: &AppState, row: &Row, b: PeBody) -> ArmResult<Response> {
    let mut doc: PrivateEndpointDoc = row.doc()?;
    if !arm_id_eq(&doc.subnet_id, &b.subnet_id)
        || !arm_id_eq(&doc.connection.target_id, &b.connection.target_id)
    {
        return Err(ArmError::bad_property(
            "properties",
            "The subnet and the privateLinkServiceId of an existing private endpoint cannot be changed: delete the private endpoint and create a new one.",
        ));
    }
    doc.tags = b.tags;
    doc.audit.modified_at = Utc::now();
    let id = row.resource_id();
    state
        .store
        .put(
            &id,
            ResourceKind::PrivateEndpoint,
            id.parent().and_then(|p| p.parent()).as_ref(),
            &doc,
        )
        .await?;
    Ok(ok(&render(state, &id, &doc).await?))
}

/// Checks the subnet exists; returns the VNet id.
async fn check_subnet(state: &AppState, id: &ResourceId, subnet_id: &str) -> ArmResult<ResourceId> {
    let (vnet_id, subnet) = model::split_subnet_id(subnet_id)
        .ok_or_else(|| crate::arm::errors::invalid_resource_reference(subnet_id, id))?;
    let vnet = match state.store.get(&vnet_id).await? {
        Some(r) if r.kind == ResourceKind::VirtualNetwork.tag() => r,
        _ => {
            return Err(crate::arm::errors::invalid_resource_reference(
                subnet_id, id,
            ))
        }
    };
    let doc: model::VirtualNetworkDoc = vnet.doc()?;
    if !doc
        .subnets
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case(&subnet))
    {
        return Err(crate::arm::errors::invalid_resource_reference(
            subnet_id, id,
        ));
    }
    Ok(vnet.resource_id())
}

/// Resolves a workspace target: its stored id and document. 400 for a malformed id or a wrong
/// group id, 404 for a workspace that does not exist.
async fn target_workspace(
    state: &AppState,
    b: &PeBody,
) -> ArmResult<Option<(ResourceId, Workspace)>> {
    let c = &b.connection;
    let path = if c.manual {
        "properties.manualPrivateLinkServiceConnections[0].properties"
    } else {
        "properties.privateLinkServiceConnections[0].properties"
    };
    let Some(kind) = model::link_target(&c.target_id) else {
        return Err(crate::arm::errors::linked_invalid_property_id(
            &c.target_id,
            path,
        ));
    };
    let LinkTarget::Workspace(sub, rg, ws) = kind else {
        return Ok(None);
    };
    let row = state
        .store
        .get(&ResourceId::workspace(&sub, &rg, &ws))
        .await?
        .filter(|r| r.kind == ResourceKind::Workspace.tag());
    let row = row.ok_or_else(|| {
        let mut e = ArmError::resource_not_found(ResourceId::workspace(&sub, &rg, &ws).as_str());
        e.message = format!("{} The private link service '{}' of this private endpoint does not exist: create the workspace first.", e.message, c.target_id);
        e
    })?;
    if c.group_ids.len() != 1 || !c.group_ids[0].eq_ignore_ascii_case(WORKSPACE_GROUP_ID) {
        return Err(ArmError::bad_property(&format!("{path}.groupIds"), format!(
            "The group ids {:?} are not valid for an Azure Machine Learning workspace: use [\"amlworkspace\"].", c.group_ids
        )));
    }
    Ok(Some((row.resource_id(), row.doc()?)))
}

/// Creates a private endpoint and, for a workspace target, the workspace's connection entry, in
/// one transaction. `created_at` is the PE's creation time (fixtures set it, ISO-2); `status`
/// overrides the initial connection status.
pub async fn create(
    state: &AppState,
    id: &ResourceId,
    b: PeBody,
    default_location: &str,
    created_at: DateTime<Utc>,
    status: Option<ConnectionStatus>,
) -> ArmResult<PrivateEndpointDoc> {
    let vnet_id = check_subnet(state, id, &b.subnet_id).await?;
    let target = target_workspace(state, &b).await?;
    let status = status.unwrap_or(if b.connection.manual {
        ConnectionStatus::Pending
    } else {
        ConnectionStatus::Approved
    });
    let now = Utc::now();
    let mut doc = PrivateEndpointDoc {
        location: b.location.unwrap_or_else(|| default_location.to_string()),
        tags: b.tags,
        subnet_id: b.subnet_id,
        vnet_id: vnet_id.to_string(),
        connection: b.connection,
        pec_id: None,
        status: status.as_str().to_string(),
        workspace_guid: None,
        workspace_region: None,
        audit: Audit {
            created_at,
            modified_at: now,
        },
    };
    let mut tx = state.store.begin().await?;
    if let Some((ws_id, ws)) = &target {
        let pec_id = ws_id.child(
            "privateEndpointConnections",
            &format!("{}.{}", id.name(), uuid::Uuid::new_v4()),
        );
        let pec = PrivateEndpointConnection {
            private_endpoint_id: id.to_string(),
            subnet_id: Some(doc.subnet_id.clone()),
            status: status.as_str().to_string(),
            description: doc.connection.request_message.clone().unwrap_or_else(|| {
                if status == ConnectionStatus::Approved {
                    "Auto-Approved".into()
                } else {
                    String::new()
                }
            }),
            owner_deployment: None,
            audit: Audit::at(now),
        };
        resources::put_in(
            &mut tx,
            &pec_id,
            ResourceKind::PrivateEndpointConnection,
            Some(ws_id),
            &pec,
        )
        .await?;
        doc.pec_id = Some(pec_id.to_string());
        doc.workspace_guid = Some(ws.workspace_guid.clone());
        doc.workspace_region = Some(ws.location.clone());
    }
    let rg = id.parent().and_then(|p| p.parent());
    resources::put_in(
        &mut tx,
        id,
        ResourceKind::PrivateEndpoint,
        rg.as_ref(),
        &doc,
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// Inside a resource group's DELETE: queues the removal of the workspace connection entries of
/// every PE in the group (the entries live under the workspace, often in another group, so the
/// group's cascade leaves them: an `Approved` connection stayed listed and counted).
pub async fn forget_connections_in(
    state: &AppState,
    tx: &mut crate::store::WriteTx,
    group: &ResourceId,
) -> ArmResult<()> {
    let under = format!("{}/", group.as_str());
    for row in state
        .store
        .by_kind_under(ResourceKind::PrivateEndpoint, &under)
        .await?
    {
        let doc: PrivateEndpointDoc = row.doc()?;
        if let Some(pec) = &doc.pec_id {
            resources::delete_in(tx, &ResourceId::from_string(pec.clone())).await?;
        }
    }
    Ok(())
}

/// Deletes a PE and its workspace connection entry together.
async fn delete(state: &AppState, row: &Row) -> ArmResult<()> {
    let doc: PrivateEndpointDoc = row.doc()?;
    let mut tx = state.store.begin().await?;
    if let Some(pec) = &doc.pec_id {
        resources::delete_in(&mut tx, &ResourceId::from_string(pec.clone())).await?;
    }
    resources::delete_in(&mut tx, &row.resource_id()).await?;
    tx.commit().await?;
    Ok(())
}
