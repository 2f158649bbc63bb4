//! The workspace's associated resources as ARM resources of their own: the storage account
//! (`Microsoft.Storage/storageAccounts`), key vault (`Microsoft.KeyVault/vaults`), container
//! registry (`Microsoft.ContainerRegistry/registries`, the one its GET shows) and Application
//! Insights (`Microsoft.Insights/components`) whose ids a workspace names. amlite makes one row for each
//! id in a subscription it hosts when the workspace is created ([`ensure`]); it outlives the
//! workspace, as in Azure, until deleted (`workspaces.begin_delete(...,
//! delete_dependent_resources=True)` and `az resource delete` do that). GET shows its
//! `publicNetworkAccess` (what the workspace's fixture declared, SPEC 6.1) and its own
//! `privateEndpointConnections` (children rows: ISO-14's blob and registry connections);
//! `…/privateEndpointConnections[/{name}]` and `…/privateLinkResources` are served too.
use std::collections::BTreeMap;

use axum::http::Method;
use axum::response::Response;

use crate::app::AppState;
use crate::arm::response::{
    associated, associated_link_resource, associated_pec, list, PecProperties, Resource,
};
use crate::domain::{
    AssociatedDoc, Audit, PublicNetworkAccess, ResourceId, ResourceKind, Workspace,
};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

/// `(namespace, type, kind, private link group ids)` of each associated resource type.
const TYPES: &[(&str, &str, ResourceKind, &[&str])] = &[
    (
        "microsoft.storage",
        "storageaccounts",
        ResourceKind::StorageAccount,
        &["blob", "file", "queue", "table", "web", "dfs"],
    ),
    (
        "microsoft.keyvault",
        "vaults",
        ResourceKind::KeyVault,
        &["vault"],
    ),
    (
        "microsoft.containerregistry",
        "registries",
        ResourceKind::ContainerRegistry,
        &["registry"],
    ),
    (
        "microsoft.insights",
        "components",
        ResourceKind::ApplicationInsights,
        &[],
    ),
];

/// The kind of an associated resource id (`…/providers/{namespace}/{type}/{name}`), if it is one.
pub fn kind_of(id: &str) -> Option<ResourceKind> {
    let lower = id.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let at = parts.iter().position(|p| *p == "providers")?;
    let (ns, ty) = (parts.get(at + 1)?, parts.get(at + 2)?);
    TYPES
        .iter()
        .find(|(n, t, _, _)| n == ns && t == ty)
        .map(|(_, _, k, _)| *k)
}

/// True when `(namespace, type)` (lower case) is an associated resource type.
pub fn serves(namespace: &str, resource_type: &str) -> bool {
    TYPES
        .iter()
        .any(|(n, t, _, _)| *n == namespace && *t == resource_type)
}

/// A new associated resource of workspace `ws_id` (in its region) with `access`.
pub fn doc_for(ws_id: &ResourceId, ws: &Workspace, access: PublicNetworkAccess) -> AssociatedDoc {
    AssociatedDoc {
        location: ws.location.clone(),
        tags: BTreeMap::new(),
        public_network_access: access,
        workspace: ws_id.to_string(),
        guid: uuid::Uuid::new_v4().to_string(),
        audit: Audit::at(chrono::Utc::now()),
    }
}

/// Makes the rows of `ws`'s associated resources that do not exist yet (ids outside the
/// subscriptions amlite hosts are left alone: they are someone else's).
pub async fn ensure(state: &AppState, ws_id: &ResourceId, ws: &Workspace) -> ArmResult<()> {
    let registry = crate::arm::response::registry_id(ws_id, ws);
    let ids = [
        Some((&ws.storage_account, "storage")),
        Some((&ws.key_vault, "vault")),
        Some((&registry, "registry")),
        ws.application_insights.as_ref().map(|a| (a, "insights")),
    ];
    for (id, role) in ids.into_iter().flatten() {
        let Some(kind) = kind_of(id) else { continue };
        let rid = ResourceId::from_string(id.clone());
        let Some(sub) = rid.subscription_id() else {
            continue;
        };
        if state
            .store
            .get(&ResourceId::subscription(sub))
            .await?
            .is_none()
            || state.store.get(&rid).await?.is_some()
        {
            continue;
        }
        let rg = rid
            .segment_after("resourceGroups")
            .map(|rg| ResourceId::resource_group(sub, rg));
        let parent = match rg {
            Some(rg) if state.store.get(&rg).await?.is_some() => Some(rg),
            _ => None,
        };
        let name = crate::domain::id::last_segment_lower(id);
        let key = match role {
            "storage" => crate::arm::workspace_resources::storage_key(&name),
            other => format!("{other}:{name}"),
        };
        let access = ws
            .resource_access
            .get(&key)
            .copied()
            .unwrap_or(PublicNetworkAccess::Enabled);
        let doc = doc_for(ws_id, ws, access);
        state.store.put(&rid, kind, parent.as_ref(), &doc).await?;
    }
    Ok(())
}

async fn connections(
    state: &AppState,
    kind: ResourceKind,
    id: &ResourceId,
) -> ArmResult<Vec<Resource<PecProperties>>> {
    let mut out = Vec::new();
    for row in state
        .store
        .children(id, ResourceKind::PrivateEndpointConnection)
        .await?
    {
        out.push(associated_pec(kind, &row.resource_id(), &row.doc()?));
    }
    Ok(out)
}

async fn load(state: &AppState, id: &ResourceId, kind: ResourceKind) -> ArmResult<AssociatedDoc> {
    let row = state.store.get(id).await?.filter(|r| r.kind == kind.tag());
    Ok(row
        .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?
        .doc()?)
}

/// `DELETE` of an associated resource: 200, or 204 when nothing is there; a storage account's
/// blobs go with it, in the same transaction.
async fn delete(state: &AppState, id: &ResourceId, kind: ResourceKind) -> ArmResult<Response> {
    if state.store.get(id).await?.is_none() {
        return Ok(crate::http::deleted(false));
    }
    let mut tx = state.store.begin().await?;
    if kind == ResourceKind::StorageAccount {
        crate::store::blobs::delete_account_in(&mut tx, id.name())?;
    }
    crate::store::resources::delete_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(crate::http::deleted(true))
}

/// `…/providers/{namespace}/{type}/{name}[/privateEndpointConnections[/{c}] | /privateLinkResources]`
/// (`namespace` and `type` lower case, `rest` the lower-cased segments after the name).
pub async fn route(state: &AppState, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    crate::arm::plumbing::require_resource_group(state, sub, rg).await?;
    let provider_type = format!("{}/{}", req.segs[5], req.segs[6]);
    let id = ResourceId::provider_resource(sub, rg, &provider_type, &req.segs[7]);
    let kind =
        kind_of(id.as_str()).ok_or_else(|| ArmError::no_route(req.method.as_str(), &req.path))?;
    let m = &req.method;
    match rest {
        [] if m == Method::GET => {
            let d = load(state, &id, kind).await?;
            let pecs = connections(state, kind, &id).await?;
            Ok(ok(&associated(kind, &id, &d, &state.tenant_id, pecs)))
        }
        [] if m == Method::DELETE => delete(state, &id, kind).await,
        ["privateendpointconnections"] if m == Method::GET => {
            load(state, &id, kind).await?;
            Ok(ok(&list(connections(state, kind, &id).await?)))
        }
        ["privateendpointconnections", _] if m == Method::GET => {
            load(state, &id, kind).await?;
            let name = &req.segs[9];
            let pec = id.child("privateEndpointConnections", name);
            let row = state.store.get(&pec).await?.ok_or_else(|| {
                ArmError::not_found(
                    &format!("{}/privateEndpointConnections", kind.arm_type()),
                    name,
                )
            })?;
            Ok(ok(&associated_pec(kind, &row.resource_id(), &row.doc()?)))
        }
        ["privatelinkresources"] if m == Method::GET => {
            load(state, &id, kind).await?;
            let groups = TYPES
                .iter()
                .find(|t| t.2 == kind)
                .map(|t| t.3)
                .unwrap_or_default();
            let value = groups
                .iter()
                .map(|g| associated_link_resource(kind, &id, g))
                .collect();
            Ok(ok(&list(value)))
        }
        _ => Err(ArmError::method_not_allowed(m.as_str(), &req.path)),
    }
}
