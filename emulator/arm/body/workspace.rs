//! The workspace request bodies (`Workspace`, `WorkspaceProperties`, 2024-04-01-preview) and the
//! managed network's (`ManagedNetworkSettings`, `OutboundRule`). Properties amlite models are
//! read from these types; the ones it keeps without modelling (description, encryption, hub
//! settings, …) are typed here only so a value of another type is refused rather than echoed,
//! and are then stored from the raw object as sent.
//!
//! Pure: serde and `domain` types only.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields as f;
use super::requests::EncryptionBody;
use crate::domain::enums::ConnectionStatus;
use crate::domain::PublicNetworkAccess;

/// `PUT`/`PATCH …/workspaces/{w}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceBody {
    #[serde(default, deserialize_with = "f::text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::any_object")]
    pub identity: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "f::any_object")]
    pub sku: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "f::text")]
    pub kind: Option<String>,
    /// Decoded into [`WorkspaceProperties`] by `arm::workspace_properties` (which fixtures and
    /// the template deployment also feed) and stored from this raw object where unmodelled.
    #[serde(default, deserialize_with = "f::any_object")]
    pub properties: Option<Map<String, Value>>,
}

/// `WorkspaceProperties`: the modelled fields first, then the type-checked unmodelled ones.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceProperties {
    #[serde(default, deserialize_with = "f::choice")]
    pub public_network_access: Option<PublicNetworkAccess>,
    #[serde(default, deserialize_with = "f::flag", rename = "v1LegacyMode")]
    pub v1_legacy_mode: Option<bool>,
    #[serde(default, deserialize_with = "f::text")]
    pub storage_account: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub key_vault: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub container_registry: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub application_insights: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub managed_network: Option<ManagedNetworkBody>,
    #[serde(default, deserialize_with = "f::flag")]
    pub allow_public_access_when_behind_vnet: Option<bool>,
    #[serde(default, deserialize_with = "f::texts")]
    pub associated_workspaces: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::texts")]
    pub container_registries: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::flag")]
    pub enable_data_isolation: Option<bool>,
    #[serde(default, deserialize_with = "f::flag")]
    pub enable_software_bill_of_materials: Option<bool>,
    #[serde(default, deserialize_with = "f::object")]
    pub encryption: Option<EncryptionBody>,
    #[serde(default, deserialize_with = "f::texts")]
    pub existing_workspaces: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::object")]
    pub feature_store_settings: Option<FeatureStoreSettingsBody>,
    #[serde(default, deserialize_with = "f::text")]
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "f::flag")]
    pub hbi_workspace: Option<bool>,
    #[serde(default, deserialize_with = "f::text")]
    pub hub_resource_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub image_build_compute: Option<String>,
    #[serde(default, deserialize_with = "f::texts")]
    pub ip_allowlist: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::texts")]
    pub key_vaults: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::text")]
    pub primary_user_assigned_identity: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub serverless_compute_settings: Option<ServerlessComputeSettingsBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub service_managed_resources_settings: Option<ServiceManagedResourcesSettingsBody>,
    #[serde(default, deserialize_with = "f::objects")]
    pub shared_private_link_resources: Option<Vec<Value>>,
    #[serde(
        default,
        deserialize_with = "f::int32::<{ i32::MIN }, { i32::MAX }, _>"
    )]
    pub soft_delete_retention_in_days: Option<i32>,
    #[serde(default, deserialize_with = "f::texts")]
    pub storage_accounts: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::text")]
    pub system_datastores_auth_mode: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub workspace_hub_config: Option<WorkspaceHubConfigBody>,
}

/// `FeatureStoreSettings`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureStoreSettingsBody {
    #[serde(default, deserialize_with = "f::object")]
    pub compute_runtime: Option<ComputeRuntimeBody>,
    #[serde(default, deserialize_with = "f::text")]
    pub offline_store_connection_name: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub online_store_connection_name: Option<String>,
}

/// `ComputeRuntimeDto`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputeRuntimeBody {
    #[serde(default, deserialize_with = "f::text")]
    pub spark_runtime_version: Option<String>,
}

/// `ServerlessComputeSettings`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerlessComputeSettingsBody {
    #[serde(default, deserialize_with = "f::text")]
    pub serverless_compute_custom_subnet: Option<String>,
    #[serde(
        default,
        deserialize_with = "f::flag",
        rename = "serverlessComputeNoPublicIP"
    )]
    pub serverless_compute_no_public_ip: Option<bool>,
}

/// `ServiceManagedResourcesSettings`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceManagedResourcesSettingsBody {
    #[serde(default, deserialize_with = "f::object")]
    pub cosmos_db: Option<CosmosDbSettingsBody>,
}

/// `CosmosDbSettings`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CosmosDbSettingsBody {
    #[serde(
        default,
        deserialize_with = "f::int32::<{ i32::MIN }, { i32::MAX }, _>"
    )]
    pub collections_throughput: Option<i32>,
}

/// `WorkspaceHubConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceHubConfigBody {
    #[serde(default, deserialize_with = "f::texts")]
    pub additional_workspace_storage_accounts: Option<Vec<String>>,
    #[serde(default, deserialize_with = "f::text")]
    pub default_workspace_resource_group: Option<String>,
}

/// `ManagedNetworkSettings` as a client sends it (`status`, `networkId` are read-only).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkBody {
    /// Checked by ISO-9 (its own message names the allowed modes).
    #[serde(default, deserialize_with = "f::text")]
    pub isolation_mode: Option<String>,
    #[serde(default, deserialize_with = "f::object_map")]
    pub outbound_rules: Option<BTreeMap<String, Option<OutboundRuleBody>>>,
}

/// `OutboundRule` (`FqdnOutboundRule`, `PrivateEndpointOutboundRule`, `ServiceTagOutboundRule`,
/// told apart by `type`): `destination` is a host name for FQDN rules and an object for the
/// others, so it is kept as sent and checked by `arm::managed_network::parse_rule` per type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRuleBody {
    #[serde(default, rename = "type", deserialize_with = "f::text")]
    pub rule_type: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub category: Option<String>,
    #[serde(default)]
    pub destination: Option<Value>,
    #[serde(default, deserialize_with = "f::texts")]
    pub fqdns: Option<Vec<String>>,
}

/// An outbound rule's `destination` object (`PrivateEndpointDestination`,
/// `ServiceTagDestination`), decoded only to name its fields in Azure's casing
/// (`body::as_sent`): their types are checked by `arm::managed_network::parse_rule` per rule
/// type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundDestinationBody {
    #[serde(default)]
    pub service_resource_id: Option<Value>,
    #[serde(default)]
    pub subresource_target: Option<Value>,
    #[serde(default)]
    pub spark_enabled: Option<Value>,
    #[serde(default)]
    pub spark_status: Option<Value>,
    #[serde(default)]
    pub service_tag: Option<Value>,
    #[serde(default)]
    pub protocol: Option<Value>,
    #[serde(default)]
    pub port_ranges: Option<Value>,
    #[serde(default)]
    pub action: Option<Value>,
    #[serde(default)]
    pub address_prefixes: Option<Value>,
}

/// `PUT …/outboundRules/{r}` (`OutboundRuleBasicResource`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRuleResourceBody {
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<OutboundRuleBody>,
}

/// `PUT …/privateEndpointConnections/{c}` (`PrivateEndpointConnection`): approve or reject.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointConnectionBody {
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<PrivateEndpointConnectionProperties>,
}

/// `PrivateEndpointConnectionProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointConnectionProperties {
    #[serde(default, deserialize_with = "f::object")]
    pub private_link_service_connection_state: Option<ConnectionStateBody>,
}

/// `PrivateLinkServiceConnectionState`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStateBody {
    #[serde(default, deserialize_with = "f::choice")]
    pub status: Option<ConnectionStatus>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
}
