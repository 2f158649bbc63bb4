//! The workspace properties Azure fills in by itself, per api-version, as the recorded Azure
//! traffic shows them (issue 15; `../shared/azure-recordings/az-ml-2.41.1`):
//!
//! - every version: `description` (`""` when unset), `containerRegistry`, `notebookInfo`,
//!   `storageHnsEnabled`, `privateLinkCount`, `sdkTelemetryAppInsightsKey`
//!   (`test_online_endpoint_invoke`, 2022);
//! - before 2023: `acrSkuTier` (`test_online_endpoint_mir`, 2022);
//! - 2023 on: `softDeleteEnabled`, `creationTime`, `sasGetterUri: ""`, and the notebook host
//!   under the region (`test_online_deployment_update_overwriting_field_using_set`, 2023);
//! - 2023-06 on: `ipAllowlist` (`test_featurestore_managednetwork_provision`);
//! - 2023-08 on: `serverlessComputeSettings`, `EnableSoftwareBillOfMaterials`
//!   (`test_workspace_managednetwork_provision`);
//! - 2024-07 on: `systemDatastoresAuthMode`, `enableServiceSideCMKEncryption`,
//!   `allowRoleAssignmentOnRG` (`test_workspace_managednetwork_outbound_rule_operations`).
//!
//! Azure's `null`s (`notebookPreparationError`, `serverlessComputeCustomSubnet`) are left out:
//! the contracts do not declare them nullable.
//!
//! Values are amlite's state where it has one (the stored description, registry, HNS flag,
//! creation time, the workspace's private endpoint connections) and otherwise what Azure
//! answers for a new workspace. Stored values always win over the defaults.
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{to_value, WorkspaceProperties};
use crate::domain::{ResourceId, Workspace};

/// `YYYY-MM-DD` of an api-version, for ordering (`2024-07-01-preview` → `2024-07-01`).
fn date(api_version: &str) -> &str {
    api_version.get(..10).unwrap_or(api_version)
}

/// A stable 32-hex id derived from the workspace GUID and a purpose.
fn hex_id(w: &Workspace, purpose: &str) -> String {
    let d = Sha256::digest(format!("{}|{purpose}", w.workspace_guid));
    d[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A stable GUID derived from the workspace GUID and a purpose.
fn guid(w: &Workspace, purpose: &str) -> String {
    let d = Sha256::digest(format!("{}|{purpose}", w.workspace_guid));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// `ml-{name}-{region}-{workspaceId}`: the name lower-cased without characters a host label
/// cannot have, cut so the label stays within DNS's 63 characters (as Azure's are).
fn notebook_label(id: &ResourceId, w: &Workspace) -> String {
    let region = w.location.to_ascii_lowercase();
    let name: String = id
        .name()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let room = 63usize.saturating_sub(3 + 1 + region.len() + 1 + w.workspace_guid.len());
    let name: String = name.chars().take(room).collect();
    format!("ml-{name}-{region}-{}", w.workspace_guid)
}

/// The workspace's container registry as Azure shows it: the one it names, else one in its
/// resource group named after its `workspaceId` (Azure shows one on every workspace).
pub fn registry_id(id: &ResourceId, w: &Workspace) -> String {
    let sub = id.subscription_id().unwrap_or_default();
    let rg = id.segment_after("resourceGroups").unwrap_or_default();
    w.container_registry.clone().unwrap_or_else(|| {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{}",
            w.workspace_guid.replace('-', "")
        )
    })
}

/// `notebookInfo`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotebookInfo {
    resource_id: String,
    fqdn: String,
    is_private_link_enabled: bool,
}

/// `azureCognitiveSearch`, `azureAIContentSafety` (and the common part of `azureOpenAI`): an AI
/// service connection of the workspace.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AiService {
    provisioning_state: &'static str,
    resource_id: Option<String>,
    auth_type: Option<String>,
    endpoint: Option<String>,
    failure_reason: Option<String>,
}

impl AiService {
    const NOT_STARTED: AiService = AiService {
        provisioning_state: "NotStarted",
        resource_id: None,
        auth_type: None,
        endpoint: None,
        failure_reason: None,
    };
}

/// `azureOpenAI`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenAiService {
    #[serde(flatten)]
    service: AiService,
    location: Option<String>,
    proxy_resource_id: Option<String>,
    deployed_models: Vec<Value>,
}

/// `serverlessComputeSettings`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServerlessComputeSettings {
    #[serde(rename = "serverlessComputeNoPublicIP")]
    serverless_compute_no_public_ip: bool,
}

/// Adds what Azure fills in for `api_version` to a rendered workspace's `properties`, where
/// neither the stored workspace nor the typed properties have the key.
pub fn azure_filled(
    props: &mut WorkspaceProperties,
    id: &ResourceId,
    w: &Workspace,
    api_version: &str,
    private_links: usize,
) {
    let v = date(api_version);
    if !props.has("containerRegistry") {
        props.container_registry = Some(registry_id(id, w));
    }
    let mut put = |k: &str, value: Value| {
        if !props.has(k) {
            props.extra.insert(k.to_string(), value);
        }
    };
    put("description", Value::from(""));
    let label = notebook_label(id, w);
    let fqdn = if v < "2023-01-01" {
        format!("{label}.notebooks.azure.net")
    } else {
        format!(
            "{label}.{}.notebooks.azure.net",
            w.location.to_ascii_lowercase()
        )
    };
    let notebook = NotebookInfo {
        resource_id: hex_id(w, "notebook"),
        fqdn,
        is_private_link_enabled: false,
    };
    put("notebookInfo", to_value(&notebook));
    put("storageHnsEnabled", Value::Bool(false));
    put("privateLinkCount", Value::from(private_links));
    put(
        "sdkTelemetryAppInsightsKey",
        Value::String(guid(w, "sdk-telemetry")),
    );
    if v < "2023-01-01" {
        put("acrSkuTier", Value::from("Basic"));
        return;
    }
    put("softDeleteEnabled", Value::Bool(false));
    put(
        "creationTime",
        Value::String(crate::domain::arm_time(w.audit.created_at)),
    );
    put("sasGetterUri", Value::from(""));
    // The AI services a workspace has not connected (recorded in every 2.41.1 cassette that
    // shows them, e.g. `test_workspace_managednetwork_provision`): none started, no endpoints.
    let open_ai = OpenAiService {
        service: AiService::NOT_STARTED,
        location: None,
        proxy_resource_id: None,
        deployed_models: Vec::new(),
    };
    put("azureOpenAI", to_value(&open_ai));
    put("azureCognitiveSearch", to_value(&AiService::NOT_STARTED));
    put("azureAIContentSafety", to_value(&AiService::NOT_STARTED));
    put("endpointResources", Value::Object(serde_json::Map::new()));
    if v >= "2023-06-01" {
        put("ipAllowlist", Value::Array(Vec::new()));
    }
    if v >= "2023-08-01" {
        let settings = ServerlessComputeSettings {
            serverless_compute_no_public_ip: false,
        };
        put("serverlessComputeSettings", to_value(&settings));
        put("EnableSoftwareBillOfMaterials", Value::Bool(false));
    }
    if v >= "2024-07-01" {
        put("systemDatastoresAuthMode", Value::from("accesskey"));
        put("enableServiceSideCMKEncryption", Value::Bool(false));
        put("allowRoleAssignmentOnRG", Value::Bool(true));
    }
}
