//! A workspace (`Workspace`, network-isolation view of §4.1 of the ARM research note): the
//! modelled properties typed, the others the client sent echoed through a flattened map.
use serde::Serialize;
use serde_json::{Map, Value};

use super::{identity, system_data, Resource, Sku};
use crate::domain::{ProvisioningState, PublicNetworkAccess, ResourceId, ResourceKind, Workspace};

/// `Workspace` properties. A key the typed fields render is never also in `extra`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceProperties {
    /// `workspaceId`: the immutable GUID.
    pub workspace_id: String,
    /// `provisioningState`.
    pub provisioning_state: ProvisioningState,
    /// `publicNetworkAccess`.
    pub public_network_access: PublicNetworkAccess,
    /// `v1LegacyMode`.
    pub v1_legacy_mode: bool,
    /// `storageAccount`.
    pub storage_account: String,
    /// `keyVault`.
    pub key_vault: String,
    /// `containerRegistry`: omitted rather than null when unset (`workspaceRP.json`,
    /// 2024-04-01-preview, does not declare it nullable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_registry: Option<String>,
    /// `applicationInsights`: omitted when unset, like `containerRegistry`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_insights: Option<String>,
    /// `tenantId`.
    pub tenant_id: String,
    /// `discoveryUrl`.
    pub discovery_url: String,
    /// `mlFlowTrackingUri`.
    pub ml_flow_tracking_uri: String,
    /// `hbiWorkspace`: always false.
    pub hbi_workspace: bool,
    /// `enableDataIsolation`: as the client sent it, else false.
    pub enable_data_isolation: Value,
    /// `friendlyName`: as the client sent it, else the name.
    pub friendly_name: Value,
    /// `managedNetwork`.
    pub managed_network: super::ManagedNetworkSettings,
    /// `privateEndpointConnections`: listed by GETs when the workspace has some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_endpoint_connections: Option<Vec<Value>>,
    /// Every other property: the client's unmodelled ones and what Azure fills in
    /// (`workspace_filled`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WorkspaceProperties {
    /// Whether `key` is rendered, typed or in `extra`.
    pub fn has(&self, key: &str) -> bool {
        // In any casing: a stored `enableSoftwareBillOfMaterials` is the property Azure answers
        // as `EnableSoftwareBillOfMaterials`, not a second one beside it.
        self.extra.contains_key(key)
            || self.extra.keys().any(|k| k.eq_ignore_ascii_case(key))
            || match key {
                "containerRegistry" => self.container_registry.is_some(),
                "applicationInsights" => self.application_insights.is_some(),
                "privateEndpointConnections" => self.private_endpoint_connections.is_some(),
                _ => TYPED.contains(&key),
            }
    }

    /// Lists the workspace's private endpoint connections.
    pub fn set_private_endpoint_connections(&mut self, connections: Vec<Value>) {
        self.extra.remove("privateEndpointConnections");
        self.private_endpoint_connections = Some(connections);
    }
}

/// The keys of the typed fields that are always rendered.
const TYPED: &[&str] = &[
    "workspaceId",
    "provisioningState",
    "publicNetworkAccess",
    "v1LegacyMode",
    "storageAccount",
    "keyVault",
    "tenantId",
    "discoveryUrl",
    "mlFlowTrackingUri",
    "hbiWorkspace",
    "enableDataIsolation",
    "friendlyName",
    "managedNetwork",
];

/// A workspace; `tenant` is the subscriptions' tenant, `internet_base` amlite's internet listener
/// (`discoveryUrl`).
pub fn workspace(
    id: &ResourceId,
    w: &Workspace,
    tenant: &str,
    internet_base: &str,
) -> Resource<WorkspaceProperties> {
    let mut extra = w.extra.clone();
    for key in TYPED {
        if !matches!(*key, "enableDataIsolation" | "friendlyName") {
            extra.remove(*key);
        }
    }
    if w.container_registry.is_some() {
        extra.remove("containerRegistry");
    }
    if w.application_insights.is_some() {
        extra.remove("applicationInsights");
    }
    let props = WorkspaceProperties {
        workspace_id: w.workspace_guid.clone(),
        provisioning_state: w.provisioning_state,
        public_network_access: w.public_network_access,
        v1_legacy_mode: w.v1_legacy_mode,
        storage_account: w.storage_account.clone(),
        key_vault: w.key_vault.clone(),
        container_registry: w.container_registry.clone(),
        application_insights: w.application_insights.clone(),
        tenant_id: tenant.to_string(),
        discovery_url: format!("{internet_base}/discovery"),
        ml_flow_tracking_uri: format!("azureml://{}.api.azureml.ms/mlflow/v1.0{}", w.location, id),
        hbi_workspace: false,
        enable_data_isolation: extra
            .remove("enableDataIsolation")
            .unwrap_or(Value::Bool(false)),
        friendly_name: extra
            .remove("friendlyName")
            .unwrap_or_else(|| Value::String(id.name().to_string())),
        managed_network: super::managed_network(w, id.as_str()),
        private_endpoint_connections: None,
        extra,
    };
    Resource {
        location: Some(w.location.clone()),
        kind: Some(w.kind.clone()),
        tags: Some(w.tags.clone()),
        identity: Some(identity(w.identity.as_ref(), id, tenant)),
        sku: Some(workspace_sku(w.sku.as_ref())),
        system_data: Some(system_data(&w.audit)),
        ..Resource::new(id, ResourceKind::Workspace, props)
    }
}

/// Workspace `sku` (common-types v3 `Sku`): `name` required (default `Basic`), `tier` one of
/// `Free|Basic|Standard|Premium` in Azure's casing (left out when the request's was not one),
/// `size`/`family` strings, `capacity` int32; nothing else.
pub fn workspace_sku(stored: Option<&Value>) -> Sku {
    const TIERS: [&str; 4] = ["Free", "Basic", "Standard", "Premium"];
    let get = |k: &str| stored.and_then(|s| s.get(k));
    let text = |k: &str| get(k).and_then(Value::as_str).map(str::to_string);
    let tier = match stored {
        None => Some("Basic"),
        Some(_) => get("tier")
            .and_then(Value::as_str)
            .and_then(|t| TIERS.iter().find(|x| x.eq_ignore_ascii_case(t)).copied()),
    };
    Sku {
        name: text("name").unwrap_or_else(|| "Basic".to_string()),
        tier,
        size: text("size"),
        family: text("family"),
        capacity: get("capacity")
            .and_then(Value::as_i64)
            .filter(|c| i32::try_from(*c).is_ok()),
    }
}
