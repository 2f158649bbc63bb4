//! ISO-14's private endpoint connections, where Azure shows them: an egress-disabled legacy
//! deployment gets three private endpoints (`rules::legacy_egress`), and each one's connection
//! is listed by the resource it connects to: the workspace (`amlworkspace`), the workspace's
//! storage account (`blob`) and its container registry (`registry`), the article's own
//! verification step ("check the Private endpoint connections tab of the workspace's storage
//! account and container registry"; the registry is the one the workspace's GET shows). A
//! connection whose storage account or registry amlite does not host (bring-your-own in another
//! subscription) stays on the workspace.
use crate::app::AppState;
use crate::arm::platform::associated;
use crate::domain::{Audit, PrivateEndpointConnection, ResourceId, ResourceKind, Workspace};
use crate::error::ArmResult;
use crate::rules::{self, legacy_egress::LegacyPeTarget};
use crate::store::resources;

/// `true` when `owner` is `id` itself or lies under it (`id/...`), compared case-insensitively:
/// a prefix that stops mid-name (`.../ep` vs `.../ep2/...`) does not count.
fn owned_by(owner: &str, id: &str) -> bool {
    let (o, i) = (owner.to_ascii_lowercase(), id.to_ascii_lowercase());
    o == i || o.strip_prefix(&i).is_some_and(|rest| rest.starts_with('/'))
}

/// The ISO-14 connections owned by `id` (a workspace, endpoint or deployment) or by a
/// deployment under it, on the workspace and on its storage account and registry. Read before a
/// write transaction starts: with `--in-memory` the reader and the writer are one connection.
pub async fn owned(state: &AppState, id: &ResourceId) -> ArmResult<Vec<ResourceId>> {
    let ws_id = id
        .as_str()
        .split("/onlineEndpoints/")
        .next()
        .unwrap_or("")
        .to_string();
    let mut rows = state
        .store
        .by_kind_under(ResourceKind::PrivateEndpointConnection, &ws_id)
        .await?;
    if let Some(row) = state
        .store
        .get(&ResourceId::from_string(ws_id.clone()))
        .await?
    {
        let ws: Workspace = row.doc()?;
        let registry =
            crate::arm::response::registry_id(&ResourceId::from_string(ws_id.clone()), &ws);
        for holder in [ws.storage_account, registry] {
            let holder = ResourceId::from_string(holder);
            rows.extend(
                state
                    .store
                    .children(&holder, ResourceKind::PrivateEndpointConnection)
                    .await?,
            );
        }
    }
    let mut out = Vec::new();
    for row in rows {
        let c: PrivateEndpointConnection = row.doc()?;
        if c.owner_deployment
            .as_deref()
            .is_some_and(|o| owned_by(o, id.as_str()))
        {
            out.push(row.resource_id());
        }
    }
    Ok(out)
}

/// The resource that lists a connection to `target`: the workspace, or its storage account /
/// registry when amlite holds that resource's row.
async fn holder(
    tx: &mut crate::store::WriteTx,
    ws_id: &ResourceId,
    ws: &Workspace,
    target: LegacyPeTarget,
) -> ArmResult<ResourceId> {
    let id = match target {
        LegacyPeTarget::Workspace => None,
        LegacyPeTarget::WorkspaceBlobStorage => Some(ws.storage_account.clone()),
        LegacyPeTarget::ContainerRegistry => Some(crate::arm::response::registry_id(ws_id, ws)),
    };
    let Some(id) = id.map(ResourceId::from_string) else {
        return Ok(ws_id.clone());
    };
    let hosted = resources::get_in(tx, &id)
        .await?
        .is_some_and(|r| associated::kind_of(&r.id).is_some_and(|k| k.tag() == r.kind));
    Ok(if hosted { id } else { ws_id.clone() })
}

/// Makes the row of the registry `ws` shows when a data folder from before associated resources
/// has none, inside `tx`.
async fn ensure_registry(
    tx: &mut crate::store::WriteTx,
    ws_id: &ResourceId,
    ws: &Workspace,
) -> ArmResult<()> {
    let rid = ResourceId::from_string(crate::arm::response::registry_id(ws_id, ws));
    let (Some(sub), Some(rg)) = (rid.subscription_id(), rid.segment_after("resourceGroups")) else {
        return Ok(());
    };
    let rg = ResourceId::resource_group(sub, rg);
    if resources::get_in(tx, &rid).await?.is_none() && resources::get_in(tx, &rg).await?.is_some() {
        let doc = associated::doc_for(ws_id, ws, crate::domain::PublicNetworkAccess::Enabled);
        resources::put_in(tx, &rid, ResourceKind::ContainerRegistry, Some(&rg), &doc).await?;
    }
    Ok(())
}

/// ISO-14: the 3 private endpoint connections of egress-disabled legacy deployment `id`, each
/// on the resource it connects to.
pub async fn create(
    tx: &mut crate::store::WriteTx,
    (ws_id, ws): (&ResourceId, &Workspace),
    id: &ResourceId,
    now: chrono::DateTime<chrono::Utc>,
) -> ArmResult<()> {
    ensure_registry(tx, ws_id, ws).await?;
    let ep = id
        .parent()
        .map(|e| e.name().to_string())
        .unwrap_or_default();
    for pe in
        rules::legacy_egress::iso_14_private_endpoint_connections(ws_id.name(), &ep, id.name())
    {
        let on = holder(tx, ws_id, ws, pe.target).await?;
        let pec_id = on.child("privateEndpointConnections", &pe.name);
        let c = PrivateEndpointConnection {
            private_endpoint_id: format!("{}/managedPrivateEndpoints/{}", id, pe.name),
            subnet_id: None,
            status: "Approved".into(),
            description: format!("ISO-14: private endpoint ({}) of deployment {} with egressPublicNetworkAccess Disabled", pe.group_id, id.name()),
            owner_deployment: Some(id.to_string()),
            audit: Audit::at(now),
        };
        resources::put_in(
            tx,
            &pec_id,
            ResourceKind::PrivateEndpointConnection,
            Some(&on),
            &c,
        )
        .await?;
    }
    Ok(())
}
