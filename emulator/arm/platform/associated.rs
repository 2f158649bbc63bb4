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

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::AppState;
use crate::domain::{
    Audit, PrivateEndpointConnection, PublicNetworkAccess, ResourceId, ResourceKind, Workspace,
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

/// One associated resource (the domain document).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssociatedDoc {
    /// Region (the workspace's).
    pub location: String,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `publicNetworkAccess`.
    pub public_network_access: PublicNetworkAccess,
    /// The workspace that made it.
    pub workspace: String,
    /// A GUID standing for the resource's own ids (app ids, instrumentation keys).
    pub guid: String,
    /// Created/modified.
    pub audit: Audit,
}

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

/// A private endpoint connection of an associated resource on the wire.
fn pec_body(kind: ResourceKind, id: &ResourceId, c: &PrivateEndpointConnection) -> Value {
    json!({
        "id": id.as_str(), "name": id.name(), "type": format!("{}/privateEndpointConnections", kind.arm_type()),
        "properties": {
            "privateEndpoint": { "id": c.private_endpoint_id },
            "privateLinkServiceConnectionState": { "status": c.status, "description": c.description, "actionRequired": "None" },
            "provisioningState": "Succeeded"
        }
    })
}

async fn connections(
    state: &AppState,
    kind: ResourceKind,
    id: &ResourceId,
) -> ArmResult<Vec<Value>> {
    let mut out = Vec::new();
    for row in state
        .store
        .children(id, ResourceKind::PrivateEndpointConnection)
        .await?
    {
        out.push(pec_body(kind, &row.resource_id(), &row.doc()?));
    }
    Ok(out)
}

/// The wire shape of each type (what Azure shows, trimmed to what amlite knows).
fn body(
    state: &AppState,
    kind: ResourceKind,
    id: &ResourceId,
    d: &AssociatedDoc,
    pecs: Vec<Value>,
) -> Value {
    let name = id.name();
    let pna = d.public_network_access.as_str();
    let created = crate::domain::arm_time(d.audit.created_at);
    let (extra, props) = match kind {
        ResourceKind::StorageAccount => (
            json!({ "kind": "StorageV2", "sku": { "name": "Standard_LRS", "tier": "Standard" } }),
            json!({
                "publicNetworkAccess": pna, "privateEndpointConnections": pecs, "creationTime": created,
                "primaryLocation": d.location, "statusOfPrimary": "available", "supportsHttpsTrafficOnly": true,
                "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": false,
                "networkAcls": { "bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow" },
                "primaryEndpoints": {
                    "blob": format!("https://{name}.blob.core.windows.net/"), "file": format!("https://{name}.file.core.windows.net/"),
                    "queue": format!("https://{name}.queue.core.windows.net/"), "table": format!("https://{name}.table.core.windows.net/"),
                    "dfs": format!("https://{name}.dfs.core.windows.net/"), "web": format!("https://{name}.z13.web.core.windows.net/")
                }
            }),
        ),
        ResourceKind::KeyVault => (
            json!({}),
            json!({
                "publicNetworkAccess": pna, "privateEndpointConnections": pecs, "tenantId": state.tenant_id,
                "sku": { "family": "A", "name": "standard" }, "accessPolicies": [],
                "vaultUri": format!("https://{name}.vault.azure.net/"), "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90, "enableRbacAuthorization": false
            }),
        ),
        ResourceKind::ContainerRegistry => (
            json!({ "sku": { "name": "Premium", "tier": "Premium" } }),
            json!({
                "publicNetworkAccess": pna, "privateEndpointConnections": pecs, "creationDate": created,
                "loginServer": format!("{}.azurecr.io", name.to_ascii_lowercase()), "adminUserEnabled": false,
                "networkRuleBypassOptions": "AzureServices"
            }),
        ),
        _ => (
            json!({ "kind": "web" }),
            json!({
                "ApplicationId": name, "AppId": d.guid, "Application_Type": "web", "InstrumentationKey": d.guid,
                "ConnectionString": format!("InstrumentationKey={};IngestionEndpoint=https://{}.in.applicationinsights.azure.com/", d.guid, d.location),
                "CreationDate": created, "publicNetworkAccessForIngestion": pna, "publicNetworkAccessForQuery": pna,
                "privateLinkScopedResources": []
            }),
        ),
    };
    let mut out = json!({
        "id": id.as_str(), "name": name, "type": kind.arm_type(), "location": d.location, "tags": d.tags,
        "systemData": crate::arm::wire::system_data(&d.audit),
    });
    if let (Some(o), Some(e)) = (out.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let mut props = props;
    props["provisioningState"] = json!("Succeeded");
    out["properties"] = props;
    out
}

async fn load(state: &AppState, id: &ResourceId, kind: ResourceKind) -> ArmResult<AssociatedDoc> {
    let row = state.store.get(id).await?.filter(|r| r.kind == kind.tag());
    Ok(row
        .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?
        .doc()?)
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
            Ok(ok(&body(state, kind, &id, &d, pecs)))
        }
        [] if m == Method::DELETE => Ok(if state.store.delete(&id).await? {
            StatusCode::OK.into_response()
        } else {
            StatusCode::NO_CONTENT.into_response()
        }),
        ["privateendpointconnections"] if m == Method::GET => {
            load(state, &id, kind).await?;
            Ok(ok(
                &json!({ "value": connections(state, kind, &id).await? }),
            ))
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
            Ok(ok(&pec_body(kind, &row.resource_id(), &row.doc()?)))
        }
        ["privatelinkresources"] if m == Method::GET => {
            load(state, &id, kind).await?;
            let groups = TYPES
                .iter()
                .find(|t| t.2 == kind)
                .map(|t| t.3)
                .unwrap_or_default();
            let value: Vec<Value> = groups
                .iter()
                .map(|g| json!({
                    "id": id.child("privateLinkResources", g).as_str(), "name": g,
                    "type": format!("{}/privateLinkResources", kind.arm_type()),
                    "properties": { "groupId": g, "requiredMembers": [g], "requiredZoneNames": [] }
                }))
                .collect();
            Ok(ok(&json!({ "value": value })))
        }
        _ => Err(ArmError::method_not_allowed(m.as_str(), &req.path)),
    }
}
