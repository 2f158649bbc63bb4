//! The request bodies of the Machine Learning operations amlite models, as the contracts
//! (`Microsoft.MachineLearningServices`, 2024-04-01 and later) declare them: only the fields
//! amlite reads; unknown ones are ignored, as ARM does. Every field is optional here; what an
//! operation requires is checked by its handler or rule (e.g. `authMode` on create, CP-7).
//!
//! Pure: serde and `domain` types only.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields as f;
use crate::domain::enums::{AutoRebuild, ContainerType, EncryptionStatus, OsType, ScaleType};
use crate::domain::{AuthMode, PublicNetworkAccess};
use crate::rules::EndpointComputeType;

/// A string property that may be sent as `null` to clear it: absent is `None`, `null` is
/// `Some(None)`.
pub type Nullable<T> = Option<Option<T>>;

/// `PUT`/`PATCH …/onlineEndpoints/{e}` (`OnlineEndpointTrackedResource`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointBody {
    #[serde(default, deserialize_with = "f::text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::any_object")]
    pub identity: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "f::text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<EndpointProperties>,
}

/// `OnlineEndpoint` properties.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointProperties {
    #[serde(default, deserialize_with = "f::choice")]
    pub auth_mode: Option<AuthMode>,
    #[serde(default, deserialize_with = "f::text")]
    pub compute: Option<String>,
    #[serde(default, deserialize_with = "f::nullable_text")]
    pub description: Nullable<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub keys: Option<EndpointKeysBody>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub properties: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::choice")]
    pub public_network_access: Option<PublicNetworkAccess>,
    #[serde(default, deserialize_with = "f::weights")]
    pub traffic: Option<BTreeMap<String, i64>>,
    #[serde(default, deserialize_with = "f::weights")]
    pub mirror_traffic: Option<BTreeMap<String, i64>>,
}

/// Keys a client may set when it creates an endpoint.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointKeysBody {
    #[serde(default, deserialize_with = "f::text")]
    pub primary_key: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub secondary_key: Option<String>,
}

/// `POST …/onlineEndpoints/{e}/regenerateKeys` (`RegenerateEndpointKeysRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegenerateKeysBody {
    #[serde(default, deserialize_with = "f::choice")]
    pub key_type: Option<KeyType>,
    #[serde(default, deserialize_with = "f::text")]
    pub key_value: Option<String>,
}

pub use crate::domain::enums::KeyType;

/// `PUT`/`PATCH …/deployments/{d}` (`OnlineDeploymentTrackedResource`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentBody {
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::object")]
    pub sku: Option<SkuBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<DeploymentProperties>,
}

/// `Sku` of a deployment (`capacity` is the instance count, CP-5).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuBody {
    #[serde(default, deserialize_with = "f::text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "f::integer")]
    pub capacity: Option<i64>,
}

/// `ManagedOnlineDeployment` properties.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentProperties {
    #[serde(default, deserialize_with = "f::choice")]
    pub endpoint_compute_type: Option<EndpointComputeType>,
    #[serde(default, deserialize_with = "f::text")]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub code_configuration: Option<CodeConfigurationBody>,
    #[serde(default, deserialize_with = "f::text")]
    pub environment_id: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub environment_variables: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::text")]
    pub instance_type: Option<String>,
    #[serde(default, deserialize_with = "f::choice")]
    pub egress_public_network_access: Option<PublicNetworkAccess>,
    #[serde(default, deserialize_with = "f::flag")]
    pub app_insights_enabled: Option<bool>,
    #[serde(default, deserialize_with = "f::object")]
    pub scale_settings: Option<ScaleSettingsBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub request_settings: Option<RequestSettingsBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub liveness_probe: Option<ProbeBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub readiness_probe: Option<ProbeBody>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub properties: Option<BTreeMap<String, String>>,
}

/// `CodeConfiguration`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeConfigurationBody {
    #[serde(default, deserialize_with = "f::text")]
    pub code_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub scoring_script: Option<String>,
}

/// `OnlineScaleSettings` (`Default` or `TargetUtilization`; counts int32 ≥ 0).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleSettingsBody {
    #[serde(default, deserialize_with = "f::choice")]
    pub scale_type: Option<ScaleType>,
    #[serde(default, deserialize_with = "f::int32::<0, { i32::MAX }, _>")]
    pub min_instances: Option<i32>,
    #[serde(default, deserialize_with = "f::int32::<0, { i32::MAX }, _>")]
    pub max_instances: Option<i32>,
    #[serde(default, deserialize_with = "f::int32::<0, { i32::MAX }, _>")]
    pub target_utilization_percentage: Option<i32>,
    #[serde(default, deserialize_with = "f::duration")]
    pub polling_interval: Option<String>,
}

/// `OnlineRequestSettings` (CP-5 checks `requestTimeout`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSettingsBody {
    #[serde(default, deserialize_with = "f::text")]
    pub request_timeout: Option<String>,
    #[serde(default, deserialize_with = "f::int32::<1, 1000, _>")]
    pub max_concurrent_requests_per_instance: Option<i32>,
    #[serde(default, deserialize_with = "f::duration")]
    pub max_queue_wait: Option<String>,
}

/// `ProbeSettings` (thresholds int32 ≥ 1, times ISO-8601 durations).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeBody {
    #[serde(default, deserialize_with = "f::int32::<1, { i32::MAX }, _>")]
    pub failure_threshold: Option<i32>,
    #[serde(default, deserialize_with = "f::int32::<1, { i32::MAX }, _>")]
    pub success_threshold: Option<i32>,
    #[serde(default, deserialize_with = "f::duration")]
    pub timeout: Option<String>,
    #[serde(default, deserialize_with = "f::duration")]
    pub period: Option<String>,
    #[serde(default, deserialize_with = "f::duration")]
    pub initial_delay: Option<String>,
}

/// `POST …/deployments/{d}/getLogs` (`DeploymentLogsRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsBody {
    #[serde(default, deserialize_with = "f::count")]
    pub tail: Option<u64>,
    #[serde(default, deserialize_with = "f::choice")]
    pub container_type: Option<ContainerType>,
}

/// `PUT` of an asset container or version, or of a datastore: `properties` is stored as sent
/// once the collection's own checks pass (`arm::assets::validation`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetBody {
    #[serde(default, deserialize_with = "f::any_object")]
    pub properties: Option<Map<String, Value>>,
}

/// `PUT` of an asset container (`ModelContainer`, `CodeContainer`, `EnvironmentContainer`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetContainerBody {
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<AssetBaseProperties>,
}

/// The writable fields of `ResourceBase` with `AssetBase`'s flags: an asset container's
/// (`isAnonymous` is a version's; a container ignores it; `latestVersion` and `nextVersion`
/// are read-only), and checked on every version PUT, so a wrongly typed one is a 400 rather
/// than stored and then left out of every answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetBaseProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub properties: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_archived: Option<bool>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_anonymous: Option<bool>,
}

/// `ModelVersion` properties amlite checks (the rest is stored as sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelVersionProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub job_name: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub model_type: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub model_uri: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::object_map")]
    pub flavors: Option<BTreeMap<String, Option<FlavorBody>>>,
}

/// One model flavor: `{ "data": map<string, string> }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlavorBody {
    #[serde(default, deserialize_with = "f::string_map")]
    pub data: Option<BTreeMap<String, String>>,
}

/// `EnvironmentVersion` properties amlite checks (the rest is stored as sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentVersionProperties {
    #[serde(default, deserialize_with = "f::choice")]
    pub auto_rebuild: Option<AutoRebuild>,
    #[serde(default, deserialize_with = "f::choice")]
    pub os_type: Option<OsType>,
    #[serde(default, deserialize_with = "f::text")]
    pub conda_file: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub image: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_anonymous: Option<bool>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_archived: Option<bool>,
    #[serde(default, deserialize_with = "f::object")]
    pub build: Option<BuildContextBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub inference_config: Option<InferenceConfigBody>,
}

/// `BuildContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildContextBody {
    #[serde(default, deserialize_with = "f::text")]
    pub context_uri: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub dockerfile_path: Option<String>,
}

/// `InferenceContainerProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfigBody {
    #[serde(default, deserialize_with = "f::object")]
    pub liveness_route: Option<RouteBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub readiness_route: Option<RouteBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub scoring_route: Option<RouteBody>,
}

/// `Route` (both fields required; the handler says so).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteBody {
    #[serde(default, deserialize_with = "f::text")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "f::int32::<1, 65535, _>")]
    pub port: Option<i32>,
}

/// A workspace's `encryption` (`EncryptionProperty`), checked and stored as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionBody {
    #[serde(default, deserialize_with = "f::choice")]
    pub status: Option<EncryptionStatus>,
    #[serde(default, deserialize_with = "f::text")]
    pub cosmos_db_resource_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub search_account_resource_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub storage_account_resource_id: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub identity: Option<EncryptionIdentityBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub key_vault_properties: Option<KeyVaultPropertiesBody>,
}

/// `IdentityForCmk`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionIdentityBody {
    #[serde(default, deserialize_with = "f::text")]
    pub user_assigned_identity: Option<String>,
}

/// `EncryptionKeyVaultProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyVaultPropertiesBody {
    #[serde(default, deserialize_with = "f::text")]
    pub key_vault_arm_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub key_identifier: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub identity_client_id: Option<String>,
}

/// `POST …/datastores/{d}/listSecrets` (`SecretExpiry`, azure-ai-ml 1.31 and later).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSecretsBody {
    #[serde(default, deserialize_with = "f::flag")]
    pub expirable_secret: Option<bool>,
    #[serde(default, deserialize_with = "f::integer")]
    pub expire_after_hours: Option<i64>,
}

/// `POST …/versions/{v}/startPendingUpload` (`PendingUploadRequestDto`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingUploadBody {
    #[serde(default, deserialize_with = "f::text")]
    pub pending_upload_type: Option<String>,
}
