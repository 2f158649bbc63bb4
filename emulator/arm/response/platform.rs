//! Bodies of the ARM plumbing the clients need before they reach Azure ML (`arm::plumbing`):
//! `/health`, the cloud metadata document, the managed-identity token, subscriptions, resource
//! groups and the admin inventory (the template deployment's: `template`). A resource group's
//! stored document is read as JSON, echoed as it was stored.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::domain::ResourceId;

/// `{"status": …}` (`/health`, a template deployment's operation status).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Status {
    /// `ok`, `Succeeded`.
    pub status: &'static str,
}

/// The cloud metadata document of one cloud whose every endpoint is the listener `base`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CloudMetadata {
    name: String,
    portal: String,
    resource_manager: String,
    authentication: CloudAuthentication,
    media: String,
    graph_audience: String,
    graph: String,
    sql_management: String,
    microsoft_graph_resource_id: String,
    active_directory_data_lake: String,
    batch: String,
    gallery: String,
    vm_image_alias_doc: String,
    suffixes: CloudSuffixes,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct CloudAuthentication {
    login_endpoint: String,
    audiences: Vec<String>,
    tenant: &'static str,
    identity_provider: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct CloudSuffixes {
    storage: &'static str,
    key_vault_dns: &'static str,
    acr_login_server: &'static str,
    sql_server_hostname: &'static str,
    azure_data_lake_store_file_system: &'static str,
    azure_data_lake_analytics_catalog_and_job: &'static str,
}

/// The cloud `amlite-{port}` of the listener `base` (`https://127.0.0.1:PORT`).
pub fn cloud_metadata(base: &str) -> CloudMetadata {
    let port = base.rsplit(':').next().unwrap_or("0");
    let root = format!("{base}/");
    CloudMetadata {
        name: format!("amlite-{port}"),
        portal: base.to_string(),
        resource_manager: root.clone(),
        authentication: CloudAuthentication {
            login_endpoint: root.clone(),
            audiences: vec![root.clone()],
            tenant: "common",
            identity_provider: "AAD",
        },
        media: root.clone(),
        graph_audience: root.clone(),
        graph: root.clone(),
        sql_management: root.clone(),
        microsoft_graph_resource_id: root.clone(),
        active_directory_data_lake: root.clone(),
        batch: root.clone(),
        gallery: root,
        vm_image_alias_doc: format!("{base}/vmImageAliasDoc"),
        suffixes: CloudSuffixes {
            storage: "core.windows.net",
            key_vault_dns: "vault.azure.net",
            acr_login_server: "azurecr.io",
            sql_server_hostname: "database.windows.net",
            azure_data_lake_store_file_system: "azuredatalakestore.net",
            azure_data_lake_analytics_catalog_and_job: "azuredatalakeanalytics.net",
        },
    }
}

/// The App Service managed-identity token answer (snake_case, `expires_on` a string).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MsiToken {
    /// The signed token.
    pub access_token: String,
    /// Expiry, Unix seconds as a string.
    pub expires_on: String,
    /// The audience asked for.
    pub resource: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// amlite's development client.
    pub client_id: &'static str,
}

/// A subscription (`Microsoft.Resources/subscriptions`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    id: String,
    subscription_id: String,
    tenant_id: String,
    display_name: Value,
    state: &'static str,
    authorization_source: &'static str,
    subscription_policies: SubscriptionPolicies,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct SubscriptionPolicies {
    location_placement_id: &'static str,
    quota_id: &'static str,
    spending_limit: &'static str,
}

/// The subscription `id` of `tenant`, its `displayName` from the stored document (else its id).
pub fn subscription(id: &str, tenant: &str, doc: &Value) -> Subscription {
    let sid = id.rsplit('/').next().unwrap_or("");
    Subscription {
        id: id.to_string(),
        subscription_id: sid.to_string(),
        tenant_id: tenant.to_string(),
        display_name: doc
            .get("displayName")
            .cloned()
            .unwrap_or_else(|| Value::from(sid)),
        state: "Enabled",
        authorization_source: "RoleBased",
        subscription_policies: SubscriptionPolicies {
            location_placement_id: "Public_2014-09-01",
            quota_id: "PayAsYouGo_2014-09-01",
            spending_limit: "Off",
        },
    }
}

/// `GET /subscriptions`: the list with its `count`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubscriptionList {
    value: Vec<Subscription>,
    count: Count,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
struct Count {
    #[serde(rename = "type")]
    count_type: &'static str,
    value: usize,
}

/// Every subscription, counted.
pub fn subscription_list(value: Vec<Subscription>) -> SubscriptionList {
    let count = Count {
        count_type: "Total",
        value: value.len(),
    };
    SubscriptionList { value, count }
}

/// What a resource group's row stores.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResourceGroupDoc {
    /// Region.
    pub location: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// A resource group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResourceGroup {
    id: String,
    name: String,
    #[serde(rename = "type")]
    resource_type: &'static str,
    location: Value,
    tags: Value,
    properties: ProvisioningStateOnly,
}

/// `{"provisioningState": …}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ProvisioningStateOnly {
    provisioning_state: &'static str,
}

/// The resource group `id`/`name` from its stored document (`eastus`, no tags when absent).
pub fn resource_group(id: &str, name: &str, doc: &Value) -> ResourceGroup {
    ResourceGroup {
        id: id.to_string(),
        name: name.to_string(),
        resource_type: "Microsoft.Resources/resourceGroups",
        location: doc
            .get("location")
            .cloned()
            .unwrap_or_else(|| Value::from("eastus")),
        tags: doc
            .get("tags")
            .cloned()
            .unwrap_or_else(|| Value::Object(serde_json::Map::new())),
        properties: ProvisioningStateOnly {
            provisioning_state: "Succeeded",
        },
    }
}

/// An entry of the admin inventory (`GET /_amlite/resources`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InventoryEntry {
    /// ARM id.
    pub id: String,
    /// Stored kind.
    pub kind: String,
}

/// A resource provider's registration (`Provider`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderRegistration {
    id: String,
    namespace: &'static str,
    registration_state: &'static str,
    registration_policy: &'static str,
    resource_types: Vec<ProviderResourceType>,
}

/// `ProviderResourceType`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ProviderResourceType {
    resource_type: &'static str,
    locations: &'static [&'static str],
    api_versions: &'static [&'static str],
    default_api_version: Option<&'static str>,
    capabilities: &'static str,
}

/// The provider `namespace`, registered in the subscription `sub`, serving `types` (each with
/// its api-versions, newest first) in `locations`.
pub fn provider_registration(
    sub: &ResourceId,
    namespace: &'static str,
    types: &[(&'static str, &'static [&'static str])],
    locations: &'static [&'static str],
) -> ProviderRegistration {
    ProviderRegistration {
        id: format!("{sub}/providers/{namespace}"),
        namespace,
        registration_state: "Registered",
        registration_policy: "RegistrationRequired",
        resource_types: types
            .iter()
            .map(|(resource_type, api_versions)| ProviderResourceType {
                resource_type,
                locations,
                api_versions,
                default_api_version: api_versions.first().copied(),
                capabilities: "None",
            })
            .collect(),
    }
}

/// A stored resource as ARM's generic `/resources` lists show it (`GenericResourceExpanded`):
/// the members a stored document has, the `$expand`ed ones asked for.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GenericResource {
    /// ARM id.
    pub id: String,
    /// The resource's name (`parent/child` for child resources).
    pub name: String,
    /// ARM type.
    #[serde(rename = "type")]
    pub resource_type: &'static str,
    /// Stored `location`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
    /// Stored `tags`, when there are some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Value>,
    /// `kind` of the kinds that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Value>,
    /// Stored `identity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Value>,
    /// `$expand=createdTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// `$expand=changedTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_time: Option<String>,
    /// `$expand=provisioningState`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<Value>,
}
