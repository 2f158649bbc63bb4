//! Domain documents: what amlite knows about each resource, independent of the wire casing.
//! Stored as JSON in the `resources` table (see `store/`), rendered by `arm/response/`.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::enums::{AuthMode, IsolationMode, ProvisioningState, PublicNetworkAccess};

/// Who changed a resource and when (`systemData`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Audit {
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub modified_at: DateTime<Utc>,
}

impl Audit {
    /// Created and modified now.
    pub fn at(now: DateTime<Utc>) -> Self {
        Audit {
            created_at: now,
            modified_at: now,
        }
    }
}

/// The operation that last created or changed an online endpoint or deployment: Azure names its
/// monitor in the resource's `properties.properties.AzureAsyncOperationUri` (recorded:
/// `test_online_endpoint_update`, a new URI after each PUT).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OperationRef {
    /// The operation's name (`oe:{workspaceId}:{guid}`).
    pub name: String,
    /// Region of its monitor.
    pub location: String,
    /// The api-version of the request that started it (the monitor URL carries it).
    pub api_version: String,
}

/// An error kept on a resource or operation that failed (shown in monitors).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Failure {
    /// ARM error code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// The workspace managed network (`properties.managedNetwork`, ISO-8/ISO-9).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ManagedNetwork {
    /// `Disabled`, `AllowInternetOutbound` or `AllowOnlyApprovedOutbound`.
    #[serde(default, deserialize_with = "isolation_or_disabled")]
    pub isolation_mode: IsolationMode,
    /// True once `provisionManagedNetwork` ran (status `Active`).
    pub provisioned: bool,
    /// User-defined outbound rules by name (`status` is not stored: it follows `provisioned`).
    pub user_rules: BTreeMap<String, super::OutboundRule>,
}

/// Documents stored before the mode was typed hold `""` for "never set": that is `Disabled`.
fn isolation_or_disabled<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<IsolationMode, D::Error> {
    let text = String::deserialize(d)?;
    Ok(IsolationMode::parse(&text).unwrap_or_default())
}

/// A workspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workspace {
    /// Region, e.g. `eastus`.
    pub location: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `kind`, e.g. `Default`.
    pub kind: String,
    /// The immutable `workspaceId` GUID.
    pub workspace_guid: String,
    /// `publicNetworkAccess` (ISO-11, ISO-16).
    pub public_network_access: PublicNetworkAccess,
    /// `v1LegacyMode` (ISO-1).
    pub v1_legacy_mode: bool,
    /// Associated resource ids (ISO-3).
    pub storage_account: String,
    /// Key vault id.
    pub key_vault: String,
    /// Container registry id.
    pub container_registry: Option<String>,
    /// Application Insights id.
    pub application_insights: Option<String>,
    /// Managed network.
    pub managed_network: ManagedNetwork,
    /// amlite-only (SPEC 6.1, ISO-17/18): `publicNetworkAccess` of the resources the workspace
    /// uses, declared in fixtures, keyed `storage:{account}`, `vault:{name}`, `registry:{name}`
    /// (lower case). Absent means `Enabled`. Never rendered on the wire.
    #[serde(default)]
    pub resource_access: BTreeMap<String, PublicNetworkAccess>,
    /// Other `properties` sent by the client, echoed back (friendlyName, description, ...).
    pub extra: serde_json::Map<String, Value>,
    /// `identity`, echoed.
    pub identity: Option<Value>,
    /// `sku`, echoed.
    pub sku: Option<Value>,
    /// Provisioning state.
    pub provisioning_state: ProvisioningState,
    /// Created/modified.
    pub audit: Audit,
}

impl Workspace {
    /// Name of the storage account in the workspace's `storageAccount` id (lower case).
    pub fn storage_account_name(&self) -> String {
        self.storage_account
            .rsplit('/')
            .next()
            .unwrap_or("amlitestore")
            .to_ascii_lowercase()
    }
}

/// The keys of a Key-auth endpoint (never rendered on GET; `listKeys` only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EndpointKeys {
    /// `primaryKey`.
    pub primary: String,
    /// `secondaryKey`.
    pub secondary: String,
}

/// An online endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnlineEndpoint {
    /// Region.
    pub location: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `authMode`.
    pub auth_mode: AuthMode,
    /// `description`.
    pub description: Option<String>,
    /// `properties.properties` (add-only map).
    pub properties: BTreeMap<String, String>,
    /// `traffic`: deployment name → percent.
    pub traffic: BTreeMap<String, i64>,
    /// `mirrorTraffic`: deployment name → percent.
    pub mirror_traffic: BTreeMap<String, i64>,
    /// `publicNetworkAccess` (ISO-5).
    pub public_network_access: PublicNetworkAccess,
    /// `identity`, echoed.
    pub identity: Option<Value>,
    /// `kind`, echoed.
    pub kind: Option<String>,
    /// Keys.
    pub keys: EndpointKeys,
    /// Provisioning state.
    pub provisioning_state: ProvisioningState,
    /// Last failure.
    pub failure: Option<Failure>,
    /// Created/modified.
    pub audit: Audit,
    /// The `scoringUri` names the region (`?region=`): set at creation when an endpoint of the
    /// same name already existed in another region (CP-1 allows it), so each keeps a URI that
    /// reaches it alone and the first one's URI never changes.
    #[serde(default)]
    pub region_in_scoring_uri: bool,
    /// The last create/update operation (`properties.properties.AzureAsyncOperationUri`).
    #[serde(default)]
    pub operation: Option<OperationRef>,
}

/// `requestSettings.maxQueueWait` of a deployment that never set it.
pub const DEFAULT_MAX_QUEUE_WAIT: &str = "PT0S";

/// `requestSettings` of a deployment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestSettings {
    /// `maxConcurrentRequestsPerInstance` (default 1).
    pub max_concurrent_requests_per_instance: u32,
    /// `requestTimeout` in milliseconds (default 5000, at most 180000: CP-5).
    pub request_timeout_ms: u64,
    /// `maxQueueWait` as sent (ISO-8601), echoed; `PT0S` when never sent (recorded Azure: every
    /// managed deployment of the `test_online_*` cassettes).
    pub max_queue_wait: String,
}

impl Default for RequestSettings {
    fn default() -> Self {
        RequestSettings {
            max_concurrent_requests_per_instance: 1,
            request_timeout_ms: 5000,
            max_queue_wait: DEFAULT_MAX_QUEUE_WAIT.into(),
        }
    }
}

/// An online deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnlineDeployment {
    /// Region.
    pub location: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `sku.name`.
    pub sku_name: String,
    /// `sku.capacity`: instance count.
    pub instance_count: u32,
    /// `instanceType`, e.g. `Standard_DS3_v2`.
    pub instance_type: String,
    /// `model` id or URI.
    pub model: Option<String>,
    /// `codeConfiguration.codeId`.
    pub code_id: Option<String>,
    /// `codeConfiguration.scoringScript`.
    pub scoring_script: Option<String>,
    /// `environmentId`.
    pub environment_id: Option<String>,
    /// `environmentVariables`.
    pub environment_variables: BTreeMap<String, String>,
    /// `egressPublicNetworkAccess` (ISO-13).
    pub egress_public_network_access: PublicNetworkAccess,
    /// `appInsightsEnabled`.
    pub app_insights_enabled: bool,
    /// `scaleSettings` as wire JSON (defaults to `{"scaleType":"Default"}`).
    pub scale_settings: Value,
    /// `requestSettings`.
    pub request_settings: RequestSettings,
    /// `livenessProbe` wire JSON.
    pub liveness_probe: Value,
    /// `readinessProbe` wire JSON.
    pub readiness_probe: Value,
    /// `description`.
    pub description: Option<String>,
    /// `properties.properties`.
    pub properties: BTreeMap<String, String>,
    /// Provisioning state.
    pub provisioning_state: ProvisioningState,
    /// Failure of the last provisioning.
    pub failure: Option<Failure>,
    /// Log lines the runtime produced (`getLogs`).
    pub logs: Vec<String>,
    /// Created/modified.
    pub audit: Audit,
    /// The last create/update operation (`properties.properties.AzureAsyncOperationUri`).
    #[serde(default)]
    pub operation: Option<OperationRef>,
}

/// A generic workspace asset (model/code/environment version, datastore): its wire
/// `properties` are kept as sent, with server-filled defaults merged in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Asset {
    /// `properties` as wire JSON.
    pub properties: Value,
    /// Created/modified.
    pub audit: Audit,
}

/// A stored asset container (model, code, environment): what a container PUT sets. Its
/// versions are rows of their own; a container without a row is implied by them, with these
/// fields' defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AssetContainer {
    /// `description` (`null` when never set).
    pub description: Option<String>,
    /// `tags`.
    pub tags: BTreeMap<String, String>,
    /// `properties`.
    pub properties: BTreeMap<String, String>,
    /// `isArchived`: hides the container, and every version of it, from active lists.
    pub is_archived: bool,
    /// Created/modified (`None` for a container implied by its versions).
    pub audit: Option<Audit>,
}

/// A workspace private endpoint connection: made by a client private endpoint (SPEC §6.1) or by
/// a legacy egress-disabled deployment (ISO-14).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrivateEndpointConnection {
    /// Id of the private endpoint on the other side.
    pub private_endpoint_id: String,
    /// Subnet of that private endpoint, if known.
    pub subnet_id: Option<String>,
    /// `Approved`, `Pending`, `Rejected` or `Disconnected`.
    pub status: String,
    /// `privateLinkServiceConnectionState.description`.
    pub description: String,
    /// The deployment that owns it (ISO-14), if any.
    pub owner_deployment: Option<String>,
    /// Created/modified.
    pub audit: Audit,
}

/// One of a workspace's associated resources (storage account, key vault, container registry,
/// Application Insights) as an ARM resource of its own (`arm::platform::associated`).
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

/// A workspace connection (`…/workspaces/{ws}/connections/{name}`), as a template deployment
/// made it (a feature store's offline store). Its credentials are not kept: Azure never
/// answers them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceConnection {
    /// `properties.category` in Azure's spelling (`ADLSGen2`, `Redis`, …).
    pub category: String,
    /// `properties.target`: what it connects to (an ARM id or URL).
    pub target: String,
    /// `properties.authType` (`ManagedIdentity`, …).
    pub auth_type: String,
    pub audit: Audit,
}
