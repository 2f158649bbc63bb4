//! Typed response bodies of the control plane: domain documents rendered as the JSON Azure
//! returns (camelCase, Azure's enum casing from the `domain` enums, `id/name/type/location/tags/
//! systemData`; SPEC §3 and `contracts/`). A stored row is never sent as is.
//!
//! Owns: the ARM envelope [`Resource`], [`SystemData`], [`List`]; per Azure ML resource the
//! `properties` structs (workspace, online endpoint and deployment, asset versions, containers,
//! the datastores Azure ML creates) with the normalisations that keep them inside the contract; the
//! action bodies (keys, tokens, logs, skus, secrets: `actions`, `asset_secrets`); the ARM
//! plumbing's bodies (`platform`). Properties amlite echoes but does not model travel in a
//! `#[serde(flatten)]` map. `golden.json` holds the bodies the `json!` renderers answered; the
//! tests keep the typed ones equal to them.
//!
//! The workspace's associated resources (storage, key vault, registry, Application Insights)
//! and their private endpoint connections are here too (`associated`).
//!
//! So is the `Microsoft.Network` provider (`network`: client VNets, subnets, private endpoints
//! and their network interfaces) and the workspace managed network (`managed_network`: settings,
//! outbound rule resources, the workspace's private endpoint connections). Outbound rules travel
//! as the documents `rules::outbound_view` builds.
//!
//! Must not depend on `store` (callers decode rows), `AppState`, handlers, `scoring`/`blob`.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::domain::{arm_time, Audit, ResourceId, ResourceKind};

mod actions;
mod asset;
mod asset_secrets;
mod associated;
mod connection;
mod deployment;
mod durations;
mod endpoint;
mod identity;
mod managed_network;
mod network;
mod platform;
mod template;
mod workspace;
mod workspace_filled;

pub use actions::{
    deployment_skus, endpoint_keys, endpoint_token, DeploymentLogs, EndpointAuthKeys,
    EndpointAuthToken, SkuResource,
};
pub use asset::{
    artifact_datastore, asset, asset_container, default_datastore, AssetContainerProperties,
    AssetProperties, DatastoreProperties, ARTIFACT_CONTAINER,
};
pub use asset_secrets::{pending_upload, DatastoreSecretsBody, PendingUpload};
pub use associated::{
    associated, associated_link_resource, associated_pec, AssociatedProperties, PecProperties,
};
pub use connection::{connection, ConnectionProperties};
pub use deployment::{
    deployment, deployment_for, CodeConfiguration, DeploymentProperties, ProbeSettings,
    RequestSettings, ScaleSettings,
};
pub use durations::{format_duration_ms, is_duration};
pub use endpoint::{endpoint, EndpointProperties};
pub use identity::{identity, principal_id, Identity, UserAssignedIdentity};
pub use managed_network::{
    managed_network, outbound_rule, provisioned_status, workspace_link_resources, workspace_pec,
    ManagedNetworkSettings,
};
pub use network::{
    network_interface, private_endpoint, subnet, virtual_network, NetworkInterfaceProperties,
    PrivateEndpointProperties, SubnetProperties, VirtualNetworkProperties,
};
pub use platform::{
    cloud_metadata, provider_registration, resource_group, subscription, subscription_list,
    CloudMetadata, GenericResource, InventoryEntry, MsiToken, ProviderRegistration, ResourceGroup,
    ResourceGroupDoc, Status, Subscription, SubscriptionList,
};
pub use template::{
    template_deployment, template_validation, TemplateDeployment, TemplateDeploymentDoc,
    TemplateValidation,
};
pub use workspace::{workspace, WorkspaceProperties};
pub use workspace_filled::{azure_filled, registry_id};

/// The ARM envelope of a resource: `id`, `name`, `type` always; the optional members are left
/// out when `None` (an asset has no `location`, a deployment no `identity`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<P> {
    /// ARM id, in the stored casing.
    pub id: String,
    /// Last segment of the id.
    pub name: String,
    /// ARM type, e.g. `Microsoft.MachineLearningServices/workspaces`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `etag` (the `Microsoft.Network` resources send one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `kind` (`Default`, `Managed`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `ManagedServiceIdentity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// `sku`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// `systemData`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_data: Option<SystemData>,
    /// The resource's `properties`.
    pub properties: P,
}

impl<P> Resource<P> {
    /// The envelope of `id` (`name` and `type` from it) around `properties`, nothing optional.
    pub fn new(id: &ResourceId, kind: ResourceKind, properties: P) -> Self {
        Self::with_type(id, kind.arm_type().to_string(), properties)
    }

    /// The envelope of `id` with an ARM type no [`ResourceKind`] names (asset containers).
    pub fn with_type(id: &ResourceId, resource_type: String, properties: P) -> Self {
        Resource {
            id: id.as_str().to_string(),
            name: id.name().to_string(),
            resource_type,
            location: None,
            tags: None,
            etag: None,
            kind: None,
            identity: None,
            sku: None,
            system_data: None,
            properties,
        }
    }
}

impl<P: Serialize> Resource<P> {
    /// The body as a JSON value (for the replies that read it, e.g. `Location` from its `id`).
    pub fn to_value(&self) -> Value {
        to_value(self)
    }
}

/// A body as a JSON value. The response types hold only strings, numbers, booleans and string
/// keyed maps, so serialising cannot fail; `{}` if it ever did.
pub fn to_value<T: Serialize>(body: &T) -> Value {
    serde_json::to_value(body).unwrap_or_else(|_| Value::Object(serde_json::Map::new()))
}

/// common-types v3 `Sku`: `name` required, the rest left out when unset.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sku {
    /// `name`.
    pub name: String,
    /// `tier`: `Free|Basic|Standard|Premium`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<&'static str>,
    /// `size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// `family`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// `capacity` (int32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
}

/// The application Azure ML itself acts as when it creates a resource on the user's behalf (the
/// default datastores: recorded `createdBy` of every `workspaceblobstore` GET, e.g.
/// `test_online_deployment_get_logs`).
pub const SERVICE_APPLICATION_ID: &str = "779301c0-18b2-4cdc-801b-a0a3368fee0a";

/// common-types `systemData`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SystemData {
    /// Creation time (`arm_time`).
    pub created_at: String,
    /// Who created it.
    pub created_by: &'static str,
    /// `User` or `Application`.
    pub created_by_type: &'static str,
    /// Last change.
    pub last_modified_at: String,
    /// Who changed it last.
    pub last_modified_by: &'static str,
    /// `User` or `Application`.
    pub last_modified_by_type: &'static str,
}

impl SystemData {
    fn by(a: &Audit, who: &'static str, kind: &'static str) -> Self {
        SystemData {
            created_at: arm_time(a.created_at),
            created_by: who,
            created_by_type: kind,
            last_modified_at: arm_time(a.modified_at),
            last_modified_by: who,
            last_modified_by_type: kind,
        }
    }
}

/// `systemData` for an audit record: amlite's one user made and changed it.
pub fn system_data(a: &Audit) -> SystemData {
    SystemData::by(a, "amlite-user", "User")
}

/// `systemData` of a resource Azure ML created itself (`createdByType: Application`).
pub fn system_data_by_service(a: &Audit) -> SystemData {
    SystemData::by(a, SERVICE_APPLICATION_ID, "Application")
}

/// A `{ "value": [...] }` list page; `nextLink` only when more follow (the contracts do not
/// declare it nullable; Azure omits it on the last page).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    /// The items of this page.
    pub value: Vec<T>,
    /// URL of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// Every item on one page.
pub fn list<T>(value: Vec<T>) -> List<T> {
    List {
        value,
        next_link: None,
    }
}

/// A page that more may follow: `next_link` is the URL of the next one.
pub fn list_page<T>(value: Vec<T>, next_link: Option<String>) -> List<T> {
    List { value, next_link }
}

#[cfg(test)]
mod tests;
