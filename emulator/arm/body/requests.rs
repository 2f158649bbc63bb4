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
use crate::domain::enums::{ContainerType, EncryptionStatus, ScaleType};
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

/// `Sku` (common-types) of a deployment (`capacity` is the instance count, CP-5) or a workspace
/// (stored as sent, [`super::as_sent`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuBody {
    #[serde(default, deserialize_with = "f::text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "f::integer")]
    pub capacity: Option<i64>,
    #[serde(default, deserialize_with = "f::text")]
    pub tier: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub size: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub family: Option<String>,
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

/// `ManagedServiceIdentity` as a request sends it (workspace and endpoint `identity`): stored as
/// sent ([`super::as_sent`]), `type` checked to be a string (its value is normalised when
/// answered, `arm::response::identity`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityBody {
    #[serde(default, rename = "type", deserialize_with = "f::text")]
    pub identity_type: Option<String>,
    #[serde(default, deserialize_with = "f::any_object")]
    pub user_assigned_identities: Option<Map<String, Value>>,
}
